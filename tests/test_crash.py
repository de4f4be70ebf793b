"""Crash and concurrency safety of `tongxin federate`.

SIGKILL at seeded-random moments (12 times, bounded): after each kill the store passes SQLite's
integrity check, no entry stored before is lost, the published portal path resolves to a
complete portal, and the next run succeeds. Two runs started together: one runs, the other
exits at once, saying why.
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import lxml.html
import pytest
import yaml
from faults import atom_feed
from feedserver import FeedServer
from lxml import etree
from tongxin.federation.store import Store

ROOT = Path(__file__).resolve().parent.parent
TONGXIN = ROOT / ".venv" / "bin" / "tongxin"
KILLS = 12
SEED = 20260501
BRANCHES = 8
CONTRACT = {
    "index.html": "html",
    "search/index.html": "html",
    "health/index.html": "html",
    "feeds/all.atom.xml": "xml",
    "feeds/all.rss.xml": "xml",
    "feeds/all.json": "json",
    "api/index.json": "json",
    "health.json": "json",
}


class Federation:
    def __init__(self, server: FeedServer, tmp: Path) -> None:
        self.server = server
        self.out = tmp / "portal"
        self.db = tmp / "portal.sqlite3"
        self.registry = tmp / "registry.yaml"
        self.round = 0
        branches = [
            {"id": f"b{n}", "name": f"分支{n}", "feed": server.url(f"/b{n}.xml")}
            for n in range(BRANCHES)
        ]
        document = {
            "name": "门户",
            "url": "https://p.example/",
            "branches": branches,
            "allow_networks": ["127.0.0.1"],
        }
        self.registry.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")

    def next_round(self) -> None:
        """Every branch publishes one more entry, so each run has real work to do."""
        self.round += 1
        for n in range(BRANCHES):
            items = [
                (f"r{r}", f"分支{n} 第{r}期 " + "内容" * 200) for r in range(self.round, 0, -1)
            ]
            site = self.server.url(f"/site{n}/")
            self.server.route(f"/b{n}.xml", body=atom_feed(site, f"分支{n}", items[:40]))

    def start(self) -> subprocess.Popen:
        return subprocess.Popen(
            [str(TONGXIN), "federate", str(self.registry), "-o", str(self.out),
             "--db", str(self.db), "-q"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip

    def run(self, timeout: float = 120) -> subprocess.CompletedProcess:
        process = self.start()
        stdout, stderr = process.communicate(timeout=timeout)
        return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)

    def stored_ids(self) -> set[str]:
        with Store(self.db) as store:
            assert store.integrity_ok()
            return {entry.feed_id for entry in store.entries(include_quarantined=True)}


def assert_complete_portal(out: Path) -> None:
    """The published path resolves, and every contract file is present and parses."""
    assert out.exists(), "the published portal path does not resolve"
    for relative, kind in CONTRACT.items():
        path = out / relative
        assert path.is_file(), relative
        data = path.read_bytes()
        if kind == "html":
            assert lxml.html.fromstring(data).find(".//body") is not None, relative
        elif kind == "xml":
            etree.fromstring(data)
        else:
            json.loads(data)


@pytest.fixture
def federation(tmp_path: Path) -> Iterator[Federation]:
    with FeedServer() as server:
        yield Federation(server, tmp_path)


@pytest.mark.slow
def test_sigkill_at_random_moments_loses_nothing(federation: Federation) -> None:
    federation.next_round()
    started = time.monotonic()
    first = federation.run()
    typical = time.monotonic() - started
    assert first.returncode == 0, first.stderr
    assert_complete_portal(federation.out)
    known = federation.stored_ids()
    chance = random.Random(SEED)
    killed_mid_run = 0
    deadline = time.monotonic() + 150  # the whole loop is bounded in time as well as count
    for _ in range(KILLS):
        assert time.monotonic() < deadline
        federation.next_round()
        process = federation.start()
        time.sleep(chance.uniform(0.05, typical * 1.1))
        if process.poll() is None:
            killed_mid_run += 1
        process.send_signal(signal.SIGKILL)  # a no-op if the run already ended
        process.communicate(timeout=30)
        # Right after the kill: a complete old or new portal, an intact store, nothing lost.
        assert_complete_portal(federation.out)
        after_kill = federation.stored_ids()
        assert known <= after_kill
        # The next run succeeds (the kernel released the dead run's lock) and publishes all.
        done = federation.run()
        assert done.returncode == 0, done.stderr
        assert_complete_portal(federation.out)
        known = federation.stored_ids()
        assert after_kill <= known
        api = json.loads((federation.out / "api" / "index.json").read_text(encoding="utf-8"))
        assert {e["id"] for e in api["entries"]} == known
    assert killed_mid_run >= KILLS // 2, "most kills must land while a run is working"


def test_two_runs_started_together_one_exits_at_once_saying_why(federation: Federation) -> None:
    federation.next_round()
    # A slow branch keeps the first run busy long enough for the second to find the lock.
    federation.server.route("/b0.xml", body=atom_feed("http://x.example/", "慢", []), delay=4)
    first = federation.start()
    time.sleep(1.5)  # the first run is past start-up and holds the lock
    started = time.monotonic()
    second = federation.run(timeout=60)
    waited = time.monotonic() - started
    out, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    assert second.returncode == 75
    assert "锁" in second.stderr or "lock" in second.stderr
    assert waited < 3.0  # it did not queue behind the first run
