"""A portal's registry, as data: its identity and the branches it aggregates.

Checks across branches (an id or feed listed twice) need the lines of both and are made by
:func:`federation.registry.parse_registry`, which reads the file against :data:`REGISTRY`.
"""

from __future__ import annotations

from tongxin.i18n import LANGUAGES
from tongxin.yamlsrc import KeyPath

from .options import Choice, Context, Integer, ListOf, SubConfig, Text, Timezone, Type, Url
from .screen import SCREEN_OVERRIDES

BRANCH_ID_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._-]*"


def _one_key_form(branch: dict, path: KeyPath, ctx: Context) -> None:
    if "public_key" in branch and "public_keys" in branch:
        ctx.report(path + ("public_keys",), "registry.both_keys")


BRANCH = SubConfig(
    {
        "id": Text(required=True, pattern=BRANCH_ID_PATTERN, expected="type_id"),
        "name": Text(required=True),
        "feed": Url(required=True),
        "region": Text(),
        "parent": Text(),
        "public_key": Text(),
        "public_keys": ListOf(Text()),
        # a lower portal: its Atom <source> is trusted for the branches below it
        "portal": Type(bool, "type_bool"),
    },
    rules=(_one_key_form,),
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
        # zone-less feed dates are read in it, and the portal shows every date in it
        "timezone": Timezone(),
        # Per-portal overrides of the screening rules (tongxin/config/screen.py).
        "screen": SCREEN_OVERRIDES,
    },
    null_is_absent=True,
)
