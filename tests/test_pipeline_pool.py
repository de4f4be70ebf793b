"""A federate run with parsing, sanitising and screening in worker processes (as big
registries run) stores exactly what the in-process run stores, and keeps failures per branch."""

from __future__ import annotations

from pathlib import Path

import yaml
from feedserver import FeedServer
from test_pipeline import Item, atom, federate, server, stored, write_registry

__all__ = ["server"]  # the fixture

SPAM = "百家乐 六合彩 时时彩 北京赛车 真人娱乐 网上赌场 彩票投注 在线赌场"


def _registry(server: FeedServer, tmp_path: Path) -> Path:
    branches = []
    for n in range(6):
        items = [Item(f"e{k}", f"第{n}支部 第{k}条", k + 1) for k in range(3)]
        if n == 2:
            items.append(Item("spam", "好消息", 0.5, body=f"<p>{SPAM}</p>"))
        server.route(
            f"/b{n}/feeds/all.atom.xml",
            body=atom(server.url(f"/b{n}/"), f"第{n}支部", items),
            etag=f'"b{n}"',
        )
        feed = server.url(f"/b{n}/feeds/all.atom.xml")
        branches.append({"id": f"b{n}", "name": f"第{n}支部", "feed": feed})
    server.route("/broken/feeds/all.atom.xml", body="<html><body>维护中</body></html>".encode())
    feed = server.url("/broken/feeds/all.atom.xml")
    branches.append({"id": "broken", "name": "坏支部", "feed": feed})
    return write_registry(tmp_path / "registry.yaml", "门户", "https://portal.example/", branches)


def _snapshot(out: Path) -> list[tuple]:
    return sorted(
        (e.entry_id, e.branch_id, e.title, e.content_html, e.quarantine_reason is not None)
        for e in stored(out, include_quarantined=True)
    )


def test_pooled_run_stores_what_the_in_process_run_stores(
    server: FeedServer, tmp_path: Path
) -> None:
    registry = _registry(server, tmp_path)
    alone = federate(registry, tmp_path / "alone" / "portal", workers=1)
    pooled = federate(registry, tmp_path / "pooled" / "portal", workers=2)
    assert _snapshot(tmp_path / "pooled" / "portal") == _snapshot(tmp_path / "alone" / "portal")
    assert pooled.new == alone.new == 19
    assert set(pooled.failed) == set(alone.failed) == {"broken"}
    # Screened in the workers: the spam entry is held back, the others are published.
    held = [e for e in stored(tmp_path / "pooled" / "portal", include_quarantined=True)
            if e.quarantine_reason]  # fmt: skip
    assert [e.feed_id for e in held] == [server.url("/b2/news/spam/")]
    # Every phase the run waited for is accounted for, and they add up to no more than it took.
    phases = pooled.timings_json()
    assert phases["fetch"] > 0 and phases["store"] > 0 and phases["parse"] > 0
    parts = sum(phases[k] for k in ("fetch", "parse", "sanitise", "screen", "store"))
    assert parts <= phases["total"]
    # The body's hash, taken in the worker, is the one the next run compares bodies with.
    import urllib.request

    from tongxin.federation.store import Store, body_hash

    body = urllib.request.urlopen(server.url("/b3/feeds/all.atom.xml"), timeout=10).read()
    with Store(tmp_path / "pooled" / "portal.sqlite3") as store:
        state = store.branch_state("b3")
    assert state is not None and state.content_hash.startswith(body_hash(body) + ":")


def test_pooled_rerun_with_nothing_changed_parses_nothing(
    server: FeedServer, tmp_path: Path
) -> None:
    registry = _registry(server, tmp_path)
    out = tmp_path / "portal"
    federate(registry, out, workers=2)
    again = federate(registry, out, workers=2)
    assert again.new == again.updated == 0
    # the feed that could not be read is read again (it stays an error, see
    # test_health_unreadable.py); the others are not parsed at all
    assert set(again.failed) == {"broken"}
    data = yaml.safe_load(registry.read_text("utf-8"))
    data["branches"] = [b for b in data["branches"] if b["id"] != "broken"]
    registry.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    again = federate(registry, out, workers=2)
    assert again.new == again.updated == 0
    assert again.timings["parse"] == again.timings["sanitise"] == 0.0
    # the registry's branches changed (one left): the pages are made again, the search reused
    assert not again.current and again.index_mode == "reused"
    assert federate(registry, out, workers=2).current  # and then nothing is to do
