"""Portals nest: county → city → province, each federating the lower one's Atom over HTTP.

The top keeps every entry attributed to the branch that first published it, and an entry
reached both directly and through a lower portal appears once.
"""

from __future__ import annotations

import json
from pathlib import Path

from feedserver import FeedServer
from test_pipeline import ATOM, Item, atom, atom_entries, federate, server, stored, write_registry

__all__ = ["server"]  # the fixture, re-exported for pytest


def serve_portal_feed(server: FeedServer, out: Path, path: str) -> str:
    server.route(path, body=(out / "feeds/all.atom.xml").read_bytes())
    return server.url(path)


def test_three_levels_keep_the_original_branch_attribution(
    server: FeedServer, tmp_path: Path
) -> None:
    server.route(
        "/dj/feeds/all.atom.xml",
        body=atom(
            server.url("/dj/"),
            "东江社区党支部",
            [Item("a", "东江要闻", 1), Item("b", "东江学习", 2)],
        ),
    )
    server.route(
        "/xh/feeds/all.atom.xml",
        body=atom(server.url("/xh/"), "西湖村党支部", [Item("c", "西湖通知", 3)]),
    )
    server.route(
        "/city-own/feeds/all.atom.xml",
        body=atom(server.url("/city-own/"), "市直机关党支部", [Item("d", "市直要闻", 1)]),
    )
    county = federate(
        write_registry(
            tmp_path / "county.yaml",
            "东江县门户",
            server.url("/county/"),
            [
                {
                    "id": "dj",
                    "name": "东江社区党支部",
                    "feed": server.url("/dj/feeds/all.atom.xml"),
                },
                {"id": "xh", "name": "西湖村党支部", "feed": server.url("/xh/feeds/all.atom.xml")},
            ],
        ),
        tmp_path / "county",
    )
    assert county.published
    county_feed = serve_portal_feed(server, tmp_path / "county", "/county/feeds/all.atom.xml")

    dj_feed = server.url("/dj/feeds/all.atom.xml")
    own_feed = server.url("/city-own/feeds/all.atom.xml")
    # The city aggregates the county portal AND one of its branches directly (a duplicate path).
    city = federate(
        write_registry(
            tmp_path / "city.yaml",
            "江城市门户",
            server.url("/city/"),
            [
                {"id": "county", "name": "东江县门户", "feed": county_feed, "portal": True},
                # below the county portal: its relayed copies are this branch's entries
                {"id": "dj-direct", "name": "东江社区党支部", "feed": dj_feed, "parent": "county"},
                {"id": "own", "name": "市直机关党支部", "feed": own_feed},
            ],
        ),
        tmp_path / "city",
    )
    assert city.published and not city.failed
    city_feed = serve_portal_feed(server, tmp_path / "city", "/city/feeds/all.atom.xml")

    province = federate(
        write_registry(
            tmp_path / "province.yaml",
            "省门户",
            server.url("/province/"),
            [{"id": "city", "name": "江城市门户", "feed": city_feed, "portal": True}],
        ),
        tmp_path / "province",
    )
    assert province.published and not province.failed

    top = stored(tmp_path / "province")
    by_title = {e.title: e for e in top}
    assert sorted(by_title) == ["东江学习", "东江要闻", "市直要闻", "西湖通知"]
    assert len(top) == 4  # the duplicate path did not double anything
    assert by_title["东江要闻"].origin_branch_name == "东江社区党支部"
    assert by_title["东江要闻"].origin_branch_url == server.url("/dj/")
    assert by_title["西湖通知"].origin_branch_name == "西湖村党支部"
    assert by_title["市直要闻"].origin_branch_name == "市直机关党支部"
    assert by_title["东江要闻"].url == server.url("/dj/news/a/")

    # The top portal's own Atom still names the original branch in <source>.
    for element in atom_entries(tmp_path / "province/feeds/all.atom.xml"):
        title = element.findtext(f"{ATOM}title")
        source = element.find(f"{ATOM}source")
        assert source is not None, title
        assert source.findtext(f"{ATOM}title") == by_title[title].origin_branch_name
        assert source.findtext(f"{ATOM}id")
        links = {link.get("rel"): link.get("href") for link in source.findall(f"{ATOM}link")}
        assert links["alternate"] == by_title[title].origin_branch_url

    # And its pages show the original branch beside each entry.
    home = (tmp_path / "province/index.html").read_text(encoding="utf-8")
    assert "东江社区党支部" in home and "西湖村党支部" in home
    # The province counts the branches that wrote its content, not the one portal it reads,
    # and a reader can browse by each of them.
    assert "共汇聚 3 个支部" in home, home
    branches_page = (tmp_path / "province/branches/index.html").read_text(encoding="utf-8")
    for name in ("东江社区党支部", "西湖村党支部", "市直机关党支部"):
        assert name in branches_page
    listings = list((tmp_path / "province/branches/city/from").glob("*/index.html"))
    assert len(listings) == 3
    cards = sorted(page.read_text(encoding="utf-8").count('class="entry-card') for page in listings)
    assert cards == [1, 1, 2]  # 东江: two entries; 西湖 and 市直: one each


def test_duplicates_across_levels_appear_once_with_original_attribution(
    server: FeedServer, tmp_path: Path
) -> None:
    server.route(
        "/dj/feeds/all.atom.xml",
        body=atom(server.url("/dj/"), "东江社区党支部", [Item("a", "东江要闻", 1)]),
    )
    federate(
        write_registry(
            tmp_path / "county.yaml",
            "县门户",
            server.url("/county/"),
            [{"id": "dj", "name": "东江社区党支部", "feed": server.url("/dj/feeds/all.atom.xml")}],
        ),
        tmp_path / "county",
    )
    county_feed = serve_portal_feed(server, tmp_path / "county", "/county/feeds/all.atom.xml")
    # Portal first, then the direct path: the stored entry keeps its original branch.
    registry = write_registry(
        tmp_path / "city.yaml",
        "市门户",
        server.url("/city/"),
        [
            {"id": "county", "name": "县门户", "feed": county_feed, "portal": True},
            {
                "id": "dj",
                "name": "东江社区党支部",
                "feed": server.url("/dj/feeds/all.atom.xml"),
                "parent": "county",
            },
        ],
    )
    federate(registry, tmp_path / "city")
    entries = stored(tmp_path / "city")
    assert len(entries) == 1
    assert entries[0].origin_branch_name == "东江社区党支部"
    api = json.loads((tmp_path / "city/api/index.json").read_text(encoding="utf-8"))
    assert [e["title"] for e in api["entries"]] == ["东江要闻"]
    assert api["entries"][0]["branch"]["title"] == "东江社区党支部"
    items = json.loads((tmp_path / "city/feeds/all.json").read_text(encoding="utf-8"))["items"]
    assert len(items) == 1 and items[0]["_tongxin"]["source"]["title"] == "东江社区党支部"


def test_an_undated_entry_stays_undated_one_level_up(server: FeedServer, tmp_path: Path) -> None:
    """An operator's trial: a WordPress item with no date reached the county portal's feeds
    as published 2000-01-01 (the placeholder), so the city showed it in archives/2000/ and
    counted nothing undated, a date the checklist penalises made up by the portal itself.
    Now the county's feeds give it no date (Atom: no published, tx:undated beside the
    required updated; RSS: no pubDate; JSON Feed: no dates) and the city stores it undated."""
    rss = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>WP</title>'
        f"<link>{server.url('/wp/')}</link>"
        f"<item><title>无日期的新闻</title><link>{server.url('/wp/?p=1')}</link>"
        "<description>正文</description></item></channel></rss>"
    )
    server.route("/wp/feed/", body=rss.encode("utf-8"), content_type="application/rss+xml")
    branch = {"id": "wp", "name": "旧网站支部", "feed": server.url("/wp/feed/")}
    county = tmp_path / "county"
    federate(
        write_registry(tmp_path / "c.yaml", "县门户", server.url("/county/"), [branch]), county
    )
    [entry] = stored(county)
    assert entry.published is None
    feeds = {
        name: (county / "feeds" / name).read_text("utf-8")
        for name in ("all.atom.xml", "all.rss.xml", "all.json")
    }
    # (Atom's required updated is the placeholder, marked: nothing reads it as a date)
    assert "2000" not in feeds["all.rss.xml"] + feeds["all.json"], feeds
    [element] = atom_entries(county / "feeds/all.atom.xml")
    assert element.find(f"{ATOM}published") is None and element.find(f"{ATOM}updated") is not None
    assert "pubDate" not in feeds["all.rss.xml"]
    assert "date_published" not in json.loads(feeds["all.json"])["items"][0]
    feed = serve_portal_feed(server, county, "/county/feeds/all.atom.xml")
    city = tmp_path / "city"
    upper = {"id": "county", "name": "县门户", "feed": feed, "portal": True}
    federate(write_registry(tmp_path / "y.yaml", "市门户", server.url("/city/"), [upper]), city)
    [relayed] = stored(city)
    assert relayed.title == "无日期的新闻" and relayed.published is None and relayed.updated is None
    assert not (city / "archives" / "2000").exists()
    health = json.loads((city / "health.json").read_text("utf-8"))
    assert health["portal"]["undated"] == 1, health["portal"]
