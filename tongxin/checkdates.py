"""Backdated entries, told at check time: an explicit ``date`` well before the file's first commit.

A branch build publishes each entry's first commit in ``api/index.json``; a portal counts an
entry whose ``date`` is more than :data:`BACKDATED_DAYS` before it as 发布时间存疑 on its health
page (``federation/backdating.py``, the same :func:`is_backdated`), since inspections fail a
site for faked publication dates. Most often the editor only mistyped the year (2025-12-07
written in 2026). ``tongxin check`` says so before anything is published: a file not yet
committed counts from today, as it will be committed now.

A mistake is made in a file being written: one not yet committed, or first committed in the
last :data:`BACKDATED_DAYS` days, gets a line of its own (:data:`SHOWN` at most). Older files
and an imported archive, backdated by nature and hundreds of entries at once, are summed up in
one line, so the check stays readable on every build.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tongxin.gitdates import GitHistory, NoHistory, read_history
from tongxin.i18n import translate, translate_count
from tongxin.problems import Problem

#: The portal's default (a registry may set ``inspection: backdated_days``).
BACKDATED_DAYS = 7
#: Backdated files told one by one before the rest are summed up in one line.
SHOWN = 3


def is_backdated(declared: datetime, first_commit: datetime, days: int = BACKDATED_DAYS) -> bool:
    """Whether a declared date is more than ``days`` before the first commit (both aware)."""
    return first_commit - declared > timedelta(days=days)


@dataclass(frozen=True)
class Dated:
    """A published entry's explicit ``date`` as written (ISO, zone-less when written so)."""

    rel: str
    line: int
    declared: str


def declared_value(value: object) -> str | None:
    """The ISO text of a front matter ``date`` value (None when not a date)."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return datetime.combine(value, time()).isoformat()
    return None


def _zone(name: object) -> tzinfo:
    try:
        return ZoneInfo(str(name or "Asia/Shanghai"))
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class _Found:
    dated: Dated
    declared: datetime
    first: datetime | None  # None: not committed yet

    @property
    def days(self) -> int:
        return (self.first_or_now - self.declared).days

    @property
    def first_or_now(self) -> datetime:
        return self.first or datetime.now(UTC)


def backdated_problems(
    root: Path,
    dated: list[Dated],
    *,
    timezone: object,
    language: str,
    cache_dir: Path | None = None,
) -> list[Problem]:
    """Warnings for the entries of ``dated`` a portal will count as backdated (none when
    ``root`` has no git history: the build publishes no first commit then)."""
    if not dated:
        return []
    try:
        history = read_history(root, cache_dir)
    except NoHistory:
        return []
    if history.shallow:
        return []  # every file looks new: the build says so (fetch-depth: 0)
    found = _backdated(root, dated, history, _zone(timezone))
    found.sort(key=lambda f: (f.first_or_now, f.dated.rel), reverse=True)
    now = datetime.now(UTC)
    told = [f for f in found if now - f.first_or_now <= timedelta(days=BACKDATED_DAYS)][:SHOWN]
    problems = [_one(f, language) for f in told]
    rest = [f for f in found if f not in told]
    if rest:
        text = translate_count(
            language,
            "check.backdated_more",
            len(rest),
            others=len(rest) - 1,
            days=BACKDATED_DAYS,
        )
        problems.append(Problem(rest[0].dated.rel, rest[0].dated.line, text, warning=True))
    return problems


def _backdated(root: Path, dated: list[Dated], history: GitHistory, zone: tzinfo) -> list[_Found]:
    found = []
    for item in dated:
        try:
            declared = datetime.fromisoformat(item.declared)
        except ValueError:
            continue
        if declared.tzinfo is None:
            declared = declared.replace(tzinfo=zone)
        seen = history.lookup(root / item.rel)
        first = seen.created if seen is not None else None
        candidate = _Found(item, declared, first)
        if is_backdated(declared, candidate.first_or_now):
            found.append(candidate)
    return found


def _one(found: _Found, language: str) -> Problem:
    day = found.declared.date()
    values = {"date": day.isoformat(), "days": found.days}
    if found.first is None:
        text = translate(language, "check.backdated_new", **values)
    else:
        text = translate(
            language, "check.backdated", first=found.first.date().isoformat(), **values
        )
    typo = _year_typo(day, found.first_or_now.date())
    if typo is not None:
        text += translate(language, "check.backdated_year", fixed=typo.isoformat())
    return Problem(found.dated.rel, found.dated.line, text, warning=True)


def _year_typo(day: date, first: date) -> date | None:
    """``day`` with the year it was most likely meant to have (2025-12-07 written on
    2026-12-07), when only the year stands between the two."""
    if day.year >= first.year:
        return None
    try:
        meant = day.replace(year=first.year)
    except ValueError:  # 29 February
        return None
    return meant if abs((first - meant).days) <= BACKDATED_DAYS else None
