"""A branch renamed in the registry: its stored entries carry the new name.

An entry's branch name (``origin_branch_name``) is written when the entry is stored; a
branch renamed in the registry (南湖村党支部 → 南湖村党总支) kept its old name on every entry
it had published, so the portal's cards and the search's branch filter showed both names,
the old one on all but the newest entries. The entries a branch published itself (not those
a lower portal relays, whose names come from that portal's feed) follow the registry's name.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from .model import Branch
from .storeschema import Transaction

if TYPE_CHECKING:
    from .store import Store


def follow_renames(store: Store, branches: Iterable[Branch]) -> int:
    """Give each branch's own stored entries its registry name; how many entries changed."""
    changed, db = 0, store.db
    with Transaction(db):  # one commit for every branch
        for branch in branches:
            if not branch.name:
                continue
            cursor = db.execute(
                "UPDATE entries SET origin_branch_name = ? WHERE branch_id = ? "
                "AND origin_branch_id = branch_id AND origin_branch_name != ?",
                (branch.name, branch.id, branch.name),
            )
            changed += cursor.rowcount
        if changed:
            store.changed()
    return changed
