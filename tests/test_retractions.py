"""Retracted entries (federation/retractions.py), over real HTTP on 127.0.0.1 through real
`federate` runs: what a branch withdraws leaves every published file within one run; a branch
that is down, a feed that only drops old items, or an unusable api/index.json loses nothing;
tombstones (RFC 6721) retract only in their own branch's scope; a mass retraction is held
until the operator confirms it."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from feedserver import FeedServer
from test_e2e_branch import branch, git  # noqa: F401 - the fixture: a committed branch
from test_pipeline import NOW, Item, atom, federate, stored, write_registry

from tongxin.build import build_site
from tongxin.cli import main

TOMBSTONES = "http://purl.org/atompub/tombstones/1.0"


def published_text(out: Path) -> str:
    """Every published file of the portal but health (which names no entry), as one text."""
    root = out.resolve()
    texts = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.name.startswith("health"):
            texts.append(path.read_bytes().decode("utf-8", "replace"))
    return "\n".join(texts)


def api_index(site_url: str, items: list[Item]) -> bytes:
    """api/index.json as plugins/json_api.py writes it (the fields retraction reads)."""
    entries = [
        {"id": f"{site_url}{i.type}/{i.slug}/", "url": f"{site_url}{i.type}/{i.slug}/",
         "type": i.type, "title": i.title, "date": NOW.isoformat(), "first_commit": None}
        for i in items
    ]  # fmt: skip
    document = {"site": {"name": "东江", "url": site_url, "language": "zh-CN"},
                "generated": NOW.isoformat(), "entries": entries}  # fmt: skip
    return json.dumps(document, ensure_ascii=False).encode()


def with_tombstones(feed: bytes, refs: list[str]) -> bytes:
    """An Atom feed with RFC 6721 deleted-entry elements before its first entry."""
    stones = "".join(f'<at:deleted-entry ref="{ref}" when="{NOW.isoformat()}"/>' for ref in refs)
    text = feed.decode()
    text = text.replace("<feed ", f'<feed xmlns:at="{TOMBSTONES}" ', 1)
    return text.replace("<entry>", stones + "<entry>", 1).encode()


def health(out: Path) -> dict[str, dict]:
    data = json.loads((out / "health.json").read_text(encoding="utf-8"))
    return {b["id"]: b for b in data["branches"]}


def test_a_tongxin_branch_deleting_an_article_retracts_it_everywhere(
    branch: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    site = tmp_path / "dongjiang"
    shutil.copytree(branch, site)
    built = tmp_path / "built"
    build_site(site, built, progress=False, warnings_to=None)
    out = tmp_path / "www"
    with FeedServer() as server:

        def serve() -> None:
            for rel in ("feeds/all.atom.xml", "api/index.json"):
                server.route(f"/dj/{rel}", body=(built / rel).read_bytes(), content_type=None)

        serve()
        registry = write_registry(
            tmp_path / "registry.yaml", "门户", "https://portal.example/",
            [{"id": "dongjiang", "name": "东江", "feed": server.url("/dj/feeds/all.atom.xml")}],
        )  # fmt: skip
        federate(registry, out)
        before = published_text(out)
        assert "重阳节慰问老人" in before and "志愿服务日" in before
        assert "重阳节慰问老人" in (out / "index.html").read_text(encoding="utf-8")
        kept = len(stored(out, include_quarantined=True))
        git(site, "rm", "-q", "content/news/重阳节慰问.md")
        git(site, "commit", "-q", "-m", "withdrawn")
        build_site(site, built, progress=False, warnings_to=None)
        serve()
        report = federate(registry, out)
    assert report.published
    after = published_text(out)
    assert "重阳节慰问老人" not in after  # home, lists, feeds, api, search shards
    assert "志愿服务日" in after and "指定日期的文章" in after
    assert len(stored(out, include_quarantined=True)) == kept - 1
    found = health(out)["dongjiang"]["inspection"]
    assert found["retracted"] == 1 and not found.get("retract_held")
    assert "分支已撤回：1 篇" in (out / "health/index.html").read_text(encoding="utf-8")


def _tongxin_branch(server: FeedServer, tmp_path: Path, items: list[Item]) -> Path:
    server.route("/a/feeds/all.atom.xml", body=atom(server.url("/a/"), "东江", items))
    server.route("/a/api/index.json", body=api_index(server.url("/a/"), items))
    server.route(
        "/b/feeds/all.atom.xml", body=atom(server.url("/b/"), "西湖", [Item("x", "西湖甲")])
    )
    return write_registry(
        tmp_path / "registry.yaml", "门户", "https://portal.example/",
        [{"id": "a", "name": "东江", "feed": server.url("/a/feeds/all.atom.xml")},
         {"id": "b", "name": "西湖", "feed": server.url("/b/feeds/all.atom.xml")}],
    )  # fmt: skip


ITEMS = [Item(f"n{k}", f"东江第{k}号", k + 1) for k in range(15)]


def test_a_branch_that_is_down_or_serves_a_bad_api_loses_nothing(tmp_path: Path) -> None:
    out = tmp_path / "www"
    with FeedServer() as server:
        registry = _tongxin_branch(server, tmp_path, ITEMS)
        document = yaml.safe_load(registry.read_text("utf-8"))
        document["retract_hold_percent"] = 100  # no hold: the checks of the api alone
        registry.write_text(yaml.safe_dump(document, allow_unicode=True), "utf-8")
        federate(registry, out)
        assert len(stored(out, branch_id="a")) == 15
        newer = [Item("new", "东江新号", 0.1), *ITEMS[:5]]
        feed = atom(server.url("/a/"), "东江", newer)

        def changed(n: int) -> bytes:  # other bytes each time, so the feed is read again
            return feed.replace(b"</feed>", b" " * n + b"</feed>")

        listing = api_index(server.url("/a/"), newer)
        cases = [  # (feed route, api route): the api lists only the six of the new feed
            ({"status": 500, "body": b"down"}, {"body": listing}),
            ({"body": changed(1)}, {"status": 503, "body": b"busy"}),
            ({"body": changed(2)}, {"body": listing[:-40]}),  # cut short
            ({"body": changed(3)}, {"body": api_index(server.url("/a/"), ITEMS[:5])}),  # stale
            ({"body": changed(4)}, {"body": b'{"entries": [{"id": 1}]}'}),  # not an api
            ({"body": changed(5)}, {"status": 302, "headers": {"Location": "http://10.0.0.1/"}}),
        ]
        server.clear_log()
        for number, (feed_route, api_route) in enumerate(cases):
            server.route("/a/feeds/all.atom.xml", **feed_route)
            server.route("/a/api/index.json", **api_route)
            federate(registry, out)
            titles = {e.title for e in stored(out, branch_id="a")}
            assert {i.title for i in ITEMS} <= titles, number
            assert len(server.requests("/a/api/index.json")) == number, number
    assert "东江第14号" in published_text(out)
    found = health(out)["a"]["inspection"]
    assert not found.get("retracted") and not found.get("retract_held")


def test_a_feed_keeping_only_its_newest_ten_loses_nothing(tmp_path: Path) -> None:
    out = tmp_path / "www"
    with FeedServer() as server:
        registry = _tongxin_branch(server, tmp_path, ITEMS)
        generic = [Item(f"g{k}", f"通用第{k}号", k + 1) for k in range(15)]
        server.route("/g.xml", body=atom(server.url("/g/"), "通用", generic))
        document = yaml.safe_load(registry.read_text("utf-8"))
        document["branches"].append({"id": "g", "name": "通用", "feed": server.url("/g.xml")})
        registry.write_text(yaml.safe_dump(document, allow_unicode=True), "utf-8")
        federate(registry, out)
        everything, also = list(ITEMS), list(generic)
        for run in range(3):  # each run a new item; the feeds carry their newest ten
            everything.insert(0, Item(f"r{run}", f"新第{run}号", 0.1 / (run + 1)))
            also.insert(0, Item(f"r{run}", f"通用新{run}号", 0.1 / (run + 1)))
            server.route(
                "/a/feeds/all.atom.xml", body=atom(server.url("/a/"), "东江", everything[:10])
            )
            server.route("/a/api/index.json", body=api_index(server.url("/a/"), everything))
            server.route("/g.xml", body=atom(server.url("/g/"), "通用", also[:10]))
            federate(registry, out)
        assert len(stored(out, branch_id="a")) == 15 + 3
        assert len(stored(out, branch_id="g")) == 15 + 3
        # the api, not the feed, says what is gone: an old item beyond the feed's ten
        gone = everything[-1]
        server.route("/a/api/index.json", body=api_index(server.url("/a/"), everything[:-1]))
        server.route("/a/feeds/all.atom.xml", body=atom(server.url("/a/"), "东江", everything[:9]))
        federate(registry, out)
    titles = {e.title for e in stored(out, branch_id="a")}
    assert gone.title not in titles and len(titles) == 15 + 3 - 1
    assert gone.title not in published_text(out)


def test_tombstones_retract_only_their_own_branch_entries(tmp_path: Path) -> None:
    out = tmp_path / "www"
    with FeedServer() as server:
        own = [Item(f"p{k}", f"博客第{k}篇", k + 1) for k in range(6)]
        other = [Item("x", "西湖甲", 1), Item("y", "西湖乙", 2)]
        server.route("/blog.xml", body=atom(server.url("/blog/"), "博客", own))
        server.route("/b.xml", body=atom(server.url("/b/"), "西湖", other))
        registry = write_registry(
            tmp_path / "registry.yaml", "门户", "https://portal.example/",
            [{"id": "blog", "name": "博客", "feed": server.url("/blog.xml")},
             {"id": "b", "name": "西湖", "feed": server.url("/b.xml")}],
        )  # fmt: skip
        federate(registry, out)
        assert "西湖乙" in published_text(out)
        refs = [
            server.url("/blog/news/p5/"),  # its own, withdrawn
            server.url("/b/news/y/"),  # another branch's entry: refused
            server.url("/blog/news/p0/"),  # still in the feed: the entry wins
        ]
        server.route(
            "/blog.xml", body=with_tombstones(atom(server.url("/blog/"), "博客", own[:5]), refs)
        )
        federate(registry, out)
    titles = {e.title for e in stored(out)}
    assert "博客第5篇" not in titles
    assert {"西湖甲", "西湖乙", "博客第0篇", "博客第4篇"} <= titles
    text = published_text(out)
    assert "博客第5篇" not in text and "西湖乙" in text
    assert health(out)["blog"]["inspection"]["retracted"] == 1
    assert not health(out)["b"]["inspection"].get("retracted")


def test_a_mass_retraction_is_held_until_the_operator_confirms_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    out = tmp_path / "www"
    db = tmp_path / "www.sqlite3"
    with FeedServer() as server:
        registry = _tongxin_branch(server, tmp_path, ITEMS[:6])
        federate(registry, out)
        left = ITEMS[:2]  # a hacked branch withdraws four of six at once
        server.route("/a/feeds/all.atom.xml", body=atom(server.url("/a/"), "东江", left))
        server.route("/a/api/index.json", body=api_index(server.url("/a/"), left))
        caplog.clear()
        federate(registry, out)
        # the operator's log (cron's mail) gives the commands to paste, branch and store named
        held = [r.getMessage() for r in caplog.records if "已暂缓" in r.getMessage()]
        assert held == [
            f"a: 该支部撤回已存 6 篇中的 4 篇：已暂缓；请运行 tongxin retractions confirm a "
            f"--db {db} 执行，或 tongxin retractions dismiss a --db {db} 驳回"
        ]
        assert len(stored(out, branch_id="a")) == 6  # held: nothing removed
        assert "东江第5号" in published_text(out)
        found = health(out)["a"]["inspection"]
        assert found["retract_held"] == 4 and not found.get("retracted")
        page = (out / "health/index.html").read_text(encoding="utf-8")
        assert "tongxin retractions confirm a" in page
        runner = CliRunner()
        listing = runner.invoke(main, ["retractions", "list", "--db", str(db), "--language", "en"])
        assert listing.exit_code == 0 and "a: 4 of 6" in listing.output
        missing = runner.invoke(main, ["retractions", "confirm", "b", "--db", str(db)])
        assert missing.exit_code == 1
        done = runner.invoke(
            main, ["retractions", "confirm", "a", "--db", str(db), "--language", "en"]
        )
        assert done.exit_code == 0 and "4 entries of a removed" in done.output, done.output
        assert len(stored(out, branch_id="a")) == 2
        federate(registry, out)  # the feed is unchanged: the run publishes the store's change
    text = published_text(out)
    assert "东江第5号" not in text and "东江第1号" in text and "西湖甲" in text
    found = health(out)["a"]["inspection"]
    assert found["retracted"] == 4 and not found.get("retract_held")
    table = (out / "health.csv").read_text(encoding="utf-8").lstrip("\ufeff")
    rows = list(csv.DictReader(io.StringIO(table)))
    assert [r["分支撤回篇数"] for r in rows if r["支部"] == "东江"] == ["4"]


def test_a_held_retraction_can_be_dismissed(tmp_path: Path) -> None:
    out = tmp_path / "www"
    db = tmp_path / "www.sqlite3"
    with FeedServer() as server:
        registry = _tongxin_branch(server, tmp_path, ITEMS[:4])
        federate(registry, out)
        server.route("/a/feeds/all.atom.xml", body=atom(server.url("/a/"), "东江", ITEMS[:1]))
        server.route("/a/api/index.json", body=api_index(server.url("/a/"), ITEMS[:1]))
        federate(registry, out)  # three of four withdrawn: held
        done = CliRunner().invoke(main, ["retractions", "dismiss", "a", "--db", str(db)])
        assert done.exit_code == 0, done.output
        federate(registry, out)
    assert len(stored(out, branch_id="a")) == 4
    assert not health(out)["a"]["inspection"].get("retract_held")


def test_a_retraction_climbs_through_a_lower_portal(tmp_path: Path) -> None:
    """Branch → county portal → city portal: the county reads the branch's api, the city the
    county's (its entries name their original branch, read as their Atom <source>)."""
    county, city = tmp_path / "county", tmp_path / "city"
    with FeedServer() as server:
        items = [Item(f"n{k}", f"东江第{k}号", k + 1) for k in range(6)]
        server.route("/dj/feeds/all.atom.xml", body=atom(server.url("/dj/"), "东江", items))
        server.route("/dj/api/index.json", body=api_index(server.url("/dj/"), items))
        server.route("/xh.xml", body=atom(server.url("/xh/"), "西湖", [Item("x", "西湖甲")]))
        county_registry = write_registry(
            tmp_path / "county.yaml", "东江县门户", server.url("/county/"),
            [{"id": "dj", "name": "东江", "feed": server.url("/dj/feeds/all.atom.xml")},
             {"id": "xh", "name": "西湖", "feed": server.url("/xh.xml")}],
        )  # fmt: skip
        city_registry = write_registry(
            tmp_path / "city.yaml", "江城市门户", server.url("/city/"),
            [{"id": "county", "name": "东江县门户", "portal": True,
              "feed": server.url("/county/feeds/all.atom.xml")},
             {"id": "dj", "name": "东江", "parent": "county",
              "feed": server.url("/dj-elsewhere/feeds/all.atom.xml")}],
        )  # fmt: skip
        server.route("/dj-elsewhere/feeds/all.atom.xml", status=503, body=b"down")

        def both() -> None:
            federate(county_registry, county)
            for rel in ("feeds/all.atom.xml", "api/index.json"):
                server.route(f"/county/{rel}", body=(county / rel).read_bytes(), content_type=None)
            federate(city_registry, city)

        both()
        assert "东江第5号" in published_text(city) and "西湖甲" in published_text(city)
        left = items[:5]
        server.route("/dj/feeds/all.atom.xml", body=atom(server.url("/dj/"), "东江", left))
        server.route("/dj/api/index.json", body=api_index(server.url("/dj/"), left))
        both()
    assert "东江第5号" not in published_text(county)
    text = published_text(city)
    assert "东江第5号" not in text and "东江第4号" in text and "西湖甲" in text
    assert health(city)["county"]["inspection"]["retracted"] == 1


def test_new_ids_do_not_dilute_a_mass_retraction(tmp_path: Path) -> None:
    """A hacked branch replacing its six entries by six new ones withdraws all it had: held,
    though half of what the store then holds."""
    out = tmp_path / "www"
    with FeedServer() as server:
        registry = _tongxin_branch(server, tmp_path, ITEMS[:6])
        federate(registry, out)
        spam = [Item(f"s{k}", f"替换第{k}号", 0.1) for k in range(6)]
        server.route("/a/feeds/all.atom.xml", body=atom(server.url("/a/"), "东江", spam))
        server.route("/a/api/index.json", body=api_index(server.url("/a/"), spam))
        federate(registry, out)
    assert {i.title for i in ITEMS[:6]} <= {e.title for e in stored(out, branch_id="a")}
    assert health(out)["a"]["inspection"]["retract_held"] == 6


RFC6721_FEED = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:at="http://purl.org/atompub/tombstones/1.0">
  <title>Example Feed</title><id>tag:example.org,2005:/feed</id>
  <link href="{site}"/><updated>{now}</updated><author><name>John Doe</name></author>
  {entries}
  {stones}
</feed>"""


def _rfc_entry(number: int) -> str:
    return (
        f"<entry><title>条目{number}</title><id>tag:example.org,2005:/entries/{number}</id>"
        f"<link href='https://blog.example/entries/{number}'/><updated>{NOW.isoformat()}</updated>"
        f"<content type='html'>&lt;p&gt;正文{number}&lt;/p&gt;</content></entry>"
    )


def test_the_rfc_6721_example_shape_retracts(tmp_path: Path) -> None:
    """The RFC's own example shape: tag: ids, the tombstone after the entries, with at:by
    and at:comment inside, and a feed served as application/atom+xml."""
    stone = (
        '<at:deleted-entry ref="tag:example.org,2005:/entries/2" when="2005-11-29T12:11:12Z">'
        "<at:by><name>John Doe</name><email>jdoe@example.org</email></at:by>"
        '<at:comment xml:lang="la">Lorem ipsum dolor</at:comment></at:deleted-entry>'
    )
    out = tmp_path / "www"

    def feed(numbers: range, stones: str = "") -> bytes:
        entries = "".join(_rfc_entry(n) for n in numbers)
        text = RFC6721_FEED.format(site="https://blog.example/", now=NOW.isoformat(),
                                   entries=entries, stones=stones)  # fmt: skip
        return text.encode()

    with FeedServer() as server:
        server.route("/atom", body=feed(range(1, 5)))
        registry = write_registry(
            tmp_path / "registry.yaml", "门户", "https://portal.example/",
            [{"id": "blog", "name": "博客", "feed": server.url("/atom")}],
        )  # fmt: skip
        federate(registry, out)
        assert "条目2" in published_text(out)
        server.route("/atom", body=feed(range(3, 5), stone))  # entry 1 only fell off the feed
        federate(registry, out)
    titles = {e.title for e in stored(out)}
    assert titles == {"条目1", "条目3", "条目4"}
    assert "条目2" not in published_text(out)
