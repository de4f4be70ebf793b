"""Adaptive polling: each branch is checked as often as it publishes, not every 15 minutes.

As the best feed readers do (CommaFeed, Miniflux; /work/shared/REFERENCES.md): a branch
whose newest entry is 30 days old is checked daily, 14 days twice a day, 7 days four times a
day; otherwise at half the average gap between its entries of the last 30 days; always
within 15 minutes and 24 hours. The server's own word wins when it asks for longer
(``Cache-Control: max-age``, ``Expires``, ``Retry-After``, capped at 24 hours). A failing
branch backs off (15 min, 30, 60, … up to 24 h) but is never given up: it is checked at least
daily, and the health page says since when it fails and how many tries it took.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from .model import FetchResult

MIN = timedelta(minutes=15)
MAX = timedelta(hours=24)

_TABLE = """CREATE TABLE IF NOT EXISTS schedule (
    branch_id TEXT PRIMARY KEY, next_check TEXT NOT NULL, interval_s REAL NOT NULL,
    failures INTEGER NOT NULL DEFAULT 0, failing_since TEXT)"""


@dataclass(frozen=True)
class Slot:
    next_check: datetime
    interval: timedelta
    failures: int
    failing_since: str | None


def _clamp(value: timedelta) -> timedelta:
    return max(MIN, min(MAX, value))


def rhythm_interval(published: Sequence[datetime], now: datetime) -> timedelta:
    """How often to check a branch that published at ``published`` (any order)."""
    if not published:
        return MAX
    newest = max(published)
    silent = now - newest
    if silent > timedelta(days=30):
        return MAX
    if silent > timedelta(days=14):
        return MAX / 2
    if silent > timedelta(days=7):
        return MAX / 4
    recent = sorted(p for p in published if now - p <= timedelta(days=30))
    if len(recent) < 2:
        return MAX / 4
    average_gap = (recent[-1] - recent[0]) / (len(recent) - 1)
    return _clamp(average_gap / 2)


def server_interval(result: FetchResult, now: datetime) -> timedelta | None:
    """What the server asked for: Retry-After, Cache-Control max-age, Expires (the longest)."""
    asked: list[timedelta] = []
    if result.retry_after:
        asked.append(timedelta(seconds=result.retry_after))
    headers = {k.lower(): v for k, v in (result.headers or {}).items()}
    match = re.search(r"max-age\s*=\s*(\d+)", headers.get("cache-control", ""))
    if match:
        asked.append(timedelta(seconds=int(match.group(1))))
    if headers.get("expires"):
        try:
            expires = parsedate_to_datetime(headers["expires"])
            if expires.tzinfo is None:
                expires = expires.replace(tzinfo=UTC)
            asked.append(expires - now)
        except (TypeError, ValueError):
            pass
    return max(asked) if asked else None


def next_slot(
    result: FetchResult, published: Sequence[datetime], previous: Slot | None, now: datetime
) -> Slot:
    """When to check this branch next, after ``result``."""
    if result.error is not None:
        failures = (previous.failures if previous else 0) + 1
        since = (previous.failing_since if previous else None) or now.isoformat(timespec="seconds")
        interval = _clamp(MIN * (2 ** min(failures - 1, 10)))
        asked = server_interval(result, now)
        if asked is not None:
            interval = max(interval, min(asked, MAX))
        return Slot(now + interval, interval, failures, since)
    interval = rhythm_interval(published, now)
    asked = server_interval(result, now)
    if asked is not None:
        interval = max(interval, min(asked, MAX))
    return Slot(now + interval, interval, 0, None)


# ------------------------------------------------------------------ stored in the portal's db


def slots(db: sqlite3.Connection) -> dict[str, Slot]:
    db.execute(_TABLE)
    rows = db.execute(
        "SELECT branch_id, next_check, interval_s, failures, failing_since FROM schedule"
    )
    return {
        b: Slot(datetime.fromisoformat(n), timedelta(seconds=i), f, s) for b, n, i, f, s in rows
    }


def due(db: sqlite3.Connection, branch_ids: Iterable[str], now: datetime) -> set[str]:
    """The branches to check now: never checked, or their time has come."""
    known = slots(db)
    return {b for b in branch_ids if b not in known or known[b].next_check <= now}


def published_by_branch(db: sqlite3.Connection, now: datetime) -> dict[str, list[datetime]]:
    """Each branch's entry dates of the last 30 days, plus its newest whatever its age."""
    since = (now - timedelta(days=30)).astimezone(UTC).isoformat()
    found: dict[str, list[datetime]] = {}
    sql = (
        "SELECT branch_id, published FROM entries WHERE published >= ? UNION "
        "SELECT branch_id, MAX(published) FROM entries WHERE published IS NOT NULL "
        "GROUP BY branch_id"
    )
    for branch_id, text in db.execute(sql, (since,)):
        moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
        found.setdefault(branch_id, []).append(
            moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        )
    return found


def record(db: sqlite3.Connection, results: Iterable[FetchResult], now: datetime) -> None:
    """Plan each fetched branch's next check (a fetch skipped for Retry-After keeps its)."""
    known = slots(db)
    published = published_by_branch(db, now)
    rows = []
    for result in results:
        if result.skipped_until is not None:
            continue
        slot = next_slot(
            result, published.get(result.branch_id, []), known.get(result.branch_id), now
        )
        rows.append(
            (result.branch_id, slot.next_check.isoformat(), slot.interval.total_seconds(),
             slot.failures, slot.failing_since)
        )  # fmt: skip
    with db:
        db.executemany("INSERT OR REPLACE INTO schedule VALUES (?, ?, ?, ?, ?)", rows)
