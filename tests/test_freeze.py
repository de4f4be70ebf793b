"""Freeze: no feed of any size or shape stops the portal publishing the other branches.

A hostile branch serves, over real HTTP on loopback, 3,000 entries on one day plus entries
built to be slow: 100,000 unclosed ``<div>``, deep formatting and list nesting, half a
megabyte of ``<``, a megabyte title. The run must finish in bounded time, publish the good
branch, and store no entry's HTML above the sanitiser's cap.
"""

from __future__ import annotations

import time
from pathlib import Path

from feedserver import FeedServer
from test_pipeline import Item, atom, federate, stored, write_registry
from tongxin.federation.sanitise import HTML_LIMIT, clean_html

#: Generous for a shared 2-core machine; the slow HTML alone cost two minutes before the cap.
BOUND_SECONDS = 60.0

PATHOLOGICAL = {
    "divs": "<div>" * 100_000,
    "formatting": "<b><i><u><s>" * 40_000,
    "lists": "<ul><li>x" * 50_000,
    "links": "<a href=x><div>" * 30_000,
    "angles": "<" * 500_000,
    "open-attribute": "<p title='" + ">" * 400_000,
}


def _feeds(server: FeedServer) -> list[dict]:
    """One hostile branch per shape (each feed stays under the 10 MB fetch cap), a flood, and
    a good branch."""
    feeds = {"flood": [Item(f"flood-{n}", f"同日第{n}条", 0.5) for n in range(3000)]}
    feeds["flood"].append(Item("huge-title", "长" * 300_000, 0.3))
    for name, body in PATHOLOGICAL.items():
        feeds[name] = [Item(f"slow-{name}", f"慢{name}", 0.4, body=body)]
    feeds["good"] = [Item("g", "好消息", 0.1)]
    branches = []
    for name, items in feeds.items():
        server.route(f"/{name}.xml", body=atom(server.url(f"/{name}/"), name, items))
        branches.append({"id": name, "name": name, "feed": server.url(f"/{name}.xml")})
    return branches


def test_pathological_feed_cannot_stop_the_other_branches(tmp_path: Path) -> None:
    with FeedServer() as server:
        branches = _feeds(server)
        registry = write_registry(
            tmp_path / "registry.yaml", "门户", "https://portal.example/", branches
        )
        out = tmp_path / "out"
        started = time.monotonic()
        federate(registry, out)
        elapsed = time.monotonic() - started
    assert elapsed < BOUND_SECONDS, f"{elapsed:.0f} s"
    assert "好消息" in (out / "feeds" / "all.atom.xml").read_text("utf-8")
    entries = stored(out, include_quarantined=True)
    slow = [e for e in entries if "/slow-" in e.url]
    assert len(slow) == len(PATHOLOGICAL)
    assert len([e for e in entries if "/flood-" in e.url]) == 3000
    for entry in entries:
        assert len(entry.content_html) <= HTML_LIMIT and len(entry.summary_html) <= HTML_LIMIT
        assert len(entry.title) <= 300


def test_sanitising_is_linear_and_capped_on_every_pathological_shape() -> None:
    """Before the nesting cap, 100,000 unclosed ``<div>`` alone cost a minute of CPU."""
    for name, body in PATHOLOGICAL.items():
        started = time.process_time()
        cleaned = clean_html(body, "https://b.example/")
        assert time.process_time() - started < 2.0, name
        assert len(cleaned) <= HTML_LIMIT, name
    # Real HTML's unclosed paragraphs and list items are not nesting: they all stay.
    paragraphs = clean_html("<p>段落" * 5000, "https://b.example/")
    assert paragraphs.count("<p>") == 5000
    nested = clean_html("<blockquote>" * 10 + "引文" + "</blockquote>" * 10, "https://b.example/")
    assert nested.count("<blockquote>") == 10
