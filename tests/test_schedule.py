"""Adaptive polling over real HTTP on 127.0.0.1 at a fixed clock: each branch is checked at
its own publishing rhythm, the server's caching headers are honoured, and a failing branch
backs off but is checked at least daily."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import yaml
from feedserver import FeedServer
from test_inspection import CLOCK, rss
from tongxin.federation.model import FetchResult
from tongxin.federation.pipeline import run
from tongxin.federation.schedule import MAX, next_slot

FEEDS = {
    "daily": [(f"d{i}", "news", i + 0.5) for i in range(10)],  # one a day: every 12 h
    "busy": [(f"b{i}", "news", i / 24 + 0.01) for i in range(30)],  # hourly: 30 min, but
    "quiet": [("q1", "news", 60)],  # nothing for 60 days: daily
}
HEADERS = {"busy": {"Cache-Control": "max-age=7200"}}  # … the server asks for 2 h


def _setup(tmp: Path, server: FeedServer) -> Path:
    branches = []
    for name, items in FEEDS.items():
        server.route(f"/{name}.xml", body=rss(server.url(f"/{name}/"), items),
                     content_type="application/rss+xml", headers=HEADERS.get(name, {}))  # fmt: skip
        branches.append({"id": name, "name": name, "feed": server.url(f"/{name}.xml")})
    server.route("/down.xml", status=500, body=b"")
    branches.append({"id": "down", "name": "down", "feed": server.url("/down.xml")})
    registry = tmp / "registry.yaml"
    document = {
        "name": "门户",
        "url": "https://p.example/",
        "allow_networks": ["127.0.0.1"],
        "branches": branches,
    }
    registry.write_text(yaml.safe_dump(document), encoding="utf-8")
    return registry


def _fetched_at(server: FeedServer, registry: Path, tmp: Path, minutes: float) -> list[str]:
    server.clear_log()
    run(registry, tmp / "www", tmp / "www.sqlite3", now=CLOCK + timedelta(minutes=minutes),
        adaptive=True)  # fmt: skip
    return sorted(r.path.strip("/").removesuffix(".xml") for r in server.requests())


def test_each_branch_is_checked_at_its_own_rhythm(tmp_path: Path) -> None:
    with FeedServer() as server:
        registry = _setup(tmp_path, server)
        assert _fetched_at(server, registry, tmp_path, 0) == ["busy", "daily", "down", "quiet"]
        assert _fetched_at(server, registry, tmp_path, 20) == ["down"]  # back off: 15 min
        assert _fetched_at(server, registry, tmp_path, 45) == []  # then 30 min
        assert _fetched_at(server, registry, tmp_path, 51) == ["down"]
        # busy: max-age 2 h over its 30-minute rhythm; down: 60 min after its third failure
        assert _fetched_at(server, registry, tmp_path, 121) == ["busy", "down"]
        assert _fetched_at(server, registry, tmp_path, 12 * 60 + 1) == ["busy", "daily", "down"]
        assert _fetched_at(server, registry, tmp_path, 24 * 60 + 1) == [
            "busy", "daily", "down", "quiet"]  # fmt: skip
        health = json.loads((tmp_path / "www/health.json").read_text(encoding="utf-8"))
    down = next(b for b in health["branches"] if b["id"] == "down")["inspection"]
    assert down["failing_since"] == CLOCK.isoformat(timespec="seconds") and down["tries"] == 6


def test_polls_over_a_day_are_far_fewer_than_every_15_minutes(tmp_path: Path) -> None:
    with FeedServer() as server:
        registry = _setup(tmp_path, server)
        total = sum(len(_fetched_at(server, registry, tmp_path, m)) for m in range(0, 24 * 60, 15))
    fixed = 4 * 24 * 4  # four branches, every 15 minutes
    assert total <= fixed // 4, (total, fixed)


def test_a_failing_branch_is_checked_at_least_daily() -> None:
    failed = FetchResult("x", "http://x/", error="HTTP 500", retry_after=10 * 86400)
    slot = None
    for _ in range(30):
        slot = next_slot(failed, [], slot, CLOCK)
    assert slot is not None and slot.interval == MAX and slot.failures == 30
    assert slot.failing_since == CLOCK.isoformat(timespec="seconds")
    recovered = next_slot(FetchResult("x", "http://x/", body=b"x"), [CLOCK], slot, CLOCK)
    assert recovered.failures == 0 and recovered.failing_since is None
