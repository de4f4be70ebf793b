"""The one place that runs work in other processes.

Every use of more than one core goes through here: the branch build and the portal call
:func:`process_pool` or :func:`map_in_processes` for work that splits into independent pieces,
:class:`Aside` for one function run beside the caller, and :class:`Stream` for a child fed
while the caller goes on. Nothing else in the tree forks,
pools, reads ``/proc`` or changes a process's priority.

Rules this module keeps, so that the job waiting for the work is never starved:
- children run at the caller's own priority (no ``nice``): on a busy machine (a CI runner
  shared with other jobs) a lowered child is the last to run, and the build waits for it;
- a pool has at most :func:`usable_cpus` workers, and one worker (or one CPU, or a platform
  without ``fork``) means the work runs in this process, with the same results;
- children are forked (they inherit the imported modules and start in milliseconds) and die
  with their parent (Linux), so a run killed mid-way leaves nothing writing behind it.
"""

from __future__ import annotations

import collections
import contextlib
import ctypes
import logging
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from typing import Any, TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")


def usable_cpus() -> int:
    """The CPUs this process may run on (a container sees the host's count otherwise)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def can_fork() -> bool:
    """True where work can be forked (Linux: fork is the platform's own, well-trodden way;
    macOS discourages it and Windows has none)."""
    return sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()


def workers_for(items: int, wanted: int | None = None) -> int:
    """How many processes to use for ``items`` independent pieces: ``wanted`` (default: one per
    usable CPU), never more than the pieces, and 1 where forking is not possible."""
    if not can_fork():
        return 1
    count = usable_cpus() if wanted is None else wanted
    return max(1, min(count, items))


def die_with(parent: int) -> None:
    """Have the kernel kill this (forked) process when ``parent`` dies (Linux)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


class _InProcess(Executor):
    """An executor that runs each call at once, in this process (one worker)."""

    def submit(self, fn: Callable[..., R], /, *args: Any, **kwargs: Any) -> Future[R]:
        future: Future[R] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as error:  # noqa: BLE001 - the caller's to raise, as a pool would
            future.set_exception(error)
        return future


@contextlib.contextmanager
def process_pool(
    workers: int, initializer: Callable[..., None] | None = None, initargs: tuple[Any, ...] = ()
) -> Iterator[Executor]:
    """An executor with ``workers`` forked processes that die with this one; with one worker
    (or no fork) an executor that runs each call here. Functions and arguments are pickled:
    pass module-level functions and plain data."""
    if workers <= 1 or not can_fork():
        if initializer is not None:
            initializer(*initargs)
        yield _InProcess()
        return
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("fork"),
        initializer=_start_worker,
        initargs=(os.getpid(), initializer, initargs),
    )
    try:
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _start_worker(
    parent: int, initializer: Callable[..., None] | None, initargs: tuple[Any, ...]
) -> None:
    die_with(parent)
    if initializer is not None:
        initializer(*initargs)


def map_in_processes(
    function: Callable[[T], R], items: Sequence[T], *, workers: int | None = None
) -> list[R]:
    """``[function(item) for item in items]``, spread over up to ``workers`` processes (default:
    one per usable CPU), in order. Pieces are sent in a few chunks per worker."""
    count = workers_for(len(items), workers)
    if count <= 1:
        return [function(item) for item in items]
    chunksize = max(1, len(items) // (count * 4))
    with process_pool(count) as pool:
        return list(pool.map(function, items, chunksize=chunksize))


_live: list[Aside | Stream] = []


class Aside:
    """``function(*args)`` in a forked child while this process goes on.

    The child inherits everything (nothing is pickled on the way in); :meth:`result` returns
    its answer, replays its log records here and raises its exception here, as if the work had
    run in-process. A child that dies without an answer (killed, out of memory) has its work
    done again here. Where fork is not possible the work runs here, at :meth:`result`.
    """

    def __init__(self, function: Callable[..., Any], *args: Any, name: str) -> None:
        self.function, self.args, self.name = function, args, name
        self._process: Any = None
        if not can_fork():
            return
        context = multiprocessing.get_context("fork")
        self._reader, writer = context.Pipe(duplex=False)
        self._process = context.Process(
            target=_run_aside, args=(function, args, writer, os.getpid()), name=name
        )
        self._process.start()
        writer.close()
        _live.append(self)

    def result(self) -> Any:
        if self._process is None:
            return self.function(*self.args)
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
        logger.debug("%s: the child exited with %s; done here", self.name, self._process.exitcode)
        return self.function(*self.args)

    def abandon(self) -> None:
        """Stop the child now (the work it was doing is no longer wanted)."""
        if self._process is None:
            return
        if self._process.is_alive():
            self._process.kill()
        self._finish()

    def _finish(self) -> None:
        self._reader.close()
        self._process.join()
        if self in _live:
            _live.remove(self)


def abandon_all() -> None:
    """Stop the children of a run that failed before collecting them."""
    for task in list(_live):
        task.abandon()


def _run_aside(
    function: Callable[..., Any], args: tuple[Any, ...], connection: Any, parent: int
) -> None:
    die_with(parent)
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


#: Bytes a :class:`Stream`'s pipe holds (Linux ``F_SETPIPE_SZ``): items the child has not
#: read yet wait there, so the sender does not block on a child that is briefly descheduled.
STREAM_PIPE_BYTES = 1 << 20
_F_SETPIPE_SZ = 1031


class Stream:
    """``consume(items, *args)`` in a forked child, fed while this process goes on.

    :meth:`send` pipes one item to the child (which reads everything waiting before it works
    on the next, so the sender rarely blocks); :meth:`close` says there are no more. A process
    forked after :meth:`close` (an :class:`Aside`) may :meth:`wait` for the child to be done:
    the child hands its work on through files, never through this process, which goes on at
    once. The child's failure is logged (at debug level) and lost: what it was doing must be
    an advance on work that is done anyway without it. Where fork is not possible nothing runs
    and :meth:`send` does nothing.
    """

    def __init__(self, consume: Callable[..., None], *args: Any, name: str) -> None:
        self.name = name
        self._process: Any = None
        self._sender: Any = None
        self._done: int | None = None
        if not can_fork():
            return
        context = multiprocessing.get_context("fork")
        receiver, self._sender = context.Pipe(duplex=False)
        with contextlib.suppress(OSError):
            import fcntl

            fcntl.fcntl(self._sender.fileno(), _F_SETPIPE_SZ, STREAM_PIPE_BYTES)
        self._done, done_writer = os.pipe()
        self._process = context.Process(
            target=_run_stream,
            args=(consume, args, receiver, self._sender, done_writer, os.getpid()),
            name=name,
        )
        self._process.start()
        os.close(done_writer)  # the child holds the only one: its exit is the end of file
        receiver.close()
        _live.append(self)

    def send(self, item: Any) -> None:
        if self._sender is None:
            return
        try:
            self._sender.send(item)
        except Exception:  # noqa: BLE001 - the child is gone, or the item does not pickle:
            logger.debug("%s: stopped feeding it", self.name, exc_info=True)
            self.close()  # the work is done without it from here on

    def close(self) -> None:
        """No more items (before forking anything that waits: it must not hold the pipe)."""
        if self._sender is not None:
            self._sender.close()
            self._sender = None

    def wait(self) -> None:
        """Block until the child has finished (or died); in this process or a later fork."""
        if self._done is None:
            return
        with contextlib.suppress(OSError):
            while os.read(self._done, 1):
                pass

    def finish(self) -> None:
        """Wait for the child and reap it (this process only)."""
        self.close()
        if self._process is not None:
            self._process.join()
            self._release()

    def abandon(self) -> None:
        """Stop the child now."""
        self.close()
        if self._process is not None:
            if self._process.is_alive():
                self._process.kill()
            self._process.join()
            self._release()

    def _release(self) -> None:
        if self._done is not None:
            os.close(self._done)
            self._done = None
        self._process = None
        if self in _live:
            _live.remove(self)


def _stream_items(receiver: Any) -> Iterator[Any]:
    """What the parent sends, until it closes: whatever is waiting is read before the next
    item is handed on (the sender's pipe stays empty while the work goes on)."""
    waiting: collections.deque[Any] = collections.deque()
    while True:
        try:
            if not waiting:
                waiting.append(receiver.recv())
            while receiver.poll():
                waiting.append(receiver.recv())
        except (EOFError, OSError):
            yield from waiting
            return
        yield waiting.popleft()


def _run_stream(
    consume: Callable[..., None],
    args: tuple[Any, ...],
    receiver: Any,
    sender: Any,
    done_writer: int,
    parent: int,
) -> None:
    die_with(parent)
    sender.close()  # the parent's end: with it open here, the end of the items never comes
    try:
        consume(_stream_items(receiver), *args)
    except BaseException:  # noqa: BLE001 - an advance only: the work is done anyway without it
        logger.debug("%s failed", consume.__name__, exc_info=True)
    os.close(done_writer)


def iter_chunks(items: Sequence[T], size: int) -> Iterable[Sequence[T]]:
    """``items`` in consecutive slices of at most ``size``."""
    for start in range(0, len(items), max(1, size)):
        yield items[start : start + size]
