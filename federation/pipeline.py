"""One federate run: registry → fetch → ingest (parse, sanitise, screen) → store → render →
index.

Each stage lives in its own module and knows nothing of the others (:mod:`.fetch`,
:mod:`.ingest`, :mod:`.store`, :mod:`.portal`, :mod:`.index`); this module only runs them in
order, times them and keeps failures where they belong:

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
import hashlib
import json
import logging
import os
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tongxin.i18n import translate

from . import capping, heldchanges, loops, moves, quarantine, replay, retractions, schedule
from .errors import describe
from .health import branch_health, parse_time, status_counts
from .index import IndexAside, plan_portal_index
from .ingest import (
    Ingested,
    Job,
    ingest,
    read_under_other_settings,
    reading_key,
    unchanged_body,
)
from .inspection import inspect_rows, record_probes, thresholds
from .lock import RunLock, lock_path_for
from .model import Branch, FetchResult, Registry
from .portal import PortalContent, PortalRenderer, Publisher, RenderOptions
from .progress import Progress
from .registry import load_registry
from .renames import follow_renames
from .store import BranchState, Store, listing_summary

logger = logging.getLogger("tongxin.federate")

PHASES = ("fetch", "parse", "sanitise", "screen", "store", "render", "index")
INGEST_PHASES = ("parse", "sanitise", "screen")


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
    #: branches whose fetch answered (200 or 304, or waiting out a Retry-After)
    fetched: int = 0
    attempted: int = 0
    #: health status -> number of branches (ok, stale, error, gone, quarantined)
    statuses: dict[str, int] = field(default_factory=dict)

    def timings_json(self) -> dict[str, float | str]:
        data: dict[str, float | str] = {k: round(v, 4) for k, v in self.timings.items()}
        data["total"] = round(self.timings.get("total", sum(self.timings.values())), 4)
        if self.index_mode:
            data["index_mode"] = self.index_mode
        return data


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
    only: set[str] | None = None,
    adaptive: bool = False,
) -> RunReport:
    """One aggregation run. Raises ``RegistryError`` (nothing fetched) or ``LockHeld``.

    ``only``: fetch just these branches (the pinged ones, :mod:`.hub`), and any the store has
    never fetched; the portal is still rendered from every branch's stored entries.
    ``adaptive``: fetch only the branches whose next check has come (:mod:`.schedule`);
    pinged branches are fetched whatever their time.

    ``workers``: processes that parse, sanitise and screen (None: one per usable CPU for a
    big run, none for a few feeds; 1: everything in this process)."""
    started = time.perf_counter()
    registry = registry or load_registry(registry_path)
    if stale_days is not None:
        registry = dataclasses.replace(registry, stale_days=stale_days)
    out = Path(os.path.abspath(out_dir))
    db = Path(db_path) if db_path else default_db_path(out)
    progress = progress or Progress("quiet", registry.language)
    report = RunReport(out=out, branches=len(registry.branches))
    with RunLock(lock_path_for(out)), Store(db) as store:
        # The operator's quarantine.yaml is read at the start of every run: editing it is enough.
        quarantine.apply_decisions_file(store, language=registry.language)
        states = store.branch_states()
        moment = now or datetime.now(UTC)
        if adaptive and only is None:
            only = schedule.due(store.db, [b.id for b in registry.branches], moment)
        if only is not None:  # a branch just added to the registry is not left blank
            only = only | {b.id for b in registry.branches if b.id not in states}
        results = _fetch_stage(registry, states, report, progress, only)
        ingested = _ingest_stage(registry, store, states, results, report, progress, workers)
        unreadable = {i for i, answer in ingested.items() if answer.rows is None}
        record_probes(store.db, results, moment, thresholds(registry)["probe_seconds"], unreadable)
        # what each changed branch could retract before its new entries are stored
        before = retractions.counts_before(store, registry.branches, ingested)
        _store_stage(registry, store, results, ingested, report, progress, now)
        follow_renames(store, registry.branches)
        schedule.record(store.db, results, moment)
        _read_lower_portals(registry, store, results, ingested, before)
        del results, ingested  # the bodies and rows are in the store now: free them first
        _publish(registry, store, out, report, progress, now, options)
    report.timings["total"] = time.perf_counter() - started
    if timings_path:
        Path(timings_path).write_text(
            json.dumps(report.timings_json(), indent=1) + "\n", encoding="utf-8"
        )
    return report


def _fetch_stage(
    registry: Registry,
    states: dict[str, BranchState],
    report: RunReport,
    progress: Progress,
    only: set[str] | None = None,
) -> list[FetchResult]:
    """Every branch's conditional GET (see :mod:`.fetch`), in registry order (fetch_all's)."""
    from .fetch import fetch_all, user_agent

    branches = [b for b in registry.branches if only is None or b.id in only]
    with progress.stage("fetch", len(branches)) as advance:
        t = time.perf_counter()
        results = asyncio.run(
            fetch_all(
                branches,
                {b.id: _fetch_state(states.get(b.id), b) for b in branches},
                user_agent=user_agent(registry.url),
                progress=lambda _done, _total, _result: advance(1),
                allow_networks=registry.allow_networks,
                language=registry.language,
            )
        )
        for result in results:
            if result.detail:  # the operator's detail; health shows only the error class
                # INFO: the failure itself is reported once, after the store stage (-q too)
                logger.info("%s: %s (%s)", result.branch_id, result.error, result.detail)
        report.timings["fetch"] = time.perf_counter() - t
    report.fetched = sum(1 for result in results if result.error is None)
    report.attempted = len(results)
    return results


def _read_lower_portals(
    registry: Registry,
    store: Store,
    results: list[FetchResult],
    ingested: dict[str, Ingested],
    before: dict[str, int],
) -> None:
    """Each lower portal's health.json, for the roll-up (see :mod:`.rollup`), and each
    changed branch's api/index.json, read once for backdated items (:mod:`.backdating`) and
    retracted entries (:mod:`.retractions`, with tombstones); never fatal."""
    from . import backdating, rollup
    from .fetch import user_agent

    agent = user_agent(registry.url)
    try:
        rollup.collect(registry, store.db, agent)
    except Exception:  # noqa: BLE001 - extra; the portal publishes anyway
        logger.exception("roll-up")
    try:
        networks = registry.allow_networks
        documents = backdating.read(registry.branches, set(ingested), agent, networks)
        documents = retractions.consistent(registry.branches, ingested, documents)
        backdating.record(documents, store.db, int(thresholds(registry)["backdated_days"]))
        done = retractions.collect(
            registry.branches,
            store,
            results,
            ingested,
            documents,
            hold_percent=registry.retract_hold_percent,
            before=before,
        )
        for branch_id, outcome in done.items():
            # a held retraction waits for the operator (shown under -q too); a done one is news
            line = f"{branch_id}: {outcome.summary(registry.language, branch_id, str(store.path))}"
            if outcome.held:
                logger.warning(line)
            elif outcome.retracted:
                logger.info(line)
    except Exception:  # noqa: BLE001 - the store keeps what it had; the portal publishes
        logger.exception("api/index.json and retractions")


def _needs_ingest(result: FetchResult, state: Any, branch: Branch) -> bool:
    """A new body: not an error, not a 304, not the same bytes read the same way last time
    (after a failed run the body is read again: an unreadable feed stays an error)."""
    return (
        result.error is None
        and result.body is not None
        and not result.not_modified
        and (_failed_last(state) or not unchanged_body(result, state, branch))
    )


def _failed_last(state: Any) -> bool:
    return getattr(state, "status", None) in ("error", "gone")


def _fetch_state(state: BranchState | None, branch: Branch) -> BranchState | None:
    """The state the fetch sends validators from: none when the stored body was read under
    other settings or by an older parser, or the last run failed (it must be fetched whole
    and read again: a 304 to a feed that could not be read is not a success)."""
    if state is not None and (read_under_other_settings(state, branch) or _failed_last(state)):
        return dataclasses.replace(state, etag=None, last_modified=None)
    return state


def _ingest_stage(
    registry: Registry,
    store: Store,
    states: dict[str, BranchState],
    results: list[FetchResult],
    report: RunReport,
    progress: Progress,
    workers: int | None,
) -> dict[str, Ingested]:
    """Parse, sanitise and screen every new body (see :mod:`.ingest`), by branch id."""
    from .screen import rules_for_registry

    by_id = {b.id: b for b in registry.branches}
    jobs: list[Job] = []
    for result in results:
        branch = by_id.get(result.branch_id)
        if branch is not None and _needs_ingest(result, states.get(branch.id), branch):
            # The screen compares with what the branch published before: its stored entries,
            # handed to the worker as plain data (workers never open the store).
            history = store.entries(branch_id=branch.id, include_quarantined=True)
            jobs.append(
                dataclasses.replace(Job.of(branch, result, history), language=registry.language)
            )
    if not jobs:
        return {}
    with progress.stage("parse", len(jobs)):
        t = time.perf_counter()
        done = ingest(jobs, rules_for_registry(registry), workers=workers)
        _apportion(report.timings, done, time.perf_counter() - t)
    return {answer.branch_id: answer for answer in done}


def _apportion(timings: dict[str, float], done: list[Ingested], wall: float) -> None:
    """Split the ingest's wall time between its phases as the work itself was split."""
    work = {phase: sum(i.seconds.get(phase, 0.0) for i in done) for phase in INGEST_PHASES}
    total = sum(work.values())
    for phase, seconds in work.items():
        timings[phase] += wall * seconds / total if total else 0.0


def _store_stage(
    registry: Registry,
    store: Store,
    results: list[FetchResult],
    ingested: dict[str, Ingested],
    report: RunReport,
    progress: Progress,
    now: datetime | None = None,
) -> None:
    """Record every branch's fetch and store its new rows, in registry order (so the same
    entry reached by two paths is always attributed the same way), one transaction each."""
    by_id = {b.id: b for b in registry.branches}
    with progress.stage("store", len(results)) as advance:
        t = time.perf_counter()
        for result in results:
            branch = by_id.get(result.branch_id)
            if branch is not None:
                answer = ingested.get(branch.id)
                _store_branch(
                    store,
                    branch,
                    result,
                    answer,
                    report,
                    progress,
                    registry.language,
                    now,
                    registry.max_entries_per_branch,
                )
            advance(1)
        report.timings["store"] = time.perf_counter() - t


def _store_branch(
    store: Store,
    branch: Branch,
    result: FetchResult,
    answer: Ingested | None,
    report: RunReport,
    progress: Progress,
    language: str,
    now: datetime | None = None,
    max_entries: int = capping.DEFAULT_MAX_ENTRIES,
) -> None:
    rollback = replay.check(store, branch, result, language)
    if rollback:  # an older signed feed replayed: refused, what was stored stays
        result.error, result.body, answer = rollback, None, None
    if answer is not None and answer.rows and branch.portal:
        kept = loops.drop_copies(store.db, branch, answer.rows)
        if len(kept) < len(answer.rows):  # our own entries come back through a portal
            extra = loops.note(language, len(answer.rows) - len(kept))
            answer.note = f"{answer.note}; {extra}" if answer.note else extra
            answer.rows = kept
    status, error = _status(result, answer)
    # A 301/308 moves the branch only once believable (federation/moves.py); until then the
    # health page notes the pending move.
    moves.consider(store, branch.id, result, now)
    if answer is not None and answer.rows:
        # A held change to a published entry waits aside: the published version stays.
        answer.rows = heldchanges.divert(store, answer.rows, language)
        quarantine.lapse_changed(store, answer.rows)  # decisions hold for their content only
    if status == "ok" and error is None:
        error = moves.note(language, moves.pending(store, branch.id))
    try:
        outcome = store.record_fetch(
            branch,
            result,
            None,
            status=status,
            error=error,
            rows=answer.rows if answer is not None else None,
            content_hash=answer.body_hash
            if answer is not None
            else (reading_key(result.body, branch) if result.body is not None else None),
            reading_note=answer.note if answer is not None else None,
        )
    except Exception as failure:  # noqa: BLE001 - one branch never sinks the run
        logger.exception("branch %s", branch.id)
        status, error = "error", f"{type(failure).__name__}: {failure}"
        try:
            store.record_fetch(branch, result, None, status="error", error=error)
        except Exception:  # noqa: BLE001
            logger.exception("recording the failure of branch %s", branch.id)
    else:
        report.new += outcome.new
        report.updated += outcome.updated
        if outcome.new:
            cap = capping.cap_for(branch, max_entries)
            capped = capping.enforce(store, branch, cap, language)
            if capped:  # the health note, in the portal's language
                logger.warning("%s: %s", branch.id, capped)
    if status in ("error", "gone"):
        report.failed[branch.id] = error or status
        progress.warn(
            translate(
                language,
                "portal.cli.branch_failed_class",
                branch=branch.id,
                text=describe(language, error or status, result.status),
                error=error or status,
            )
        )


def _status(result: FetchResult, answer: Ingested | None) -> tuple[str, str | None]:
    """(status, error) to record for one branch's fetch and ingest."""
    if answer is not None:
        if answer.bug:
            logger.error("branch %s: %s", answer.branch_id, answer.bug.rstrip())
        if answer.rows is None:
            return "error", answer.error or "unreadable feed"
        return "ok", None  # what reading it noted is the store's reading_note
    if result.not_modified or (result.error is None and result.body is not None):
        return "ok", None  # 304, or the same bytes as last time: nothing to store
    status = "gone" if result.status == 410 else "error"
    return status, result.error or f"HTTP {result.status}"


def _newest_per_branch(
    summary: dict[str, tuple[int, str | None]],
) -> tuple[dict[str, datetime], dict[str, int]]:
    """Each branch's newest visible entry's date, and its count of visible entries, from
    :meth:`Store.branch_summary` (or :func:`store.listing_summary`)."""
    newest: dict[str, datetime] = {}
    counts: dict[str, int] = {}
    for branch_id, (count, text) in summary.items():
        counts[branch_id] = count
        moment = parse_time(text)
        if moment is not None:
            newest[branch_id] = moment
    return newest, counts


def _branches_digest(registry: Registry) -> str:
    """What the pages show of the registry's branches: a region added, a branch renamed or
    listed re-renders the portal even when no feed changed."""
    facts = [(b.id, b.name, b.region, b.feed, b.portal) for b in registry.branches]
    return hashlib.blake2b(repr(facts).encode(), digest_size=8).hexdigest()


def _publish(
    registry: Registry,
    store: Store,
    out: Path,
    report: RunReport,
    progress: Progress,
    now: datetime | None,
    options: RenderOptions | None,
) -> None:
    """Render the store into a new version of the portal and publish it, or, when nothing
    changed since the last render, refresh only its health files."""
    now = now or datetime.now(UTC)
    publisher = Publisher(out)
    current = publisher.current()
    generation = store.generation()
    renderer = PortalRenderer(
        registry, options=options, now=now, cache_dir=render_cache_dir(store.path)
    )
    key = f"{generation}:{now.date().isoformat()}:{renderer.salt}:{_branches_digest(registry)}"
    if current is not None and store.get_meta("rendered") == f"{key}:{current.name}":
        with progress.stage("render"):
            t = time.perf_counter()
            newest, counts = _newest_per_branch(store.branch_summary())
            rows = branch_health(registry, store, now=now, newest_published=newest, counts=counts)
            rows = inspect_rows(rows, store.db, registry, now)
            publisher.replace_file("health.json", renderer.health_json(rows))
            publisher.replace_file("health.csv", renderer.health_csv(rows))
            publisher.replace_file("health/index.html", renderer.health_html(rows))
            report.timings["render"] = time.perf_counter() - t
        report.current = report.published = True
        report.version = current
        report.entries = sum(row.entries for row in rows)
        report.statuses = status_counts(rows)
        return
    folder = publisher.new_version(str(generation))
    try:
        _render_version(registry, store, renderer, folder, current, report, progress, now)
    except BaseException:
        publisher.discard(folder)
        raise
    final = publisher.publish(folder)
    store.set_meta("rendered", f"{key}:{final.name}")
    report.published = True
    report.version = final


def _render_version(
    registry: Registry,
    store: Store,
    renderer: PortalRenderer,
    folder: Path,
    current: Path | None,
    report: RunReport,
    progress: Progress,
    now: datetime,
) -> None:
    """The portal's pages into ``folder`` while a child builds its search index."""
    with progress.stage("render"):
        t = time.perf_counter()
        # The listing (no bodies) is read once, for the pages and to plan the index. The
        # index is planned from it; the bodies the index needs (all for a cold build, the
        # changed ones for a delta, none to reuse) are read here.
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
            zone=renderer.zone,
        )
        index = IndexAside(plan, folder, current, cache_dir, load_all=store.entries)
        del plan
        read_seconds = time.perf_counter() - t_read
        try:
            report.entries = len(listing)
            newest, counts = _newest_per_branch(listing_summary(listing))
            rows = branch_health(registry, store, now=now, newest_published=newest, counts=counts)
            rows = inspect_rows(rows, store.db, registry, now)
            report.statuses = status_counts(rows)
            content = PortalContent.from_rows(listing, now, store.entries_by_id, renderer.zone)
            del listing
            stats = renderer.render(content, rows, folder, previous=current)
            del content
            report.pages_written, report.pages_reused = stats.written, stats.reused
            report.timings["render"] = time.perf_counter() - t - read_seconds
        except BaseException:
            index.cancel()
            raise
    with progress.stage("index"):
        result = index.result()
        # the child's own time (it overlapped the render) plus the read before the fork
        report.timings["index"] = result.seconds + read_seconds
        report.index_available = result.available
        report.index_mode = result.mode
