"""The ingest stage: fetched bodies → parsed, sanitised, screened rows ready to store.

Parsing, sanitising and screening are pure CPU work on one body at a time, so a big run
spreads the bodies over processes with :func:`tongxin.parallel.map_in_processes` (threads
would share one interpreter lock). Workers never open the store: each :class:`Job` carries
what its body needs as plain data (the branch, the body, and the branch's stored entries,
which screening compares with), and each answer is plain data too: the rows
:meth:`Store.record_fetch` writes, the body's hash, or why it could not be parsed. Storing
stays in the calling process: SQLite wants one writer.

A handful of bodies (or ``workers=1``) are done in this process: starting processes would
cost more than it saves. A body that trips a bug fails its own branch alone.
"""

from __future__ import annotations

import functools
import json
import logging
import time
import traceback
from collections.abc import Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tongxin import parallel
from tongxin.i18n import translate

from .columns import CUSTOM
from .model import Branch, Entry, FetchResult
from .parse import ParseError, parse_feed
from .sanitise import sanitise_entry
from .scope import BELOW, RESERVED
from .store import EntryRow, body_hash, entry_from_row, entry_row

if TYPE_CHECKING:
    from .screen import ScreenRules

logger = logging.getLogger(__name__)

#: Below this many bodies a pool costs more (forking, pickling) than it saves.
MIN_POOLED = 16


@dataclass(frozen=True)
class Job:
    """One fetched body to ingest, with everything its worker needs."""

    branch: Branch
    url: str  # the address the body came from (relative links resolve against it)
    body: bytes
    content_type: str | None = None
    #: the branch's stored entries, quarantined ones included (the screen's history)
    history: list[Entry] = field(default_factory=list)
    #: the portal's language, for the notes the health page shows
    language: str | None = None

    @classmethod
    def of(cls, branch: Branch, result: FetchResult, history: list[Entry] | None = None) -> Job:
        content_type = result.headers.get("content-type") or result.headers.get("Content-Type")
        return cls(
            branch, result.final_url or result.url, result.body or b"", content_type, history or []
        )


@dataclass
class Ingested:
    """One branch's body, ingested: the rows to store, or why there are none."""

    branch_id: str
    body_hash: str
    rows: list[EntryRow] | None = None  # None when the body could not be parsed
    error: str | None = None  # the parse error, or the bug, as one line
    bug: str | None = None  # the traceback of a bug (not a bad feed)
    note: str | None = None  # read, but with something for the health page (a clamped date)
    #: seconds spent parsing, sanitising and screening (wherever it ran)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def entries(self) -> list[Entry]:
        """The stored form of the entries (sanitised, screened), rebuilt from the rows."""
        return [entry_from_row(row) for row in self.rows or ()]


#: Bumped when parsing changes what a body yields: every stored body is read again once.
READING = "7"


def reading_digest(branch: Branch) -> str:
    """What, besides the body, decides what a body yields: this parser's version and the
    branch's settings (a lower portal flagged, its branches below, the registry's zone and
    column names)."""
    settings = [
        READING, branch.portal, branch.timezone,
        sorted((branch.extra.get(BELOW) or {}).items()),
        sorted(branch.extra.get(RESERVED) or ()),
        list(branch.extra.get(CUSTOM) or ()),
    ]  # fmt: skip
    return body_hash(json.dumps(settings).encode())[:16]


def reading_key(body: bytes, branch: Branch) -> str:
    """The ``content_hash`` stored for a body: its hash and :func:`reading_digest`, so the
    same bytes are read again when the branch's settings or the parser change."""
    return f"{body_hash(body)}:{reading_digest(branch)}"


def read_under_other_settings(state: Any, branch: Branch) -> bool:
    """Whether the stored body was read under other settings (or by an older parser): then
    its validators must not be sent (a 304 would leave it as it was read)."""
    stored = getattr(state, "content_hash", None)
    return bool(stored) and not str(stored).endswith(":" + reading_digest(branch))


def unchanged_body(result: FetchResult, state: Any, branch: Branch) -> bool:
    """True when a 200's body is byte for byte the one stored last time, read under the same
    settings: nothing to parse, sanitise, screen or store (record it with
    ``record_fetch(branch, result, None, ...)``)."""
    stored = getattr(state, "content_hash", None)
    return bool(stored) and result.body is not None and reading_key(result.body, branch) == stored


class _History:
    """A branch's stored entries, standing in for the store where screening reads them."""

    def __init__(self, entries: list[Entry]) -> None:
        self._entries = entries

    def entries(
        self, *, branch_id: str | None = None, include_quarantined: bool = False
    ) -> list[Entry]:
        return self._entries


def ingest_one(job: Job, rules: ScreenRules | None = None) -> Ingested:
    """Parse, sanitise and (with ``rules``, from ``screen.rules_for_registry``) screen one
    body. Never raises: a bad feed or a bug comes back as the answer's ``error``."""
    digest = reading_key(job.body, job.branch)
    try:
        return _ingest(job, rules, digest)
    except Exception as error:  # noqa: BLE001 - one body's bug fails its own branch alone
        text = f"{type(error).__name__}: {error}"
        return Ingested(job.branch.id, digest, error=text, bug=traceback.format_exc())


def _ingest(job: Job, rules: ScreenRules | None, digest: str) -> Ingested:
    started = time.perf_counter()
    try:
        parsed = parse_feed(job.body, url=job.url, branch=job.branch, content_type=job.content_type)
    except ParseError as error:
        seconds = {"parse": time.perf_counter() - started}
        return Ingested(job.branch.id, digest, error=str(error), seconds=seconds)
    parsed_at = time.perf_counter()
    # One rule for every format: the feed's xml:base, else the entry's link, else the site.
    clean = [sanitise_entry(e, e.base or e.url or parsed.link or job.url) for e in parsed.entries]
    sanitised_at = time.perf_counter()
    if rules is not None:
        from . import screen  # only a screening run needs it

        history = _History(job.history) if job.history else None
        screen.screen_entries(clean, job.branch, history, rules, raw=parsed.entries)
    rows = [entry_row(e) for e in clean]  # after screening: its verdict is a stored column
    seconds = {
        "parse": parsed_at - started,
        "sanitise": sanitised_at - parsed_at,
        "screen": time.perf_counter() - sanitised_at,
    }
    notes = [translate(job.language, key, **values) for key, values in parsed.notes]
    return Ingested(
        job.branch.id, digest, rows=rows, seconds=seconds, note="; ".join(notes) or None
    )


def ingest(
    jobs: Sequence[Job], rules: ScreenRules | None = None, *, workers: int | None = None
) -> list[Ingested]:
    """:func:`ingest_one` of every job, in order, spread over up to ``workers`` processes
    (None: one per usable CPU; fewer than :data:`MIN_POOLED` jobs run here)."""
    if len(jobs) < MIN_POOLED and workers is None:
        workers = 1
    work = functools.partial(ingest_one, rules=rules)
    try:
        return parallel.map_in_processes(work, jobs, workers=workers)
    except BrokenProcessPool:
        # A worker died (killed, out of memory): the bodies are done here instead.
        logger.warning("an ingest worker was lost; ingesting in this process")
        return [work(job) for job in jobs]


__all__ = [
    "Ingested", "Job", "ingest", "ingest_one", "read_under_other_settings", "reading_key",
    "unchanged_body",
]  # fmt: skip
