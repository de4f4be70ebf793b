"""A per-branch cap on stored entries (real HTTP on loopback): a flooding branch keeps only its
newest entries, health says so, and the other branches are untouched."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from feedserver import FeedServer
from test_pipeline import Item, atom, federate, stored, write_registry


def test_flooding_branch_is_capped_and_health_notes_it(tmp_path: Path) -> None:
    with FeedServer() as server:
        registry = write_registry(
            tmp_path / "registry.yaml", "门户", "https://p.example/",
            [{"id": "flood", "name": "F", "feed": server.url("/f.xml")},
             {"id": "calm", "name": "C", "feed": server.url("/c.xml"), "max_entries": 2},
             {"id": "small", "name": "S", "feed": server.url("/s.xml")}],
        )  # fmt: skip
        document = yaml.safe_load(registry.read_text("utf-8"))
        document["max_entries_per_branch"] = 50
        registry.write_text(yaml.safe_dump(document, allow_unicode=True), "utf-8")
        server.route(
            "/c.xml",
            body=atom(server.url("/c/"), "C", [Item(f"c{n}", f"C{n}", n + 1) for n in range(3)]),
        )
        server.route("/s.xml", body=atom(server.url("/s/"), "S", [Item("s", "S", 1)]))
        out = tmp_path / "out"
        for run in range(3):  # 120 new ids every run
            items = [Item(f"r{run}-{n}", f"第{run}轮{n}", 0.01 * n + (3 - run)) for n in range(120)]
            server.route("/f.xml", body=atom(server.url("/f/"), "F", items))
            federate(registry, out)
    flood = stored(out, branch_id="flood", include_quarantined=True)
    assert len(flood) == 50
    assert all("/r2-" in e.url for e in flood)  # the newest run's, newest first
    assert len(stored(out, branch_id="calm", include_quarantined=True)) == 2
    assert len(stored(out, branch_id="small", include_quarantined=True)) == 1
    health = {b["id"]: b for b in json.loads((out / "health.json").read_text("utf-8"))["branches"]}
    assert "50" in (health["flood"]["error"] or "") and health["small"]["error"] is None
