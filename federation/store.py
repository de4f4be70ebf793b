"""The portal's memory: one SQLite file (WAL) holding branch states, entries and decisions.

The portal is rebuilt from this store, never from whatever the feeds hold today: an entry a
feed drops is kept, a dead site loses nothing. Each branch's fetch is recorded in ONE
transaction, so a crash (even SIGKILL) leaves the store at a branch boundary, never half-way.

Entries are keyed by ``entry_id`` globally: the same entry reached directly and through a lower
portal is stored once, attributed to its original branch (a direct fetch, where the origin is
the fetching branch, is preferred over a relayed copy). Quarantine decisions live in their own
table keyed by ``entry_id``, so they survive the feed re-sending the entry.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from .dates import month_keys
from .entryrows import (
    ENTRY_COLUMNS,
    LISTING_COLUMNS,
    ROW_COLUMNS,
    EntryRow,
    ListingRow,
    body_hash,
    entry_content_hash,
    entry_from_columns,
    entry_from_listing_row,
    entry_from_row,
    entry_row,
    iso,
    listing_summary,
)
from .model import Branch, Entry, FetchResult
from .storekeys import adopt_portal_keys, adopt_resolved_ids
from .storeschema import SCHEMA_VERSION, Transaction, connect, migrate

# The row shapes are the store's vocabulary; callers may import them from here.
__all__ = [
    "LISTING_COLUMNS", "SCHEMA_VERSION", "BranchState", "EntryRow", "ListingRow", "Store",
    "StoreOutcome", "body_hash", "entry_content_hash", "entry_from_listing_row", "entry_from_row",
    "entry_row", "iso", "listing_summary",
]  # fmt: skip

# Visible: not rejected, and either clean or explicitly released.
VISIBLE = "(d.decision IS NULL AND e.quarantine_reason IS NULL) OR d.decision = 'release'"


@dataclass
class BranchState:
    """What the store remembers about one branch between runs (times are ISO 8601 UTC)."""

    branch_id: str
    feed_url: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    http_status: int | None = None
    status: str | None = None
    error: str | None = None
    last_attempt: str | None = None
    last_success: str | None = None
    last_entry: str | None = None
    retry_not_before: str | None = None
    content_hash: str | None = None
    #: the registry's feed address when this state was recorded (a 301 never overrides an
    #: operator who edits the registry)
    registry_feed: str | None = None
    #: what reading the stored body noted (kept while the body is unchanged: 304s included)
    reading_note: str | None = None


@dataclass(frozen=True)
class StoreOutcome:
    new: int = 0
    updated: int = 0
    unchanged: int = 0


_INSERT_ENTRY = (
    f"INSERT OR REPLACE INTO entries ({', '.join(ROW_COLUMNS)}, first_seen, last_seen) "
    f"VALUES ({', '.join('?' * (len(ROW_COLUMNS) + 2))})"
)
_ORIGIN = ROW_COLUMNS.index("origin_branch_id")
_HASH = ROW_COLUMNS.index("content_hash")
_RULE = ROW_COLUMNS.index("quarantine_rule")
#: Bumped when a remembered value (:meth:`Store._remembered`) changes shape.
_REMEMBER_FORMAT = 1
#: Ids per ``IN (…)`` query (SQLite allows 32766 variables; smaller keeps statements reusable).
_IN_CHUNK = 500


_SELECT_ENTRY = ", ".join(f"e.{c}" for c in ENTRY_COLUMNS)
_SELECT_LISTING = ", ".join(f"e.{c}" for c in LISTING_COLUMNS)


#: Held, undecided entries newest first (read through the partial index ``entries_held``).
#: Changes to published entries held back (federation/heldchanges.py) count as held too.
HELD_SQL = (
    "SELECT branch_id, rule FROM (SELECT e.branch_id, e.quarantine_rule AS rule, e.published, "
    "e.updated, e.entry_id FROM entries e LEFT JOIN decisions d ON d.entry_id = e.entry_id "
    "WHERE e.quarantine_reason IS NOT NULL AND d.decision IS NULL UNION ALL SELECT branch_id, "
    "quarantine_rule, published, published, entry_id FROM held_changes WHERE decision IS NULL "
    "AND entry_id IN (SELECT entry_id FROM entries)) "
    "ORDER BY published DESC, updated DESC, entry_id"
)


class Store:
    """The SQLite store (see module docstring); use as a context manager."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.db = connect(self.path)
        migrate(self.db, self.path)

    @classmethod
    def reader(cls, path: Path | str) -> Store:
        """A read-only connection to an existing store (a worker process reading history
        while the main process writes: WAL lets readers and the one writer run together)."""
        self = cls.__new__(cls)
        self.path = Path(path)
        self.db = connect(self.path, read_only=True)
        return self

    def _transaction(self) -> Transaction:
        return Transaction(self.db)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ meta

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str) -> None:
        with self._transaction():
            self._set_meta(key, value)

    def _set_meta(self, key: str, value: str) -> None:
        self.db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def generation(self) -> int:
        """Bumped whenever an entry or a decision changes: nothing new, nothing to render."""
        return int(self.get_meta("generation", "0") or 0)

    def _bump(self) -> None:
        self._set_meta("generation", str(self.generation() + 1))

    def changed(self) -> None:
        """Entries were changed by another module (federation/renames.py): bump the generation."""
        self._bump()

    # ------------------------------------------------------------------ branch state

    def branch_state(self, branch_id: str) -> BranchState | None:
        row = self.db.execute(
            "SELECT * FROM branch_state WHERE branch_id = ?", (branch_id,)
        ).fetchone()
        return BranchState(**dict(row)) if row else None

    def branch_states(self) -> dict[str, BranchState]:
        rows = self.db.execute("SELECT * FROM branch_state").fetchall()
        return {row["branch_id"]: BranchState(**dict(row)) for row in rows}

    def record_fetch(
        self,
        branch: Branch,
        result: FetchResult,
        entries: list[Entry] | None,
        *,
        status: str,
        error: str | None = None,
        now: datetime | None = None,
        rows: Sequence[EntryRow] | None = None,
        content_hash: str | None = None,
        reading_note: str | None = None,
    ) -> StoreOutcome:
        """Record one branch's fetch and upsert its entries, in one transaction.

        ``rows``: ``entry_row(e)`` for each of ``entries``, in the same order, when already
        computed (by an ingest worker); else they are computed here. With ``rows``,
        ``entries`` may be None: the rows alone are stored. ``content_hash``: ``body_hash`` of
        the result's body, when already computed (by the worker that parsed it).
        ``reading_note``: what reading this body noted; kept until another body is read."""
        moment = now or datetime.now(UTC)
        stamp = iso(moment)
        with self._transaction():
            old = self.branch_state(branch.id)
            state = old or BranchState(branch_id=branch.id)
            if old is not None and old.registry_feed not in (None, branch.feed):
                # The operator changed the address: forget the old one's validators.
                state = BranchState(branch_id=branch.id)
            state.registry_feed = branch.feed
            if result.skipped_until:
                # Nothing was asked of the server; keep what we knew.
                state.last_attempt = stamp
                self._save_state(state)
                return StoreOutcome()
            state.last_attempt = stamp
            state.http_status = result.status
            state.status = status
            state.error = error if error is not None else result.error
            if result.permanent_redirect:
                state.feed_url = result.permanent_redirect  # 301/308: the new address for good
            elif not state.feed_url:
                state.feed_url = result.url
            if result.retry_after is not None:
                state.retry_not_before = iso(moment + timedelta(seconds=result.retry_after))
            elif result.error is None:
                state.retry_not_before = None
            # An unreadable body is no success: no validators or hash kept, read again next run.
            if status == "ok" and result.error is None and (result.body or result.not_modified):
                state.last_success = stamp
                if result.not_modified:
                    state.etag = result.etag or state.etag
                    state.last_modified = result.last_modified or state.last_modified
                else:
                    # Exactly as received; a server that stops sending them gets none back.
                    state.etag = result.etag
                    state.last_modified = result.last_modified
                if result.body is not None:
                    state.content_hash = content_hash or body_hash(result.body)
                if entries is not None or rows is not None:  # a body read, not the same again
                    state.reading_note = reading_note
            outcome = StoreOutcome()
            if entries is not None or rows is not None:
                outcome = self._upsert(branch, entries, stamp or "", rows)
                if outcome.new or outcome.updated:
                    self._bump()
            if outcome.new or outcome.updated or state.last_entry is None:
                # When the branch last published: its newest entry's date (stale detection).
                state.last_entry = self.db.execute(
                    "SELECT MAX(published) FROM entries WHERE branch_id = ?", (branch.id,)
                ).fetchone()[0]
            self._save_state(state)
            return outcome

    def _save_state(self, state: BranchState) -> None:
        data = state.__dict__
        columns = ", ".join(data)
        marks = ", ".join("?" for _ in data)
        self.db.execute(
            f"INSERT OR REPLACE INTO branch_state ({columns}) VALUES ({marks})",
            tuple(data.values()),
        )

    def _upsert(
        self,
        branch: Branch,
        entries: list[Entry] | None,
        stamp: str,
        given: Sequence[EntryRow] | None = None,
    ) -> StoreOutcome:
        """All of one branch's entries in a few statements (this runs 1000 times a run).

        One SELECT fetches what the store holds for the feed's ids; each entry is hashed once
        from the very row values that would be written; then one ``executemany`` writes the
        new and changed rows and another touches the unchanged ones.
        """
        rows: dict[str, EntryRow] = {}
        duplicates = 0
        if given is None or (entries is not None and len(given) != len(entries)):
            given = [entry_row(e) for e in entries or ()]  # not the rows of these entries
        for row in given:
            if row[0] in rows:
                duplicates += 1  # a feed listing one entry twice counts it once
                continue
            rows[row[0]] = row
        stored = self._stored(list(rows))
        if branch.portal:
            adopt_portal_keys(self.db, branch, rows, stored, self._stored)
        if len(stored) < len(rows):
            adopt_resolved_ids(self.db, branch, rows, stored, self._stored)
        writes: list[tuple[Any, ...]] = []
        touches: list[tuple[str, str]] = []
        new = updated = 0
        unchanged = duplicates
        for entry_id, row in rows.items():
            old = stored.get(entry_id)
            if old is None:
                writes.append((*row, stamp, stamp))
                new += 1
                continue
            old_branch, old_origin, old_hash, first_seen, old_rule = old
            stored_direct = old_origin == old_branch
            incoming_direct = row[_ORIGIN] == branch.id
            same_path = old_branch == branch.id
            if not same_path and (stored_direct or not incoming_direct):
                # Another path already holds the entry: its original attribution stands.
                unchanged += 1
            elif (
                old_hash == row[_HASH]
                and same_path
                # a store from before schema 3 learns the rule of an entry it holds
                and (old_rule is not None or row[_RULE] is None)
            ):
                touches.append((stamp, entry_id))
                unchanged += 1
            else:
                writes.append((*row, first_seen, stamp))
                updated += 1
        if writes:
            self.db.executemany(_INSERT_ENTRY, writes)
        if touches:
            self.db.executemany("UPDATE entries SET last_seen = ? WHERE entry_id = ?", touches)
        return StoreOutcome(new=new, updated=updated, unchanged=unchanged)

    def _stored(self, entry_ids: list[str]) -> dict[str, tuple[str, str, str, str, str | None]]:
        """``entry_id -> (branch_id, origin_branch_id, content_hash, first_seen,
        quarantine_rule)`` as stored."""
        found: dict[str, tuple[str, str, str, str, str | None]] = {}
        for start in range(0, len(entry_ids), _IN_CHUNK):
            chunk = entry_ids[start : start + _IN_CHUNK]
            marks = ",".join("?" * len(chunk))
            for row in self.db.execute(
                "SELECT entry_id, branch_id, origin_branch_id, content_hash, first_seen, "
                f"quarantine_rule FROM entries WHERE entry_id IN ({marks})",
                chunk,
            ):
                found[row[0]] = (row[1], row[2], row[3], row[4], row[5])
        return found

    # ------------------------------------------------------------------ reading

    @staticmethod
    def _entry(row: sqlite3.Row) -> Entry:
        return entry_from_columns(tuple(row[c] for c in ENTRY_COLUMNS))

    def entries(
        self,
        *,
        branch_id: str | None = None,
        origin_branch_id: str | None = None,
        type: str | None = None,
        limit: int | None = None,
        include_quarantined: bool = False,
    ) -> list[Entry]:
        """Entries newest first (published, then updated); quarantined ones only on request."""
        where: list[str] = []
        params: list[Any] = []
        if not include_quarantined:
            where.append(f"({VISIBLE})")
        if branch_id is not None:
            where.append("e.branch_id = ?")
            params.append(branch_id)
        if origin_branch_id is not None:
            where.append("e.origin_branch_id = ?")
            params.append(origin_branch_id)
        if type is not None:
            where.append("e.type = ?")
            params.append(type)
        sql = (
            f"SELECT {_SELECT_ENTRY} FROM entries e "
            "LEFT JOIN decisions d ON d.entry_id = e.entry_id"
        )
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY e.published DESC, e.updated DESC, e.entry_id"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(int(limit))
        # Plain tuples, not sqlite3.Row: this reads every entry of the portal once per render.
        cursor = self.db.cursor()
        cursor.row_factory = None
        return [entry_from_columns(row) for row in cursor.execute(sql, params)]

    def listing_rows(self) -> list[ListingRow]:
        """Visible entries newest first (as :meth:`entries`), as :class:`ListingRow`: every
        column but ``content_html``, plus ``content_hash``.

        What the portal's pages and API show, in one scan: reading the bodies as well cost
        twice as much at 50,000 entries, and only the feeds' newest few hundred need them
        (:meth:`entries_by_id`). ``content_hash`` changes whenever any stored field but the
        origin columns does, so the renderer keys pages by it instead of hashing the fields.
        """
        sql = (
            f"SELECT {_SELECT_LISTING} FROM entries e "
            f"LEFT JOIN decisions d ON d.entry_id = e.entry_id WHERE ({VISIBLE}) "
            "ORDER BY e.published DESC, e.updated DESC, e.entry_id"
        )
        cursor = self.db.cursor()
        cursor.row_factory = None
        return [ListingRow._make(row) for row in cursor.execute(sql)]

    def entries_by_id(self, entry_ids: Sequence[str]) -> list[Entry]:
        """Full entries (content included) for ``entry_ids``, in that order; unknown ids are
        left out. Quarantine is not re-checked: pass ids from :meth:`listing_rows`."""
        found: dict[str, Entry] = {}
        cursor = self.db.cursor()
        cursor.row_factory = None
        ids = list(dict.fromkeys(entry_ids))
        for start in range(0, len(ids), _IN_CHUNK):
            chunk = ids[start : start + _IN_CHUNK]
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT {_SELECT_ENTRY} FROM entries e WHERE e.entry_id IN ({marks})"
            for row in cursor.execute(sql, chunk):
                found[row[0]] = entry_from_columns(row)
        return [found[i] for i in entry_ids if i in found]

    def branch_summary(self) -> dict[str, tuple[int, str | None]]:
        """``branch_id -> (visible entries, ISO time of the newest)`` for every branch with
        entries, in one query instead of two per branch. The newest is the first of
        :meth:`entries` per branch: its newest ``published``, else its newest ``updated``.
        Remembered per generation (:meth:`_remembered`)."""
        found = self._remembered("branch_summary", "", self._summarise_branches)
        return {key: (count, newest) for key, (count, newest) in found.items()}

    def _summarise_branches(self) -> dict[str, list[Any]]:
        # Visibility needs each entry's row (quarantine_reason), a walk over every entry's
        # page (~0.1-0.2 s at 50,000). Counts and newest dates come from the entries_branch
        # index alone instead; only branches holding hidden entries (held undecided, or
        # rejected: what VISIBLE excludes) or no dated entry are counted row by row.
        found: dict[str, list[Any]] = {
            branch_id: [count, newest]
            for branch_id, count, newest in self.db.execute(
                "SELECT branch_id, COUNT(*), MAX(published) FROM entries GROUP BY branch_id"
            )
        }
        exact = {key for key, (_count, newest) in found.items() if newest is None}
        exact.update(self.held_by_branch())
        exact.update(
            row[0]
            for row in self.db.execute(
                # decisions are few: looked up by key, never a scan of the entries
                "SELECT DISTINCT branch_id FROM entries WHERE entry_id IN "
                "(SELECT entry_id FROM decisions WHERE decision = 'reject')"
            )
        )
        sql = (
            "SELECT COUNT(*), COALESCE(MAX(e.published), MAX(e.updated)) FROM entries e "
            "LEFT JOIN decisions d ON d.entry_id = e.entry_id "
            f"WHERE e.branch_id = ? AND ({VISIBLE})"
        )
        for branch_id in exact & found.keys():
            count, newest = self.db.execute(sql, (branch_id,)).fetchone()
            if count:
                found[branch_id] = [count, newest]
            else:
                del found[branch_id]  # nothing visible: absent, as from a GROUP BY
        return found

    def _remembered(self, name: str, key: str, compute: Callable[[], Any]) -> Any:
        """``compute()`` (JSON-able), kept in ``meta`` until the generation changes.

        The health refresh of a run where nothing changed needs the per-branch counts,
        activity and held entries; each is a scan of every entry (~0.1 s at 50,000), yet they
        only change when the generation does (every entry or decision change bumps it)."""
        generation = self.generation()
        tag = f"{_REMEMBER_FORMAT}:{generation}:{key}"
        meta_key = f"remembered:{name}"
        text = self.get_meta(meta_key)
        if text:
            try:
                stored = json.loads(text)
                if stored["tag"] == tag:
                    return stored["value"]
            except (ValueError, KeyError, TypeError):
                pass  # unreadable: computed again and overwritten
        value = compute()
        try:
            with self._transaction():
                # Another connection may have bumped the generation meanwhile: then the value
                # may be older than the generation and is not kept.
                if self.generation() == generation:
                    self._set_meta(meta_key, json.dumps({"tag": tag, "value": value}))
        except sqlite3.Error:
            pass  # a read-only connection (Store.reader) or a busy store: only an optimisation
        return value

    def activity_by_branch(
        self, months: int = 12, now: datetime | None = None
    ) -> dict[str, list[int]]:
        """:meth:`activity` of every branch with entries, in one query (it reads the
        ``entries_branch`` index only)."""
        keys = month_keys(months, now)

        def compute() -> dict[str, list[int]]:
            index = {key: i for i, key in enumerate(keys)}
            found: dict[str, list[int]] = {}
            rows = self.db.execute(
                "SELECT branch_id, substr(published, 1, 7) AS ym, COUNT(*) FROM entries "
                "WHERE published >= ? GROUP BY branch_id, ym",
                (keys[0] if keys else "",),
            )
            for branch_id, month, count in rows:
                at = index.get(month)
                if at is not None:
                    found.setdefault(branch_id, [0] * len(keys))[at] = count
            return found

        # The months shown depend on today's month, not only on the stored entries.
        found: dict[str, list[int]] = self._remembered(
            "activity_by_branch", ",".join(keys), compute
        )
        return found

    def held_by_branch(self) -> dict[str, tuple[int, str | None]]:
        """``branch_id -> (entries held and undecided, rule of the newest of them)``: what
        the health page says of :meth:`quarantined`, without reading the entries themselves.
        Remembered per generation."""

        def compute() -> dict[str, list[Any]]:
            found: dict[str, list[Any]] = {}
            for branch_id, rule in self.db.execute(HELD_SQL):
                if branch_id in found:
                    found[branch_id][0] += 1
                else:
                    found[branch_id] = [1, rule]  # newest first: the first seen is the newest
            return found

        held = self._remembered("held_by_branch", "", compute)
        return {key: (count, rule) for key, (count, rule) in held.items()}

    def count_entries(self, branch_id: str) -> int:
        """Visible entries fetched through ``branch_id``."""
        sql = (
            "SELECT COUNT(*) FROM entries e LEFT JOIN decisions d ON d.entry_id = e.entry_id "
            f"WHERE e.branch_id = ? AND ({VISIBLE})"
        )
        return int(self.db.execute(sql, (branch_id,)).fetchone()[0])

    def activity(self, branch_id: str, months: int = 12, now: datetime | None = None) -> list[int]:
        """Entries per calendar month (by published date) for the last ``months``, oldest first."""
        keys = month_keys(months, now)
        rows = self.db.execute(
            "SELECT substr(published, 1, 7) AS ym, COUNT(*) FROM entries "
            "WHERE branch_id = ? AND published >= ? GROUP BY ym",
            (branch_id, keys[0] if keys else ""),
        ).fetchall()
        counts = {row[0]: row[1] for row in rows}
        return [counts.get(key, 0) for key in keys]

    # ------------------------------------------------------------------ quarantine

    def quarantined(self) -> list[Entry]:
        """Entries (and changes to published ones) held back by the screen and not yet
        decided, newest first."""
        sql = (
            "SELECT e.* FROM entries e LEFT JOIN decisions d ON d.entry_id = e.entry_id "
            "WHERE e.quarantine_reason IS NOT NULL AND d.decision IS NULL "
            "ORDER BY e.published DESC, e.updated DESC, e.entry_id"
        )
        held = []
        for row in self.db.execute(sql):
            entry = self._entry(row)
            entry.quarantine_rule = row["quarantine_rule"]
            held.append(entry)
        from .heldchanges import held as held_changes  # the changes to published entries

        return held + held_changes(self)

    def decisions(self) -> dict[str, tuple[str, str]]:
        """Every remembered decision: ``entry_id -> (decision, note)``."""
        rows = self.db.execute("SELECT entry_id, decision, note FROM decisions").fetchall()
        return {row[0]: (row[1], row[2]) for row in rows}

    def decide(self, entry_id: str, decision: str, note: str = "") -> None:
        """Release (publish despite the screen) or reject (never publish) an entry, for good."""
        if decision not in ("release", "reject"):
            raise ValueError(f"decision must be 'release' or 'reject', not {decision!r}")
        with self._transaction():
            current = self.db.execute(
                "SELECT decision, note FROM decisions WHERE entry_id = ?", (entry_id,)
            ).fetchone()
            if current is not None and tuple(current) == (decision, note):
                return
            self.db.execute(
                "INSERT INTO decisions (entry_id, decision, note, decided_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(entry_id) DO UPDATE SET decision = excluded.decision, "
                "note = excluded.note, decided_at = excluded.decided_at",
                (entry_id, decision, note, iso(datetime.now(UTC))),
            )
            self._bump()

    # ------------------------------------------------------------------ health

    def integrity_ok(self) -> bool:
        return self.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    def journal_mode(self) -> str:
        return str(self.db.execute("PRAGMA journal_mode").fetchone()[0])
