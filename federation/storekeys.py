"""Moving stored entries to new keys: when a registry starts trusting a lower portal, and
when an entry's relative id, stored as the feed wrote it, is now resolved to an address."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

from .entryrows import ROW_COLUMNS, EntryRow
from .model import Branch
from .scope import entry_key

_FEED = ROW_COLUMNS.index("feed_id")
_FEED_URL = ROW_COLUMNS.index("origin_feed_url")
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
    if moves:
        _move(db, branch, moves, stored, read)


def adopt_resolved_ids(
    db: sqlite3.Connection,
    branch: Branch,
    rows: dict[str, EntryRow],
    stored: Stored,
    read: Callable[[list[str]], Stored],
) -> None:
    """Entries stored before relative Atom ids and permalink guids were resolved (under ``1``
    or ``/post/1`` rather than ``https://site/post/1``) move to the resolved key, first seen
    and decisions kept: an upgrade shows no entry twice. ``stored`` learns the moved entries,
    which the caller rewrites."""
    moves: dict[str, str] = {}
    for key, row in rows.items():
        if key in stored or key != entry_key(branch.id, row[_FEED]):
            continue
        for written in _written_forms(row[_FEED], row[_FEED_URL]):
            legacy = entry_key(branch.id, written)
            if legacy not in rows:  # still the key of an entry of this feed: not legacy
                moves.setdefault(legacy, key)
    if moves:
        _move(db, branch, moves, stored, read)


def _written_forms(resolved: str, base: str) -> Iterator[str]:
    """The relative forms of ``resolved`` against ``base`` a feed may have written."""
    try:
        parts = urlsplit(base)  # a relayed entry's feed address is the relaying feed's word
    except ValueError:
        return
    if not parts.scheme or not parts.netloc:
        return
    origin = f"{parts.scheme}://{parts.netloc}"
    directory = origin + parts.path[: parts.path.rfind("/") + 1]
    document = origin + parts.path
    if resolved[len(document) : len(document) + 1] in ("?", "#") and resolved.startswith(document):
        yield resolved[len(document) :]  # "?p=2"
    if resolved.startswith(directory) and len(resolved) > len(directory) > len(origin):
        yield resolved[len(directory) :]  # "1", "posts/1/"
    if resolved.startswith(origin + "/"):
        yield resolved[len(origin) :]  # "/posts/1/"


def _move(
    db: sqlite3.Connection,
    branch: Branch,
    moves: dict[str, str],
    stored: Stored,
    read: Callable[[list[str]], Stored],
) -> None:
    for legacy, (old_branch, origin, _hash, first_seen, rule) in read(list(moves)).items():
        key = moves[legacy]
        if old_branch != branch.id or key in stored:
            continue
        db.execute("DELETE FROM entries WHERE entry_id = ?", (legacy,))
        db.execute("UPDATE OR IGNORE decisions SET entry_id = ? WHERE entry_id = ?", (key, legacy))
        stored[key] = (old_branch, origin, "", first_seen, rule)  # rewritten by the caller
