"""What an inspector would find on each branch and on the portal (国办秘函〔2019〕19号).

The State Council checklist fails a site outright when its home page shows nothing new for
14 days, when 5 or more columns are overdue (news-type after 14 days, notice-type after 180)
or blank, when items carry no date, or when the site fails to open within 15 s in 5 % or more
of a week's probes (docs/federation.md, "The health page"). This module measures each rule
per branch from the store, and sums them up per portal; thresholds come from the registry's
``inspection`` mapping (:data:`DEFAULTS`).

Availability is measured by the runs themselves: every fetch is one probe (answered within
``probe_seconds`` or not), kept 8 days in the store's ``probes`` table.
"""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from tongxin.checkdates import BACKDATED_DAYS
from tongxin.zones import zone

from . import backdating, retractions, schedule
from .model import BranchHealth, FetchResult, Registry
from .rollup import stored, totals
from .store import VISIBLE

#: The checklist's lines; a registry's ``inspection`` mapping overrides any of them.
DEFAULTS: dict[str, Any] = {
    "home_days": 14,  # the home page shows nothing new for this long: veto
    "warn_days": 10,  # the countdown to home_days starts here
    "kinds": {"news": 14, "announcements": 180, "study": 90},  # a column overdue after n days
    "overdue_columns": 5,  # this many overdue columns in total: veto
    "blank_columns": 5,  # this many blank columns: veto
    "probe_seconds": 15,  # a probe that takes longer failed
    "availability_percent": 5,  # failed probes over 7 days at or above this: veto
    "backdated_days": BACKDATED_DAYS,  # a declared date this far before the first commit
}

_PROBES = """CREATE TABLE IF NOT EXISTS probes (
    branch_id TEXT NOT NULL, at TEXT NOT NULL, ok INTEGER NOT NULL, seconds REAL NOT NULL)"""
_KEEP = timedelta(days=8)
_WEEK = timedelta(days=7)


def thresholds(registry: Registry) -> dict[str, Any]:
    """The registry's inspection lines, defaults filled in (``kinds`` merged per kind)."""
    given = dict(getattr(registry, "inspection", None) or {})
    merged = {**DEFAULTS, **given}
    merged["kinds"] = {**DEFAULTS["kinds"], **(given.get("kinds") or {})}
    merged["timezone"] = getattr(registry, "timezone", None) or "Asia/Shanghai"  # whose days
    return merged


# ------------------------------------------------------------------ probes (availability)


def record_probes(
    db: sqlite3.Connection,
    results: Iterable[FetchResult],
    now: datetime,
    limit: float,
    unreadable: Collection[str] = (),
) -> None:
    """One probe per fetch that was made (a fetch skipped for Retry-After is none); a body
    that could not be read as a feed (``unreadable`` branch ids) is a failed probe."""
    db.execute(_PROBES)
    stamp = now.astimezone(UTC).isoformat(timespec="seconds")
    rows = [
        (
            r.branch_id,
            stamp,
            int(r.error is None and r.elapsed <= limit and r.branch_id not in unreadable),
            round(r.elapsed, 3),
        )
        for r in results
        if r.skipped_until is None
    ]
    with db:
        db.executemany("INSERT INTO probes VALUES (?, ?, ?, ?)", rows)
        db.execute("DELETE FROM probes WHERE at < ?", ((now - _KEEP).isoformat(),))


def availability(db: sqlite3.Connection, now: datetime) -> dict[str, tuple[int, int]]:
    """branch id -> (probes, failed probes) over the 7 days before ``now``."""
    db.execute(_PROBES)
    since = (now - _WEEK).astimezone(UTC).isoformat(timespec="seconds")
    sql = "SELECT branch_id, COUNT(*), SUM(1 - ok) FROM probes WHERE at >= ? GROUP BY branch_id"
    return {b: (n, int(bad or 0)) for b, n, bad in db.execute(sql, (since,))}


# ------------------------------------------------------------------ columns (kinds)


def kinds_by_branch(db: sqlite3.Connection) -> dict[str, dict[str, tuple[int, str | None, int]]]:
    """branch id -> kind -> (visible items, newest publication date, items without a date)."""
    sql = (
        "SELECT e.branch_id, e.type, COUNT(*), MAX(e.published), "
        "SUM(CASE WHEN e.published IS NULL THEN 1 ELSE 0 END) FROM entries e "
        f"LEFT JOIN decisions d ON d.entry_id = e.entry_id WHERE ({VISIBLE}) "
        "GROUP BY e.branch_id, e.type"
    )
    found: dict[str, dict[str, tuple[int, str | None, int]]] = {}
    for branch_id, kind, count, newest, undated in db.execute(sql):
        found.setdefault(branch_id, {})[kind] = (count, newest, int(undated or 0))
    return found


_WEB = ("https://", "http://")
#: Visible undated entries, through the store's partial index ``entries_undated`` (no scan).
UNDATED_SQL = (
    "SELECT e.branch_id, e.title, e.url FROM entries e "
    "LEFT JOIN decisions d ON d.entry_id = e.entry_id WHERE e.published IS NULL "
    f"AND ({VISIBLE}) ORDER BY e.branch_id, e.first_seen DESC, e.entry_id"
)


def undated_items(db: sqlite3.Connection) -> dict[str, list[dict[str, str]]]:
    """branch id -> its visible items without a publication date (``title``, ``url``), the
    first :data:`backdating.LISTED` seen, newest first: what the operator asks the branch to
    date (its count holds them all)."""
    found: dict[str, list[dict[str, str]]] = {}
    for branch_id, title, url in db.execute(UNDATED_SQL):
        listed = found.setdefault(branch_id, [])
        if len(listed) < backdating.LISTED:
            listed.append({"title": title, "url": url if url.startswith(_WEB) else ""})
    return found


def _days(now: datetime, when: str | None) -> int | None:
    """Calendar days from ``when`` to ``now``, in ``now``'s zone (the registry's), as an
    inspector counts them: an item of 11-24 is 14 days old on 12-08 at any hour (an
    operator's trial saw "13 天前" beside the 11-24 the page showed)."""
    if not when:
        return None
    moment = datetime.fromisoformat(when.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0, (now.date() - moment.astimezone(now.tzinfo).date()).days)


def assess(
    kinds: Mapping[str, tuple[int, str | None, int]],
    probes: tuple[int, int] | None,
    lines: Mapping[str, Any],
    now: datetime,
    backdated: int = 0,
) -> dict[str, Any]:
    """One branch's (or the portal's) inspection: every measure, and which lines it crosses
    (days counted in the registry's zone, ``lines["timezone"]``)."""
    now = now.astimezone(zone(lines.get("timezone")))
    dated = [newest for _count, newest, _u in kinds.values() if newest]
    newest = max(dated) if dated else None
    days = _days(now, newest)
    home_days, warn_days = lines["home_days"], lines["warn_days"]
    overdue, blank = [], []
    for kind, limit in lines["kinds"].items():
        count, kind_newest, _undated = kinds.get(kind, (0, None, 0))
        if not count:
            blank.append(kind)
        elif limit and (_days(now, kind_newest) or 0) > int(limit):
            overdue.append(kind)
    undated = sum(u for _c, _n, u in kinds.values())
    tries, failed = probes or (0, 0)
    failed_percent = round(100.0 * failed / tries, 1) if tries else None
    result: dict[str, Any] = {
        "kinds": {
            kind: {"items": count, "newest": kind_newest, "undated": undated_here}
            for kind, (count, kind_newest, undated_here) in sorted(kinds.items())
        },
        "newest": newest,
        "days_since_newest": days,
        "days_left": None if days is None else home_days - days,
        "home": _home_state(days, home_days, warn_days),
        "overdue_kinds": overdue,
        "blank_kinds": blank,
        "undated": undated,
        "backdated": backdated,
        "probes": tries,
        "failed_probes": failed,
        "failed_percent": failed_percent,
    }
    result["vetoes"] = _vetoes(result, lines)
    result["at_risk"] = bool(
        result["vetoes"] or result["home"] != "ok" or overdue or blank or undated or backdated
    )
    return result


def _home_state(days: int | None, home_days: int, warn_days: int) -> str:
    if days is None or days >= home_days:
        return "overdue"
    return "countdown" if days >= warn_days else "ok"


def _vetoes(result: Mapping[str, Any], lines: Mapping[str, Any]) -> list[str]:
    """The checklist's single-item vetoes this result would fail."""
    vetoes = []
    if result["home"] == "overdue":
        vetoes.append("home")
    if len(result["overdue_kinds"]) >= lines["overdue_columns"]:
        vetoes.append("overdue_columns")
    if len(result["blank_kinds"]) >= lines["blank_columns"]:
        vetoes.append("blank_columns")
    if result["undated"]:
        vetoes.append("undated")
    if result["backdated"]:
        vetoes.append("backdated")
    percent = result["failed_percent"]
    if percent is not None and percent >= lines["availability_percent"]:
        vetoes.append("availability")
    return vetoes


def inspect_rows(
    rows: Sequence[BranchHealth], db: sqlite3.Connection, registry: Registry, now: datetime
) -> list[BranchHealth]:
    """``rows`` with each branch's inspection attached (``BranchHealth.inspection``)."""
    lines = thresholds(registry)
    kinds = kinds_by_branch(db)
    probes = availability(db, now)
    below = stored(db)
    planned = schedule.slots(db)
    suspect = backdating.stored(db)
    undated = undated_items(db)
    withdrawn = retractions.stored(db)
    inspected = []
    for row in rows:
        backdated, questioned = suspect.get(row.id, (0, []))
        found = assess(kinds.get(row.id, {}), probes.get(row.id), lines, now, backdated)
        if questioned:
            found["backdated_items"] = questioned
        if row.id in undated:
            found["undated_items"] = undated[row.id]
        if row.id in below:
            found["rollup"] = below[row.id]
        found.update(withdrawn.get(row.id, {}))  # retracted, retract_held
        slot = planned.get(row.id)
        if slot is not None:
            found["next_check"] = slot.next_check.isoformat(timespec="seconds")
            found["failing_since"], found["tries"] = slot.failing_since, slot.failures
        inspected.append(dataclasses.replace(row, inspection=found))
    return inspected


def portal_summary(
    rows: Sequence[BranchHealth], lines: Mapping[str, Any], now: datetime
) -> dict[str, Any]:
    """The portal as an inspector sees it: its own columns across every branch, and how many
    branches are at risk or would fail."""
    merged: dict[str, tuple[int, str | None, int]] = {}
    inspected = [row.inspection for row in rows if row.inspection]
    for found in inspected:
        for kind, seen in found["kinds"].items():
            c, n, u = merged.get(kind, (0, None, 0))
            newest = max(filter(None, (n, seen["newest"])), default=None)
            merged[kind] = (c + seen["items"], newest, u + seen["undated"])
    backdated = sum(int(found.get("backdated") or 0) for found in inspected)
    summary = assess(merged, None, lines, now, backdated)
    summary["branches"] = len(rows)
    summary["branches_at_risk"] = sum(1 for i in inspected if i["at_risk"])
    summary["branches_failing"] = sum(1 for i in inspected if i["vetoes"])
    summary.update(totals(rows))
    summary["thresholds"] = dict(lines)
    return summary
