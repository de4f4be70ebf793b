"""Two branches of one name are two entries of the portal search's branch filter.

Every community has its 第一党支部: in a county portal two registry branches (or two branches
relayed by lower portals) often share a name. The search filed entries under the name alone,
so the filter listed one 第一党支部 and choosing it found both branches' entries. Now a name
that two branches share is told apart by their regions, else their sites' addresses.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from feedserver import FeedServer
from test_pipeline import Item, atom, federate, server, stored, write_registry

from federation.index import branch_labels
from federation.model import Entry

__all__ = ["server"]


def _search(out: Path) -> tuple[dict, dict[str, set[str]], dict[str, str]]:
    """The manifest, each filter term's refs (base and delta shards), and url -> ref."""
    search = out / "search"
    manifest = json.loads((search / "manifest.json").read_text("utf-8"))
    postings: dict[str, set[str]] = {}
    refs: dict[str, str] = {}
    for folder in (search, search / "delta"):
        for shard in (folder / "shards").glob("*.json"):
            data = json.loads(shard.read_text("utf-8"))
            for term, posting in data.get("invertedIndex", ()):
                if term.startswith("b:"):
                    postings.setdefault(term, set()).update(posting["f"])
        for block in (folder / "meta").glob("*.json"):
            for ref, row in json.loads(block.read_text("utf-8")).items():
                refs[row[0]] = ref
    return manifest, postings, refs


def _branches(server: FeedServer, tmp_path: Path, regions: dict[str, str]) -> Path:
    branches = []
    for key in ("a", "b"):
        site = server.url(f"/{key}/")
        items = [Item(f"{key}{n}", f"{key}社区第{n}号通知", n + 1) for n in range(2)]
        server.route(f"/{key}/feeds/all.atom.xml", body=atom(site, "第一党支部", items))
        branch = {"id": key, "name": "第一党支部", "feed": server.url(f"/{key}/feeds/all.atom.xml")}
        if key in regions:
            branch["region"] = regions[key]
        branches.append(branch)
    return write_registry(tmp_path / "r.yaml", "县门户", "https://p.example/", branches)


def _filed(out: Path, server: FeedServer) -> dict[str, set[str]]:
    """Branch filter value -> the sites (a, b) of the entries it finds."""
    manifest, postings, refs = _search(out)
    by_ref = {ref: url for url, ref in refs.items()}
    filed = {}
    for label in manifest["branches"]:
        urls = {by_ref[ref] for ref in postings[f"b:{label}"] if ref in by_ref}
        filed[label] = {url.removeprefix(server.url("/"))[0] for url in urls}
    return filed


def test_two_branches_of_one_name_in_two_regions(server: FeedServer, tmp_path: Path) -> None:
    registry = _branches(server, tmp_path, {"a": "东城区", "b": "西城区"})
    federate(registry, tmp_path / "portal")
    assert _filed(tmp_path / "portal", server) == {
        "第一党支部（东城区）": {"a"},
        "第一党支部（西城区）": {"b"},
    }


def test_without_regions_their_sites_tell_them_apart(server: FeedServer, tmp_path: Path) -> None:
    registry = _branches(server, tmp_path, {})
    federate(registry, tmp_path / "portal")
    host = server.url("/").split("//", 1)[1].rstrip("/")
    assert _filed(tmp_path / "portal", server) == {
        f"第一党支部（{host}/a）": {"a"},
        f"第一党支部（{host}/b）": {"b"},
    }


def test_a_namesake_joining_relabels_the_first_in_the_delta(
    server: FeedServer, tmp_path: Path
) -> None:
    registry = _branches(server, tmp_path, {"a": "东城区", "b": "西城区"})
    # a big branch of another name, unchanged: the second run's index is a delta
    items = [Item(f"c{n}", f"通知{n}", n + 1) for n in range(100)]
    server.route("/c/feeds/all.atom.xml", body=atom(server.url("/c/"), "二支部", items))
    big = {"id": "c", "name": "二支部", "feed": server.url("/c/feeds/all.atom.xml")}
    branches = yaml.safe_load(registry.read_text("utf-8"))["branches"]
    out = tmp_path / "portal"
    write_registry(registry, "县门户", "https://p.example/", [branches[0], big])
    federate(registry, out)
    assert _filed(out, server) == {"第一党支部": {"a"}, "二支部": {"c"}}
    write_registry(registry, "县门户", "https://p.example/", [*branches, big])
    assert federate(registry, out).index_mode == "delta"
    assert _filed(out, server) == {
        "第一党支部（东城区）": {"a"},
        "第一党支部（西城区）": {"b"},
        "二支部": {"c"},
    }


def _entry(branch: str, name: str, site: str, **fields: str) -> Entry:
    return Entry(
        entry_id=f"{site}e", branch_id=branch, url=f"{site}e", title="t",
        origin_branch_name=name, origin_branch_url=site, origin_feed_url=f"{site}feed",
        **fields,
    )  # fmt: skip


def test_labels_use_the_first_mark_that_differs_for_each() -> None:
    same_region = [
        _entry("a", "第一党支部", "https://x.example/a/"),
        _entry("b", "第一党支部", "https://x.example/b/"),
        _entry("c", "Branch One", "https://y.example/"),
        _entry("d", "Branch One", "https://z.example/"),
        _entry("e", "二支部", "https://w.example/"),
    ]
    labels = branch_labels(same_region, {"a": "东城区", "b": "东城区"})
    assert labels == {  # one region for both: the sites tell them apart
        "https://x.example/a/feed": "第一党支部（x.example/a）",
        "https://x.example/b/feed": "第一党支部（x.example/b）",
        "https://y.example/feed": "Branch One (y.example)",
        "https://z.example/feed": "Branch One (z.example)",
    }
    # a region two namesakes share: those two take their sites, the third keeps its region
    three = [
        _entry("a", "第一党支部", "https://x.example/a/"),
        _entry("b", "第一党支部", "https://x.example/b/"),
        _entry("c", "第一党支部", "https://x.example/c/"),
    ]
    assert sorted(branch_labels(three, {"a": "东城区", "b": "西城区", "c": "西城区"}).values()) == [
        "第一党支部（x.example/b）",
        "第一党支部（x.example/c）",
        "第一党支部（东城区）",
    ]
    # one site with two feeds: the feeds' addresses
    two_feeds = [
        _entry("a", "支部", "https://x.example/"),
        Entry(entry_id="f", branch_id="b", url="u", title="t", origin_branch_name="支部",
              origin_branch_url="https://x.example/", origin_feed_url="https://x.example/news"),
    ]  # fmt: skip
    assert sorted(branch_labels(two_feeds).values()) == [
        "支部（x.example/feed）",
        "支部（x.example/news）",
    ]


def test_a_branch_renamed_in_the_registry_is_renamed_everywhere(
    server: FeedServer, tmp_path: Path
) -> None:
    """南湖村党支部 → 南湖村党总支: the entries it had published kept the old name (cards,
    the search's branch filter), only new ones took the new name: both names were listed."""
    items = [Item(f"n{n}", f"南湖通知{n}", n + 1) for n in range(3)]
    server.route("/n/feed", body=atom(server.url("/n/"), "南湖", items), etag='"n1"')
    branch = {"id": "n", "name": "南湖村党支部", "feed": server.url("/n/feed")}
    registry = write_registry(tmp_path / "r.yaml", "县门户", "https://p.example/", [branch])
    out = tmp_path / "portal"
    federate(registry, out)
    write_registry(registry, "县门户", "https://p.example/", [{**branch, "name": "南湖村党总支"}])
    federate(registry, out)  # the feed is unchanged (304): only the registry says so
    manifest, _postings, _refs = _search(out)
    assert manifest["branches"] == ["南湖村党总支"]
    assert {e.origin_branch_name for e in stored(out)} == {"南湖村党总支"}
    home = (out / "index.html").read_text("utf-8")
    assert "南湖村党总支" in home and "南湖村党支部" not in home
