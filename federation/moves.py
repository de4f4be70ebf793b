"""A permanent redirect moves a branch only once it is believable.

One 301 from a hacked branch host used to move that branch for good: the original address
was never asked again. Now a 301/308 target is remembered as *pending* (in the store's
``meta``, key ``move:<branch id>``) and the original address keeps being asked. The move takes
effect when every run for at least :data:`MOVE_RUNS` runs spanning :data:`MOVE_DAYS` days
was redirected to the same target, or when the operator confirms it
(``tongxin moves confirm BRANCH --db …``). A run without the redirect, or to another target,
starts the count again. Only fetches that succeeded count: for a signed branch that means the
target served a feed signed with the branch's key, so a signed branch cannot move to a host
that does not sign with its key.

The health page shows the pending target's host (its note) and, once moved, the new address.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from tongxin.i18n import translate

from .model import FetchResult

if TYPE_CHECKING:
    from .store import Store

MOVE_RUNS = 3
MOVE_DAYS = 2.0
_KEY = "move:"


@dataclass
class PendingMove:
    target: str
    first_seen: str
    last_seen: str
    runs: int
    confirmed: bool = False

    def due(self) -> bool:
        if self.confirmed:
            return True
        span = datetime.fromisoformat(self.last_seen) - datetime.fromisoformat(self.first_seen)
        return self.runs >= MOVE_RUNS and span >= timedelta(days=MOVE_DAYS)


def pending(store: Store, branch_id: str) -> PendingMove | None:
    text = store.get_meta(_KEY + branch_id)
    if not text:
        return None
    try:
        return PendingMove(**json.loads(text))
    except (TypeError, ValueError):
        return None


def _save(store: Store, branch_id: str, move: PendingMove | None) -> None:
    store.set_meta(_KEY + branch_id, json.dumps(move.__dict__) if move else "")


def consider(
    store: Store, branch_id: str, result: FetchResult, now: datetime | None = None
) -> str | None:
    """The permanent redirect this run may act on (None: keep the current address).

    Sets ``result.permanent_redirect`` to that answer, so the store moves the branch only then.
    """
    moment = (now or datetime.now(UTC)).isoformat(timespec="seconds")
    target = result.permanent_redirect
    move = pending(store, branch_id)
    succeeded = result.error is None and (result.body is not None or result.not_modified)
    if result.skipped_until or (target and not succeeded):
        result.permanent_redirect = None  # nothing learnt: a failing target earns no trust
        return None
    if not target:
        if move is not None and not move.confirmed:
            _save(store, branch_id, None)
        return None
    if move is None or move.target != target:
        move = PendingMove(target, moment, moment, 0, confirmed=False)
    move.runs += 1
    move.last_seen = moment
    if move.due():
        _save(store, branch_id, None)
        return target
    _save(store, branch_id, move)
    result.permanent_redirect = None
    return None


def confirm(store: Store, branch_id: str) -> PendingMove | None:
    """The operator accepts a pending move: the next run that sees it moves the branch."""
    move = pending(store, branch_id)
    if move is not None:
        move.confirmed = True
        _save(store, branch_id, move)
    return move


def note(language: str, move: PendingMove | None) -> str | None:
    """The health page's line for a pending move: the target's host, never a clickable URL."""
    if move is None:
        return None
    host = urlsplit(move.target).hostname or "?"
    return translate(language, "health.move_pending", host=host, runs=move.runs, needed=MOVE_RUNS)
