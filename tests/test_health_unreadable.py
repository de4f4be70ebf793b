"""A feed that cannot be read stays an error while it stays unreadable.

The shapes a tester met: a CMS's HTML maintenance page served with 200 and an ETag (the next
run's conditional GET gets a 304), an Atom file cut off mid-element with no validators (the
same bytes again), a broken JSON Feed with Last-Modified. Each must be ``error`` on every run,
with a failed probe each time and no ``last_success``, until the branch serves a good feed.
"""

from __future__ import annotations

import json
from pathlib import Path

from feedserver import FeedServer
from test_pipeline import Item, atom, federate, server, write_registry

__all__ = ["server"]

MAINTENANCE = (
    "<!DOCTYPE html><html><head><meta charset='utf-8'><title>系统维护</title></head>"
    "<body><h1>网站维护中</h1><p>预计 2 小时后恢复，给您带来不便敬请谅解。</p></body></html>"
).encode()
BROKEN_JSON = (
    b'{"version": "https://jsonfeed.org/version/1.1", "title": "\xe5\x9d\x8f", '
    b'"items": [{"id": "1", "title": "\xe4\xb8\x80", "content_text": "x"},'
)


def _health(out: Path) -> dict[str, dict]:
    data = json.loads((out / "health.json").read_text("utf-8"))
    return {b["id"]: b for b in data["branches"]}


def test_an_unreadable_feed_stays_an_error_on_every_run(server: FeedServer, tmp_path: Path) -> None:
    good = atom(server.url("/t/"), "截断", [Item("a", "第一条", 1), Item("b", "第二条", 2)])
    server.route("/html", body=MAINTENANCE, content_type="text/html; charset=utf-8", etag='"m1"')
    server.route("/trunc.xml", body=good[: good.index(b"<entry") - 20])  # cut in the header
    server.route(
        "/broken.json",
        body=BROKEN_JSON,
        content_type="application/feed+json",
        last_modified="Sun, 06 Dec 2026 08:00:00 GMT",
    )
    server.route(
        "/ok.xml",
        body=atom(
            server.url("/o/"),
            "好",
            [Item("o", "正常", 1)],
        ),
        etag='"o"',
    )
    registry = write_registry(
        tmp_path / "r.yaml",
        "门户",
        "https://p.example/",
        [{"id": "html", "name": "维护支部", "feed": server.url("/html")},
         {"id": "tr", "name": "截断", "feed": server.url("/trunc.xml")},
         {"id": "bj", "name": "坏JSON", "feed": server.url("/broken.json")},
         {"id": "ok", "name": "正常", "feed": server.url("/ok.xml")}],
    )  # fmt: skip
    out = tmp_path / "portal"
    for run in (1, 2, 3):
        federate(registry, out)
        health = _health(out)
        for branch in ("html", "tr", "bj"):
            row = health[branch]
            assert row["status"] == "error", (run, branch, row)
            assert row["error"], (run, branch)
            assert row["last_success"] is None, (run, branch)
            assert row["inspection"]["failed_probes"] == run, (run, branch)
        assert health["ok"]["status"] == "ok" and health["ok"]["inspection"]["failed_probes"] == 0
    # the 304 to the validators of the maintenance page was never asked for
    assert all("If-None-Match" not in r.headers for r in server.requests("/html"))
    # the branch mends its feed: the next run reads it and is well again
    server.route("/trunc.xml", body=good)
    federate(registry, out)
    mended = _health(out)["tr"]
    assert mended["status"] == "ok" and mended["error"] is None and mended["entries"] == 2
