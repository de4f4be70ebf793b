"""The screening rules, as data: the defaults file and a registry's ``screen:`` overrides.

:data:`SCREEN_RULES` declares every key of ``federation/screen_rules.yaml``; a portal's
overrides (:data:`SCREEN_OVERRIDES`) use the same keys. :func:`merge_rules` applies
overrides to the defaults: lists named in :data:`EXTENDING` and the term vocabularies
extend the defaults, every other key replaces its default.
"""

from __future__ import annotations

from typing import Any

from .options import Choice, Integer, ListOf, MapOf, SubConfig, Text

RULE_NAMES = ("terms", "keyword_run", "hidden_text", "new_domains", "update", "spread")
#: Term levels, each with its weight under ``weights``.
LEVELS = ("strong", "medium", "weak")
#: Override keys whose lists extend the defaults instead of replacing them.
EXTENDING = ("context_words", "trusted_domains", "allow", "disable", "exempt")

_WORDS = ListOf(Text())

SCREEN_RULES = SubConfig(
    {
        "rules": ListOf(Choice(RULE_NAMES)),
        "disable": ListOf(Choice(RULE_NAMES)),
        "allow": _WORDS,
        "threshold": Integer(minimum=1),
        "weights": SubConfig({level: Integer(minimum=0) for level in LEVELS}),
        "terms": MapOf(SubConfig({level: _WORDS for level in LEVELS}, null_is_absent=True)),
        "context_words": _WORDS,
        "context_window": Integer(minimum=0),
        "context_weight": Integer(minimum=0),
        # a run needs at least two tokens
        "run_min_tokens": Integer(minimum=2),
        "run_token_max_cjk": Integer(minimum=1),
        "run_token_max_latin": Integer(minimum=1),
        "hidden_min_chars": Integer(minimum=0),
        "tiny_font_px": Integer(minimum=0, number=True),
        "offscreen_px": Integer(minimum=0, number=True),
        "grace_entries": Integer(minimum=0),
        "new_domain_limit": Integer(minimum=1),
        "new_link_limit": Integer(minimum=1),
        "link_list_min": Integer(minimum=1),
        # federation/screen_run.py: an edit judged as a change, an injection split over a run
        "update_new_domains": Integer(minimum=1),
        "spread_entries": Integer(minimum=2),
        "spread_threshold": Integer(minimum=1),
        "spread_history": Integer(minimum=0),
        "brands": _WORDS,
        "trusted_domains": _WORDS,
        # federation/screen_text.py: look-alike characters, brand patterns, exempt phrases
        "homoglyphs": MapOf(Text()),
        "homophones": MapOf(Text()),
        "patterns": MapOf(SubConfig({level: _WORDS for level in LEVELS}, null_is_absent=True)),
        "exempt": _WORDS,
    }
)
#: A registry's ``screen:`` mapping: the same keys, each optional.
SCREEN_OVERRIDES = SCREEN_RULES


def merge_rules(defaults: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """``defaults`` with valid ``overrides`` applied (neither is modified)."""
    merged = dict(defaults)
    for key, value in overrides.items():
        if key in EXTENDING:
            merged[key] = list(merged.get(key) or ()) + list(value)
        elif key == "terms":
            terms = {
                category: {level: list(words or ()) for level, words in (levels or {}).items()}
                for category, levels in (merged.get("terms") or {}).items()
            }
            for category, levels in value.items():
                bucket = terms.setdefault(category, {})
                for level, words in levels.items():
                    bucket[level] = list(bucket.get(level) or ()) + list(words or ())
            merged["terms"] = terms
        else:
            merged[key] = value
    return merged
