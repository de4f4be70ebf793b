"""Backdated items: a declared publication date well before the entry's file existed.

Inspections fail a site for faked publication dates (伪造发稿日期). A Tongxin branch build
publishes, per entry in ``api/index.json``, when its file was first committed
(``first_commit``); an entry whose ``date`` is more than ``backdated_days`` before that, and
no more than ``tongxin.checkdates.ARCHIVE_DAYS`` (180: older is an archive added late, 补录,
which no inspection window reaches), is counted. The portal reads a branch's api/index.json
when its feed changed (15 s, 5 MB at most) and keeps the count in the store, so the health
page shows it on every run. A file that does not list every entry of the feed just read
(emptied, stale, another site's) is not counted: the last count stays.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from tongxin.checkdates import is_backdated

from .fetch import read_json_documents
from .model import Branch

FEED_SUFFIX = "feeds/all.atom.xml"
MAX_BYTES = 5 * 1024 * 1024
TIMEOUT = 15.0
_KEY = "backdated:"


def api_url(branch: Branch) -> str | None:
    """Where a Tongxin branch publishes api/index.json (None for other feeds)."""
    if branch.feed.endswith(FEED_SUFFIX):
        return branch.feed[: -len(FEED_SUFFIX)] + "api/index.json"
    return None


def _time(text: Any) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else None


#: Questioned entries a branch's health row lists, newest first (its count holds them all).
LISTED = 20


def find_backdated(document: Any, days: int) -> list[dict[str, str]] | None:
    """The entries of an api/index.json whose date precedes their first commit by more than
    ``days`` (``title``, ``url``, ``date``, ``first_commit``), newest date first; None when
    the document is not an api/index.json."""
    if not isinstance(document, dict) or not isinstance(document.get("entries"), list):
        return None
    found = []
    for entry in document["entries"]:
        if not isinstance(entry, dict) or not entry.get("first_commit") or not entry.get("date"):
            continue
        declared, first = _time(entry["date"]), _time(entry["first_commit"])
        if declared and first and is_backdated(declared, first, days):
            found.append((declared, _shown(entry, declared, first)))
    found.sort(key=lambda pair: pair[0], reverse=True)
    return [shown for _declared, shown in found]


def _shown(entry: dict[str, Any], declared: datetime, first: datetime) -> dict[str, str]:
    url = str(entry.get("url") or "")
    return {
        "title": str(entry.get("title") or "")[:200],
        "url": url if url.startswith(("https://", "http://")) else "",
        "date": declared.isoformat(),
        "first_commit": first.isoformat(),
    }


def count_backdated(document: Any, days: int) -> int | None:
    """How many entries of an api/index.json are backdated (:func:`find_backdated`)."""
    found = find_backdated(document, days)
    return None if found is None else len(found)


def read(
    branches: Iterable[Branch],
    changed: set[str],
    user_agent: str,
    allow_networks: Iterable[str] = (),
) -> dict[str, Any]:
    """branch id -> its parsed api/index.json (None when unreadable), for the Tongxin
    branches whose feed changed this run (``changed``: their ids). Read once a run, for the
    backdated count here and for retractions (:mod:`.retractions`)."""
    urls = {b.id: u for b in branches if b.id in changed and (u := api_url(b))}
    return read_json_documents(
        urls,
        allow_networks=allow_networks,
        user_agent=user_agent,
        max_bytes=MAX_BYTES,
        timeout=TIMEOUT,
    )


def record(documents: dict[str, Any], db: sqlite3.Connection, days: int) -> None:
    """Recount the backdated entries of each branch whose api/index.json was read."""
    found = {key: find_backdated(document, days) for key, document in documents.items()}
    with db:
        db.executemany(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
            [
                (_KEY + key, json.dumps({"count": len(items), "items": items[:LISTED]}))
                for key, items in found.items()
                if items is not None
            ],
        )


def collect(
    branches: Iterable[Branch],
    changed: set[str],
    db: sqlite3.Connection,
    days: int,
    user_agent: str,
    allow_networks: Iterable[str] = (),
) -> None:
    """Recount the branches whose feed changed this run (``changed``: their ids)."""
    record(read(branches, changed, user_agent, allow_networks), db, days)


def stored(db: sqlite3.Connection) -> dict[str, tuple[int, list[dict[str, str]]]]:
    """branch id -> (its backdated count, the first :data:`LISTED` of them) as last read."""
    rows = db.execute("SELECT key, value FROM meta WHERE key LIKE ?", (_KEY + "%",))
    found: dict[str, tuple[int, list[dict[str, str]]]] = {}
    for key, value in rows:
        kept = json.loads(value)  # a bare count, as stores before the list kept it
        if isinstance(kept, int):
            found[key[len(_KEY) :]] = (kept, [])
        else:
            found[key[len(_KEY) :]] = (int(kept["count"]), list(kept["items"]))
    return found
