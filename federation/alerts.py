"""What a quiet run (``federate -q``, under cron) says: a trouble when it begins or changes,
again once a day while it lasts, and one line when it is over.

cron mails whatever a job prints. A portal fetched every 15 minutes with one branch down for a
week mailed the same lines 672 times (an operator's trial), and a mailbox that says the same
thing every quarter hour is a mailbox nobody reads: the next, new failure went unseen. The
exit status and the health page are unchanged; only the repetition goes. What was said last,
and when, is kept in the store's ``meta`` table.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from enum import Enum
from pathlib import Path
from typing import Any

from .store import Store

#: A trouble that lasts is said again after this long.
REMIND = timedelta(hours=24)
#: The store's meta key of what was said last, and when.
KEY = "alerts:quiet"


class Say(Enum):
    NOTHING = "nothing"
    NEW = "new"  # a trouble began, or changed (another branch failed, one recovered …)
    REMIND = "remind"  # the same trouble, a day after it was last said
    OVER = "over"  # every trouble said before has gone


def decide(db: Path, trouble: Mapping[str, Any], now: datetime) -> tuple[Say, str | None]:
    """What to say about ``trouble`` (empty: all is well) at ``now``, and since when the
    trouble was first said unchanged (for a reminder); records what was said."""
    signature = json.dumps(dict(trouble), sort_keys=True, ensure_ascii=False)
    with Store(db) as store:
        kept = store.get_meta(KEY)
        last = json.loads(kept) if kept else None
        if not trouble:
            if last is None:
                return Say.NOTHING, None
            store.set_meta(KEY, "")
            return Say.OVER, None
        if last is not None and last["trouble"] == signature:
            if now - datetime.fromisoformat(last["said"]) < REMIND:
                return Say.NOTHING, None
            store.set_meta(KEY, json.dumps({**last, "said": now.isoformat()}))
            return Say.REMIND, str(last["since"])
        store.set_meta(
            KEY,
            json.dumps({"trouble": signature, "said": now.isoformat(), "since": now.isoformat()}),
        )
        return Say.NEW, None
