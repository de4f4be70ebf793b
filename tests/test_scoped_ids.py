"""Entry identity is scoped by branch: two CMSs numbering their posts 1, 2 lose nothing, one
branch cannot claim another's ids, and a lower portal is believed only about the branches
below it. Real HTTP on loopback, real SQLite, the real federate run."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from feedserver import FeedServer
from test_pipeline import federate, server, stored, write_registry
from tongxin.federation.store import Store

__all__ = ["server"]  # the fixture, re-exported for pytest


def rss(site: str, items: list[tuple[str, str]], channel: str = "支部") -> bytes:
    """RSS 2.0 as a small CMS writes it: bare numeric guids, not permalinks."""
    body = "".join(
        f"<item><title>{title}</title><link>{site}?p={guid}</link>"
        f'<guid isPermaLink="false">{guid}</guid>'
        f"<pubDate>Mon, 0{guid} Jun 2026 08:00:00 +0800</pubDate>"
        f"<description>&lt;p&gt;{title}&lt;/p&gt;</description></item>"
        for guid, title in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{channel}</title><link>{site}</link><description>d</description>{body}"
        "</channel></rss>"
    ).encode()


def atom_claiming(site: str, victim_feed: str, guid: str, title: str) -> bytes:
    """An Atom feed whose entry says, through <source>, that it is another branch's."""
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>x</title><id>{site}</id><updated>2026-06-01T00:00:00Z</updated>"
        f'<link href="{site}"/><entry><id>{guid}</id><title>{title}</title>'
        f'<link href="{site}fake/"/><updated>2026-06-09T00:00:00Z</updated>'
        f"<source><id>{victim_feed}</id><title>东江社区党支部</title>"
        f'<link rel="self" href="{victim_feed}"/></source>'
        '<content type="html">&lt;p&gt;假&lt;/p&gt;</content></entry></feed>'
    ).encode()


def test_two_branches_with_the_same_guids_keep_all_their_entries(
    server: FeedServer, tmp_path: Path
) -> None:
    server.route("/a/rss", body=rss(server.url("/a/"), [("1", "东江一"), ("2", "东江二")]))
    server.route("/b/rss", body=rss(server.url("/b/"), [("1", "西湖一"), ("2", "西湖二")]))
    registry = write_registry(
        tmp_path / "r.yaml",
        "门户",
        server.url("/portal/"),
        [
            {"id": "a", "name": "东江", "feed": server.url("/a/rss")},
            {"id": "b", "name": "西湖", "feed": server.url("/b/rss")},
        ],
    )
    report = federate(registry, tmp_path / "portal")
    assert report.published and not report.failed
    titles = sorted(e.title for e in stored(tmp_path / "portal"))
    assert titles == ["东江一", "东江二", "西湖一", "西湖二"]
    health = json.loads((tmp_path / "portal/health.json").read_text(encoding="utf-8"))
    counts = {b["id"]: b["entries"] for b in health["branches"]}
    assert counts == {"a": 2, "b": 2}
    # The portal's own feed gives the two "1"s different ids.
    feed = json.loads((tmp_path / "portal/feeds/all.json").read_text(encoding="utf-8"))
    ids = [item["id"] for item in feed["items"]]
    assert len(ids) == len(set(ids)) == 4


def test_a_branch_cannot_preclaim_another_branchs_entries(
    server: FeedServer, tmp_path: Path
) -> None:
    victim_feed = server.url("/dj/rss")
    server.route("/dj/rss", body=rss(server.url("/dj/"), [("1", "真通知")]))
    # Listed first, so it is stored first: a plain branch and a portal not above the victim.
    server.route("/evil/atom", body=atom_claiming(server.url("/evil/"), victim_feed, "1", "冒名"))
    server.route("/rogue/atom", body=atom_claiming(server.url("/rogue/"), victim_feed, "1", "冒"))
    registry = write_registry(
        tmp_path / "r.yaml",
        "门户",
        server.url("/portal/"),
        [
            {"id": "evil", "name": "某站", "feed": server.url("/evil/atom")},
            {"id": "rogue", "name": "某门户", "feed": server.url("/rogue/atom"), "portal": True},
            {"id": "dj", "name": "东江社区党支部", "feed": victim_feed},
        ],
    )
    federate(registry, tmp_path / "portal")
    by_branch = {e.branch_id: e for e in stored(tmp_path / "portal")}
    assert by_branch["dj"].title == "真通知"
    # The impostors' entries are their own, not the victim's.
    assert by_branch["evil"].origin_branch_id == "evil"
    assert by_branch["evil"].origin_branch_name == "某站"
    assert by_branch["rogue"].origin_branch_id == "rogue"
    assert len(by_branch) == 3
    api = json.loads((tmp_path / "portal/api/index.json").read_text(encoding="utf-8"))
    real = [e for e in api["entries"] if e["branch"]["title"] == "东江社区党支部"]
    assert [e["title"] for e in real] == ["真通知"]


# The entries table as schema 4 wrote it (no feed_id, no attachments, global ids).
SCHEMA_4_ENTRIES = """
CREATE TABLE entries (
    entry_id TEXT PRIMARY KEY, branch_id TEXT NOT NULL, origin_branch_id TEXT NOT NULL,
    origin_branch_name TEXT NOT NULL DEFAULT '', origin_branch_url TEXT NOT NULL DEFAULT '',
    origin_feed_url TEXT NOT NULL DEFAULT '', url TEXT NOT NULL, title TEXT NOT NULL,
    summary_html TEXT NOT NULL DEFAULT '', content_html TEXT NOT NULL DEFAULT '',
    published TEXT, updated TEXT, type TEXT NOT NULL DEFAULT 'news',
    tags TEXT NOT NULL DEFAULT '[]', author TEXT NOT NULL DEFAULT '',
    pinned INTEGER NOT NULL DEFAULT 0, expires TEXT, quarantine_reason TEXT,
    quarantine_rule TEXT, content_hash TEXT NOT NULL, first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL
);
CREATE TABLE decisions (
    entry_id TEXT PRIMARY KEY,
    decision TEXT NOT NULL CHECK (decision IN ('release', 'reject')),
    note TEXT NOT NULL DEFAULT '', decided_at TEXT NOT NULL
);
"""


def test_a_schema_4_store_is_rekeyed_by_branch_keeping_decisions(
    server: FeedServer, tmp_path: Path
) -> None:
    path = tmp_path / "portal.sqlite3"
    db = sqlite3.connect(path)
    db.executescript(SCHEMA_4_ENTRIES)
    row = (
        "INSERT INTO entries VALUES (?, ?, ?, '', '', '', ?, ?, '', '', ?, ?, 'news', '[]', '',"
        " 0, NULL, ?, NULL, ?, ?, ?)"
    )
    june = ("2026-06-01T00:00:00+00:00", "2026-06-01T00:00:00+00:00")
    seen = ("2026-06-01", "2026-06-01")
    db.execute(row, ("1", "a", "a", server.url("/a/?p=1"), "东江一", *june, None, "h1", *seen))
    db.execute(row, ("9", "a", "a", "u", "held", *june, "spam", "h9", *seen))
    db.execute("INSERT INTO decisions VALUES ('9', 'release', 'ok', '2026-06-03')")
    db.execute("PRAGMA user_version=4")
    db.commit()
    db.close()
    with Store(path) as store:
        keys = {e.entry_id: e.feed_id for e in store.entries(include_quarantined=True)}
        assert keys == {"a 1": "1", "a 9": "9"}
        assert store.decisions() == {"a 9": ("release", "ok")}
        assert store.integrity_ok()
    # The next run, where branch b also numbers its posts 1, 2, loses nothing and rewrites
    # nothing of a's.
    server.route("/a/rss", body=rss(server.url("/a/"), [("1", "东江一")]))
    server.route("/b/rss", body=rss(server.url("/b/"), [("1", "西湖一"), ("2", "西湖二")]))
    registry = write_registry(
        tmp_path / "r.yaml",
        "门户",
        server.url("/portal/"),
        [
            {"id": "a", "name": "东江", "feed": server.url("/a/rss")},
            {"id": "b", "name": "西湖", "feed": server.url("/b/rss")},
        ],
    )
    federate(registry, tmp_path / "portal")
    titles = sorted(e.title for e in stored(tmp_path / "portal"))
    assert titles == ["held", "东江一", "西湖一", "西湖二"]


def test_flagging_a_lower_portal_moves_its_entries_without_doubling_them(
    server: FeedServer, tmp_path: Path
) -> None:
    dj_feed = server.url("/dj/rss")
    relayed = atom_claiming(server.url("/county/"), dj_feed, "tag:dj,1", "东江要闻")
    server.route("/county/atom", body=relayed)
    county = {"id": "county", "name": "县门户", "feed": server.url("/county/atom")}
    before = write_registry(tmp_path / "a.yaml", "门户", server.url("/p/"), [county])
    federate(before, tmp_path / "portal")
    (first,) = stored(tmp_path / "portal")
    assert first.entry_id == "county tag:dj,1" and first.origin_branch_id == "county"
    with Store(tmp_path / "portal.sqlite3") as store:
        store.decide(first.entry_id, "reject", "旧的决定")
        first_seen = store.db.execute("SELECT first_seen FROM entries").fetchone()[0]
    # The operator flags the county as a portal: its entry is now Dongjiang's, stored once.
    after = write_registry(
        tmp_path / "b.yaml", "门户", server.url("/p/"), [{**county, "portal": True}]
    )
    federate(after, tmp_path / "portal")
    with Store(tmp_path / "portal.sqlite3") as store:
        rows = store.db.execute("SELECT entry_id, first_seen FROM entries").fetchall()
        assert [tuple(r) for r in rows] == [(f"county>{dj_feed} tag:dj,1", first_seen)]
        assert store.decisions() == {f"county>{dj_feed} tag:dj,1": ("reject", "旧的决定")}
