"""Simplified characters in a Traditional (zh-TW) site's text: a paragraph pasted from a
mainland site is published as it was, and read as careless by a Taiwan reader.

A character counts when OpenCC's ``s2tw`` changes it (这→這, 们→們: a third or more of the
characters of a text written in Simplified) and Big5, Taiwan's character set, has no such
character: s2tw also writes 台灣 as 臺灣 and 備注 as 備註, but 台 and 注 are Traditional
characters too, as are 后 (皇后), 里 (公里) and 干 (干擾). Traditional text then counts none (the
demo's zh-TW branch: 0 of 1,567 characters), so one is worth a warning (发 typed for 發).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import opencc

#: Examples named in the warning.
EXAMPLES = 3


@dataclass(frozen=True)
class Simplified:
    """The Simplified characters of a text: how many, the first few as ``这→這``, and the
    index of the first one."""

    count: int
    examples: tuple[str, ...]
    first: int


@cache
def _in_big5(char: str) -> bool:
    try:
        char.encode("big5")
    except UnicodeEncodeError:
        return False
    return True


@cache
def _to_traditional() -> opencc.OpenCC:
    return opencc.OpenCC("s2tw")


def simplified_in(text: str) -> Simplified | None:
    """The Simplified characters of ``text`` (None when it has none)."""
    converted = _to_traditional().convert(text)
    if len(converted) != len(text):  # (s2tw maps a character to one character)
        return None
    changed = [
        (i, a, b)
        for i, (a, b) in enumerate(zip(text, converted, strict=True))
        if a != b and not _in_big5(a)
    ]
    if not changed:
        return None
    examples: list[str] = []
    for _i, simplified, traditional in changed:
        pair = f"{simplified}→{traditional}"
        if pair not in examples:
            examples.append(pair)
        if len(examples) == EXAMPLES:
            break
    return Simplified(len(changed), tuple(examples), changed[0][0])
