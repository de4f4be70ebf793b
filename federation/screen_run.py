"""Screen rules over more than one entry: an edit judged against what was published before,
and one injection split across the new entries of one run.

``update``
    An edit of a stored entry is judged as a change: links the edit adds to domains that
    neither the entry nor the branch ever linked to, ``update_new_domains`` of them or more,
    hold it (a clean article edited to carry a casino link list), however young the branch.
``spread``
    A hacked branch spreads one injection over several entries, each under the threshold.
    Over the entries one run brings (new or changed, none held already), per branch:
    the same unrelated link domain, or the same brand or medium term, in ``spread_entries``
    entries; spam terms whose distinct
    weights add up to ``spread_threshold`` over at least two entries; a gambling brand
    (``brands``) in one entry and a bare number (a title or paragraph of digits alone) in
    another. A branch's first fetch is not checked: every entry is new then.

Pure functions over what :mod:`federation.screen` read from each entry.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .screen_text import term_key

#: A title or paragraph made of one number (3 digits or more), as a split brand line leaves.
_BARE_NUMBER = re.compile(r"(?:^|\u2029)\s*\d{3,}\s*(?=\u2029|$)")
#: Years and dates are numbers news prints alone.
_YEAR = re.compile(r"^(?:19|20)\d\d$")


@dataclass
class RunItem:
    """What the run rules need of one entry screened this run."""

    entry_id: str
    #: category → term → weight (``screen.term_scores``)
    scores: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    #: registrable domains of its links the branch never linked to (own, trusted left out)
    new_domains: set[str] = field(default_factory=set)
    #: it holds a bare number (split from a brand)
    number: bool = False


def bare_number(text: str) -> bool:
    """Whether ``text`` (blocks separated by U+2029) holds a block that is one number."""
    for match in _BARE_NUMBER.finditer(text):
        digits = match.group(0).strip("\u2029 \t\r\n")
        if not _YEAR.match(digits):
            return True
    return False


def added_domains(now: Iterable[str], before: Iterable[str], known: set[str]) -> list[str]:
    """Domains in ``now`` that were neither in ``before`` nor in ``known``."""
    seen = set(before) | known
    return sorted({d for d in now if d and d not in seen})


def _by_domain(items: Sequence[RunItem], rules: Any) -> dict[str, tuple[str, str]]:
    by_domain: dict[str, list[str]] = {}
    for item in items:
        for domain in item.new_domains:
            by_domain.setdefault(domain, []).append(item.entry_id)
    found: dict[str, tuple[str, str]] = {}
    for domain, ids in sorted(by_domain.items()):
        if len(ids) >= rules.spread_entries:
            for entry_id in ids:
                found.setdefault(entry_id, ("domain", domain))
    return found


def _by_terms(items: Sequence[RunItem], rules: Any) -> dict[str, tuple[str, str]]:
    found: dict[str, tuple[str, str]] = {}
    for category in sorted({category for item in items for category in item.scores}):
        words: dict[str, int] = {}
        ids = []
        for item in items:
            bucket = {w: s for w, s in item.scores.get(category, {}).items() if s > 0}
            if bucket:
                ids.append(item.entry_id)
                for word, score in bucket.items():
                    words[word] = max(words.get(word, 0), score)
        if len(ids) >= 2 and sum(words.values()) >= rules.spread_threshold:
            evidence = "、".join(sorted(words)[:6])
            for entry_id in ids:
                found.setdefault(entry_id, (f"terms:{category}", evidence))
    return found


def _by_repetition(
    items: Sequence[RunItem], rules: Any, brands: Sequence[str]
) -> dict[str, tuple[str, str]]:
    """A brand, or a term of weight 2 or more, in ``spread_entries`` entries of the run."""
    keys = {term_key(b) for b in brands}
    where: dict[str, list[str]] = {}
    for item in items:
        words = {
            term_key(w)
            for b in item.scores.values()
            for w, s in b.items()
            if s >= 2 or (s and term_key(w) in keys)
        }
        for word in words:
            where.setdefault(word, []).append(item.entry_id)
    found: dict[str, tuple[str, str]] = {}
    for word, ids in sorted(where.items()):
        if len(ids) >= rules.spread_entries:
            for entry_id in ids:
                found.setdefault(entry_id, ("repeated", word))
    return found


def _by_brand(items: Sequence[RunItem], brands: Sequence[str]) -> dict[str, tuple[str, str]]:
    keys = {term_key(b) for b in brands}
    brand_words: set[str] = set()
    branded = []
    for item in items:
        words = {w for b in item.scores.values() for w, s in b.items() if s and term_key(w) in keys}
        if words:
            branded.append(item.entry_id)
            brand_words |= words
    numbered = [item.entry_id for item in items if item.number]
    if not branded or all(n in branded for n in numbered):
        return {}
    return {entry_id: ("brand", "、".join(sorted(brand_words))) for entry_id in branded + numbered}


def spread_findings(
    items: Sequence[RunItem], rules: Any, brands: Sequence[str]
) -> dict[str, tuple[str, str]]:
    """``entry_id → (kind, evidence)`` for the entries one injection was split across;
    ``kind`` is ``domain``, ``terms:<category>`` or ``brand``."""
    return {
        **_by_repetition(items, rules, brands),
        **_by_brand(items, brands),
        **_by_terms(items, rules),
        **_by_domain(items, rules),
    }
