"""Branch health: statuses, stale detection, health.json shape, the activity sparkline."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from feedserver import FeedServer
from lxml import etree
from test_pipeline import Item, atom, federate, server, write_registry
from tongxin.federation.health import classify, month_labels, sparkline_svg

__all__ = ["server"]
NOW = datetime(2026, 5, 20, tzinfo=UTC)


def test_status_is_the_worst_that_applies() -> None:
    recent, old = NOW - timedelta(days=2), NOW - timedelta(days=90)
    common = {"now": NOW, "stale_days": 30, "quarantined": False}
    assert classify("ok", recent, recent, **common) == "ok"
    assert classify("ok", old, recent, **common) == "stale"
    assert classify("error", old, recent, **common) == "error"
    assert classify("gone", recent, recent, **common) == "gone"
    assert classify("ok", recent, recent, now=NOW, stale_days=30, quarantined=True) == "quarantined"
    assert classify(None, None, None, **common) == "error"  # never fetched successfully


def test_stale_days_is_configurable() -> None:
    last = NOW - timedelta(days=10)
    assert classify("ok", last, NOW, now=NOW, stale_days=7, quarantined=False) == "stale"
    assert classify("ok", last, NOW, now=NOW, stale_days=30, quarantined=False) == "ok"


def test_sparkline_is_an_accessible_inline_svg_of_twelve_months() -> None:
    counts = [0, 1, 2, 0, 5, 0, 0, 3, 0, 0, 1, 4]
    svg = sparkline_svg(counts, language="zh-CN", branch_name="东江支部", now=NOW)
    root = etree.fromstring(svg)
    assert root.get("role") == "img"
    title = root.findtext("{http://www.w3.org/2000/svg}title")
    assert "东江支部" in title and "16" in title and "2026-05: 4" in title
    bars = root.findall("{http://www.w3.org/2000/svg}rect")
    assert len(bars) == 12
    heights = [float(b.get("height")) for b in bars]
    assert heights[4] == max(heights) and heights[0] == 1.0  # zero months keep a baseline tick


def test_month_labels_run_oldest_first_across_the_year() -> None:
    assert month_labels(datetime(2026, 2, 1, tzinfo=UTC), 3) == ["2025-12", "2026-01", "2026-02"]


def test_stale_branch_is_flagged(server: FeedServer, tmp_path: Path) -> None:
    server.route("/fresh.xml", body=atom(server.url("/f/"), "新", [Item("a", "近期", 2)]))
    server.route("/old.xml", body=atom(server.url("/o/"), "旧", [Item("b", "很久以前", 75)]))
    registry = write_registry(
        tmp_path / "r.yaml",
        "门户",
        "https://p.example/",
        [
            {"id": "fresh", "name": "新支部", "feed": server.url("/fresh.xml")},
            {"id": "old", "name": "旧支部", "feed": server.url("/old.xml")},
        ],
    )
    out = tmp_path / "portal"
    federate(registry, out)
    health = {b["id"]: b for b in json.loads((out / "health.json").read_text())["branches"]}
    assert health["fresh"]["status"] == "ok"
    assert health["old"]["status"] == "stale"
    page = (out / "health/index.html").read_text(encoding="utf-8")
    assert 'id="branch-old"' in page and "久未更新" in page
    # A longer threshold clears it.
    federate(registry, out, stale_days=90)
    health = {b["id"]: b for b in json.loads((out / "health.json").read_text())["branches"]}
    assert health["old"]["status"] == "ok"


def test_health_json_has_the_contract_shape(server: FeedServer, tmp_path: Path) -> None:
    server.route("/a.xml", body=atom(server.url("/a/"), "A", [Item("a", "甲", 1)]))
    server.route("/gone.xml", status=410, body=b"gone")
    registry = write_registry(
        tmp_path / "r.yaml",
        "门户",
        "https://p.example/",
        [
            {"id": "a", "name": "A", "feed": server.url("/a.xml")},
            {"id": "g", "name": "G", "feed": server.url("/gone.xml")},
        ],
    )
    out = tmp_path / "portal"
    federate(registry, out)
    data = json.loads((out / "health.json").read_text())
    keys = {"id", "status", "http_status", "last_success", "last_entry", "entries", "error"}
    # the contract's keys, plus the branch's name and its inspection (docs/federation.md)
    assert [set(b) for b in data["branches"]] == [keys | {"name", "inspection", "error_class"}] * 2
    a, g = data["branches"]
    assert a["id"] == "a" and a["status"] == "ok" and a["http_status"] == 200
    assert a["entries"] == 1 and a["error"] is None
    assert datetime.fromisoformat(a["last_success"]) and datetime.fromisoformat(a["last_entry"])
    assert g["status"] == "gone" and g["http_status"] == 410 and g["entries"] == 0
    assert g["last_success"] is None and g["error"]
    page = (out / "health/index.html").read_text(encoding="utf-8")
    assert page.count('class="sparkline"') == 2 and "<title>" in page
