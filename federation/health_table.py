"""The health page's rows and ``health.csv``, as an operator reads them before an inspection.

Failures first (what needs the operator today on top), times in the portal's time zone,
errors as classes in the portal's language (:mod:`.errors`), and a CSV shaped like the
quarterly self-check tables (one row per branch, the checklist's measures as columns).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime, tzinfo
from typing import Any

from tongxin.i18n import translate
from tongxin.zones import zone

from .errors import describe
from .health import parse_time
from .model import BranchHealth, Registry

_ORDER = {"gone": 0, "error": 0, "quarantined": 1, "stale": 4, "ok": 6}
CSV_COLUMNS = (
    "index", "branch", "region", "status", "newest", "days", "days_left", "overdue_count",
    "overdue", "blank_count", "blank", "undated", "backdated", "probes", "failed_percent",
    "vetoes", "retracted", "retract_held", "error", "generated",
)  # fmt: skip


def portal_zone(registry: Registry) -> tzinfo:
    """The registry's ``timezone`` (:func:`tongxin.zones.zone`: Asia/Shanghai when the file
    names none or this machine's zone database does not know it)."""
    return zone(getattr(registry, "timezone", None))


def local(value: str | None, zone: tzinfo, pattern: str = "%Y-%m-%d %H:%M") -> str:
    moment = parse_time(value)
    return moment.astimezone(zone).strftime(pattern) if moment else ""


def severity(row: BranchHealth) -> tuple[int, int]:
    """Sort key, failures first: unreachable, held, failing a veto, at risk, stale, read
    with a note (a repaired or cut feed), fine; within each, the longest silence first."""
    found = row.inspection or {}
    rank = _ORDER.get(row.status, 6)
    if rank == 6 and row.error:
        rank = 5
    if rank > 1 and found.get("vetoes"):
        rank = 2
    elif rank > 1 and found.get("at_risk"):
        rank = 3
    days = found.get("days_since_newest")
    return (rank, -(days if days is not None else 10**6))


def error_text(language: str, row: BranchHealth) -> str:
    """What the public page says about a branch's error: its class, never library English
    (a quarantine note is already in the portal's language)."""
    if row.status in ("error", "gone"):
        return describe(language, row.error or row.status, row.http_status)
    return row.error or ""


def kind_names(language: str, kinds: Sequence[str]) -> str:
    names = [translate(language, f"theme.type_{kind}") for kind in kinds]
    return translate(language, "theme.enum_separator").join(names)


#: The badges of the health page, worst first: a feed's status (``health.json``), except that
#: a branch an inspection would fail outright shows ``veto`` while its feed is read at all.
BADGES = ("gone", "error", "quarantined", "veto", "stale", "ok")


def badge(row: BranchHealth) -> str:
    """What the page's status badge says of a branch: ``veto`` for one whose feed is read
    (ok or stale) but that fails a veto line (a green 正常 above "单项否决" misled the
    operator's trial), else its ``health.json`` status."""
    vetoed = (row.inspection or {}).get("vetoes")
    return "veto" if vetoed and row.status in ("ok", "stale") else row.status


def badge_counts(rows: Sequence[BranchHealth]) -> dict[str, int]:
    """The page's summary chips: branches per badge, worst first (every branch once)."""
    counts = dict.fromkeys(BADGES, 0)
    for shown in map(badge, rows):
        counts[shown] += 1
    return counts


def page_rows(rows: Sequence[BranchHealth], registry: Registry) -> list[dict[str, Any]]:
    """What ``health.html`` shows per branch, failures first."""
    zone, language = portal_zone(registry), registry.language
    shown = []
    for row in sorted(rows, key=severity):
        found = row.inspection or {}
        shown.append(
            {
                "row": row,
                "last_success": local(row.last_success, zone),
                "last_entry": local(row.last_entry, zone, "%Y-%m-%d"),
                "failing": row.status in ("error", "gone"),
                "failing_since": local(found.get("failing_since"), zone),
                "error_text": error_text(language, row),
                "inspection": found,
                "overdue": kind_names(language, found.get("overdue_kinds", ())),
                "blank": kind_names(language, found.get("blank_kinds", ())),
                "vetoes": [
                    translate(language, f"health.veto.{v}") for v in found.get("vetoes", ())
                ],
                "badge": badge(row),
            }
        )
    return shown


def health_csv(rows: Sequence[BranchHealth], registry: Registry, now: datetime) -> str:
    """``health.csv``: the quarterly self-check table, failures first (UTF-8 with a BOM, so
    spreadsheet programs read the Chinese right); its last column says when it was made (in
    the portal's zone), so a copy attached to a report shows the day it describes."""
    generated = generated_text(now, registry)
    language = registry.language
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([translate(language, f"health.csv.{column}") for column in CSV_COLUMNS])
    separator = translate(language, "theme.list_separator")
    for number, shown in enumerate(page_rows(rows, registry), start=1):
        row, found = shown["row"], shown["inspection"]
        vetoes = separator.join(shown["vetoes"])
        writer.writerow(
            _cell(value) for value in [
                number, row.name, row.region or "",
                translate(language, f"health.status.{row.status}"),
                shown["last_entry"], _blank_if_none(found.get("days_since_newest")),
                _blank_if_none(found.get("days_left")), len(found.get("overdue_kinds", ())),
                shown["overdue"], len(found.get("blank_kinds", ())), shown["blank"],
                found.get("undated", 0), found.get("backdated", 0), found.get("probes", 0),
                _blank_if_none(found.get("failed_percent")), vetoes,
                found.get("retracted", 0), found.get("retract_held", 0), shown["error_text"],
                generated,
            ]
        )  # fmt: skip
    return "\ufeff" + buffer.getvalue()


#: What a spreadsheet takes as the start of a formula (OWASP, CSV injection): ``=``, ``+``,
#: ``-``, ``@``, a tab or a carriage return. Branch names come from registries and OPML.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> object:
    """A text cell that a spreadsheet would read as a formula, quoted with ``'`` (numbers,
    negative ones included, stay numbers)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _blank_if_none(value: object) -> object:
    return "" if value is None else value


def generated_text(now: datetime, registry: Registry) -> str:
    zone = portal_zone(registry)
    return now.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z").strip()
