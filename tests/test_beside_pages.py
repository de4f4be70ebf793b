"""The one place a build runs work beside the page writing (plugins/build_state.py)."""

from __future__ import annotations

import logging
import os

import pytest
from tongxin.plugins.build_state import BesidePages


def _pid_and_log(value: int) -> tuple[int, int]:
    logging.getLogger("tongxin.test.beside").error("logged in the child: %d", value)
    return os.getpid(), value


def _fails() -> None:
    raise ValueError("the feeds job failed")


def test_jobs_run_in_one_child_and_each_plugin_gets_its_own_outcome(caplog) -> None:
    beside = BesidePages()
    beside.add("search", _pid_and_log, 1)
    beside.add("feeds", _fails)
    beside.add("api", _pid_and_log, 2)
    beside.start()
    with caplog.at_level(logging.ERROR, logger="tongxin.test.beside"):
        beside.wait()
    # the child's log records are replayed here, where the strict build collects them
    assert [r.getMessage() for r in caplog.records] == [
        "logged in the child: 1",
        "logged in the child: 2",
    ]
    search_pid, one = beside.result("search")
    api_pid, two = beside.result("api")
    assert (one, two) == (1, 2) and search_pid == api_pid != os.getpid()
    with pytest.raises(ValueError, match="the feeds job failed"):
        beside.result("feeds")
    assert beside.result("search") is None, "an outcome is handed over once"


def test_a_new_build_stops_what_a_failed_one_left() -> None:
    beside = BesidePages()
    beside.add("search", _pid_and_log, 1)
    beside.abandon()  # initialized: the last build failed before starting its child
    beside.start()
    assert beside.result("search") is None
