"""Roll-up across three levels of portals over loopback: each portal reads the health.json
of the portal below it and shows how many of its branches are at risk."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from feedserver import FeedServer
from lxml import html
from test_inspection import CLOCK, FEEDS, rss
from tongxin.federation.pipeline import run


def _portal(tmp: Path, server: FeedServer, name: str, branches: list[dict]) -> Path:
    """Run portal ``name`` and serve its feed and health.json at /<name>/."""
    document = {
        "name": f"门户{name}",
        "url": server.url(f"/{name}/"),
        "allow_networks": ["127.0.0.1"],
        "branches": branches,
    }
    registry = tmp / f"{name}.yaml"
    registry.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    out = tmp / name
    run(registry, out, tmp / f"{name}.sqlite3", now=CLOCK)
    for rel in ("feeds/all.atom.xml", "health.json"):
        server.route(f"/{name}/{rel}", body=(out / rel).read_bytes(), content_type=None)
    return out


def test_three_levels_roll_up_branches_at_risk(tmp_path: Path) -> None:
    with FeedServer() as server:
        for name in ("fresh", "old", "warn"):
            server.route(f"/{name}.xml", body=rss(server.url(f"/{name}/"), FEEDS[name]),
                         content_type="application/rss+xml")  # fmt: skip

        def leaf(name: str) -> dict:
            return {"id": name, "name": f"{name}支部", "feed": server.url(f"/{name}.xml")}

        def lower(name: str) -> dict:
            return {
                "id": name,
                "name": f"门户{name}",
                "feed": server.url(f"/{name}/feeds/all.atom.xml"),
                "portal": True,  # a lower portal (its <source> trusted, its health read)
            }

        _portal(tmp_path, server, "county", [leaf("fresh"), leaf("old")])
        _portal(tmp_path, server, "city", [lower("county"), leaf("warn")])
        top = _portal(tmp_path, server, "province", [lower("city")])
        asked = [r.path for r in server.requests() if r.path.endswith("health.json")]
    health = json.loads((top / "health.json").read_text(encoding="utf-8"))
    city = health["branches"][0]["inspection"]["rollup"]
    # county: fresh (fine) + old (at risk); city adds warn (at risk: countdown, blank study)
    assert (city["branches_total"], city["at_risk_total"]) == (3, 2), city
    assert city["branches"] == 2 and city["name"] == "门户city"
    assert health["portal"]["branches_total"] == 3 and health["portal"]["at_risk_total"] == 2
    # each portal read only the one below it, never the branches further down
    assert sorted(asked) == ["/city/health.json", "/county/health.json"]
    page = html.fromstring((top / "health/index.html").read_text(encoding="utf-8"))
    row = page.get_element_by_id("branch-city")
    assert "下级门户：共 3 个支部，2 个有风险" in row.text_content()
    assert "共 3 个支部，2 个有风险" in page.text_content()
