"""The forked-child mechanism shared by the build and the federation (tongxin/forked.py)."""

from __future__ import annotations

import multiprocessing
import os
import signal

import pytest

from tongxin.forked import ForkedTask, can_fork

pytestmark = pytest.mark.skipif(not can_fork(), reason="fork only")


def _squares_in_a_pool(n: int) -> list[int]:
    with multiprocessing.get_context("fork").Pool(2) as pool:
        return pool.map(abs, [-i * i for i in range(n)])


def test_a_forked_task_may_start_processes_of_its_own() -> None:
    """The search index uses a pool on machines with more cores: a daemonic child could not."""
    task = ForkedTask(_squares_in_a_pool, 5, name="pool-inside")
    assert task.result() == [0, 1, 4, 9, 16]


def test_a_lost_child_whose_arguments_were_dropped_is_an_error() -> None:
    task = ForkedTask(lambda: os.kill(os.getpid(), signal.SIGKILL), name="dies")
    task.forget_args()
    with pytest.raises(RuntimeError, match="died"):
        task.result()


def _own_nice() -> int:
    return os.nice(0)


def test_a_forked_task_runs_at_the_lower_priority_it_was_given() -> None:
    """The build's feeds, API and search children yield the CPU to the page rendering."""
    here = os.nice(0)
    assert ForkedTask(_own_nice, name="niced", nice=5).result() == min(here + 5, 19)
    assert ForkedTask(_own_nice, name="not-niced").result() == here
    assert os.nice(0) == here  # this process keeps its priority
