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

from tongxin.fold import fold, load_table

_HAN = r"\u3400-\u9fff\uf900-\ufaff"
#: Separators spam puts between the characters of one Chinese word.
#: (Not U+2029, the screen's break between blocks: a paragraph never joins the next.)
_SPACED_RE = re.compile(
    rf"(?<=[{_HAN}0-9])[ \t\r\n\f\v\u00a0\u3000*.·•_\-~|/\\,，、。]{{1,3}}(?=[{_HAN}0-9])"
)


#: Latin letters spelled one by one ("b o c a i", "y.l.g.j"): joined into the word.
_LETTERS_RE = re.compile(r"(?<![A-Za-z0-9])[A-Za-z](?:[ .·_\-][A-Za-z])+(?![A-Za-z0-9])")
_LETTER_GAP = re.compile(r"[ .·_\-]")
#: Chinese characters: a pinyin term counts only beside them (in English prose it is a name).
HAN_RE = re.compile(f"[{_HAN}]")


@lru_cache(maxsize=1)
def _format_characters() -> re.Pattern[str]:
    """Every format character (Unicode category Cf: zero-width, direction marks, tags); they
    live in planes 0, 1 and 14 (``tests/test_screen.py`` holds that against all of Unicode)."""
    planes = (*range(0x20000), *range(0xE0000, 0xE1000))
    ranges: list[list[int]] = []
    for c in planes:
        if unicodedata.category(chr(c)) == "Cf":
            if ranges and ranges[-1][1] == c - 1:
                ranges[-1][1] = c
            else:
                ranges.append([c, c])
    # as ranges, not one item per character: the class is tested at every character
    return re.compile("[" + "".join(f"{chr(a)}-{chr(b)}" for a, b in ranges) + "]")


def _strip_format(text: str) -> str:
    return _format_characters().sub("", text)


def normalise(
    text: str,
    homoglyphs: Mapping[str, str] | None = None,
    homophones: Mapping[str, str] | None = None,
) -> str:
    """``text`` as the term rule reads it: NFKC, no format characters, look-alikes replaced,
    Traditional folded to Simplified, characters of spaced-out Chinese words joined, and
    homophone spellings of spam words (``homophones``: phrase → the word) written as the word.

    The one place text is normalised: every rule that matches words reads this."""
    text = unicodedata.normalize("NFKC", _strip_format(text))
    # look-alikes and Traditional forms in one pass (a look-alike's target folded too)
    text = text.translate(_table(tuple(sorted((homoglyphs or {}).items()))))
    text = _SPACED_RE.sub("", text)
    text = _LETTERS_RE.sub(lambda match: _LETTER_GAP.sub("", match.group(0)), text)
    if homophones:
        pattern, table = _phrases(tuple(sorted(homophones.items())))
        text = pattern.sub(lambda match: table[match.group(0).lower()], text)
    return text


#: Between the syllables of a pinyin term written with spaces ("bo cai"): any separator or none.
SYLLABLE_GAP = r"[\s\-_.·]*"
_GAP_RE = re.compile(SYLLABLE_GAP)


def term_key(word: str) -> str:
    """How a term, or the text it matched, is looked up: lower case, a pinyin term's
    syllables joined (``Bo-Cai`` and ``bo cai`` are the term ``bo cai``)."""
    word = word.lower()
    return _GAP_RE.sub("", word) if word.isascii() else word


@lru_cache(maxsize=8)
def _phrases(pairs: tuple[tuple[str, str], ...]) -> tuple[re.Pattern[str], dict[str, str]]:
    # Folded like the text, so a Traditional homophone is listed once, in Simplified.
    table = {fold(key).lower(): value for key, value in pairs if key}
    keys = sorted(table, key=lambda k: (-len(k), k))
    return re.compile("|".join(re.escape(k) for k in keys), re.IGNORECASE), table


@lru_cache(maxsize=8)
def _table(pairs: tuple[tuple[str, str], ...]) -> dict[int, str]:
    """Traditional → Simplified (:func:`tongxin.fold.fold`'s table), then each one-character
    look-alike → its (folded) letter."""
    table = {ord(source): target for source, target in load_table().items()}
    table.update({ord(key): fold(value) for key, value in pairs if len(key) == 1})
    return table


#: An upper-case letter written in a pattern (not an escape such as ``\D``).
_UPPER_LITERAL = re.compile(r"(?<!\\)[A-Z]")


@lru_cache(maxsize=8)
def _compiled(patterns: tuple[tuple[str, str, int], ...]) -> list[tuple[str, re.Pattern[str], int]]:
    """Each pattern, matched without regard to case: against the lower-cased text (a third
    of the time of ``re.IGNORECASE`` on Chinese text), unless it names an upper-case letter."""
    return [
        (category, re.compile(regex, re.IGNORECASE if _UPPER_LITERAL.search(regex) else 0), weight)
        for category, regex, weight in patterns
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
    lower = text.lower()
    for category, regex, weight in _compiled(patterns):
        match = regex.search(text if regex.flags & re.IGNORECASE else lower)
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
