"""Branch health: is each branch reachable, and is it still publishing?

The health page is how an operator sees "一检查一更新、不检查不更新": a branch that answers
but has not published for ``stale_days`` is flagged as stale, next to the ones that fail.
Pure functions over the store's state; the page itself is rendered by :mod:`render`.
"""

from __future__ import annotations

import functools
import json
from datetime import UTC, datetime, timedelta
from html import escape
from pathlib import Path
from typing import Any, Protocol

from tongxin.i18n import translate

from .model import Branch, BranchHealth, Registry

#: Worst first: the status shown is the worst that applies.
_PRIORITY = {"gone": 0, "error": 1, "quarantined": 2, "stale": 3, "ok": 4}


class HealthStore(Protocol):
    """The part of :class:`federation.store.Store` health needs (so tests can fake it)."""

    def branch_state(self, branch_id: str) -> Any: ...
    def count_entries(self, branch_id: str) -> int: ...
    def activity(
        self, branch_id: str, months: int = 12, now: datetime | None = None
    ) -> list[int]: ...
    def quarantined(self) -> list[Any]: ...


def parse_time(value: str | datetime | None) -> datetime | None:
    """An ISO 8601 string (or datetime) as an aware UTC datetime; None stays None."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat(timespec="seconds") if moment else None


def classify(
    fetch_status: str | None,
    last_entry: datetime | None,
    last_success: datetime | None,
    *,
    quarantined: bool,
    now: datetime,
    stale_days: int,
) -> str:
    """The health status of one branch from what the store knows about it."""
    candidates = ["ok"]
    if fetch_status == "gone":
        candidates.append("gone")
    elif fetch_status == "error" or last_success is None:
        # Never fetched successfully counts as an error: there is nothing to show for it.
        candidates.append("error")
    if quarantined or fetch_status == "quarantined":
        candidates.append("quarantined")
    if last_entry is None or now - last_entry > timedelta(days=stale_days):
        candidates.append("stale")
    return min(candidates, key=_PRIORITY.__getitem__)


def branch_health(
    registry: Registry,
    store: HealthStore,
    *,
    now: datetime | None = None,
    stale_days: int | None = None,
    newest_published: dict[str, datetime] | None = None,
    counts: dict[str, int] | None = None,
) -> list[BranchHealth]:
    """One :class:`BranchHealth` per registered branch, in registry order.

    ``newest_published`` maps a branch id to its newest entry's publication date; the renderer
    already knows it, and it is what "last published" means to an editor (the store's own
    ``last_entry`` — when a new entry was last *seen* — is the fallback). ``counts``: visible
    entries per branch, when the caller has them (else the store counts them).

    A store with the batch readers (``branch_states``, ``branch_summary``,
    ``activity_by_branch``) answers in three queries, not three per branch.
    """
    now = now or datetime.now(UTC)
    stale_days = registry.stale_days if stale_days is None else stale_days
    newest_published = newest_published or {}
    held: dict[str, tuple[int, str | None]] = {}
    if hasattr(store, "held_by_branch"):
        held = store.held_by_branch()
    else:
        for held_entry in store.quarantined():
            count, rule = held.get(getattr(held_entry, "branch_id", ""), (0, None))
            # newest first: the first entry seen names the rule
            rule = rule if count else getattr(held_entry, "quarantine_rule", None)
            held[getattr(held_entry, "branch_id", "")] = (count + 1, rule)
    states: dict[str, Any] | None = None
    activity: dict[str, list[int]] | None = None
    if hasattr(store, "branch_states") and hasattr(store, "activity_by_branch"):
        states = store.branch_states()
        activity = store.activity_by_branch(12, now)
        if counts is None and hasattr(store, "branch_summary"):
            counts = {key: count for key, (count, _newest) in store.branch_summary().items()}
    rows = []
    for branch in registry.branches:
        state = states.get(branch.id) if states is not None else store.branch_state(branch.id)
        last_success = parse_time(getattr(state, "last_success", None))
        last_entry = parse_time(newest_published.get(branch.id)) or parse_time(
            getattr(state, "last_entry", None)
        )
        entries = counts.get(branch.id, 0) if counts is not None else store.count_entries(branch.id)
        status = classify(
            getattr(state, "status", None),
            # a feed of undated entries is judged by its last good fetch, not called stale
            last_entry or (last_success if entries else None),
            last_success,
            quarantined=branch.id in held,
            now=now,
            stale_days=stale_days,
        )
        rows.append(
            BranchHealth(
                id=branch.id,
                name=branch.name,
                status=status,
                http_status=getattr(state, "http_status", None),
                last_success=iso(last_success),
                last_entry=iso(last_entry),
                entries=entries,
                error=getattr(state, "error", None)
                or _reading_note(state)
                or _quarantine_note(registry.language, held.get(branch.id))
                or _moved_note(registry.language, branch.feed, getattr(state, "feed_url", None)),
                region=branch.region,
                feed=getattr(state, "feed_url", None) or branch.feed,
                activity=activity.get(branch.id, [0] * 12)
                if activity is not None
                else store.activity(branch.id, 12, now),
            )
        )
    return rows + _set_aside_rows(registry, store, states, counts, activity)


def _set_aside_rows(
    registry: Registry,
    store: HealthStore,
    states: dict[str, Any] | None,
    counts: dict[str, int] | None,
    activity: dict[str, list[int]] | None,
) -> list[BranchHealth]:
    """A row per branch entry left out of the run for its own mistake: the mistake shows on
    the page inspectors read, beside what the store still holds of the branch."""
    registered = {branch.id for branch in registry.branches}
    rows = []
    for entry in registry.set_aside:
        known = entry.id if entry.id and entry.id not in registered else ""
        state = None
        if known:
            state = states.get(known) if states is not None else store.branch_state(known)
        rows.append(
            BranchHealth(
                id=known,
                name=entry.name or entry.id or "?",
                status="error",
                http_status=None,
                last_success=getattr(state, "last_success", None),
                last_entry=getattr(state, "last_entry", None),
                entries=(counts or {}).get(known, 0) if known else 0,
                error=translate(registry.language, "health.set_aside", problem=entry.problem),
                activity=(activity or {}).get(known, [0] * 12),
            )
        )
    return rows


def _reading_note(state: object) -> str | None:
    """What reading the branch's stored body noted, while its last fetch went well."""
    if getattr(state, "status", None) != "ok":
        return None
    return getattr(state, "reading_note", None)


def _moved_note(language: str, registered: str, fetched: str | None) -> str | None:
    """A branch fetched from another address than its registry's (an accepted 301/308)."""
    if not fetched or fetched == registered:
        return None
    return translate(language, "health.moved", url=fetched)


def _quarantine_note(language: str, held: tuple[int, str | None] | None) -> str | None:
    """Why a branch shows ``quarantined``: how many entries are held (``held``: their count
    and the newest one's rule), and that rule."""
    if not held or not held[0]:
        return None
    from .screen import rule_label

    # The health page is public: name the rule, never quote the evidence (the spam words or
    # links themselves), or the page would amplify the very injection it reports.
    reason = rule_label(language, held[1])
    return translate(language, "health.quarantine_note", count=held[0], reason=reason)


def health_json(
    rows: list[BranchHealth],
    *,
    generated: datetime | None = None,
    registry: Registry | None = None,
) -> str:
    """The ``health.json`` document (the contract shape, plus when it was generated, and,
    when the rows were inspected, the portal's own inspection under ``portal``)."""
    generated = generated or datetime.now(UTC)
    document: dict[str, Any] = {"generated": iso(generated)}
    if registry is not None and any(row.inspection for row in rows):
        from .inspection import portal_summary, thresholds

        document["portal"] = {
            "name": registry.name,
            "url": registry.url,
            **portal_summary(rows, thresholds(registry), generated),
        }
    if registry is not None and registry.unusable:
        # the file's problems (its name only): this run used the last registry that worked
        document["registry_problems"] = list(registry.unusable)
    from .errors import error_class

    document["branches"] = [
        {
            **row.as_json(),
            "name": row.name,
            "error_class": error_class(row.error, row.http_status)
            if row.status in ("error", "gone")
            else None,
        }
        for row in rows
    ]
    return json.dumps(document, ensure_ascii=False, indent=1)


def write_health_json(rows: list[BranchHealth], out_dir: Path) -> Path:
    path = Path(out_dir) / "health.json"
    path.write_text(health_json(rows), encoding="utf-8")
    return path


def month_labels(now: datetime, months: int = 12) -> list[str]:
    """``YYYY-MM`` for the last ``months`` calendar months, oldest first (as store.activity)."""
    return list(_month_labels(now.year, now.month, months))


@functools.lru_cache(maxsize=64)
def _month_labels(year: int, month: int, months: int) -> tuple[str, ...]:
    labels = []
    for _ in range(months):
        labels.append(f"{year:04d}-{month:02d}")
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return tuple(labels[::-1])


def sparkline_svg(
    activity: list[int],
    *,
    language: str,
    branch_name: str,
    now: datetime | None = None,
    width: int = 120,
    height: int = 24,
) -> str:
    """An inline SVG bar chart of entries per month, with a <title> a screen reader speaks.

    Inline (not an <img>) so the health page is one request and the title is real text.
    """
    now = now or datetime.now(UTC)
    counts = tuple(activity) or (0,) * 12
    labels = _month_labels(now.year, now.month, len(counts))
    summary, bars = _sparkline_parts(counts, labels, width, height)
    title = translate(
        language,
        "health.activity_title",
        name=branch_name,
        total=sum(counts),
        months=len(counts),
        detail=summary,
    )
    return (
        f'<svg class="sparkline" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(title)}</title>{bars}</svg>"
    )


@functools.lru_cache(maxsize=4096)
def _sparkline_parts(
    counts: tuple[int, ...], labels: tuple[str, ...], width: int, height: int
) -> tuple[str, str]:
    """The title's month list and the bars of one activity pattern. The health page draws
    one sparkline per branch on every run; branches share patterns (quiet ones, all zeros),
    so each pattern is drawn once per process."""
    peak = max(counts) or 1
    bar = width / len(counts)
    summary = ", ".join(f"{label}: {count}" for label, count in zip(labels, counts, strict=True))
    bars = []
    for index, count in enumerate(counts):
        # A zero month still gets a 1px baseline tick so the months stay countable.
        h = max(1.0, (height - 2) * count / peak) if count else 1.0
        cls = "spark-bar" if count else "spark-zero"
        bars.append(
            f'<rect class="{cls}" x="{index * bar + 1:.1f}" y="{height - h:.1f}" '
            f'width="{bar - 2:.1f}" height="{h:.1f}"><title>{labels[index]}: {count}</title></rect>'
        )
    return summary, "".join(bars)


def status_counts(rows: list[BranchHealth]) -> dict[str, int]:
    counts = dict.fromkeys(_PRIORITY, 0)
    for row in rows:
        counts[row.status] = counts.get(row.status, 0) + 1
    return counts


def branch_by_id(registry: Registry) -> dict[str, Branch]:
    return {branch.id: branch for branch in registry.branches}
