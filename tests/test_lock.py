"""Two federate runs never overlap: the second gives up at once and says why."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tongxin.federation.lock import LockHeld, RunLock, lock_path_for

TONGXIN = [str(Path(sys.executable).with_name("tongxin"))]


def test_second_lock_on_the_same_output_is_refused(tmp_path: Path) -> None:
    path = lock_path_for(tmp_path / "portal")
    with RunLock(path):
        with pytest.raises(LockHeld) as caught:
            RunLock(path).acquire()
        assert str(os.getpid()) in caught.value.holder
    with RunLock(path):  # released on exit: a later run gets it
        pass


def test_lock_lives_beside_the_output_not_inside_it(tmp_path: Path) -> None:
    assert lock_path_for(tmp_path / "portal") == tmp_path / ".portal.lock"


def test_second_federate_exits_at_once_saying_another_run_holds_the_lock(tmp_path: Path) -> None:
    registry = tmp_path / "registry.yaml"
    registry.write_text(
        "name: 门户\nurl: https://p.example/\nbranches:\n"
        "  - id: a\n    name: A\n    feed: http://127.0.0.1:9/feed.xml\n",
        encoding="utf-8",
    )
    out = tmp_path / "portal"
    with RunLock(lock_path_for(out)):
        started = time.monotonic()
        done = subprocess.run(
            [*TONGXIN, "federate", str(registry), "-o", str(out)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        elapsed = time.monotonic() - started
    assert done.returncode == 75
    assert "另一次汇聚正在运行" in done.stderr and str(lock_path_for(out)) in done.stderr
    assert elapsed < 20  # did not wait for the lock (nor fetch anything)
    assert not out.exists()
