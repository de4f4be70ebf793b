"""Backdated items end to end: a real branch (git history, real Pelican build) declares a date
two months before its file was first committed; the portal, fetching the branch over HTTP
on 127.0.0.1, reads api/index.json and counts it on the health page."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from feedserver import FeedServer
from lxml import html
from test_e2e_branch import branch  # noqa: F401 - the fixture: a committed branch
from tongxin.federation.pipeline import run

from tongxin.build import build_site


def test_a_date_before_the_first_commit_is_counted(branch: Path, tmp_path: Path) -> None:  # noqa: F811
    out = tmp_path / "site"
    build_site(branch, out, progress=False, warnings_to=None)
    api = json.loads((out / "api/index.json").read_text(encoding="utf-8"))
    dated = next(e for e in api["entries"] if e["url"].endswith("/news/dated/"))
    assert dated["date"].startswith("2025-11-01") and dated["first_commit"].startswith("2026-01")
    with FeedServer() as server:
        for rel in ("feeds/all.atom.xml", "api/index.json"):
            server.route(f"/dongjiang/{rel}", body=(out / rel).read_bytes(), content_type=None)
        document = {
            "name": "门户",
            "url": "https://portal.example/",
            "allow_networks": ["127.0.0.1"],
            "branches": [
                {
                    "id": "dongjiang",
                    "name": "东江",
                    "feed": server.url("/dongjiang/feeds/all.atom.xml"),
                }
            ],
        }
        registry = tmp_path / "registry.yaml"
        registry.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
        run(registry, tmp_path / "www", tmp_path / "www.sqlite3")
        assert len(server.requests("/dongjiang/api/index.json")) == 1
        server.clear_log()
        run(registry, tmp_path / "www", tmp_path / "www.sqlite3")  # unchanged: not read again
        assert server.requests("/dongjiang/api/index.json") == []
        # an emptied (or stale) api/index.json, read with a changed feed, lists none of the
        # feed's entries: its word does not count, and the count stays (an operator's trial
        # cleared a branch's 发布时间存疑 this way)
        feed = (out / "feeds/all.atom.xml").read_bytes().replace(b"</feed>", b"<!-- 1 --></feed>")
        server.route("/dongjiang/feeds/all.atom.xml", body=feed, content_type=None)
        server.route("/dongjiang/api/index.json", body=b'{"entries": []}', content_type=None)
        run(registry, tmp_path / "www", tmp_path / "www.sqlite3")
        assert len(server.requests("/dongjiang/api/index.json")) == 1
    health = json.loads((tmp_path / "www/health.json").read_text(encoding="utf-8"))
    found = health["branches"][0]["inspection"]
    assert found["backdated"] == 1 and "backdated" in found["vetoes"]
    assert health["portal"]["backdated"] == 1
    # which entry, so the operator can ask for it to be fixed (the second run, which did not
    # read api/index.json again, still lists it)
    assert found["backdated_items"] == [
        {
            "title": dated["title"],
            "url": dated["url"],
            "date": dated["date"],
            "first_commit": dated["first_commit"],
        }
    ]
    tree = html.fromstring((tmp_path / "www/health/index.html").read_text(encoding="utf-8"))
    listed = tree.xpath("//details[@data-items='backdated']")[0]
    assert listed.xpath("summary")[0].text_content() == "发布时间存疑：1 篇"
    assert listed.xpath(".//a/@href") == [dated["url"]]
    first = dated["first_commit"][:10]
    assert f"标注 2025-11-01，首次提交 {first}" in listed.text_content()
