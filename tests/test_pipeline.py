"""One federate run end to end, over real HTTP on 127.0.0.1 (tests/feedserver.py).

Also holds the small builders the other portal tests share (feeds, registries, a run).
"""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
import yaml
from feedserver import FeedServer
from lxml import etree
from tongxin.federation.pipeline import RunReport, run
from tongxin.federation.store import Store

ATOM = "{http://www.w3.org/2005/Atom}"
#: The test feed server listens here; the portal reaches only public addresses otherwise.
LOOPBACK = ["127.0.0.1"]
NOW = datetime.now(UTC).replace(microsecond=0)


@dataclass
class Item:
    slug: str
    title: str
    days_ago: float = 1.0
    body: str = "<p>正文</p>"
    type: str = "news"
    updated_days_ago: float | None = None
    pinned: bool = False


def atom(site_url: str, name: str, items: Sequence[Item]) -> bytes:
    """A branch feed as Tongxin branch sites write it (type as a categorised term)."""
    entries = []
    for item in items:
        published = NOW - timedelta(days=item.days_ago)
        updated = NOW - timedelta(
            days=item.updated_days_ago if item.updated_days_ago is not None else item.days_ago
        )
        url = f"{site_url}{item.type}/{item.slug}/"
        pinned = (
            f"<tx:pinned>{'true' if item.pinned else 'false'}</tx:pinned>"
            if item.type == "announcements"
            else ""
        )
        entries.append(
            f"""<entry><id>{url}</id><title>{escape(item.title)}</title>
<link rel="alternate" href="{url}"/><published>{published.isoformat()}</published>
<updated>{updated.isoformat()}</updated>
<category term="{item.type}" scheme="https://tongxin.example/ns/1.0#type"/>
<summary type="html">{escape(item.body)}</summary><content type="html">{escape(item.body)}</content>
<tx:type>{item.type}</tx:type>{pinned}</entry>"""
        )
    return f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:tx="https://tongxin.example/ns/1.0">
<id>{site_url}feeds/all.atom.xml</id><title>{escape(name)}</title>
<link rel="alternate" href="{site_url}"/><link rel="self" href="{site_url}feeds/all.atom.xml"/>
<updated>{NOW.isoformat()}</updated>{"".join(entries)}</feed>""".encode()


def write_registry(path: Path, name: str, url: str, branches: list[dict]) -> Path:
    path.write_text(
        yaml.safe_dump(
            {"name": name, "url": url, "branches": branches, "allow_networks": LOOPBACK},
            allow_unicode=True,
            sort_keys=False,
        ),
        encoding="utf-8",
    )
    return path


def federate(registry: Path, out: Path, **options) -> RunReport:
    return run(registry, out, out.parent / f"{out.name}.sqlite3", **options)


def federate_one(tmp_path: Path, branch_id: str, name: str, feed: str) -> tuple[Path, Path]:
    """A portal of one branch, federated once: (its registry, its output)."""
    registry = write_registry(
        tmp_path / "r.yaml", "门户", "https://p.example/",
        [{"id": branch_id, "name": name, "feed": feed}],
    )  # fmt: skip
    out = tmp_path / "portal"
    federate(registry, out)
    return registry, out


def stored(out: Path, **query) -> list:
    with Store(out.parent / f"{out.name}.sqlite3") as store:
        return store.entries(**query)


def atom_entries(path: Path) -> list[etree._Element]:
    return etree.parse(str(path)).getroot().findall(f"{ATOM}entry")


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer() as feeds:
        yield feeds


@pytest.fixture
def two_branches(server: FeedServer, tmp_path: Path) -> Path:
    """Registry with branches a (3 entries, one pinned notice) and b (2 entries)."""
    server.route(
        "/a/feeds/all.atom.xml",
        body=atom(
            server.url("/a/"),
            "东江社区党支部",
            [
                Item("one", "东江一号", 1),
                Item("two", "东江二号", 2),
                Item("notice", "东江通知", 3, type="announcements", pinned=True),
            ],
        ),
        etag='"a1"',
    )
    server.route(
        "/b/feeds/all.atom.xml",
        body=atom(
            server.url("/b/"), "西湖支部", [Item("x", "西湖甲", 1.5), Item("y", "西湖乙", 4)]
        ),
        etag='"b1"',
    )
    return write_registry(
        tmp_path / "registry.yaml",
        "测试门户",
        "https://portal.example.org/",
        [
            {"id": "a", "name": "东江社区党支部", "feed": server.url("/a/feeds/all.atom.xml"),
             "region": "东区"},
            {"id": "b", "name": "西湖支部", "feed": server.url("/b/feeds/all.atom.xml")},
        ],
    )  # fmt: skip


CONTRACT_FILES = (
    "index.html",
    "feeds/all.atom.xml",
    "feeds/all.rss.xml",
    "feeds/all.json",
    "api/index.json",
    "search/index.html",
    "health.json",
    "health/index.html",
    "branches/index.html",
    "branches/a/index.html",
    "branches/b/index.html",
    "regions/东区/index.html",
    "news/index.html",
    "announcements/index.html",
    "archives/index.html",
)


def test_full_run_publishes_every_contract_file(two_branches: Path, tmp_path: Path) -> None:
    out = tmp_path / "portal"
    report = federate(two_branches, out)
    assert report.published and not report.failed
    for relative in CONTRACT_FILES:
        assert (out / relative).is_file(), relative
    home = (out / "index.html").read_text(encoding="utf-8")
    for title in ("东江一号", "西湖甲", "东江通知"):
        assert title in home
    assert "is-pinned" in home  # the pinned notice is shown as such
    api = json.loads((out / "api/index.json").read_text(encoding="utf-8"))
    assert {e["title"] for e in api["entries"]} == {
        "东江一号",
        "东江二号",
        "东江通知",
        "西湖甲",
        "西湖乙",
    }
    assert (out / "search/manifest.json").is_file() or not report.index_available


def test_timings_file_has_every_phase(two_branches: Path, tmp_path: Path) -> None:
    timings = tmp_path / "timings.json"
    federate(two_branches, tmp_path / "portal", timings_path=timings)
    data = json.loads(timings.read_text())
    for phase in ("fetch", "parse", "sanitise", "store", "render", "index", "total"):
        assert isinstance(data[phase], float | int) and data[phase] >= 0
    assert data["total"] >= data["fetch"]


def test_unchanged_rerun_sends_validators_and_skips_rendering(
    two_branches: Path, tmp_path: Path, server: FeedServer
) -> None:
    out = tmp_path / "portal"
    first = federate(two_branches, out)
    server.clear_log()
    second = federate(two_branches, out)
    assert second.published and second.current
    assert second.version == first.version  # nothing re-rendered, nothing swapped
    sent = server.requests("/a/feeds/all.atom.xml")[0].headers
    assert sent.get("If-None-Match") == '"a1"'
    health = json.loads((out / "health.json").read_text())
    assert [b["status"] for b in health["branches"]] == ["ok", "ok"]


def test_dead_branch_keeps_its_entries_and_others_publish(
    two_branches: Path, tmp_path: Path, server: FeedServer
) -> None:
    out = tmp_path / "portal"
    federate(two_branches, out)
    server.route("/b/feeds/all.atom.xml", status=500, body=b"boom")
    server.route(
        "/a/feeds/all.atom.xml",
        body=atom(server.url("/a/"), "东江社区党支部", [Item("three", "东江三号", 0.5)]),
        etag='"a2"',
    )
    report = federate(two_branches, out)
    assert report.published and set(report.failed) == {"b"}
    home = (out / "index.html").read_text(encoding="utf-8")
    assert "东江三号" in home and "西湖甲" in home  # b's stored entries are still published
    health = {b["id"]: b for b in json.loads((out / "health.json").read_text())["branches"]}
    assert health["b"]["status"] == "error" and health["b"]["http_status"] == 500
    assert health["b"]["entries"] == 2 and health["b"]["error"]
    assert health["a"]["status"] == "ok"


def test_branch_dropping_old_entries_keeps_them(
    two_branches: Path, tmp_path: Path, server: FeedServer
) -> None:
    out = tmp_path / "portal"
    federate(two_branches, out)
    server.route(
        "/a/feeds/all.atom.xml",
        body=atom(server.url("/a/"), "东江社区党支部", [Item("four", "东江四号", 0.2)]),
        etag='"a3"',
    )
    federate(two_branches, out)
    titles = {e.title for e in stored(out, branch_id="a")}
    assert titles == {"东江一号", "东江二号", "东江通知", "东江四号"}
    assert "东江二号" in (out / "branches/a/index.html").read_text(encoding="utf-8")


def test_updated_entry_replaces_the_old_version(
    two_branches: Path, tmp_path: Path, server: FeedServer
) -> None:
    out = tmp_path / "portal"
    federate(two_branches, out)
    server.route(
        "/b/feeds/all.atom.xml",
        body=atom(
            server.url("/b/"),
            "西湖支部",
            [Item("x", "西湖甲（修订）", 1.5, updated_days_ago=0.1), Item("y", "西湖乙", 4)],
        ),
        etag='"b2"',
    )
    federate(two_branches, out)
    titles = [e.title for e in stored(out, branch_id="b")]
    assert sorted(titles) == ["西湖乙", "西湖甲（修订）"]
    page = (out / "branches/b/index.html").read_text(encoding="utf-8")
    assert "西湖甲（修订）" in page and "西湖甲<" not in page


def test_registry_errors_stop_the_run_before_any_fetch(tmp_path: Path, server: FeedServer) -> None:
    from tongxin.federation.registry import RegistryError

    registry = tmp_path / "registry.yaml"
    registry.write_text(
        "name: 门户\nurl: https://p.example/\nbranches:\n"
        f"  - id: a\n    name: A\n    feed: {server.url('/a.xml')}\n"
        "  - id: b\n    nmae: B\n    feed: ftp://nope\nallow_networks: [127.0.0.1]\n",
        encoding="utf-8",
    )
    with pytest.raises(RegistryError) as caught:
        federate(registry, tmp_path / "portal")
    lines = [str(p) for p in caught.value.problems]
    assert any(line.startswith(f"{registry}:8: ") and "nmae" in line for line in lines), lines
    assert any(line.startswith(f"{registry}:9: ") and "ftp://nope" in line for line in lines)
    assert server.requests() == []
    assert not (tmp_path / "portal").exists()


def test_output_is_a_symlink_to_a_complete_version(two_branches: Path, tmp_path: Path) -> None:
    out = tmp_path / "portal"
    federate(two_branches, out)
    assert out.is_symlink()
    target = Path(os.path.realpath(out))
    assert target.parent.name == ".portal.versions"
    assert not target.name.endswith(".tmp")


def test_one_changed_entry_rerun_builds_a_search_delta(server: FeedServer, tmp_path: Path) -> None:
    # 40 entries, so that one changed entry is within the delta's share of the collection
    many = [Item(f"e{k}", f"东江第{k}号", k + 1) for k in range(39)]
    server.route("/a/feeds/all.atom.xml", body=atom(server.url("/a/"), "东江", many), etag='"a1"')
    server.route(
        "/b/feeds/all.atom.xml",
        body=atom(server.url("/b/"), "西湖", [Item("x", "西湖甲", 1.5)]),
        etag='"b1"',
    )
    registry = write_registry(
        tmp_path / "registry.yaml",
        "测试门户",
        "https://portal.example.org/",
        [
            {"id": "a", "name": "东江", "feed": server.url("/a/feeds/all.atom.xml")},
            {"id": "b", "name": "西湖", "feed": server.url("/b/feeds/all.atom.xml")},
        ],
    )
    out, timings = tmp_path / "portal", tmp_path / "timings.json"
    federate(registry, out, timings_path=timings)
    assert json.loads(timings.read_text())["index_mode"] == "cold"
    server.route(
        "/b/feeds/all.atom.xml",
        body=atom(
            server.url("/b/"), "西湖", [Item("x", "西湖甲（修订）", 1.5, updated_days_ago=0.1)]
        ),
        etag='"b2"',
    )
    federate(registry, out, timings_path=timings)
    assert json.loads(timings.read_text())["index_mode"] == "delta"
    manifest = json.loads((out / "search" / "manifest.json").read_text(encoding="utf-8"))
    assert len(manifest["delta"]["refs"]) == 1 and manifest["docs"] == 40
    metas = (out / "search" / "delta" / "meta").glob("*.json")
    assert any("西湖甲（修订）" in p.read_text(encoding="utf-8") for p in metas)


def test_branches_are_stored_in_registry_order(
    server: FeedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Branches are stored in registry order whatever order their feeds answer in (for a
    stable attribution of an entry reached by two paths)."""
    import time

    from tongxin.federation import store as store_module

    for name in ("fast1", "fast2", "slow3", "fast4"):
        server.route(
            f"/{name}/feeds/all.atom.xml",
            body=atom(server.url(f"/{name}/"), name, [Item("x", f"{name} 通知")]),
            delay=1.5 if name == "slow3" else 0.0,
        )
    registry = write_registry(
        tmp_path / "registry.yaml",
        "门户",
        "https://portal.example/",
        [
            {"id": n, "name": n, "feed": server.url(f"/{n}/feeds/all.atom.xml")}
            for n in ("fast1", "fast2", "slow3", "fast4")
        ],
    )
    order: list[tuple[str, float]] = []
    real = store_module.Store.record_fetch

    def recording(self, branch, *args, **kwargs):  # type: ignore[no-untyped-def]
        order.append((branch.id, time.monotonic()))
        return real(self, branch, *args, **kwargs)

    monkeypatch.setattr(store_module.Store, "record_fetch", recording)
    report = federate(registry, tmp_path / "portal", workers=1)
    assert report.published and not report.failed
    assert [branch for branch, _ in order] == ["fast1", "fast2", "slow3", "fast4"]
    assert {e.branch_id for e in stored(tmp_path / "portal")} == {
        "fast1",
        "fast2",
        "slow3",
        "fast4",
    }


def test_the_search_page_always_has_its_gzip_copy(two_branches: Path, tmp_path: Path) -> None:
    """The render writes search/index.html while the index child compresses search/: the
    .gz was there or not by the order they ran (seen: one demo portal of three lacked it)."""
    out = tmp_path / "portal"
    federate(two_branches, out)
    page = out / "search" / "index.html"
    copy = out / "search" / "index.html.gz"
    assert copy.is_file() and gzip.decompress(copy.read_bytes()) == page.read_bytes()
