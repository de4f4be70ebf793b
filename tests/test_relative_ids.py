"""Relative Atom ids and relative permalink guids are resolved by the one URL rule (the
``xml:base`` in force, else the feed's address), as feedparser resolves them: an entry keeps
its identity whichever path parses its feed (a stray blank line before ``<?xml`` sends a feed
to feedparser), and a store written before the rule keeps each entry once, its first-seen
time and the moderator's decision with it. Real HTTP on loopback, the real federate run,
real SQLite."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import yaml
from feedserver import FeedServer
from test_pipeline import federate, server, stored

__all__ = ["server"]  # the fixture, re-exported for pytest


def registry(server: FeedServer, tmp_path: Path, names: list[str]) -> Path:
    branches = [{"id": n, "name": n, "feed": server.url(f"/{n}/feed.xml")} for n in names]
    path = tmp_path / "r.yaml"
    data = {"name": "门户", "url": server.url("/p/"), "branches": branches}
    data["allow_networks"] = ["127.0.0.1"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def atom(site: str, base: str = "") -> str:
    """A Hugo/Jekyll-like Atom feed whose ids are relative (``xml:base`` on the feed when
    ``base``), the second entry without a link."""
    where = f' xml:base="{base}"' if base else ""
    return f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"{where}><title>t</title><id>{site}</id>
<link href="{site}"/><updated>2026-11-20T00:00:00Z</updated>
<entry><id>posts/1/</id><title>一</title><link href="{site}posts/1/"/>
<updated>2026-11-20T00:00:00Z</updated></entry>
<entry><id>/posts/2/</id><title>二</title><updated>2026-11-20T00:00:00Z</updated></entry>
<entry><id>tag:site.example,2026:3</id><title>三</title><link href="{site}posts/3/"/>
<updated>2026-11-20T00:00:00Z</updated></entry>
</feed>"""


def rss(site: str) -> str:
    """Discuz/DedeCMS-like RSS: guids ``1`` (a permalink by default), ``?p=2`` without a link,
    and ``3`` marked isPermaLink="false"."""
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
        f"<link>{site}</link><description>d</description>"
        f"<item><title>一</title><link>{site}thread-1.html</link><guid>1</guid></item>"
        "<item><title>二</title><guid>?p=2</guid></item>"
        f'<item><title>三</title><link>{site}thread-3.html</link><guid isPermaLink="false">3'
        "</guid></item></channel></rss>"
    )


def by_title(entries: list, branch: str) -> dict:
    return {e.title: e for e in entries if e.branch_id == branch}


def test_relative_ids_resolve_alike_on_both_paths(server: FeedServer, tmp_path: Path) -> None:
    base = "http://blog.example/site/"
    feeds = {
        "atom": atom(server.url("/atom/")),
        "atom2": "\n\n" + atom(server.url("/atom2/")),  # feedparser's path
        "based": atom(server.url("/based/"), base),
        "based2": "\n\n" + atom(server.url("/based2/"), base),
        "rss": rss(server.url("/rss/")),
        "rss2": "\n\n" + rss(server.url("/rss2/")),
    }
    for name, body in feeds.items():
        server.route(f"/{name}/feed.xml", body=body.encode())
    federate(registry(server, tmp_path, list(feeds)), tmp_path / "portal")
    entries = stored(tmp_path / "portal")
    for name in ("atom", "atom2"):
        got = by_title(entries, name)
        assert got["一"].feed_id == server.url(f"/{name}/posts/1/")
        assert got["二"].feed_id == server.url("/posts/2/")
        assert got["二"].url == server.url("/posts/2/")  # the id is an address: the link
        assert got["三"].feed_id == "tag:site.example,2026:3"
    for name in ("based", "based2"):
        got = by_title(entries, name)
        assert got["一"].feed_id == base + "posts/1/"
        assert got["二"].feed_id == "http://blog.example/posts/2/"
    for name in ("rss", "rss2"):
        got = by_title(entries, name)
        assert got["一"].feed_id == server.url(f"/{name}/1")
        assert got["一"].url == server.url(f"/{name}/thread-1.html")
        assert got["二"].feed_id == got["二"].url == server.url(f"/{name}/feed.xml?p=2")
        assert got["三"].feed_id == "3"  # not a permalink: an opaque id, as written
    assert len(entries) == 18


def test_a_feed_that_changes_path_keeps_its_entries_once(
    server: FeedServer, tmp_path: Path
) -> None:
    site = server.url("/a/")
    path = registry(server, tmp_path, ["a"])
    server.route("/a/feed.xml", body=atom(site).encode())
    federate(path, tmp_path / "portal")
    first = {e.title: e.entry_id for e in stored(tmp_path / "portal")}
    server.route("/a/feed.xml", body=("\n\n" + atom(site)).encode())  # now feedparser's
    federate(path, tmp_path / "portal")
    assert {e.title: e.entry_id for e in stored(tmp_path / "portal")} == first


def test_a_store_from_before_the_rule_keeps_each_entry_once(
    server: FeedServer, tmp_path: Path
) -> None:
    """Entries stored under the ids as written (``a 1``, ``a /posts/2/``) move to the
    resolved keys on the next fetch, first seen and decisions kept; the opaque guid stays."""
    site = server.url("/a/")
    path = registry(server, tmp_path, ["a"])
    server.route("/a/feed.xml", body=rss(site).encode())
    federate(path, tmp_path / "portal")
    db = sqlite3.connect(tmp_path / "portal.sqlite3")
    with db:  # write the store as the earlier version did
        for written, resolved in (("1", f"{site}1"), ("?p=2", f"{site}feed.xml?p=2")):
            db.execute(
                "UPDATE entries SET entry_id = ?, feed_id = ?, first_seen = ? WHERE feed_id = ?",
                (f"a {written}", written, "2026-01-01T00:00:00+00:00", resolved),
            )
        db.execute(
            "INSERT INTO decisions (entry_id, decision, note, decided_at) VALUES (?, ?, ?, ?)",
            ("a 1", "reject", "重复", "2026-01-02T00:00:00+00:00"),
        )
    db.close()
    server.route("/a/feed.xml", body=(rss(site) + " ").encode())  # a new body: parsed again
    federate(path, tmp_path / "portal")
    db = sqlite3.connect(tmp_path / "portal.sqlite3")
    rows = dict(db.execute("SELECT entry_id, first_seen FROM entries").fetchall())
    decisions = db.execute("SELECT entry_id, note FROM decisions").fetchall()
    db.close()
    assert sorted(rows) == sorted([f"a {site}1", f"a {site}feed.xml?p=2", "a 3"])
    assert rows[f"a {site}1"] == rows[f"a {site}feed.xml?p=2"] == "2026-01-01T00:00:00+00:00"
    assert decisions == [(f"a {site}1", "重复")]
