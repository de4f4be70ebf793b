"""Two portals listing each other: our own entries come back through the other one.

Portal X lists portal Y, Y lists X. X's entries go out in X's feed, Y relays them, and X reads
them again from Y. Those naming X itself as origin are left out at parse time
(:func:`.scope.drop_own_entries`). Those naming one of X's own branches cannot be believed
from Y (:func:`.scope.origin_scope`: a claim about a branch not below Y), so they would be
stored as Y's own: every entry of X twice, the copy labelled Y. Here, before storing, such a
relayed entry that is a copy of an entry X fetched directly from a branch (same link and
title) is left out too; a claim with other content stays Y's own, as before.
"""

from __future__ import annotations

import sqlite3

from tongxin.i18n import translate

from .entryrows import ROW_COLUMNS, EntryRow
from .model import Branch

_ORIGIN = ROW_COLUMNS.index("origin_branch_id")
_URL = ROW_COLUMNS.index("url")
_TITLE = ROW_COLUMNS.index("title")


def drop_copies(db: sqlite3.Connection, branch: Branch, rows: list[EntryRow]) -> list[EntryRow]:
    """``rows`` of the portal ``branch`` without its own-claimed copies of entries this
    portal fetched directly from another branch."""
    if not branch.portal or not rows:
        return rows
    claimed = [r for r in rows if r[_ORIGIN] == branch.id]
    if not claimed:
        return rows
    direct = {
        (url, title)
        for url, title in db.execute(
            "SELECT url, title FROM entries WHERE branch_id != ? AND origin_branch_id = branch_id",
            (branch.id,),
        )
    }
    return [r for r in rows if r[_ORIGIN] != branch.id or (r[_URL], r[_TITLE]) not in direct]


def note(language: str | None, count: int) -> str:
    return translate(language, "federation.parse.own_entries", count=count)
