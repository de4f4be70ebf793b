"""A per-branch cap on stored entries: a branch sending thousands of new ids every run cannot
grow the store without end.

After a branch's fetch is stored, its entries beyond the cap (the registry's
``max_entries_per_branch``, or the branch's own ``max_entries``) are dropped, oldest
(by published date) first, decisions and all. The health page notes it for that branch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tongxin.i18n import translate

from .model import Branch

if TYPE_CHECKING:
    from .store import Store

DEFAULT_MAX_ENTRIES = 5000


def cap_for(branch: Branch, default: int) -> int:
    value = branch.extra.get("max_entries")
    return int(value) if isinstance(value, int) and value > 0 else default


def enforce(store: Store, branch: Branch, cap: int, language: str) -> str | None:
    """Drop ``branch``'s stored entries beyond ``cap``; the health note when any were dropped."""
    count = store.count_entries(branch.id)
    if count <= cap:
        return None
    with store._transaction():  # noqa: SLF001 - one transaction with the bump below
        store.db.execute(
            "DELETE FROM entries WHERE branch_id = ? AND entry_id NOT IN (SELECT entry_id "
            "FROM entries WHERE branch_id = ? ORDER BY published DESC, entry_id LIMIT ?)",
            (branch.id, branch.id, cap),
        )
        note = translate(language, "health.capped", cap=cap, dropped=count - cap)
        store.db.execute(
            "UPDATE branch_state SET error = ? WHERE branch_id = ? AND error IS NULL",
            (note, branch.id),
        )
        store._bump()  # noqa: SLF001
    return note
