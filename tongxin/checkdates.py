"""Backdated entries, told at check time: an explicit ``date`` well before the file's first commit.

A branch build publishes each entry's first commit in ``api/index.json``; a portal counts an
entry whose ``date`` is more than :data:`BACKDATED_DAYS` before it as 发布时间存疑 on its health
page (``federation/backdating.py``, the same :func:`is_backdated`), since inspections fail a
site for faked publication dates. Most often the editor only mistyped the year (2025-12-07
written in 2026). ``tongxin check`` says so before anything is published: a file not yet
committed counts from today, as it will be committed now.

A date more than :data:`ARCHIVE_DAYS` back is an archived article added late (补录): no
inspection window reaches it, and neither the portal nor the check counts it, except that a
new file dated a year ago to the day is told its year is wrong (it would sit at the bottom of
every list). A mistake is made in a file being written: one not yet committed, or first
committed in the last :data:`BACKDATED_DAYS` days, gets a line of its own (:data:`SHOWN` at
most); older backdated files are summed up in one line, so the check stays readable.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path

from tongxin.gitdates import GitHistory, NoHistory, read_history
from tongxin.i18n import translate, translate_count
from tongxin.problems import Problem
from tongxin.zones import zone

#: The portal's default (a registry may set ``inspection: backdated_days``).
BACKDATED_DAYS = 7
#: A date further back than this before the first commit is an archived article added late
#: (补录), not a faked update: no inspection window reaches it (the longest, notices, is 180
#: days), and a branch moving its old news into Tongxin would fail the veto for all of it.
ARCHIVE_DAYS = 180
#: Backdated files told one by one before the rest are summed up in one line.
SHOWN = 3


def is_backdated(declared: datetime, first_commit: datetime, days: int = BACKDATED_DAYS) -> bool:
    """Whether a declared date is more than ``days`` before the first commit (both aware),
    and no more than :data:`ARCHIVE_DAYS`: an update that was not made when it says."""
    return timedelta(days=days) < first_commit - declared <= timedelta(days=ARCHIVE_DAYS)


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


@dataclass(frozen=True)
class _Found:
    dated: Dated
    declared: datetime  # in the site's zone
    first: datetime | None  # None: not committed yet

    @property
    def days(self) -> int:
        return (self.first_or_now - self.declared).days

    @property
    def first_or_now(self) -> datetime:
        return self.first or datetime.now(UTC)

    @property
    def recent(self) -> bool:
        """Not committed, or first committed in the last :data:`BACKDATED_DAYS` days."""
        return datetime.now(UTC) - self.first_or_now <= timedelta(days=BACKDATED_DAYS)

    @property
    def backdated(self) -> bool:
        """What a portal counts."""
        return is_backdated(self.declared, self.first_or_now)

    @property
    def typo(self) -> date | None:
        """The date meant when only the year is wrong (a new file's: 2025-12-07 written on
        2026-12-07)."""
        if not self.recent:
            return None
        day, first = self.declared.date(), self.first_or_now.astimezone(self.declared.tzinfo).date()
        if day.year != first.year - 1:
            return None
        try:
            meant = day.replace(year=first.year)
        except ValueError:  # 29 February
            return None
        return meant if abs((first - meant).days) <= BACKDATED_DAYS else None


def backdated_problems(
    root: Path,
    dated: list[Dated],
    *,
    timezone: object,
    language: str,
    cache_dir: Path | None = None,
) -> list[Problem]:
    """Warnings for the entries of ``dated`` a portal will count as backdated, and for a new
    file whose year alone is wrong (none when ``root`` has no git history: the build
    publishes no first commit then)."""
    if not dated:
        return []
    try:
        history = read_history(root, cache_dir)
    except NoHistory:
        return []
    if history.shallow:
        return []  # every file looks new: the build says so (fetch-depth: 0)
    found = _found(root, dated, history, zone(timezone))
    found.sort(key=lambda f: (f.first_or_now, f.dated.rel), reverse=True)
    told = [f for f in found if f.recent][:SHOWN]
    problems = [_one(f, language) for f in told]
    rest = [f for f in found if f not in told and f.backdated]
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


def _found(root: Path, dated: list[Dated], history: GitHistory, zone: tzinfo) -> list[_Found]:
    # the branch's place in the repository, once (a path made relative per entry was half
    # of the time a rebuild's check took for 2,000 entries)
    try:
        base = root.resolve().relative_to(history.toplevel.resolve()).as_posix()
    except ValueError:
        base = None
    found = []
    for item in dated:
        try:
            declared = datetime.fromisoformat(item.declared)
        except ValueError:
            continue
        declared = declared.replace(tzinfo=zone) if declared.tzinfo is None else declared
        if base is None:
            seen = history.lookup(root / item.rel)
        else:
            seen = history.files.get(item.rel if base == "." else f"{base}/{item.rel}")
        first = seen.created.astimezone(zone) if seen is not None else None
        candidate = _Found(item, declared.astimezone(zone), first)
        if candidate.backdated or candidate.typo is not None:
            found.append(candidate)
    return found


def _one(found: _Found, language: str) -> Problem:
    values = {"date": found.declared.date().isoformat(), "days": found.days}
    typo = found.typo
    if not found.backdated and typo is not None:  # a year ago: last in every list, not counted
        text = translate(language, "check.date_year_typo", fixed=typo.isoformat(), **values)
        return Problem(found.dated.rel, found.dated.line, text, warning=True)
    if found.first is None:
        text = translate(language, "check.backdated_new", **values)
    else:
        first = found.first.date().isoformat()
        text = translate(language, "check.backdated", first=first, **values)
    if typo is not None:
        text += translate(language, "check.backdated_year", fixed=typo.isoformat())
    return Problem(found.dated.rel, found.dated.line, text, warning=True)
