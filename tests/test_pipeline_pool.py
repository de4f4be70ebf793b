"""A federate run with parsing, sanitising and screening in worker processes (as big
registries run) stores exactly what the in-process run stores, and keeps failures per branch."""

from __future__ import annotations

from pathlib import Path

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
    assert [e.entry_id for e in held] == [server.url("/b2/news/spam/")]
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
    assert state is not None and state.content_hash == body_hash(body)


def test_pooled_rerun_with_nothing_changed_parses_nothing(
    server: FeedServer, tmp_path: Path
) -> None:
    registry = _registry(server, tmp_path)
    out = tmp_path / "portal"
    federate(registry, out, workers=2)
    again = federate(registry, out, workers=2)
    assert again.new == again.updated == 0
    assert again.timings["parse"] == again.timings["sanitise"] == 0.0
    assert again.current


def _worker_parent() -> int:
    import os

    return os.getppid()


def test_workers_are_forked_from_the_run_while_its_store_is_closed(tmp_path: Path) -> None:
    import os

    from tongxin.federation.ingest import WORKER_NICE, IngestPool, Screening, store_closed_here
    from tongxin.federation.store import Store

    db = tmp_path / "portal.sqlite3"
    Store(db).close()
    assert store_closed_here(db)
    with IngestPool(2, screening=Screening(None, db), lazy=True) as pool:
        # Forked at once, from this process (not a fork server's child), before any body.
        assert pool._pool is not None
        assert pool._pool._mp_context.get_start_method() == "fork"
        assert pool._pool.submit(_worker_parent).result(timeout=30) == os.getpid()
        # … and yields the CPU to this process, which fetches and stores for them.
        assert pool._pool.submit(os.nice, 0).result(timeout=30) == os.nice(0) + WORKER_NICE
    with Store(db):
        # The store is open here: a forked worker would inherit SQLite's state for it.
        assert not store_closed_here(db)
        with IngestPool(2, screening=Screening(None, db), lazy=True) as pool:
            assert pool._pool is not None
            assert pool._pool._mp_context.get_start_method() == "forkserver"


def test_forked_workers_die_with_the_run(tmp_path: Path) -> None:
    """A run killed mid-fetch leaves no worker behind holding its lock file open."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from tongxin.federation.store import Store

    db = tmp_path / "portal.sqlite3"
    Store(db).close()
    script = (
        "import os, sys, time\n"
        "from pathlib import Path\n"
        "from tongxin.federation.ingest import IngestPool, Screening\n"
        "def pid():\n    return os.getpid()\n"
        "if __name__ == '__main__':\n"
        f"    with IngestPool(2, screening=Screening(None, Path({str(db)!r}))) as pool:\n"
        "        pids = {pool._pool.submit(pid).result() for _ in range(8)}\n"
        "        print(' '.join(str(p) for p in pool._pool._processes), flush=True)\n"
        "        time.sleep(60)\n"
    )
    run = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        line = run.stdout.readline() if run.stdout else ""
        workers = [int(p) for p in line.split()]
        assert len(workers) == 2
        os.kill(run.pid, signal.SIGKILL)
        run.wait(timeout=10)
        deadline = time.monotonic() + 10
        alive = workers
        while alive and time.monotonic() < deadline:
            alive = [p for p in workers if _alive(p)]
            time.sleep(0.05)
        assert not alive, f"workers outlived the run: {alive}"
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
