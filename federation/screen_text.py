"""The screen's text, normalised before any term is matched, and its brand patterns.

Spam disguises its words so a list of terms misses them: zero-width and other format
characters between the letters, full-width or compatibility forms (NFKC undoes them),
Cyrillic and radical look-alikes (the ``homoglyphs`` table in ``screen_rules.yaml``),
Traditional forms (folded to Simplified with :mod:`tongxin.fold`, one character to one), and
spaces or dots between the characters of a Chinese word. :func:`normalise` undoes all of them;
the term rule then matches the normalised text.

``patterns`` (regular expressions, as data) catch what a word list cannot: a casino brand
with digits (``77779193永利``, ``3044永利集团``). ``exempt`` phrases are read as blank before
matching: the official welfare and sports lotteries (``福利彩票投注站``) are news, not spam.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from tongxin.fold import fold

_HAN = r"\u3400-\u9fff\uf900-\ufaff"
#: Separators spam puts between the characters of one Chinese word.
_SPACED_RE = re.compile(rf"(?<=[{_HAN}0-9])[\s*.·•_\-~|/\\,，、。]{{1,3}}(?=[{_HAN}0-9])")


def _strip_format(text: str) -> str:
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf")


def normalise(text: str, homoglyphs: Mapping[str, str] | None = None) -> str:
    """``text`` as the term rule reads it: NFKC, no format characters, look-alikes replaced,
    Traditional folded to Simplified, characters of spaced-out Chinese words joined."""
    text = unicodedata.normalize("NFKC", _strip_format(text))
    if homoglyphs:
        text = text.translate(_table(tuple(sorted(homoglyphs.items()))))
    text = fold(text)
    return _SPACED_RE.sub("", text)


@lru_cache(maxsize=8)
def _table(pairs: tuple[tuple[str, str], ...]) -> dict[int, str]:
    return {ord(key): value for key, value in pairs if len(key) == 1}


@lru_cache(maxsize=8)
def _compiled(patterns: tuple[tuple[str, str, int], ...]) -> list[tuple[str, re.Pattern[str], int]]:
    return [
        (category, re.compile(regex, re.IGNORECASE), weight) for category, regex, weight in patterns
    ]


def pattern_list(patterns: Mapping[str, Any] | None, weights: Mapping[str, int]) -> tuple:
    """The ``patterns`` mapping (category → level → regexes) as hashable triples."""
    found = []
    for category, levels in (patterns or {}).items():
        for level, regexes in (levels or {}).items():
            for regex in regexes or ():
                found.append((str(category), str(regex), int(weights.get(level, 1))))
    return tuple(found)


def find_patterns(text: str, patterns: tuple) -> dict[str, dict[str, int]]:
    """Matches of the brand patterns: category → matched text → weight."""
    found: dict[str, dict[str, int]] = {}
    for category, regex, weight in _compiled(patterns):
        match = regex.search(text)
        if match:
            bucket = found.setdefault(category, {})
            bucket[match.group(0)] = max(bucket.get(match.group(0), 0), weight)
    return found


def blank_exempt(text: str, exempt: Sequence[str]) -> str:
    """``text`` with each exempt phrase replaced by spaces of its length (positions stay)."""
    for phrase in exempt:
        if phrase in text:
            text = text.replace(phrase, " " * len(phrase))
    return text
