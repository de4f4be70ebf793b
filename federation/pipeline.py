"""One federate run: registry → fetch → parse → sanitise → (screen) → store → render → index.

The stages live in their own modules and know nothing of each other; this module only wires
them, times them and keeps failures where they belong:

- a registry problem stops the run before anything is fetched (:class:`RegistryError`);
- a second run while one is going gives up at once (:class:`LockHeld`);
- a branch that fails (network, parse error, even a bug in a stage) is recorded as that
  branch's error in the store and the health report; the other branches go on;
- the portal is rendered from the store, never from today's feeds, into a new version
  folder that is swapped in atomically; when the store has not changed since the last
  render (same generation, same day) only the health files are refreshed.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tongxin.i18n import translate

from . import quarantine
from .health import branch_health, parse_time
from .index import IndexAside, plan_portal_index
from .ingest import (
    Ingested,
    IngestPool,
    Screening,
    default_workers,
    ingest_bodies,
    unchanged_body,
)
from .lock import RunLock, lock_path_for
from .model import Branch, Entry, FetchResult, Registry
from .portal import PortalContent, PortalRenderer, Publisher, RenderOptions
from .registry import load_registry
from .store import LISTING_COLUMNS

logger = logging.getLogger("tongxin.federate")

PHASES = ("fetch", "parse", "sanitise", "screen", "store", "render", "index")


@dataclass
class RunReport:
    """What a run did; the CLI turns it into an exit status and a last line."""

    out: Path
    published: bool = False
    current: bool = False  # nothing changed: the published portal was already up to date
    version: Path | None = None
    timings: dict[str, float] = field(default_factory=lambda: dict.fromkeys(PHASES, 0.0))
    branches: int = 0
    failed: dict[str, str] = field(default_factory=dict)
    new: int = 0
    updated: int = 0
    entries: int = 0
    pages_written: int = 0
    pages_reused: int = 0
    index_available: bool = True
    #: how the search index was made: "reused", "delta", "cold" ("" when not rebuilt)
    index_mode: str = ""
    error: str | None = None

    def timings_json(self) -> dict[str, float | str]:
        data: dict[str, float | str] = {k: round(v, 4) for k, v in self.timings.items()}
        data["total"] = round(self.timings.get("total", sum(self.timings.values())), 4)
        if self.index_mode:
            data["index_mode"] = self.index_mode
        return data


def _advance_bar(bar: Any, task: Any, n: int = 1) -> None:
    bar.advance(task, n)


def _advance_nothing(n: int = 1) -> None:
    """Progress reporting when there is no bar: nothing to advance."""


def search_cache_dir(db_path: Path | str) -> Path:
    """Where a portal keeps its search shards between runs: beside its database."""
    db = Path(db_path)
    return db.with_name(db.name + ".search-cache")


def render_cache_dir(db_path: Path | str) -> Path:
    """Where a portal keeps its compiled templates between runs: beside its database."""
    db = Path(db_path)
    return db.with_name(db.name + ".render-cache")


def default_db_path(out_dir: Path) -> Path:
    """The store beside the output (not inside it: the output is replaced on every run)."""
    out = Path(os.path.abspath(out_dir))
    return out.parent / f"{out.name}.sqlite3"


# --------------------------------------------------------------------------- progress


class Progress:
    """Where progress goes: a rich bar on a terminal, log lines under cron, or nowhere."""

    def __init__(self, mode: str = "auto", language: str = "zh-CN") -> None:
        if mode == "auto":
            mode = "bar" if sys.stderr.isatty() else "log"
        self.mode = mode
        self.language = language
        self._rich: Any = None
        self._task: Any = None

    def stage_name(self, stage: str) -> str:
        return translate(self.language, f"portal.stages.{stage}")

    @contextmanager
    def stage(self, stage: str, total: int | None = None) -> Iterator[Callable[[int], None]]:
        started = time.perf_counter()
        if self.mode == "bar":
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                TextColumn,
                TimeElapsedColumn,
            )
            from rich.progress import (
                Progress as RichProgress,
            )

            with RichProgress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                transient=False,
            ) as bar:
                task = bar.add_task(self.stage_name(stage), total=total)
                yield functools.partial(_advance_bar, bar, task)
                bar.update(task, completed=total if total is not None else 1, total=total or 1)
            return
        if self.mode == "log":
            logger.info("%s …", self.stage_name(stage))
        yield _advance_nothing
        if self.mode == "log":
            logger.info(
                translate(
                    self.language,
                    "portal.cli.stage",
                    stage=self.stage_name(stage),
                    seconds=time.perf_counter() - started,
                )
            )

    def warn(self, message: str) -> None:
        if self.mode != "quiet":
            logger.warning(message)


# --------------------------------------------------------------------------- stages


#: Below this many branches, worker processes cost more to start (about a second) than they
#: save: small registries (and the tests) parse in this process.
POOL_MIN_BRANCHES = 32


def _workers(branches: int, workers: int | None) -> int:
    if workers is not None:
        return max(1, workers)
    return default_workers() if branches >= POOL_MIN_BRANCHES else 1


def _screening(registry: Registry, db: Path) -> Screening:
    """Screening done in the workers, beside parsing. Rules are read once per run (the registry
    may override them under `screen:`); each branch's history comes from the store file."""
    from .screen import rules_for_registry

    return Screening(rules_for_registry(registry), db)


class _Clock:
    """Wall time of the ingest, apportioned to the phases it was spent waiting for."""

    def __init__(self, timings: dict[str, float]) -> None:
        self.timings = timings
        self.waited = 0.0  # seconds blocked on parse/sanitise/screen (in submit or a future)
        self.work = dict.fromkeys(("parse", "sanitise", "screen"), 0.0)  # worker seconds

    def add(self, ingested: Ingested) -> None:
        self.work["parse"] += ingested.parse_seconds
        self.work["sanitise"] += ingested.sanitise_seconds
        self.work["screen"] += ingested.screen_seconds

    def settle(self) -> None:
        # The workers' own seconds overlap the fetch and each other; what the run waited for
        # is split between the phases in the proportions the workers spent on them.
        total = sum(self.work.values())
        for phase, seconds in self.work.items():
            self.timings[phase] += self.waited * seconds / total if total else 0.0


def _fetch(
    registry: Registry, states: dict[str, Any], arrived: Callable[[FetchResult], None]
) -> list[FetchResult]:
    from .fetch import fetch_all, user_agent

    return asyncio.run(
        fetch_all(
            list(registry.branches),
            states,
            user_agent=user_agent(registry.url),
            progress=lambda _done, _total, result: arrived(result),
        )
    )


# --------------------------------------------------------------------------- the run


def run(
    registry_path: Path | str,
    out_dir: Path | str,
    db_path: Path | str | None = None,
    *,
    stale_days: int | None = None,
    timings_path: Path | str | None = None,
    progress: Progress | None = None,
    now: datetime | None = None,
    options: RenderOptions | None = None,
    registry: Registry | None = None,
    workers: int | None = None,
) -> RunReport:
    """One aggregation run. Raises ``RegistryError`` (nothing fetched) or ``LockHeld``.

    ``workers``: processes that parse, sanitise and screen (None: one per core for a big
    registry, none for a small one; 1: everything in this process)."""
    started = time.perf_counter()
    registry = registry or load_registry(registry_path)
    if stale_days is not None:
        registry = dataclasses.replace(registry, stale_days=stale_days)
    out = Path(os.path.abspath(out_dir))
    db = Path(db_path) if db_path else default_db_path(out)
    progress = progress or Progress("quiet", registry.language)
    report = RunReport(out=out, branches=len(registry.branches))
    with RunLock(lock_path_for(out)):
        from .store import Store

        # Entered before the store opens here, the pool forks its workers at once (see
        # ingest.store_closed_here), ready in milliseconds instead of after a fork server's
        # start; it is closed again before the render.
        pool = IngestPool(
            _workers(len(registry.branches), workers),
            screening=_screening(registry, db),
            store_rows=True,
            lazy=True,
        )
        with pool, Store(db) as store:
            _ingest(registry, store, report, progress, pool)
            pool.close()
            _publish(registry, store, out, report, progress, now, options)
    report.timings["total"] = time.perf_counter() - started
    if timings_path:
        Path(timings_path).write_text(
            json.dumps(report.timings_json(), indent=1) + "\n", encoding="utf-8"
        )
    return report


def _ingest(
    registry: Registry,
    store: Any,
    report: RunReport,
    progress: Progress,
    pool: IngestPool,
) -> None:
    """Fetch every branch; parse, sanitise and screen the bodies in ``pool``'s worker
    processes while the fetch goes on; then store each branch's result in registry order."""
    # The operator's quarantine.yaml is read at the start of every run: editing it is enough.
    quarantine.apply_decisions_file(store, language=registry.language)
    branches = list(registry.branches)
    by_id = {b.id: b for b in branches}
    known = store.branch_states()
    states = {b.id: known.get(b.id) for b in branches}
    clock = _Clock(report.timings)
    futures: dict[str, Future[Ingested]] = {}

    def store_one(result: FetchResult) -> None:
        branch = by_id.get(result.branch_id)
        if branch is None:
            return
        future = futures.pop(branch.id, None)
        if future is None and _needs_parsing(result, states.get(branch.id)):
            future = pool.submit(branch, result)  # the fetch's callback missed it
        try:
            status, outcome, error_text = _store_branch(
                store, branch, result, future, clock, report.timings, pool
            )
        except Exception as error:  # noqa: BLE001 - one branch never sinks the run
            logger.exception("branch %s", branch.id)
            status, outcome = "error", None
            error_text = f"{type(error).__name__}: {error}"
            try:
                store.record_fetch(branch, result, None, status="error", error=error_text)
            except Exception:  # noqa: BLE001
                logger.exception("recording the failure of branch %s", branch.id)
        if status in ("error", "gone"):
            error_text = error_text or status
            report.failed[branch.id] = error_text
            progress.warn(
                translate(
                    registry.language,
                    "portal.cli.branch_failed",
                    branch=branch.id,
                    error=error_text,
                )
            )
        if outcome is not None:
            report.new += getattr(outcome, "new", 0)
            report.updated += getattr(outcome, "updated", 0)

    # Branches are stored in registry order (so the same entry reached by two paths is
    # always attributed the same way), but need not wait for the end of the fetch: while
    # it goes on, each branch whose turn has come and whose parse is already done is
    # stored at once, from the fetch's callback (never blocking on a worker there).
    order = [b.id for b in branches]
    received: dict[str, FetchResult] = {}
    stored_during_fetch = 0
    drained = 0.0

    def drain() -> None:
        nonlocal stored_during_fetch, drained
        t = time.perf_counter()
        while stored_during_fetch < len(order):
            result = received.get(order[stored_during_fetch])
            if result is None:
                break
            future = futures.get(result.branch_id)
            if future is not None and not future.done():
                break
            store_one(result)
            stored_during_fetch += 1
        drained += time.perf_counter() - t

    def arrived(result: FetchResult) -> None:
        advance(1)
        branch = by_id.get(result.branch_id)
        if branch is not None and result.error is None and result.body is not None:
            if not unchanged_body(result, states.get(branch.id)):
                t = time.perf_counter()
                futures[branch.id] = pool.submit(branch, result)
                clock.waited += time.perf_counter() - t  # in-process (one worker)
        received[result.branch_id] = result
        drain()

    # The WAL is copied into the database after the ingest, not while it stores (see
    # Store.checkpoints_deferred); the render waits for that copy before it forks.
    with store.checkpoints_deferred():
        with progress.stage("fetch", len(branches)) as advance:
            t = time.perf_counter()
            results = _fetch(registry, states, arrived)
            pool.flush()  # the last bodies, held back to fill a task for the workers
            # the fetch's own time: not the parsing waited for, nor the stores done meanwhile
            report.timings["fetch"] = time.perf_counter() - t - clock.waited - drained
        with progress.stage("store", len(results)) as advance:
            advance(stored_during_fetch)
            done = set(order[:stored_during_fetch])
            for result in results:
                if result.branch_id in done:
                    continue
                store_one(result)
                advance(1)
    clock.settle()


def _needs_parsing(result: FetchResult, state: Any) -> bool:
    return (
        result.error is None
        and result.body is not None
        and not result.not_modified
        and not unchanged_body(result, state)
    )


def _store_branch(
    store: Any,
    branch: Branch,
    result: FetchResult,
    future: Future[Ingested] | None,
    clock: _Clock,
    timings: dict[str, float],
    pool: IngestPool,
) -> tuple[str, Any, str | None]:
    """Record one branch's result (waiting for its parse if needed): (status, StoreOutcome,
    error message)."""
    entries: list[Entry] | None = None
    rows = None
    digest = None
    status, error = "ok", None
    if future is not None:
        t = time.perf_counter()
        pool.steal(future)  # still queued while the workers start: parse it here instead
        try:
            ingested = future.result()
        except BrokenProcessPool:
            # A worker died (killed, out of memory): this branch is parsed here instead, as
            # before the pool existed, rather than failing every branch still in the pool.
            logger.warning("ingest worker lost; parsing branch %s in process", branch.id)
            [ingested] = ingest_bodies(
                [(branch, result)], workers=1, screening=pool.screening, store_rows=True
            )
        clock.waited += time.perf_counter() - t
        clock.add(ingested)
        digest = ingested.body_hash
        if ingested.feed is None:
            status, error = "error", ingested.error or "unreadable feed"
        else:
            rows = ingested.rows  # sanitised, screened and ready to store, from the worker
            entries = ingested.entries if rows is None else None
    elif result.not_modified or (result.error is None and result.body is not None):
        pass  # 304, or the same bytes as last time: nothing to store but the fetch itself
    else:
        status = "gone" if result.status == 410 else "error"
        error = result.error or f"HTTP {result.status}"
    t = time.perf_counter()
    outcome = store.record_fetch(
        branch, result, entries, status=status, error=error, rows=rows, content_hash=digest
    )
    timings["store"] += time.perf_counter() - t
    return status, outcome, error


def _newest_per_branch(
    summary: dict[str, tuple[int, str | None]],
) -> tuple[dict[str, datetime], dict[str, int]]:
    """Each branch's newest visible entry's date, and its count of visible entries, from
    :meth:`Store.branch_summary` (or :func:`_branch_summary` of the listing rows)."""
    newest: dict[str, datetime] = {}
    counts: dict[str, int] = {}
    for branch_id, (count, text) in summary.items():
        counts[branch_id] = count
        moment = parse_time(text)
        if moment is not None:
            newest[branch_id] = moment
    return newest, counts


def _branch_summary(rows: Sequence[tuple[Any, ...]]) -> dict[str, tuple[int, str | None]]:
    """:meth:`Store.branch_summary` from :meth:`Store.listing_rows` already read."""
    branch_at, published_at, updated_at = (
        LISTING_COLUMNS.index(c) for c in ("branch_id", "published", "updated")
    )
    counts: dict[str, int] = {}
    newest: dict[str, str | None] = {}
    for row in rows:  # newest first, so the first seen per branch wins
        branch_id = row[branch_at]
        if branch_id in counts:
            counts[branch_id] += 1
        else:
            counts[branch_id] = 1
            newest[branch_id] = row[published_at] or row[updated_at]
    return {key: (count, newest[key]) for key, count in counts.items()}


def _publish(
    registry: Registry,
    store: Any,
    out: Path,
    report: RunReport,
    progress: Progress,
    now: datetime | None,
    options: RenderOptions | None,
) -> None:
    now = now or datetime.now(UTC)
    publisher = Publisher(out)
    current = publisher.current()
    generation = store.generation()
    renderer = PortalRenderer(
        registry, options=options, now=now, cache_dir=render_cache_dir(store.path)
    )
    key = f"{generation}:{now.date().isoformat()}:{renderer.salt}"
    if current is not None and store.get_meta("rendered") == f"{key}:{current.name}":
        with progress.stage("render"):
            t = time.perf_counter()
            newest, counts = _newest_per_branch(store.branch_summary())
            rows = branch_health(registry, store, now=now, newest_published=newest, counts=counts)
            publisher.replace_file("health.json", renderer.health_json(rows))
            publisher.replace_file("health/index.html", renderer.health_html(rows))
            report.timings["render"] = time.perf_counter() - t
        report.current = report.published = True
        report.version = current
        report.entries = sum(row.entries for row in rows)
        return
    with progress.stage("render"):
        t = time.perf_counter()
        folder = publisher.new_version(str(generation))
        # The listing (no bodies) is read once, for the pages and to plan the index. The
        # index is built by a forked child while this process renders (two cores, the two
        # longest phases); the bodies it needs (all for a cold build, the changed ones for a
        # delta, none to reuse) are read here, before the fork (see IndexAside).
        try:
            listing = store.listing_rows()
            t_read = time.perf_counter()
            cache_dir = search_cache_dir(store.path)
            plan = plan_portal_index(
                listing,
                current,
                cache_dir,
                load=store.entries_by_id,
                load_all=store.entries,
                regions={b.id: b.region for b in registry.branches if b.region},
            )
            store.settle_checkpoint()  # no child may inherit the copying thread mid-copy
            index = IndexAside(plan, folder, current, cache_dir, load_all=store.entries)
            del plan
            read_seconds = time.perf_counter() - t_read
        except BaseException:
            publisher.discard(folder)
            raise
        try:
            report.entries = len(listing)
            newest, counts = _newest_per_branch(_branch_summary(listing))
            rows = branch_health(registry, store, now=now, newest_published=newest, counts=counts)
            content = PortalContent.from_rows(listing, now, store.entries_by_id)
            del listing
            stats = renderer.render(content, rows, folder, previous=current)
            del content
            report.pages_written, report.pages_reused = stats.written, stats.reused
            report.timings["render"] = time.perf_counter() - t - read_seconds
        except BaseException:
            index.cancel()
            publisher.discard(folder)
            raise
    with progress.stage("index"):
        try:
            result = index.result()
        except BaseException:
            publisher.discard(folder)
            raise
        # the child's own time (it overlapped the render) plus the read before the fork
        report.timings["index"] = result.seconds + read_seconds
        report.index_available = result.available
        report.index_mode = result.mode
    final = publisher.publish(folder)
    store.set_meta("rendered", f"{key}:{final.name}")
    report.published = True
    report.version = final
