"""Work aside: a function run in a forked child while this process goes on.

One mechanism for the branch build (feeds, API and search index beside the page writing) and
the federation (the portal's search index beside the render). The child inherits everything
(nothing is pickled on the way in); :meth:`ForkedTask.result` returns its answer, replays its
log records here and raises its exception here, as if the work had run in-process. A child
that dies without an answer (killed, out of memory) has its work done again here. The child
dies with its parent (Linux), so a run killed mid-way leaves nothing writing behind it, and
it may start processes of its own (it is not a daemon: the search index uses a pool).
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import logging
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable
from typing import Any

logger = logging.getLogger(__name__)


def can_fork() -> bool:
    """True where work can be forked aside (Linux: fork is the platform's own, well-trodden
    way; macOS discourages it and Windows has none)."""
    return sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()


def die_with(parent: int) -> None:
    """Have the kernel kill this (forked) process when ``parent`` dies (Linux)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


_live_tasks: list[ForkedTask] = []


class ForkedTask:
    """``function(*args)`` in a forked child; see the module docstring."""

    def __init__(
        self,
        function: Callable[..., Any],
        *args: Any,
        name: str,
        on_abandon: Callable[[], None] | None = None,
        nice: int = 0,
    ) -> None:
        """``nice`` > 0 runs the child at a lower CPU priority: work aside that must not slow
        the work this process goes on with (the build's page rendering) on a busy machine."""
        self.function, self.args, self.on_abandon = function, args, on_abandon
        context = multiprocessing.get_context("fork")
        self._reader, writer = context.Pipe(duplex=False)
        self._process = context.Process(
            target=_run_forked, args=(function, args, writer, os.getpid(), nice), name=name
        )
        # Frozen objects are left alone by the child's garbage collector, which would
        # otherwise write to (and so copy) every page of the inherited heap.
        gc.freeze()
        try:
            self._process.start()
        finally:
            gc.unfreeze()
        writer.close()
        _live_tasks.append(self)

    def forget_args(self) -> None:
        """Drop this process's references to the arguments (the child has its own copy):
        the work cannot be redone here after that, a lost child is an error instead."""
        self.args = None  # type: ignore[assignment]

    def result(self) -> Any:
        try:
            outcome, value, records = self._reader.recv()
        except (EOFError, OSError):
            outcome, value, records = "lost", None, []
        finally:
            self._finish()
        for record in records:
            logging.getLogger(record.name).handle(record)
        if outcome == "ok":
            return value
        if outcome == "error":
            raise value
        exit_code = self._process.exitcode
        if self.args is None:
            raise RuntimeError(f"{self._process.name}: the child died (exit {exit_code})")
        logger.debug("%s: the child exited with %s; done here", self._process.name, exit_code)
        return self.function(*self.args)

    def abandon(self) -> None:
        """Stop the child now (the work it was doing is no longer wanted)."""
        if self._process.is_alive():
            self._process.kill()
        self._finish()
        if self.on_abandon is not None:
            self.on_abandon()

    def _finish(self) -> None:
        self._reader.close()
        self._process.join()
        if self in _live_tasks:
            _live_tasks.remove(self)


def abandon_forked_tasks() -> None:
    """Stop the children of a run that failed before collecting them."""
    for task in list(_live_tasks):
        task.abandon()


def _run_forked(
    function: Callable[..., Any],
    args: tuple[Any, ...],
    connection: Any,
    parent: int,
    nice: int = 0,
) -> None:
    die_with(parent)
    if nice > 0:
        with contextlib.suppress(OSError):
            os.nice(nice)
    records: list[logging.LogRecord] = []

    def keep(_logger: logging.Logger, record: logging.LogRecord) -> None:
        # Sent as plain text: the arguments may not pickle.
        record.msg, record.args, record.exc_info = record.getMessage(), None, None
        records.append(record)

    logging.Logger.handle = keep  # type: ignore[assignment,method-assign]  # this child only
    try:
        answer: tuple[str, Any, list[Any]] = ("ok", function(*args), records)
    except BaseException as error:  # noqa: BLE001 - every failure is the parent's to raise
        answer = ("error", error, records)
    try:
        connection.send(answer)
    except Exception:  # an answer that does not pickle: its text still fails the run
        connection.send(("error", RuntimeError(repr(answer[1])), records))
    connection.close()
