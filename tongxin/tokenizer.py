"""The search tokenizer: the same rules as ``theme/static/js/tokenizer.js``.

lunr splits on spaces and its trimmer drops non-ASCII, so Chinese gets no tokens at all; we
tokenize ourselves, identically at build time and in the browser (``tests/vectors/tokenizer.json``
holds both implementations to the same answers):

1. NFKC (full-width ＡＢＣ１２３ become ABC123), then fold Traditional to Simplified;
2. a run of CJK characters becomes its overlapping bigrams (一 run of one character stays one
   token), so any substring of two or more characters is the chain of its bigrams;
3. a run of letters and digits of other scripts becomes one lower-cased word;
4. everything else separates tokens.

The index keeps each token's position in this stream, so the browser can check that a query's
bigrams sit next to each other, which turns "all bigrams present" into "the substring occurs".
"""

from __future__ import annotations

import operator
import re
import unicodedata
from functools import cache

from tongxin.fold import fold

_CJK_RANGES = (
    (0x3005, 0x3007),  # 々 〆 〇
    (0x3040, 0x30FF),  # kana
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xAC00, 0xD7AF),  # hangul syllables
    (0xF900, 0xFAFF),
    (0x20000, 0x3134F),
)


# A CJK run, captured: re.split gives [other, run, other, run, …] (C speed for the bulk).
_CJK_RUN = re.compile(
    "([" + "".join(f"{chr(low)}-{chr(high)}" for low, high in _CJK_RANGES) + "]+)"
)


def is_cjk(char: str) -> bool:
    cp = ord(char)
    return any(low <= cp <= high for low, high in _CJK_RANGES)


def _is_word_char(char: str) -> bool:
    # Letters, numbers and combining marks, as JavaScript's /[\p{L}\p{N}\p{M}]/u.
    return unicodedata.category(char)[0] in "LNM"


@cache
def _kind(char: str) -> bool | None:
    """True for CJK, False for other word characters, None for separators (memoised: hot)."""
    return True if is_cjk(char) else (False if _is_word_char(char) else None)


def normalise(text: str) -> str:
    """What both the index and the query see before splitting: NFKC, then T→S folding."""
    return fold(unicodedata.normalize("NFKC", text))


def _runs(text: str) -> list[tuple[bool, str]]:
    runs: list[tuple[bool, str]] = []
    kind: bool | None = None  # True: CJK run, False: word run, None: between runs
    start = 0
    for i, char in enumerate(text):
        current = _kind(char)
        if current != kind:
            if kind is not None:
                runs.append((kind, text[start:i]))
            kind, start = current, i
    if kind is not None:
        runs.append((kind, text[start:]))
    return runs


def tokenize(text: str) -> list[str]:
    """The tokens of ``text``, in order (a token's index is its position)."""
    tokens: list[str] = []
    for i, part in enumerate(_CJK_RUN.split(normalise(text))):
        if i % 2:  # a CJK run: its overlapping bigrams, or the lone character
            if len(part) == 1:
                tokens.append(part)
            else:
                tokens += map(operator.add, part[:-1], part[1:])
        elif part:  # no CJK in here: words only
            tokens += [run.lower() for _cjk, run in _runs(part)]
    return tokens


def tokenize_query(query: str) -> list[list[str]]:
    """A query as its words (split on white space), each word as its tokens; empty words dropped."""
    return [tokens for word in query.split() if (tokens := tokenize(word))]


def term_hash(term: str) -> int:
    """FNV-1a (32 bit) over the term's UTF-8 bytes: which shard holds a term (same in JS)."""
    value = 0x811C9DC5
    for byte in term.encode("utf-8"):
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return value
