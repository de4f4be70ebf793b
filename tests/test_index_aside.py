"""The portal index built in a forked child while the parent renders (federation/index.py)."""

from __future__ import annotations

import hashlib
import os
import signal
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tongxin.federation import index as index_module
from tongxin.federation.index import IndexAside, build_portal_index
from tongxin.federation.model import Entry

from tongxin.forked import can_fork

pytestmark = pytest.mark.skipif(not can_fork(), reason="fork only")


def _entries(n: int) -> list[Entry]:
    base = datetime(2026, 5, 1, tzinfo=UTC)
    return [
        Entry(
            entry_id=f"https://b{k % 7}.example/news/e{k}/",
            branch_id=f"b{k % 7}",
            url=f"https://b{k % 7}.example/news/e{k}/",
            title=f"第{k}号通知 網絡黨建",
            origin_branch_name=f"第{k % 7}党支部",
            content_html=f"<p>加强网络党建工作，兩學一做常態化。第{k}条</p>",
            published=base - timedelta(days=k),
            type=("news", "study", "announcements")[k % 3],
        )
        for k in range(n)
    ]


def _files(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted((folder / "search").rglob("*"))
        if p.is_file()
    }


def test_index_built_aside_equals_the_index_built_in_process(tmp_path: Path) -> None:
    entries = _entries(300)
    here, aside = tmp_path / "here", tmp_path / "aside"
    here.mkdir(), aside.mkdir()
    direct = build_portal_index(entries, here)
    job = IndexAside(entries, aside)
    assert job._task is not None, "on Linux the index is built by a child process"
    result = job.result()
    assert result.docs == direct.docs == 300
    assert result.available and result.seconds > 0
    assert _files(aside) == _files(here)


def test_a_failure_in_the_child_is_raised_in_the_parent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise ValueError("磁盘已满 (simulated)")

    monkeypatch.setattr(index_module, "build_portal_index", broken)
    job = IndexAside(_entries(5), tmp_path)
    with pytest.raises(ValueError, match="磁盘已满"):
        job.result()


def test_a_child_that_dies_is_reported_not_waited_for_forever(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        index_module, "build_portal_index", lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)
    )
    job = IndexAside(_entries(5), tmp_path)
    with pytest.raises(RuntimeError, match="died"):
        job.result()


def test_cancel_stops_the_child_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(index_module, "build_portal_index", lambda *a, **k: time.sleep(60))
    job = IndexAside(_entries(5), tmp_path)
    assert job._task is not None
    pid = job._task._process.pid
    started = time.monotonic()
    job.cancel()
    assert time.monotonic() - started < 5
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


CHILD_SCRIPT = """
import os, sys, time
from pathlib import Path
from tongxin.federation import index
def slow(*args, **kwargs):
    Path(sys.argv[1]).write_text(str(os.getpid()))
    time.sleep(60)
index.build_portal_index = slow
job = index.IndexAside([], Path(sys.argv[2]))
time.sleep(60)
"""


def test_killing_the_run_kills_its_index_child(tmp_path: Path) -> None:
    """A federate run SIGKILLed mid-index leaves no child writing into its version folder."""
    import subprocess
    import sys

    pid_file = tmp_path / "child.pid"
    run = subprocess.Popen([sys.executable, "-c", CHILD_SCRIPT, str(pid_file), str(tmp_path)])
    try:
        deadline = time.monotonic() + 20
        while not pid_file.exists() or not pid_file.read_text():
            assert time.monotonic() < deadline, "the child never started"
            time.sleep(0.05)
        child = int(pid_file.read_text())
        run.kill()
        run.wait(timeout=10)
        deadline = time.monotonic() + 5
        while _alive(child):
            assert time.monotonic() < deadline, "the index child outlived its killed parent"
            time.sleep(0.05)
    finally:
        run.kill()


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().split(") ")[1][0] != "Z"  # a zombie is dead, awaiting reaping
    except FileNotFoundError:
        return False
