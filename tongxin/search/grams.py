"""Trigrams of common bigrams: what a multi-character query asks for instead of them.

A query word is the chain of its bigrams, and every bigram's postings are fetched to check
that they sit next to each other. On a big portal some bigrams (市委, 部署, 门户) are in a tenth
of the entries: a query holding one waited for its megabytes of postings, though its other
bigrams already narrowed the candidates to a few hundred. So a bigram of at least
:data:`EXTEND_POSTINGS` postings is *extended*: every trigram of a CJK run holding it (abc
where ab or bc is extended) is indexed too, at the position of its first bigram, and the
manifest marks the extended bigrams (their ``hot`` value holds ``EXTENDED_FLAG``: an
extended bigram is always hot).
The page then covers a query word with trigrams where it can (one term for two adjacent
bigrams; see ``chainOf`` in ``search.js``): 市委部署门户 asks for 市委部, 部署门 and 署门户 (a
few hundred postings each), not 市委, 部署 and 门户.

Whether a trigram is indexed depends only on its two bigrams, so a trigram's postings are
all of its occurrences (the results are those of the bigrams). A site smaller than a few
thousand entries has no bigram that common, and this costs it a look at each distinct term.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Mapping, Sequence
from functools import partial
from pathlib import Path

from tongxin.tokenizer import is_cjk, trigram_terms

from .cache import TermsCache
from .format import Prepared, prepare
from .model import FORMAT

#: A bigram of at least this many postings (two buckets' worth) has its trigrams indexed.
EXTEND_POSTINGS = 4000


def extended_bigrams(frequency: Counter[str], threshold: int = EXTEND_POSTINGS) -> list[str]:
    """The bigrams (two CJK characters) of at least ``threshold`` postings, sorted."""
    return sorted(
        term
        for term, count in frequency.items()
        if count >= threshold and len(term) == 2 and is_cjk(term[0]) and is_cjk(term[1])
    )


def extend_texts(
    texts: Mapping[str, Prepared], extended: Sequence[str], cache: Path | None = None
) -> dict[str, Prepared]:
    """``texts`` (text -> its terms) with the trigrams of the ``extended`` bigrams added to
    the terms of each text holding one (the others keep their :data:`Prepared`). With
    ``cache`` (a file), each text's trigrams are kept by content for the same extended
    bigrams: a rebuild with a few new texts scans only those."""
    common = frozenset(extended)
    holding = [text for text, prepared in texts.items() if not common.isdisjoint(prepared[0])]
    if not holding:
        return dict(texts)
    label = hashlib.blake2b("".join(sorted(common)).encode(), digest_size=12).hexdigest()
    trigrams = TermsCache(cache, partial(_trigrams, common), f"{FORMAT}|trigrams|{label}")
    found = trigrams.analyse(holding)
    trigrams.save()
    out = dict(texts)
    for text, more in found.items():
        if more[0]:  # trigrams are never tokens: no term appears twice
            prepared = texts[text]
            out[text] = (prepared[0] + more[0], prepared[1] + more[1])
    return out


def _trigrams(common: frozenset[str], text: str) -> Prepared:
    return prepare(trigram_terms(text, common))
