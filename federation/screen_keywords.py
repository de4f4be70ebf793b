"""The keyword-run rule's reading of text: a long run of short tokens separated by spaces,
commas or bars, with no sentence around it (:mod:`federation.screen`)."""

from __future__ import annotations

import re
from typing import Any

_SENTENCE_END = re.compile(r"[。！？!?.…；;：:“”\"「」『』()（）《》]")
#: Explicit keyword separators (the Chinese ， and 、 are not: see screen_rules.yaml).
_MARKED_SPLIT = re.compile(r"\s*[,|｜/／·•]+\s*")
_SPACE_SPLIT = re.compile(r"[\s,|｜/／·•]+")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_WORDLIKE = re.compile(r"[^\W\d_]")


def _longest_run(tokens: list[str], rules: Any, *, cjk_only: bool) -> list[str]:
    best_start = best_len = run_len = 0
    stripped = [token.strip() for token in tokens]
    for i, token in enumerate(stripped):
        cjk = bool(_CJK.search(token))
        limit = rules.run_token_max_cjk if cjk else rules.run_token_max_latin
        ok = (
            bool(token)
            and len(token) <= limit
            and bool(_WORDLIKE.search(token))
            and not _SENTENCE_END.search(token)
            and (cjk or not cjk_only)
        )
        run_len = run_len + 1 if ok else 0
        if run_len > best_len:
            best_start, best_len = i + 1 - run_len, run_len
    return stripped[best_start : best_start + best_len]


def longest_keyword_run(text: str, rules: Any) -> list[str]:
    """The first run of at least ``rules.run_min_tokens`` loose keywords in ``text`` (empty:
    none).

    Two readings of each block: tokens between explicit separators (``,`` ``|`` ``/``; a
    Latin token may hold spaces, "replica watches"), and Chinese tokens between spaces (which
    Chinese prose never puts between words; Latin prose does, so Latin never counts there).
    """
    # N non-empty tokens need N-1 separators between them: shorter blocks (most of them, the
    # breaks around block elements) cannot hold a run and are not split at all.
    shortest = 2 * rules.run_min_tokens - 3
    for block in text.split("\u2029"):
        if len(block) < shortest:
            continue
        spaced = _SPACE_SPLIT.split(block)
        if len(spaced) < rules.run_min_tokens:
            # Every separator of the first reading is also one of the second, so the first
            # cannot find more (non-empty) tokens either: prose blocks stop here.
            continue
        best = max(
            _longest_run(_MARKED_SPLIT.split(block), rules, cjk_only=False),
            _longest_run(spaced, rules, cjk_only=True),
            key=len,
        )
        if len(best) >= rules.run_min_tokens:
            return best
    return []
