"""A fast writer of lunr's serialised index (what ``lunr.Index.load`` in lunr.js 2.3.9 reads).

lunr.py's ``Builder`` spends ~5-18 ms per document (a ``Vector`` with a bisection per insert, a
``FieldRef`` parsed per field, a token set nobody serialises); this module computes the very
same JSON from terms and positions we already have, with plain dicts and lists. It follows
``lunr.builder.Builder`` step for step, so the output is equal to lunr.py's (a test holds the
two together, and lunr.js answers the same queries from both):

- terms get their ``_index`` in order of first appearance (documents in the order given, fields
  in the order of ``fields``, terms in the order of the document's own dict);
- a field's length is its number of tokens, the average is over the documents that have the
  field (lunr.py also counts the empty ones: only differs when a field is empty, see below);
- BM25 with k1 = 1.2 and b = 0.75, ``idf = log(1 + |(N - df + 0.5) / (df + 0.5)|)`` where ``df``
  counts a document once per field holding the term (as ``lunr.idf`` does), scores rounded to
  3 decimals, vectors ``[index, score, …]`` sorted by term index;
- the inverted index sorted by term, each posting ``{field: {ref: {key: positions}}, _index}``.

A field without terms gets no field vector and does not count in the average (lunr.js only
reads vectors of matched fields; this keeps a shard of the term-sharded index small).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

LUNR_VERSION = "2.3.9"
K1 = 1.2
B = 0.75

#: one document: (ref, field name -> term -> positions of the term in that field)
DocTerms = tuple[str, Mapping[str, Mapping[str, list[int]]]]


def lunr_idf(documents_with_term: int, document_count: int) -> float:
    """``lunr.idf``: the inverse document frequency of a term."""
    x = (document_count - documents_with_term + 0.5) / (documents_with_term + 0.5)
    return math.log(1 + abs(x))


def build_lunr_index(
    docs: Iterable[DocTerms],
    fields: Sequence[str],
    *,
    document_count: int | None = None,
    metadata_key: str = "p",
) -> dict:
    """The serialised lunr index of ``docs`` (a dict ready for ``json.dumps``).

    ``document_count`` is the N of idf (default: the number of documents given); a shard of a
    bigger collection passes the collection's so that scores add up across shards.
    """
    inverted: dict[str, dict] = {}
    totals = dict.fromkeys(fields, 0)
    counts = dict.fromkeys(fields, 0)
    # (field ref, field, length, term -> positions), in lunr.py's insertion order
    field_docs: list[tuple[str, str, int, Mapping[str, list[int]]]] = []
    added = 0
    for ref, by_field in docs:
        added += 1
        for field in fields:
            terms = by_field.get(field)
            if not terms:
                continue
            length = 0
            for term, positions in terms.items():
                posting = inverted.get(term)
                if posting is None:
                    posting = {name: {} for name in fields}
                    posting["_index"] = len(inverted)
                    inverted[term] = posting
                posting[field][ref] = {metadata_key: positions}
                length += len(positions)
            field_docs.append((f"{field}/{ref}", field, length, terms))
            totals[field] += length
            counts[field] += 1
    average = {name: (totals[name] / counts[name]) if counts[name] else 1.0 for name in fields}
    n = added if document_count is None else document_count

    # per term: (its _index, its idf), looked up once per posting below
    info: dict[str, tuple[int, float]] = {}
    for term, posting in inverted.items():
        df = 0
        for name in fields:
            df += len(posting[name])
        info[term] = (posting["_index"], lunr_idf(df, n))
    vectors = []
    k1_plus_1 = K1 + 1
    for field_ref, field, length, terms in field_docs:
        # lunr.py: idf * ((k1 + 1) * tf) / (k1 * (1 - b + b * (length / avg)) + tf), in that order
        norm = K1 * (1 - B + B * (length / average[field]))
        if len(terms) == 1:  # the common case in a term-sharded index: skip the sort
            ((term, positions),) = terms.items()
            index, weight = info[term]
            tf = len(positions)
            vectors.append([field_ref, [index, round(weight * (k1_plus_1 * tf) / (norm + tf), 3)]])
            continue
        pairs = [
            (index, round(weight * (k1_plus_1 * tf) / (norm + tf), 3))
            for term, positions in terms.items()
            for index, weight in (info[term],)
            for tf in (len(positions),)
        ]
        pairs.sort()
        vectors.append([field_ref, [x for pair in pairs for x in pair]])

    return {
        "version": LUNR_VERSION,
        "fields": list(fields),
        "fieldVectors": vectors,
        "invertedIndex": [[term, inverted[term]] for term in sorted(inverted)],
        "pipeline": [],
    }
