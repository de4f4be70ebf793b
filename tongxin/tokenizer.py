"""The search tokenizer: the same rules as ``theme/static/js/tokenizer.js``.

lunr splits on spaces and its trimmer drops non-ASCII, so Chinese gets no tokens at all; we
tokenize ourselves, identically at build time and in the browser (``tests/vectors/tokenizer.json``
holds both implementations to the same answers):

1. NFKC (full-width ＡＢＣ１２３ become ABC123), then fold Traditional to Simplified; invisible
   characters pasted inside words (zero-width space, soft hyphen, a BOM) are dropped;
2. a run of CJK characters becomes its overlapping bigrams (一 run of one character stays one
   token), so any substring of two or more characters is the chain of its bigrams;
3. a run of letters and digits of other scripts becomes one lower-cased word, a word of ASCII
   letters stemmed by lunr's English stemmer (volunteers and volunteer are volunt);
4. a number written with thousands separators is one number: 3,000 and 3，000 are 3000
   (the comma goes when every group after the first has three digits);
5. symbols written right after a run (``+`` ``#`` ``$``…: Unicode Sm and Sc, and ``#``) add one
   token at the next position: the run's last character (a CJK run) or the word itself (other
   scripts) followed by them: 互联网+ is 互联 联网 网+, C++ is c c++, so 互联网+ is not 互联网;
6. everything else separates tokens.

The index keeps each token's position in this stream, so the browser can check that a query's
bigrams sit next to each other, which turns "all bigrams present" into "the substring occurs".
"""

from __future__ import annotations

import operator
import re
import unicodedata
from collections.abc import Iterator, Set
from functools import cache, lru_cache

from lunr.stemmer import PorterStemmer

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


@cache
def is_symbol(char: str) -> bool:
    """A character that belongs to the term it follows (rule 4): math and currency signs, #."""
    return char == "#" or unicodedata.category(char) in ("Sm", "Sc")


def _symbols_at(text: str, start: int) -> str:
    end = start
    while end < len(text) and is_symbol(text[end]):
        end += 1
    return text[start:end]


# A number grouped by thousands (NFKC has made ， a comma and ０-９ ASCII digits), not
# inside a longer run of digits and commas: the browser's GROUPED is the same pattern.
_GROUPED = re.compile("(^|[^0-9,])([0-9]{1,3}(?:,[0-9]{3})+)(?![0-9,])")


# Invisible characters Word and WeChat paste inside words (zero-width space and joiners,
# soft hyphen, word joiner, a BOM mid-text): not separators, nothing at all (rule 1).
_INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u2060-\u2064\ufeff]")


_GROUP_HINT = re.compile("[0-9],[0-9]")


def _ungroup(text: str) -> str:
    """3,000 as 3000 (rule 4): readers type amounts both ways. (Chinese text is full of
    commas, ， made , by NFKC: a digit, comma, digit is looked for first, 8x cheaper.)"""
    if not _GROUP_HINT.search(text):
        return text
    return _GROUPED.sub(lambda m: m.group(1) + m.group(2).replace(",", ""), text)


def normalise(text: str) -> str:
    """What both the index and the query see before splitting: NFKC, then T→S folding."""
    return fold(unicodedata.normalize("NFKC", text))


_ASCII_WORD = re.compile("[a-z]+")


@lru_cache(maxsize=1 << 16)
def stem(word: str) -> str:
    """lunr's English (Porter) stemmer for a word of ASCII letters (any other word as it is),
    made to agree with lunr.js's, which stems the query in the browser: a final y is i
    (lunr.py keeps try, lunr.js makes it tri; lunr.py makes array arrai, lunr.js keeps it),
    and a stem shorter than three letters is not used (tests/test_stemming.py holds the two to
    the same answers over lunr's vocabulary and a pinned package's words)."""
    if not _ASCII_WORD.fullmatch(word):
        return word
    stemmed = PorterStemmer().stem(word)  # an instance each: its state is per word
    if stemmed.endswith("y"):
        stemmed = stemmed[:-1] + "i"
    return stemmed if len(stemmed) >= 3 else word


Joined = list[tuple[int, int, str]]


def _word_tokens(part: str, tokens: list[str], joined: Joined | None = None) -> None:
    """The words of a stretch without CJK (stemmed), each followed by its symbol token if any
    (the word as written, then the symbols: c++). With ``joined``, words of letters written
    with hyphens between them (e-mail, well-being) add (the first's token index, how many
    tokens they are, the words written as one, stemmed): a reader types email and wellbeing
    too."""
    start = -1
    chain: list[str] = []
    chain_at = prev_end = -1
    for i, char in enumerate(part + " "):  # (a space ends the last word)
        if _kind(char) is False:
            if start < 0:
                start = i
            continue
        if start >= 0:
            word = part[start:i].lower()
            if joined is not None:
                if chain and prev_end == start - 1 and part[prev_end] == "-":
                    chain.append(word)
                else:
                    _join(chain, chain_at, joined)
                    chain, chain_at = [word], len(tokens)
                prev_end = i
            tokens.append(stem(word))
            if symbols := _symbols_at(part, i):
                tokens.append(word + symbols)
            start = -1
    if joined is not None:
        _join(chain, chain_at, joined)


def _join(words: list[str], at: int, joined: Joined) -> None:
    if len(words) > 1 and all(_HAS_LETTER.search(word) for word in words):
        joined.append((at, len(words), stem("".join(words))))


_HAS_LETTER = re.compile("[a-z]")


def _pieces(text: str, joined: Joined | None = None) -> Iterator[tuple[str | None, list[str]]]:
    """The stream cut where tokens come from: (a CJK run, its tokens) or (None, the tokens of
    a stretch without CJK), in order. ``joined`` collects hyphenated words written as one, at
    their positions in the whole stream (:func:`_word_tokens`)."""
    parts = _CJK_RUN.split(_ungroup(_INVISIBLE.sub("", normalise(text))))
    at = 0
    for i, part in enumerate(parts):
        if i % 2:  # a CJK run: its overlapping bigrams, or the lone character
            tokens = [part] if len(part) == 1 else list(map(operator.add, part[:-1], part[1:]))
            if symbols := _symbols_at(parts[i + 1], 0):
                tokens.append(part[-1] + symbols)
            yield part, tokens
            at += len(tokens)
        elif part:  # no CJK in here: words only
            words: list[str] = []
            found: Joined | None = [] if joined is not None else None
            _word_tokens(part, words, found)
            if joined is not None and found:
                joined.extend((at + offset, count, term) for offset, count, term in found)
            yield None, words
            at += len(words)


def tokenize(text: str) -> list[str]:
    """The tokens of ``text``, in order (a token's index is its position)."""
    return [token for _run, tokens in _pieces(text) for token in tokens]


def index_terms(text: str) -> dict[str, list[int]]:
    """What the index keeps of a text: each token's positions, each character of a CJK
    run of two or more alone, at the position of the bigram it starts (the last at the next
    position), so that a one-character query (党) finds it, and a hyphenated word written as
    one (e-mail as email) where it begins."""
    positions: dict[str, list[int]] = {}
    joined: Joined = []
    at = 0
    for run, tokens in _pieces(text, joined):
        for position, term in enumerate(tokens, at):
            positions.setdefault(term, []).append(position)
        if run is not None and len(run) > 1:
            for position, char in enumerate(run, at):
                where = positions.setdefault(char, [])
                if not where or where[-1] < position:  # the last of the run before
                    where.append(position)
        at += len(tokens)
    for position, _count, term in joined:  # e-mail found as email too, where it begins
        where = positions.setdefault(term, [])
        if position not in where:
            where.append(position)
            where.sort()
    return positions


def _dash_split(match: re.Match[str]) -> str:
    text, start, end = match.string, match.start(), match.end()
    near_cjk = (start > 0 and is_cjk(text[start - 1])) or (end < len(text) and is_cjk(text[end]))
    return " " if near_cjk else match.group()


# Unicode Pd (dash punctuation), as JavaScript's /\p{Pd}/u.
_DASHES = re.compile(
    "[-\u058a\u05be\u1400\u1806\u2010-\u2015\u2e17\u2e1a\u2e3a\u2e3b\u2e40\u2e5d"
    "\u301c\u3030\u30a0\ufe31\ufe32\ufe58\ufe63\uff0d\U00010ead]+"
)


def split_query(query: str) -> list[str]:
    """A query's words: split on white space, and on dashes next to a CJK character (互联网-党建
    is 互联网 党建; covid-19 stays one word), as the browser does (``splitQuery``)."""
    return _DASHES.sub(_dash_split, unicodedata.normalize("NFKC", query)).split()


def trigram_terms(text: str, common: Set[str]) -> dict[str, list[int]]:
    """The trigrams of ``text``'s CJK runs that hold a ``common`` bigram, each at the position
    of its first bigram: abc at the position of ab when ab or bc is common. A query asks for
    such a trigram instead of its common bigram: two adjacent bigrams in one term, whose
    postings are a fraction of the common one's."""
    positions: dict[str, list[int]] = {}
    at = 0
    for run, tokens in _pieces(text):
        if run is not None and len(run) > 2 and not common.isdisjoint(tokens):
            # tokens[i] is run[i:i+2] up to the run's last bigram (a symbol token may follow)
            flags = [token in common for token in tokens]
            for i in range(len(run) - 2):
                if flags[i] or flags[i + 1]:
                    positions.setdefault(run[i : i + 3], []).append(at + i)
        at += len(tokens)
    return positions


def tokenize_query(query: str) -> list[list[str]]:
    """A query as its words (``split_query``), each word as its tokens; empty words dropped."""
    return [tokens for word in split_query(query) if (tokens := tokenize(word))]


def query_joins(query: str) -> list[Joined]:
    """For each word of :func:`tokenize_query`, its hyphenated words of letters written as one
    (e-mail: ``[(0, 2, "email")]``, the first's token index in the word, how many tokens they
    are, the term): the index holds that term where they begin, for e-mail and email alike,
    so the query asks for it in their place (``tokenizeQuery``'s ``joins`` in the browser)."""
    out: list[Joined] = []
    for word in split_query(query):
        joined: Joined = []
        if any([tokens for _run, tokens in _pieces(word, joined)]):  # every piece: joins
            out.append(joined)
    return out


def term_hash(term: str) -> int:
    """FNV-1a (32 bit) over the term's UTF-8 bytes: which shard holds a term (same in JS)."""
    value = 0x811C9DC5
    for byte in term.encode("utf-8"):
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return value
