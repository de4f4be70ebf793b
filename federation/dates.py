"""Feed dates, read strictly: a value is a date only when the whole of it was understood.

Accepted: ISO 8601 / W3CDTF (``2026-11-20``, ``2026-11-20T10:20:00+08:00``, ``2026-11-20
10:20:00``), RFC 822 / 1123 / 850 and asctime (``Fri, 20 Nov 2026 10:20:00 +0800``, with the
offset written ``+08:00``, ``GMT+08:00``, ``+0800`` or a zone name), the forms Chinese sites
write (``2026年11月20日``, ``2026/11/20``, ``2026.11.20``, each with or without a time such
as ``10:20``, ``10时20分``) and epoch seconds (or milliseconds). A value without a zone is in
the registry's ``timezone``; ``CST`` in a Chinese feed is China Standard Time (UTC+8), not
US Central. Anything else, or a value with a field out of range, is no date (None): a wrong
date is worse than none, because it files the entry in the wrong month. So is a template's
placeholder for "no date": a year before 1000 (Go's and .NET's zero time, 0001-01-01, which
Hugo's RSS template writes for an undated page) or the Unix epoch's first day (a zero
timestamp printed as a date).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from typing import Any

from tongxin.zones import DEFAULT_TIMEZONE, zone

#: The Unix epoch: a zero timestamp printed as a date, give or take the printer's zone.
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

#: A date further ahead of the fetch than this is clamped to the fetch time.
FUTURE_SLACK = timedelta(days=1)

_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
    )
}
# Hours east of UTC; CST is decided by the feed's language (see DateReader).
_ZONES = {
    "UT": 0, "UTC": 0, "GMT": 0, "Z": 0, "EST": -5, "EDT": -4, "CDT": -5, "MST": -7, "MDT": -6,
    "PST": -8, "PDT": -7, "AST": -4, "ADT": -3, "HST": -10, "AKST": -9, "AKDT": -8, "BST": 1,
    "IST": 5.5, "CET": 1, "CEST": 2, "EET": 2, "EEST": 3, "WET": 0, "WEST": 1, "MSK": 3,
    "JST": 9, "KST": 9, "HKT": 8, "SGT": 8, "AWST": 8, "ACST": 9.5, "AEST": 10, "AEDT": 11,
    "NZST": 12, "NZDT": 13, "BJT": 8, "CCT": 8,
}  # fmt: skip

_OFFSET = r"(?:(?:GMT|UTC|UT)\s*)?[+-]\d{1,2}(?::?\d{2})?"
_ZONE = rf"(?P<zone>Z|{_OFFSET}|[A-Za-z]{{1,5}})"
_TIME = r"(?P<H>\d{1,2})[:：](?P<M>\d{2})(?:[:：](?P<S>\d{2})(?:[.,]\d+)?)?"
_ISO_RE = re.compile(
    r"(?P<y>\d{4})-(?P<m>\d{1,2})(?:-(?P<d>\d{1,2})"
    rf"(?:(?:T|\s+){_TIME})?)?\s*{_ZONE}?",
    re.I,
)
_COMPACT_RE = re.compile(
    rf"(?P<y>\d{{4}})(?P<m>\d{{2}})(?P<d>\d{{2}})(?:T(?P<H>\d{{2}})(?P<M>\d{{2}})(?P<S>\d{{2}})?)?{_ZONE}?"
)
_CHINESE_RE = re.compile(
    r"(?P<y>\d{4})\s*(?P<sep>[年/.])\s*(?P<m>\d{1,2})\s*(?:月|(?P=sep))\s*(?P<d>\d{1,2})\s*日?"
    r"(?:\s*(?:[T ]|\s)*(?P<H>\d{1,2})\s*(?:[:：]|[时時点])\s*(?P<M>\d{1,2})\s*分?"
    r"(?:\s*(?:[:：])?\s*(?P<S>\d{1,2})\s*秒?)?)?"
    rf"\s*{_ZONE}?"
)
_RFC822_RE = re.compile(
    r"(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\s*,?\s*)?"
    r"(?P<d>\d{1,2})[\s-]+(?P<mon>[a-z]{3})[a-z]*\.?[\s-]+(?P<y>\d{2}|\d{4})"
    rf"(?:\s+{_TIME})?\s*{_ZONE}?",
    re.I,
)
_ASCTIME_RE = re.compile(
    r"(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*,?\s+(?P<mon>[a-z]{3})[a-z]*\s+(?P<d>\d{1,2})"
    rf"\s+{_TIME}(?:\s+{_ZONE})?\s+(?P<y>\d{{4}})",
    re.I,
)
_EPOCH_RE = re.compile(r"\d{9,10}|\d{12,13}")
_OFFSET_RE = re.compile(r"(?:(?:GMT|UTC|UT)\s*)?([+-])(\d{1,2})(?::?(\d{2}))?", re.I)


class DateReader:
    """Reads the dates of one feed: ``local`` is the zone of zone-less values, ``chinese``
    whether ``CST`` means China Standard Time (the feed is Chinese, or says nothing and the
    registry's zone is China's)."""

    def __init__(self, local: str | None = None, *, chinese: bool = True) -> None:
        self.local = zone(local)
        self.chinese = chinese

    def __call__(self, value: Any) -> datetime | None:
        return self.read(value)

    def read(self, value: Any) -> datetime | None:
        """An aware UTC datetime, or None when ``value`` is not wholly a date."""
        if value is None:
            return None
        if isinstance(value, datetime):
            moment = value if value.tzinfo else value.replace(tzinfo=self.local)
            return _utc(moment)
        if isinstance(value, date):
            return _utc(datetime(value.year, value.month, value.day, tzinfo=self.local))
        if isinstance(value, int | float) and not isinstance(value, bool):
            return _epoch(float(value))
        text = str(value).strip()
        if len(text) >= 10 and text[4] == "-" and text[:4].isdigit():
            try:  # the common case, whole or not at all (Python 3.11 reads RFC 3339)
                moment = datetime.fromisoformat(text)
            except ValueError:
                pass
            else:
                moment = moment.replace(microsecond=0)
                return _utc(moment if moment.tzinfo else moment.replace(tzinfo=self.local))
        text = " ".join(text.split())
        if not text:
            return None
        if _EPOCH_RE.fullmatch(text):
            number = int(text)
            return _epoch(number / 1000 if len(text) > 11 else number)
        for pattern in (_ISO_RE, _CHINESE_RE, _RFC822_RE, _ASCTIME_RE, _COMPACT_RE):
            match = pattern.fullmatch(text)
            if match:
                # asctime (and HTTP dates) without a zone are UTC by definition
                utc = pattern is _ASCTIME_RE and not match.group("zone")
                return self._build(match.groupdict(), UTC if utc else None)
        return None

    def _build(self, parts: dict[str, str | None], default: tzinfo | None) -> datetime | None:
        year = int(parts["y"] or 0)
        if len(parts["y"] or "") == 2:
            year += 2000 if year < 50 else 1900
        if parts.get("mon"):
            month = _MONTHS.get((parts["mon"] or "").lower()[:3], 0)
        else:
            month = int(parts["m"] or 0)
        day = int(parts.get("d") or 1)
        hour, minute, second = (int(parts.get(k) or 0) for k in ("H", "M", "S"))
        offset = self._zone(parts.get("zone"))
        if isinstance(offset, bool):
            return None
        try:
            if second == 60:  # a leap second: the next moment
                second = 59
            moment = datetime(
                year, month, day, hour, minute, second, tzinfo=offset or default or self.local
            )
        except ValueError:
            return None
        return _utc(moment)

    def _zone(self, text: str | None) -> tzinfo | bool | None:
        """The zone written, None when none was, False when it is not one we know."""
        if not text:
            return None
        name = text.upper()
        if name == "CST":
            return timezone(timedelta(hours=8 if self.chinese else -6))
        if name in _ZONES:
            return timezone(timedelta(hours=_ZONES[name]))
        match = _OFFSET_RE.fullmatch(text)
        if not match:
            return False
        sign, hours, minutes = match.groups()
        delta = timedelta(hours=int(hours), minutes=int(minutes or 0))
        if delta > timedelta(hours=14):
            # "+0800" read as hours=08: fine; "+800" (H MM without colon) lands here
            digits = hours + (minutes or "")
            if len(digits) == 3:
                delta = timedelta(hours=int(digits[0]), minutes=int(digits[1:]))
            else:
                return False
        return timezone(-delta if sign == "-" else delta)


def _epoch(seconds: float) -> datetime | None:
    try:
        return _real(datetime.fromtimestamp(seconds, UTC))
    except (OverflowError, ValueError, OSError):
        return None


def _utc(moment: datetime) -> datetime | None:
    try:
        return _real(moment.astimezone(UTC))
    except (OverflowError, ValueError):
        return None


def _real(moment: datetime) -> datetime | None:
    """``moment``, unless it is a placeholder for no date (the module's docstring)."""
    if moment.year < 1000 or abs(moment - _EPOCH) < timedelta(days=1):
        return None
    return moment


def chinese_feed(language: str | None, local: str | None) -> bool:
    """Whether ``CST`` in this feed means China Standard Time: it says it is Chinese, or says
    nothing and the registry's zone is UTC+8 in East Asia."""
    if language and language.strip():
        return language.strip().lower().startswith("zh")
    return (local or DEFAULT_TIMEZONE) in (
        "Asia/Shanghai", "Asia/Chongqing", "Asia/Harbin", "Asia/Taipei", "Asia/Hong_Kong",
        "Asia/Macau", "Asia/Urumqi", "PRC", "ROC",
    )  # fmt: skip


def clamp_future(moment: datetime | None, now: datetime) -> tuple[datetime | None, bool]:
    """``(moment, clamped)``: a date more than :data:`FUTURE_SLACK` after ``now`` (the fetch)
    becomes ``now`` (an entry dated 9999 must not stay on top for ever)."""
    if moment is not None and moment > now + FUTURE_SLACK:
        return now, True
    return moment, False


def month_keys(months: int, now: datetime | None) -> list[str]:
    """``YYYY-MM`` of the last ``months`` calendar months (UTC), oldest first."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    keys: list[str] = []
    year, month = moment.year, moment.month
    for _ in range(months):
        keys.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    keys.reverse()
    return keys
