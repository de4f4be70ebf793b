"""A portal's registry, as data: its identity and the branches it aggregates.

Checks across branches (an id or feed listed twice) need the lines of both and are made by
:func:`federation.registry.parse_registry`, which reads the file against :data:`REGISTRY`.
"""

from __future__ import annotations

import ipaddress
import re

from tongxin.i18n import LANGUAGES
from tongxin.yamlsrc import KeyPath

from .content import ARTICLE_TYPES
from .options import Choice, Context, Integer, ListOf, MapOf, SubConfig, Text, Timezone, Type, Url
from .screen import SCREEN_OVERRIDES

BRANCH_ID_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._-]*"
_HOST_RE = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9-]{1,63}")


def _one_key_form(branch: dict, path: KeyPath, ctx: Context) -> None:
    if "public_key" in branch and "public_keys" in branch:
        ctx.report(path + ("public_keys",), "registry.both_keys")


def _is_network_or_host(text: str) -> bool:
    """A CIDR or address (``10.0.0.0/8``, ``::1``) or a DNS host name."""
    try:
        ipaddress.ip_network(text.strip().strip("[]"), strict=False)
        return True
    except ValueError:
        return bool(_HOST_RE.fullmatch(text.strip().rstrip(".")))


def _networks(registry: dict, path: KeyPath, ctx: Context) -> None:
    listed = registry.get("allow_networks")
    for index, item in enumerate(listed if isinstance(listed, list) else []):
        if isinstance(item, str) and not _is_network_or_host(item):
            ctx.report(path + ("allow_networks", index), "registry.bad_network", value=item)


BRANCH = SubConfig(
    {
        "id": Text(required=True, pattern=BRANCH_ID_PATTERN, expected="type_id"),
        "name": Text(required=True),
        "feed": Url(required=True),
        "region": Text(),
        "parent": Text(),
        # a lower portal's health.json (roll-up); found by itself for a Tongxin portal's feed
        "health": Url(),
        "public_key": Text(),
        "public_keys": ListOf(Text()),
        # this branch's cap on stored entries (else the registry's max_entries_per_branch)
        "max_entries": Integer(minimum=1),
        # a lower portal: its Atom <source> is trusted for the branches below it
        "portal": Type(bool, "type_bool"),
    },
    rules=(_one_key_form,),
    null_is_absent=True,
)

#: Inspection thresholds (federation/inspection.py DEFAULTS; docs/federation.md).
INSPECTION = SubConfig(
    {
        "home_days": Integer(minimum=1),
        "warn_days": Integer(minimum=0),
        "kinds": MapOf(Integer(minimum=0)),
        "overdue_columns": Integer(minimum=1),
        "blank_columns": Integer(minimum=1),
        "probe_seconds": Integer(minimum=1, number=True),
        "availability_percent": Integer(minimum=0, number=True),
        "backdated_days": Integer(minimum=1),
    },
    null_is_absent=True,
)

#: Category names of other CMSs' feeds that name a column (federation/columns.py).
TYPES = SubConfig(
    {kind: ListOf(Text()) for kind in ARTICLE_TYPES},
    null_is_absent=True,
)

REGISTRY = SubConfig(
    {
        "name": Text(required=True),
        "url": Url(required=True),
        "branches": ListOf(BRANCH, required=True, non_empty=True),
        "language": Choice(LANGUAGES),
        "description": Text(),
        "stale_days": Integer(minimum=1),
        "inspection": INSPECTION,
        # zone-less feed dates are read in it, and the portal shows every date in it
        "timezone": Timezone(),
        # Per-portal overrides of the screening rules (tongxin/config/screen.py).
        "screen": SCREEN_OVERRIDES,
        # Private ranges and host names the portal may fetch from (intranet branches); by
        # default only public addresses are reached (federation/netguard.py).
        "allow_networks": ListOf(Text()),
        # Stored entries per branch; the oldest beyond it are dropped (federation/capping.py).
        "max_entries_per_branch": Integer(minimum=1),
        # A retraction of more than this percent of a branch's stored entries in one run waits
        # for the operator (federation/retractions.py).
        "retract_hold_percent": Integer(minimum=1),
        # Category names (as branch feeds write them) of each column: {study: [三会一课]}.
        "types": TYPES,
    },
    rules=(_networks,),
    null_is_absent=True,
)
