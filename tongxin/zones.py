"""Time zones by name: the one place a site's or a portal's ``timezone`` becomes a zone.

Every date a reader or an inspector sees is a day in such a zone (an article's date, "expired",
days since the newest entry), so every part of the tool takes its zone from here and falls back
the same way: to Asia/Shanghai, the default of ``site.yaml`` and of the registry, when the name
is empty or this machine's zone database does not know it (the config checks report a bad
name to the editor; a build or a cron run is not the place to stop for it).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import tzinfo
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TIMEZONE = "Asia/Shanghai"


@cache
def zone(name: object = None) -> tzinfo:
    """The zone named ``name`` (an IANA name); Asia/Shanghai when it is empty or unknown."""
    try:
        return ZoneInfo(str(name or DEFAULT_TIMEZONE))
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIMEZONE)


def site_zone(settings: Mapping[str, Any]) -> tzinfo:
    """A branch site's zone from Pelican settings: ``site.yaml``'s ``timezone``, else
    ``TIMEZONE``."""
    site = settings.get("TONGXIN_SITE") or {}
    return zone(site.get("timezone") or settings.get("TIMEZONE"))
