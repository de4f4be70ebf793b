"""First-screen files of the commonest terms: the first results without every posting.

A term found in a twentieth of the entries or more (and at least ``HOT_POSTINGS`` of them)
has megabytes of postings on a big portal. For each such term ``shards/f<hash>.json`` holds
``{"terms": {term: {"rel": [ref…], "new": [ref…]}}, "rows": {ref: [title, text]}}``: the
:data:`FIRST_ROWS` newest entries holding it in their title or tags (``rel``: what ranks first)
and the :data:`FIRST_ROWS` newest holding it anywhere (``new``), with the normalised text
(NFKC, folded, lower case) of each, its first :data:`FIRST_CHARS` characters. The page checks
each query word as a substring of these and shows the first screen at once; the full postings
follow (the count, the later pages and the final order come from them).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from tongxin.tokenizer import normalise, term_hash

from .format import Prepared
from .model import SearchDoc, body_field, encode, title_field, write_atomic
from .refs import base36

FIRST_SHARE = 20
FIRST_ROWS = 24
FIRST_CHARS = 200


def first_terms(frequency: Counter[str], docs: int, hot_postings: int) -> list[str]:
    """The terms that get a first-screen file."""
    limit = max(hot_postings, docs // FIRST_SHARE)
    # filter terms (b:, t:, r:) are never a query's lead: tokens hold no colon
    return sorted(t for t, count in frequency.items() if count >= limit and ":" not in t)


def write_first_files(
    search_dir: Path,
    docs: Sequence[SearchDoc],
    refs: Sequence[str],
    fields: Sequence[tuple[Prepared, Prepared, Prepared]],
    terms: list[str],
) -> int:
    """Write the files (``docs`` newest first, as built); how many."""
    rel: dict[str, list[int]] = {t: [] for t in terms}
    new: dict[str, list[int]] = {t: [] for t in terms}
    open_new = set(terms)  # terms whose newest list is not full yet
    open_rel = set(terms)
    for i, (title, text, _facet) in enumerate(fields):
        if not open_rel and not open_new:
            break
        for term in open_rel.intersection(title[0]):
            rel[term].append(i)
            if len(rel[term]) >= FIRST_ROWS:
                open_rel.discard(term)
        if open_new:
            for term in open_new.intersection(title[0]).union(open_new.intersection(text[0])):
                new[term].append(i)
                if len(new[term]) >= FIRST_ROWS:
                    open_new.discard(term)
    by_file: dict[str, list[str]] = {}
    for term in terms:
        by_file.setdefault(f"f{base36(term_hash(term), 7)}", []).append(term)
    made: dict[int, list[str]] = {}  # an entry is in many files: its row is made once
    for name, members in by_file.items():
        rows = {}
        entry = {}
        for term in members:
            entry[term] = {
                "rel": [refs[i] for i in rel[term]],
                "new": [refs[i] for i in new[term]],
            }
            for i in (*rel[term], *new[term]):
                if i not in made:
                    made[i] = _row(docs[i])
                rows[refs[i]] = made[i]
        write_atomic(search_dir / "shards" / f"{name}.json", encode({"terms": entry, "rows": rows}))
    return len(by_file)


def _row(doc: SearchDoc) -> list[str]:
    return [
        normalise(title_field(doc)).lower()[:FIRST_CHARS],
        " ".join(normalise(body_field(doc)).lower().split())[:FIRST_CHARS],
    ]
