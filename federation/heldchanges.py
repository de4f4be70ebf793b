"""Held changes: a published entry's new version that the screen held back.

A branch hacked after it published an entry edits that entry: a casino link list or a
brand-with-digits line added to a clean article. The screen judges the change and holds it;
the portal must then keep showing the version it published before, never the spam, and never
lose the clean one. So a held change does not replace the stored entry: it waits in its own
table (``held_changes``) beside the published row, until the operator

- releases it: the held version replaces the published one, released (its decision bound to
  that content, as every decision is);
- rejects it: the published version stays; the same change sent again stays rejected, a
  different change is screened (and, if held, waits) again.

When the branch sends the entry clean again (restored, or corrected), the held change is
dropped and the clean version is stored as any change is. Only an entry the portal shows
(clean, or released) keeps its published version this way: a change to an entry that was
itself held or rejected is stored and screened as before.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from tongxin.i18n import translate

from .entryrows import ROW_COLUMNS, EntryRow, entry_from_row
from .model import Entry
from .store import VISIBLE

#: Meta key prefix (shared with :mod:`.quarantine`): the id's line in ``quarantine.yaml`` is
#: about other content than the store holds, and is not applied again.
LAPSED = "lapsed:"

_REASON = ROW_COLUMNS.index("quarantine_reason")
_HASH = ROW_COLUMNS.index("content_hash")
_PUBLISHED = ROW_COLUMNS.index("published")
_RULE = ROW_COLUMNS.index("quarantine_rule")
_COLUMNS = ", ".join(f"e.{c}" for c in ROW_COLUMNS)
_IN_CHUNK = 500


def _published_rows(db: Any, ids: Sequence[str]) -> dict[str, tuple[Any, ...]]:
    """The stored rows of ``ids`` that the portal shows (clean, or released)."""
    found: dict[str, tuple[Any, ...]] = {}
    for start in range(0, len(ids), _IN_CHUNK):
        chunk = list(ids[start : start + _IN_CHUNK])
        marks = ",".join("?" * len(chunk))
        sql = (
            f"SELECT {_COLUMNS} FROM entries e LEFT JOIN decisions d ON d.entry_id = e.entry_id "
            f"WHERE e.entry_id IN ({marks}) AND ({VISIBLE})"
        )
        for row in db.execute(sql, chunk):
            found[row[0]] = tuple(row)
    return found


def _pending(db: Any, ids: Sequence[str]) -> dict[str, tuple[str, str | None]]:
    found: dict[str, tuple[str, str | None]] = {}
    for start in range(0, len(ids), _IN_CHUNK):
        chunk = list(ids[start : start + _IN_CHUNK])
        marks = ",".join("?" * len(chunk))
        sql = (
            f"SELECT entry_id, content_hash, decision FROM held_changes WHERE entry_id IN ({marks})"
        )
        for entry_id, content_hash, decision in db.execute(sql, chunk):
            found[entry_id] = (content_hash, decision)
    return found


def divert(store: Any, rows: Sequence[EntryRow], language: str = "zh-CN") -> list[EntryRow]:
    """``rows`` (one branch's screened rows, about to be stored) with every held change to a
    published entry set aside in ``held_changes`` and replaced by the published row (stored
    unchanged); a clean row drops a change held for its entry before."""
    ids = [row[0] for row in rows]
    pending = _pending(store.db, ids)
    held_ids = [row[0] for row in rows if row[_REASON] is not None]
    if not held_ids and not pending:
        return list(rows)
    published = _published_rows(store.db, held_ids) if held_ids else {}
    kept: list[EntryRow] = []
    dropped: list[str] = []
    writes: list[tuple[Any, ...]] = []
    for row in rows:
        entry_id = row[0]
        before = published.get(entry_id)
        if row[_REASON] is None or before is None or before[1] != row[1]:
            if entry_id in pending:
                dropped.append(entry_id)  # sent clean again, or no published version now
            kept.append(row)
            continue
        kept.append(before)  # the portal keeps what it published
        old = pending.get(entry_id)
        if old is not None and old[0] == row[_HASH]:
            continue  # the same change again: its decision (if any) stands
        marked = list(row)
        marked[_REASON] = translate(language, "screen.held_change", reason=row[_REASON])
        writes.append((
            entry_id, row[1], row[_HASH], row[_PUBLISHED],
            json.dumps(marked, ensure_ascii=False), row[_RULE],
        ))  # fmt: skip
    if writes or dropped:
        with store._transaction():
            store.db.executemany(
                "DELETE FROM held_changes WHERE entry_id = ?", [(i,) for i in dropped]
            )
            store.db.executemany(
                "INSERT OR REPLACE INTO held_changes (entry_id, branch_id, content_hash, "
                "published, row, quarantine_rule, decision, note) "
                "VALUES (?, ?, ?, ?, ?, ?, NULL, '')",
                writes,
            )
            decided = store.decisions()
            for write in writes:
                if write[0] in decided:
                    # A decision on the published content says nothing of this change.
                    store._set_meta(LAPSED + write[0], "change")
            store._bump()
    return kept


def held(store: Any) -> list[Entry]:
    """Held changes waiting for a decision, as entries (the held version, its reason)."""
    found = []
    sql = (  # an entry dropped since (the per-branch cap) takes its held change along
        "SELECT row FROM held_changes WHERE decision IS NULL AND entry_id IN "
        "(SELECT entry_id FROM entries) ORDER BY published DESC, entry_id"
    )
    for (text,) in store.db.execute(sql):
        found.append(entry_from_row(json.loads(text)))
    return found


def decide(store: Any, entry_id: str, decision: str, note: str = "") -> bool:
    """Decide on ``entry_id``'s held change, if it has one (False: it has none).

    Release: the held version replaces the published one, released. Reject: the published
    version stays, and the change stays rejected while the branch sends it unchanged."""
    found = store.db.execute(
        "SELECT row, decision, note FROM held_changes WHERE entry_id = ?", (entry_id,)
    ).fetchone()
    if found is None:
        return False
    if decision == "reject":
        if (found[1], found[2]) != ("reject", note):
            with store._transaction():
                store.db.execute(
                    "UPDATE held_changes SET decision = 'reject', note = ? WHERE entry_id = ?",
                    (note, entry_id),
                )
                # quarantine.yaml's line names the change, not the published entry.
                store._set_meta(LAPSED + entry_id, "change")
                store._bump()
        return True
    row = json.loads(found[0])
    columns = ", ".join(ROW_COLUMNS)
    with store._transaction():
        first_seen = store.db.execute(
            "SELECT first_seen FROM entries WHERE entry_id = ?", (entry_id,)
        ).fetchone()
        stamp = first_seen[0] if first_seen else row[_PUBLISHED] or ""
        store.db.execute(
            f"INSERT OR REPLACE INTO entries ({columns}, first_seen, last_seen) "
            f"VALUES ({', '.join('?' * (len(ROW_COLUMNS) + 2))})",
            (*row, stamp, stamp),
        )
        store.db.execute("DELETE FROM held_changes WHERE entry_id = ?", (entry_id,))
        store._set_meta(LAPSED + entry_id, "")
        store._bump()
    store.decide(entry_id, "release", note)
    return True


__all__ = ["LAPSED", "decide", "divert", "held"]
