"""Two portals listing each other (X lists Y with ``portal: true``, Y lists X): each run
used to add a copy of every entry, a portal's own entries coming back labelled as the other
portal. Real HTTP: each portal's published Atom feed is served to the other between runs."""

from __future__ import annotations

import json
from pathlib import Path

from feedserver import FeedServer
from test_pipeline import Item, atom, federate, server, stored, write_registry

__all__ = ["server"]


def _serve_portal(server: FeedServer, name: str, out: Path) -> None:
    body = (out / "feeds/all.atom.xml").read_bytes()
    server.route(f"/{name}/feeds/all.atom.xml", body=body)


def test_portals_listing_each_other_keep_one_copy_of_each_entry(
    server: FeedServer, tmp_path: Path
) -> None:
    server.route(
        "/dj/atom",
        body=atom(
            server.url("/dj/"), "东江", [Item("d1", "东江要闻", 1), Item("d2", "东江通知", 2)]
        ),
    )
    server.route("/wp/atom", body=atom(server.url("/wp/"), "西湖", [Item("w1", "西湖动态", 1)]))
    x_reg = write_registry(
        tmp_path / "x.yaml", "X门户", server.url("/X/"),
        [{"id": "dj", "name": "东江", "feed": server.url("/dj/atom")},
         {"id": "y", "name": "Y门户", "feed": server.url("/Y/feeds/all.atom.xml"), "portal": True}],
    )  # fmt: skip
    y_reg = write_registry(
        tmp_path / "y.yaml", "Y门户", server.url("/Y/"),
        [{"id": "wp", "name": "西湖", "feed": server.url("/wp/atom")},
         {"id": "x", "name": "X门户", "feed": server.url("/X/feeds/all.atom.xml"), "portal": True}],
    )  # fmt: skip
    x_out, y_out = tmp_path / "X", tmp_path / "Y"
    counts, notes = [], []
    for _round in range(4):
        federate(x_reg, x_out)
        _serve_portal(server, "X", x_out)
        federate(y_reg, y_out)
        _serve_portal(server, "Y", y_out)
        counts.append((len(stored(x_out)), len(stored(y_out))))
        health = json.loads((x_out / "health.json").read_text())["branches"]
        notes.append(next(b for b in health if b["id"] == "y"))
    # every entry once on each portal, run after run
    assert counts[-1] == (3, 3) and counts[-2] == counts[-1], counts
    x_titles = sorted(e.title for e in stored(x_out))
    assert x_titles == ["东江要闻", "东江通知", "西湖动态"]
    by_title = {e.title: e for e in stored(x_out)}
    assert by_title["东江要闻"].branch_id == "dj" and by_title["东江要闻"].origin_branch_id == "dj"
    assert by_title["西湖动态"].branch_id == "y"  # relayed by Y, still named after Xihu
    assert by_title["西湖动态"].origin_branch_name == "西湖"
    # the health page says why, on the portal branch, when a copy comes back
    assert all(row["status"] == "ok" for row in notes[1:])
    assert any("互相收录" in (row["error"] or "") for row in notes), [r["error"] for r in notes]


def test_the_portal_knows_itself_by_its_registry_address_and_by_siteurl(tmp_path: Path) -> None:
    from types import SimpleNamespace

    from tongxin.federation.registry import load_registry
    from tongxin.federation.scope import also_self, names_this_portal

    path = write_registry(
        tmp_path / "r.yaml", "X门户", "https://x.example/portal/",
        [{"id": "y", "name": "Y门户", "feed": "https://y.example/feeds/all.atom.xml",
          "portal": True}],
    )  # fmt: skip
    (y,) = load_registry(path).branches

    def named(feed: str = "", link: str = "", origin: str = "") -> bool:
        entry = SimpleNamespace(origin_feed_url=feed, origin_branch_url=link,
                                origin_branch_id=origin)  # fmt: skip
        return names_this_portal(y, entry)

    assert named(feed="https://x.example/portal/feeds/all.atom.xml")
    assert named(link="https://x.example/portal")
    assert named(origin="https://X.example/portal/feeds/all.json")
    assert not named(feed="https://x.example/other/feeds/all.atom.xml")
    assert not named(feed="http://10.0.0.5:8080/feeds/all.atom.xml")
    also_self([y], "http://10.0.0.5:8080/")  # federate --siteurl (a staging address)
    assert named(feed="http://10.0.0.5:8080/feeds/all.atom.xml")
