"""Parse and sanitise many fetched feeds at once, spread over the machine's cores.

Parsing and sanitising are pure CPU work on one body at a time, so they parallelise across
processes (threads would share one interpreter lock). :func:`ingest_bodies` sends the bodies
(bytes) to a pool of worker processes in chunks and gets back, per branch, the parsed feed with
sanitised entries — and, on request, the raw entries the screen needs, since hidden-text
tricks only show before sanitising. Storing stays in the calling process: SQLite wants one
writer, and the store is fast once it writes a branch per transaction.

``workers=1`` (or a handful of feeds) does the same work in-process, with no pool at all: for
tests, small registries and machines with one core. :class:`IngestPool` is the streaming form
for a caller that wants to hand over each fetch result as it arrives (overlapping the fetch
with parsing) instead of waiting for the whole batch.

Screening (:mod:`federation.screen`) can run in the workers too, with :class:`Screening`:
it needs the raw entries, which then never cross between processes, and it reads each
branch's history from the store through its own read-only connection.

Entries travel back as plain tuples rather than pickled dataclasses, which would repeat every
field name with every entry.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import threading
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from .model import Branch, Entry, FetchResult, ParsedFeed
from .parse import ParseError, parse_feed
from .sanitise import sanitise_entry
from .store import Store, body_hash, entry_from_row, entry_row

#: Below this many bodies a pool costs more (forking, pickling) than it saves.
MIN_POOLED = 8
#: Bodies per task: big enough to amortise the round trip, small enough to balance the cores.
CHUNK_BYTES = 2 * 1024 * 1024
CHUNK_MAX = 32
#: Bodies per task in the streaming :class:`IngestPool`: each task costs the calling process
#: ~0.2 ms of pickling and bookkeeping, a fifth of a second a cold run sent one by one.
BATCH = 4
BATCH_BYTES = 512 * 1024

_ENTRY_FIELDS = tuple(f.name for f in fields(Entry))


@dataclass(frozen=True)
class Screening:
    """Screen the sanitised entries where they are parsed: ``rules`` from
    ``screen.rules_for_registry(registry)``; ``store_path`` the store each branch's history is
    read from (None: no history, every entry is screened as new)."""

    rules: Any
    store_path: Path | None = None
    #: Names this screening across processes: a worker keeps the first copy it receives (its
    #: compiled patterns warm) instead of compiling them again for every task, 0.3 ms each.
    token: str = field(default_factory=lambda: uuid.uuid4().hex, compare=False)


_SCREENINGS: dict[str, Screening] = {}


def _warm(screening: Screening) -> Screening:
    """This process's first copy of ``screening`` (see :attr:`Screening.token`)."""
    kept = _SCREENINGS.get(screening.token)
    if kept is None:
        if len(_SCREENINGS) > 8:  # a long-lived process that saw many runs
            _SCREENINGS.clear()
        kept = _SCREENINGS[screening.token] = screening
    return kept


def unchanged_body(result: FetchResult, state: Any) -> bool:
    """True when a 200's body is byte for byte the one stored last time: nothing to parse,
    sanitise, screen or store (record it with ``record_fetch(branch, result, None, ...)``)."""
    stored = getattr(state, "content_hash", None)
    return bool(stored) and result.body is not None and body_hash(result.body) == stored


# Per process: the read-only store connections screening reads history from.
_READERS: dict[Path, Store] = {}


def _reader(path: Path) -> Store:
    if path not in _READERS:
        _READERS[path] = Store.reader(path)
    return _READERS[path]


def _close_readers() -> None:
    while _READERS:
        _READERS.popitem()[1].close()


@dataclass
class Ingested:
    """One branch's body, parsed and sanitised (or the reason it could not be parsed)."""

    branch_id: str
    feed: ParsedFeed | None = None  # entries already sanitised
    raw: list[Entry] | None = None  # the same entries as parsed, when asked for (the screen)
    error: str | None = None  # a ParseError's message; None when ``feed`` is set
    parse_seconds: float = 0.0  # seconds spent in the worker, for the run's timings
    sanitise_seconds: float = 0.0
    screen_seconds: float = 0.0  # 0 unless screened in the worker (see Screening)
    rows: list[tuple[Any, ...]] | None = None  # store.entry_row of each entry, when asked for
    body_hash: str | None = None  # store.body_hash of the body (record_fetch's content_hash)

    @property
    def entries(self) -> list[Entry]:
        return self.feed.entries if self.feed is not None else []


# A body as it crosses to a worker: (branch, url, body, content type).
_Job = tuple[Branch, str, bytes, str | None]
# An answer as it crosses back: (branch_id, feed fields, sanitised rows, raw rows, error,
# (parse, sanitise, screen seconds), store rows or None). The store rows share their strings
# with the entry rows, and pickle sends a shared string once.
_Answer = tuple[str, Any, list[tuple[Any, ...]] | None, list[tuple[Any, ...]] | None, str | None,
                tuple[float, float, float], list[tuple[Any, ...]] | None, str]  # fmt: skip


def _job(branch: Branch, result: FetchResult) -> _Job:
    content_type = result.headers.get("content-type") or result.headers.get("Content-Type")
    return (branch, result.final_url or result.url, result.body or b"", content_type)


def _work(
    job: _Job, keep_raw: bool, screening: Screening | None = None, store_rows: bool = False
) -> _Answer:
    """Parse, sanitise (and screen) one body: in a worker, or in-process for small runs."""
    branch, url, body, content_type = job
    started = time.perf_counter()
    digest = body_hash(body)  # here, not in the process that stores: it has less to spare
    try:
        parsed = parse_feed(body, url=url, branch=branch, content_type=content_type)
    except ParseError as error:
        seconds = (time.perf_counter() - started, 0.0, 0.0)
        return (branch.id, None, [], None, str(error), seconds, None, digest)
    parsed_at = time.perf_counter()
    clean = [sanitise_entry(e, e.url or url) for e in parsed.entries]
    sanitised_at = time.perf_counter()
    if screening is not None:
        from . import screen  # here, not at the top: only screening workers need it

        screening = _warm(screening)
        history = _reader(screening.store_path) if screening.store_path else None
        screen.screen_entries(clean, branch, history, screening.rules, raw=parsed.entries)
    # After screening: the quarantine reason is one of the stored columns.
    stored = [entry_row(e) for e in clean] if store_rows else None
    done = time.perf_counter()
    head = (parsed.title, parsed.link, parsed.format, parsed.warnings)
    # With store rows the entries travel once, as those rows (plain strings and numbers,
    # half the pickling of entry tuples full of datetimes), and are rebuilt from them.
    rows = None if store_rows else [_shallow_tuple(e) for e in clean]
    raw = [_shallow_tuple(e) for e in parsed.entries] if keep_raw else None
    seconds = (parsed_at - started, sanitised_at - parsed_at, done - sanitised_at)
    return (branch.id, head, rows, raw, None, seconds, stored, digest)


def _shallow_tuple(entry: Entry) -> tuple[Any, ...]:
    # dataclasses.astuple deep-copies lists; the entry is thrown away, so no copy is needed.
    data = entry.__dict__
    return tuple(data[name] for name in _ENTRY_FIELDS)


class _Failed:
    """An exception raised by one body of a task, handed back in that body's place, so one
    feed that trips a bug fails that branch alone and not the others sent with it."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


def _work_chunk(
    jobs: list[_Job], keep_raw: bool, screening: Screening | None, store_rows: bool = False
) -> list[_Answer | _Failed]:
    answers: list[_Answer | _Failed] = []
    for job in jobs:
        try:
            answers.append(_work(job, keep_raw, screening, store_rows))
        except Exception as error:  # noqa: BLE001 - handed back, raised for this body only
            answers.append(_Failed(error))
    return answers


def _answer(answer: _Answer | _Failed) -> Ingested:
    if isinstance(answer, _Failed):
        raise answer.error
    branch_id, head, rows, raw, error, (parse_s, sanitise_s, screen_s), stored, digest = answer
    if head is None:
        return Ingested(branch_id, error=error, parse_seconds=parse_s, body_hash=digest)
    title, link, fmt, warnings = head
    feed: ParsedFeed
    if rows is not None:
        entries = [Entry(*r) for r in rows]
        feed = ParsedFeed(title=title, link=link, format=fmt, warnings=warnings, entries=entries)
    else:
        feed = _StoredRowsFeed(title=title, link=link, format=fmt, warnings=warnings)
        feed.rows = stored
    return Ingested(
        branch_id,
        feed=feed,
        raw=[Entry(*r) for r in raw] if raw is not None else None,
        parse_seconds=parse_s,
        sanitise_seconds=sanitise_s,
        screen_seconds=screen_s,
        rows=stored,
        body_hash=digest,
    )


class _StoredRowsFeed(ParsedFeed):
    """A :class:`ParsedFeed` whose entries came back as store rows: they are rebuilt from
    the rows when first asked for. The pipeline stores the rows as they are and never asks,
    which saves building 50,000 entries a cold run (a tenth of a second)."""

    rows: list[tuple[Any, ...]] | None = None
    _entries: list[Entry]

    @property  # type: ignore[override]
    def entries(self) -> list[Entry]:
        if self.rows is not None:
            self._entries = [entry_from_row(row) for row in self.rows]
            self.rows = None
        return self._entries

    @entries.setter
    def entries(self, value: list[Entry]) -> None:
        self._entries = value
        self.rows = None


def _chunks(jobs: Sequence[_Job], workers: int) -> Iterator[list[_Job]]:
    # At least a few chunks per worker, so one slow feed does not leave a core idle at the end.
    limit = max(1, min(CHUNK_MAX, len(jobs) // (workers * 4) or 1))
    chunk: list[_Job] = []
    size = 0
    for job in jobs:
        chunk.append(job)
        size += len(job[2])
        if len(chunk) >= limit or size >= CHUNK_BYTES:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


def default_workers() -> int:
    """One worker per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def _context(screening: Screening | None) -> Any:
    """How workers start. fork: they inherit the imported modules and start in milliseconds.
    But a worker that opens the store must not be forked from a process holding it open
    (SQLite's locks do not survive a fork): those start from a clean fork server instead,
    which costs about half a second and 0.3 CPU-seconds (start :class:`IngestPool` before the
    fetch), unless the pool is entered while no file of the store is open here (see
    :func:`store_closed_here`): then they are forked at once."""
    methods = multiprocessing.get_all_start_methods()
    if screening is not None and screening.store_path is not None:
        if "forkserver" not in methods:
            return multiprocessing.get_context("spawn")
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["tongxin.federation.ingest", "tongxin.federation.screen"])
        return context
    return multiprocessing.get_context("fork" if "fork" in methods else None)


def store_closed_here(path: Path) -> bool:
    """True when no file of the SQLite store at ``path`` (the database, its WAL, its shared
    memory, its journal) is open in this process: a child forked now inherits no SQLite state
    for it and may open the store itself. False when it cannot tell (no ``/proc``)."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return False
    base = os.path.realpath(path)
    names = {base, base + "-wal", base + "-shm", base + "-journal"}
    try:
        descriptors = os.listdir("/proc/self/fd")
    except OSError:
        return False
    for fd in descriptors:
        try:
            if os.readlink(f"/proc/self/fd/{fd}") in names:
                return False
        except OSError:
            continue  # closed meanwhile (the listing's own descriptor)
    return True


#: CPU priority (``nice``) of forked ingest workers. The run's own process fetches and stores:
#: everything waits for it, and with three processes on two cores it got a third of the
#: machine; a little less priority for the workers keeps it going, and they fill the rest.
WORKER_NICE = 5


def _forked_worker(parent: int) -> None:
    """A worker forked from the run dies with it (it shares the run's lock file, which must
    not outlive the run) and yields to it for the CPU."""
    from tongxin.forked import die_with

    die_with(parent)
    with contextlib.suppress(OSError):
        os.nice(WORKER_NICE)


def ingest_bodies(
    items: Iterable[tuple[Branch, FetchResult]],
    workers: int | None = None,
    *,
    keep_raw: bool = False,
    screening: Screening | None = None,
    store_rows: bool = False,
) -> list[Ingested]:
    """Parse and sanitise each ``(branch, result)`` with a body; results in the same order.

    Items without a body (errors, 304s) are skipped: they have nothing to parse. ``workers``
    defaults to the number of usable cores; 1 (or fewer than :data:`MIN_POOLED` bodies) runs
    in this process. A body that is not a feed gives an :class:`Ingested` with ``error`` set;
    this never raises for a bad feed. ``keep_raw`` also returns the entries as parsed;
    ``screening`` screens them in the workers (``quarantine_reason`` set on the entries);
    ``store_rows`` also gives each entry's ``store.entry_row`` (``Ingested.rows``).
    """
    jobs = [_job(branch, result) for branch, result in items if result.body is not None]
    workers = default_workers() if workers is None else max(1, workers)
    if workers == 1 or len(jobs) < MIN_POOLED:
        try:
            return [_answer(_work(job, keep_raw, screening, store_rows)) for job in jobs]
        finally:
            _close_readers()
    out: list[Ingested] = []
    with ProcessPoolExecutor(max_workers=workers, mp_context=_context(screening)) as pool:
        futures = [
            pool.submit(_work_chunk, chunk, keep_raw, screening, store_rows)
            for chunk in _chunks(jobs, workers)
        ]
        for future in futures:
            out.extend(_answer(answer) for answer in future.result())
    return out


class _Held(Future):  # type: ignore[type-arg]
    """A body's future while its body may still be held back to fill a task: whoever waits
    for it sends the task at once instead of waiting for more bodies."""

    def __init__(self, pool: IngestPool) -> None:
        super().__init__()
        self._owner: IngestPool | None = pool

    def result(self, timeout: float | None = None) -> Any:
        if self._owner is not None:
            self._owner._release(self)
        return super().result(timeout)

    def exception(self, timeout: float | None = None) -> BaseException | None:
        if self._owner is not None:
            self._owner._release(self)
        return super().exception(timeout)


#: A held body is sent after this long even if nobody waits for it and no body follows.
BATCH_WAIT = 0.05


class IngestPool:
    """Streaming :func:`ingest_bodies`: submit each fetch result as it arrives.

    ::

        with IngestPool(workers=2, keep_raw=True) as pool:   # workers start here
            ... for each fetched (branch, result) with a body: futures.append(pool.submit(b, r))
            for future in futures: ingested = future.result()  # an Ingested

    Start it before the fetch: the workers start in a background thread (about a second from
    a clean process, see :func:`_context`) while the fetch goes on, and parsing overlaps the
    network. Neither entering the pool nor :meth:`submit` ever waits for them: a body handed
    over before they are ready is queued and sent as soon as they are, so an event loop can
    submit from its callbacks. With ``workers=1`` the work is done in :meth:`submit` itself
    (the future is already resolved).

    ``lazy=True`` starts the workers at the first body instead: a run in which every feed
    answers 304 starts none. Bodies still queued when their result is wanted can be parsed
    by the caller itself (:meth:`steal`): a run with one changed feed does not wait a second
    for workers to start.
    """

    def __init__(
        self,
        workers: int | None = None,
        *,
        keep_raw: bool = False,
        screening: Screening | None = None,
        store_rows: bool = False,
        lazy: bool = False,
    ) -> None:
        self.workers = default_workers() if workers is None else max(1, workers)
        self.lazy = lazy
        self.keep_raw = keep_raw
        self.store_rows = store_rows  # also compute store.entry_row for each entry
        self.screening = screening
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self._ready = False
        self._pending: list[tuple[_Job, Future[Ingested]]] = []  # before the workers are up
        self._batch: list[tuple[_Job, Future[Ingested]]] = []  # not sent yet (see BATCH)
        self._batch_bytes = 0
        self._batch_due: float | None = None  # when the flusher sends a batch nobody filled
        self._due = threading.Condition(self._lock)
        self._flusher: threading.Thread | None = None
        self._closing = False
        self._starter: threading.Thread | None = None
        self._frozen = False  # gc.freeze() while forked workers share this process's heap

    def __enter__(self) -> IngestPool:
        if self.workers > 1:
            store = self.screening.store_path if self.screening is not None else None
            if store is not None and store_closed_here(store):
                self._fork_now()
                return self
            # No process starts here: the executor forks its workers at their first task.
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers, mp_context=_context(self.screening)
            )
            if not self.lazy:
                self._launch()
        return self

    def _fork_now(self) -> None:
        """Fork every worker now, from this thread (the one a worker's death signal is tied
        to), before the caller opens the store: ready in milliseconds, not after a fork
        server's start, and no lazy start is worth keeping at that price."""
        self._pool = ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=multiprocessing.get_context("fork"),
            initializer=_forked_worker,
            initargs=(os.getpid(),),
        )
        # Objects this process holds now are shared with the workers page by page until
        # either side writes to them; the collector's passes write to every object it
        # visits, which copied this process's whole heap (0.4 CPU-seconds a cold run). Frozen,
        # they are left alone until the pool closes.
        gc.freeze()
        self._frozen = True
        # With fork, the executor starts all its processes at the first task, in this thread.
        self._pool.submit(os.getpid)
        self._ready = True

    def _launch(self) -> None:
        self._starter = threading.Thread(target=self._start, name="ingest-start", daemon=True)
        self._starter.start()

    def _start(self) -> None:
        """Start every worker now (not at the first body, mid-fetch), then send what waited."""
        assert self._pool is not None
        failure: BaseException | None = None
        try:
            for warm in [self._pool.submit(os.getpid) for _ in range(self.workers)]:
                warm.result()
        except BaseException as error:  # noqa: BLE001 - handed to every waiting future
            failure = error
        with self._lock:
            self._ready = True
            pending, self._pending = self._pending, []
        if failure is not None:
            for _job, outer in pending:
                outer.set_exception(failure)
            return
        for start in range(0, len(pending), BATCH):
            self._send(pending[start : start + BATCH])

    def _send(self, batch: list[tuple[_Job, Future[Ingested]]]) -> None:
        """One task for the bodies of ``batch``; each answer resolves its own future."""
        pool = self._pool
        if pool is None:  # closed meanwhile (a late timer): nobody waits for these any more
            for _job, outer in batch:
                outer.cancel()
            return

        def done(f: Future[list[_Answer | _Failed]]) -> None:
            try:
                answers = f.result()
            except BaseException as error:  # noqa: BLE001 - handed to whoever waits on it
                for _job, outer in batch:
                    outer.set_exception(error)
                return
            for (_job, outer), answer in zip(batch, answers, strict=True):
                try:
                    outer.set_result(_answer(answer))
                except BaseException as error:  # noqa: BLE001 - this body's alone
                    outer.set_exception(error)

        jobs = [job for job, _outer in batch]
        try:
            inner = pool.submit(_work_chunk, jobs, self.keep_raw, self.screening, self.store_rows)
        except BaseException as error:  # noqa: BLE001 - a broken pool: the caller decides
            for _job, outer in batch:
                outer.set_exception(error)
            return
        inner.add_done_callback(done)

    def _take_batch(self) -> list[tuple[_Job, Future[Ingested]]]:
        """The bodies held back to fill a task, now to be sent (with the lock held)."""
        batch, self._batch, self._batch_bytes, self._batch_due = self._batch, [], 0, None
        return batch

    def _arm(self) -> None:
        """Have the flusher send the batch just begun within BATCH_WAIT (lock held). One
        thread for the whole run: a timer thread per batch cost the calling thread a thread
        start each, which waits for the new thread to be scheduled on a busy machine."""
        self._batch_due = time.monotonic() + BATCH_WAIT
        if self._flusher is None:
            self._flusher = threading.Thread(target=self._flush_late, name="ingest-flush")
            self._flusher.daemon = True
            self._flusher.start()
        else:
            self._due.notify()

    def _flush_late(self) -> None:
        with self._lock:
            while not self._closing:
                due = self._batch_due
                if due is None:
                    self._due.wait()
                    continue
                delay = due - time.monotonic()
                if delay > 0:
                    self._due.wait(delay)
                    continue
                batch = self._take_batch()
                if batch:
                    self._lock.release()  # _send may block on the executor; never under the lock
                    try:
                        self._send(batch)
                    finally:
                        self._lock.acquire()

    def _release(self, future: Future[Ingested]) -> None:
        with self._lock:
            if not any(outer is future for _job, outer in self._batch):
                return
            batch = self._take_batch()
        self._send(batch)

    def flush(self) -> None:
        """Send the bodies held back to fill a task (submitting stops, or one is wanted)."""
        with self._lock:
            batch = self._take_batch()
        if batch:
            self._send(batch)

    def submit(self, branch: Branch, result: FetchResult) -> Future[Ingested]:
        """Queue one result that has a body; the future gives its :class:`Ingested`."""
        if result.body is None:
            raise ValueError(f"{branch.id}: nothing to parse (no body)")
        job = _job(branch, result)
        outer: Future[Ingested] = _Held(self)
        if self._pool is None:
            outer.set_result(_answer(_work(job, self.keep_raw, self.screening, self.store_rows)))
            return outer
        with self._lock:
            if not self._ready:
                self._pending.append((job, outer))
                if self._starter is None:
                    self._launch()
                return outer
            self._batch.append((job, outer))
            self._batch_bytes += len(job[2])
            if len(self._batch) < BATCH and self._batch_bytes < BATCH_BYTES:
                if len(self._batch) == 1:  # nobody may ask for it: send it soon anyway
                    self._arm()
                return outer  # sent with the next bodies, by flush() or when waited for
            batch = self._take_batch()
        self._send(batch)
        return outer

    def steal(self, future: Future[Ingested]) -> None:
        """Parse ``future``'s body here and now if it is still waiting for the workers to
        start; otherwise (already sent, or done) nothing happens. Either way its result is
        then ``future.result()``."""
        with self._lock:
            waiting = [i for i, (_job, outer) in enumerate(self._pending) if outer is future]
            held = any(outer is future for _job, outer in self._batch)
            if not waiting and not held:
                return
            if held:  # the workers are up: send what waited to fill a task
                batch = self._take_batch()
            else:
                job = self._pending.pop(waiting[0])[0]
        if held:
            self._send(batch)
            return
        try:
            future.set_result(_answer(_work(job, self.keep_raw, self.screening, self.store_rows)))
        except BaseException as error:  # noqa: BLE001 - handed to whoever waits on it
            future.set_exception(error)

    def close(self) -> None:
        if self._flusher is not None:
            with self._lock:
                self._closing = True
                self._due.notify()
            self._flusher.join()
            self._flusher = None
        if self._starter is not None:
            self._starter.join()  # every queued body has been sent (or failed) after this
            self._starter = None
        if self._pool is not None:
            self.flush()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        if self._frozen:
            gc.unfreeze()
            self._frozen = False
        _close_readers()  # the in-process path's (workers close theirs when they exit)

    def __exit__(self, *exc: object) -> None:
        self.close()


__all__ = [
    "IngestPool", "Ingested", "Screening", "default_workers", "ingest_bodies", "unchanged_body",
]  # fmt: skip
