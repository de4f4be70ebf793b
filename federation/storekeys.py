"""Moving stored entries to new keys when a registry starts trusting a lower portal."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from .entryrows import ROW_COLUMNS, EntryRow
from .model import Branch
from .scope import entry_key

_FEED = ROW_COLUMNS.index("feed_id")
Stored = dict[str, tuple[str, str, str, str, str | None]]


def adopt_portal_keys(
    db: sqlite3.Connection,
    branch: Branch,
    rows: dict[str, EntryRow],
    stored: Stored,
    read: Callable[[list[str]], Stored],
) -> None:
    """A branch newly flagged ``portal: true`` relays its entries under their original
    branches' scopes: the copies stored under the portal's own scope (before the flag, or
    before schema 5) move to the new keys, first seen and decisions kept. ``stored`` (what
    ``read(keys)`` found for ``rows``) learns the moved entries, which the caller rewrites."""
    moves = {
        entry_key(branch.id, row[_FEED]): key
        for key, row in rows.items()
        if key not in stored and entry_key(branch.id, row[_FEED]) != key
    }
    if not moves:
        return
    for legacy, (old_branch, origin, _hash, first_seen, rule) in read(list(moves)).items():
        key = moves[legacy]
        if old_branch != branch.id or key in stored:
            continue
        db.execute("DELETE FROM entries WHERE entry_id = ?", (legacy,))
        db.execute("UPDATE OR IGNORE decisions SET entry_id = ? WHERE entry_id = ?", (key, legacy))
        stored[key] = (old_branch, origin, "", first_seen, rule)  # rewritten by the caller
