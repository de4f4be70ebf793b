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

import json
import math
import sys
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


#: a field's terms, ready to write: (terms in order of first appearance, each term's positions
#: as JSON text closing its posting (``3,17]}``), each term's frequency)
Prepared = tuple[list[str], list[str], list[int]]
# Position texts of one position, shared (most terms occur once in a document).
_ONE_POSITION = [sys.intern(f"{i}]}}") for i in range(4096)]


def prepare(positions: Mapping[str, list[int]]) -> Prepared:
    """A field's ``term -> positions`` (in order of first appearance) as :data:`Prepared`."""
    texts = []
    tfs = []
    one = _ONE_POSITION
    for where in positions.values():
        if len(where) == 1 and where[0] < 4096:
            texts.append(one[where[0]])
            tfs.append(1)
        else:
            texts.append(",".join(map(str, where)) + "]}")
            tfs.append(len(where))
    return [sys.intern(term) for term in positions], texts, tfs


def _json_string(text: str) -> str:
    # Tokens are letters, digits and marks: no character JSON escapes (json.dumps otherwise).
    return f'"{text}"' if text.isalnum() else json.dumps(text, ensure_ascii=False)


def _first_item(pair: tuple[list, int]) -> int:
    return pair[0][0]  # a term's _index: unique within a vector


class ShardWriter:
    """Several lunr indexes written in one pass over the documents: a term goes to one shard.

    Each shard's JSON is exactly ``json.dumps(build_lunr_index(docs of the shard, …),
    ensure_ascii=False, separators=(",", ":"))``, where a shard's documents hold only its
    terms. It is written from preformatted pieces: a posting becomes its text once, with no
    nested dicts to build and walk again (an index of millions of postings is bound by that).
    """

    def __init__(
        self,
        fields: Sequence[str],
        shards: Mapping[int, int],
        *,
        metadata_key: str = "p",
        vectors: bool = True,
    ) -> None:
        """``shards``: each shard's N of idf (a shard of a bigger collection passes the
        collection's, so that scores add up across shards). ``vectors=False`` writes an empty
        ``fieldVectors`` (lunr.js still loads the index; a reader that scores from the
        postings themselves needs no vectors, which are half of a term-sharded index)."""
        self.fields = list(fields)
        self.vectors = vectors
        self.document_counts = dict(shards)
        # shard -> term -> [_index, postings of field 0 (texts), …, idf once known]
        self._inverted: dict[int, dict[str, list]] = {k: {} for k in shards}
        # shard -> (quoted field ref, field number, length, [entry, tf, entry, tf, …])
        self._field_docs: dict[int, list[tuple[str, int, int, list]]] = {
            k: [] for k in self._inverted
        }
        # shard -> total length per field, then number of field vectors per field
        self._totals = {k: [0] * (2 * len(self.fields)) for k in self._inverted}
        self._opening = f'{{"{metadata_key}":['
        # '"title/' + the quoted ref without its opening quote is the quoted field ref
        self._field_refs = [json.dumps(f"{name}/", ensure_ascii=False)[:-1] for name in fields]

    def add(
        self,
        ref: str,
        by_field: Sequence[Prepared | None],
        shard_of: Mapping[str, int | Sequence[int]] | None = None,
        key: int = 0,
    ) -> None:
        """Add a document: per field (in ``fields`` order) its terms, from :func:`prepare`.

        ``shard_of`` maps each term to its shard (None: every term to the only shard), or to a
        list of shards indexed by the document's ``key`` (a term split by documents); terms
        of shards this writer was not given are skipped.
        """
        quoted = _json_string(ref)
        lead = quoted + ":" + self._opening
        inverted = self._inverted
        slots = len(self.fields) + 1
        for number, prepared in enumerate(by_field):
            if not prepared:
                continue
            slot = number + 1
            if not self.vectors:  # postings only: no field lengths to gather
                for term, text in zip(prepared[0], prepared[1], strict=True):
                    if shard_of is None:
                        k = 0
                    else:
                        k = shard_of[term]
                        if k.__class__ is not int:
                            k = k[key]
                    postings = inverted.get(k)
                    if postings is None:
                        continue
                    entry = postings.get(term)
                    if entry is None:
                        entry = postings[term] = [len(postings)]
                        entry.extend([] for _ in range(1, slots))
                    entry[slot].append(lead + text)
                continue
            local: dict[int, list] = {}
            for term, text, tf in zip(*prepared, strict=True):
                if shard_of is None:
                    k = 0
                else:
                    k = shard_of[term]
                    if k.__class__ is not int:
                        k = k[key]
                postings = inverted.get(k)
                if postings is None:
                    continue
                entry = postings.get(term)
                if entry is None:
                    entry = postings[term] = [len(postings)]
                    entry.extend([] for _ in range(1, slots))
                entry[slot].append(lead + text)
                group = local.get(k)
                if group is None:
                    local[k] = [entry, tf]
                else:
                    group.append(entry)
                    group.append(tf)
            if local and self.vectors:
                field_ref = self._field_refs[number] + quoted[1:]
                for k, group in local.items():
                    length = group[1] if len(group) == 2 else sum(group[1::2])
                    self._field_docs[k].append((field_ref, number, length, group))
                    totals = self._totals[k]
                    totals[number] += length
                    totals[number + slots - 1] += 1

    def serialise(self, k: int) -> str:
        """The JSON text of shard ``k`` (its data is released)."""
        inverted = self._inverted.pop(k)
        field_docs = self._field_docs.pop(k)
        count = len(self.fields)
        totals = self._totals.pop(k)
        average = [
            (totals[f] / totals[count + f]) if totals[count + f] else 1.0 for f in range(count)
        ]
        n = self.document_counts[k]
        for entry in inverted.values() if self.vectors else ():
            df = 0
            for postings in entry[1:]:
                df += len(postings)
            entry.append(lunr_idf(df, n))
        weight_at = count + 1
        k1_plus_1 = K1 + 1
        # A score is a function of (term, tf, field, field length): few distinct values in a
        # shard, so each is computed and formatted once.
        memo: dict[tuple[int, int, int, int], str] = {}

        def score_text(entry: list, tf: int, length: int, number: int) -> str:
            # lunr.py: idf * ((k1 + 1) * tf) / (k1 * (1 - b + b * (length / avg)) + tf)
            norm = K1 * (1 - B + B * (length / average[number]))
            score = round(entry[weight_at] * (k1_plus_1 * tf) / (norm + tf), 3)
            return f"{entry[0]},{score!r}"

        vectors = []
        for field_ref, number, length, group in field_docs:
            if len(group) == 2:  # the common case in a term-sharded index: nothing to sort
                entry, tf = group
                key = (entry[0], tf, length, number)
                text = memo.get(key)
                if text is None:
                    text = memo[key] = score_text(entry, tf, length, number)
                vectors.append(f"[{field_ref},[{text}]]")
                continue
            pairs = sorted(zip(group[::2], group[1::2], strict=True), key=_first_item)
            texts = []
            for entry, tf in pairs:
                key = (entry[0], tf, length, number)
                text = memo.get(key)
                if text is None:
                    text = memo[key] = score_text(entry, tf, length, number)
                texts.append(text)
            vectors.append(f"[{field_ref},[{','.join(texts)}]]")
        keys = [f"{json.dumps(name, ensure_ascii=False)}:{{" for name in self.fields]
        postings_text = []
        for term in sorted(inverted):
            entry = inverted[term]
            body = "},".join(keys[f] + ",".join(entry[f + 1]) for f in range(count))
            postings_text.append(f'[{_json_string(term)},{{{body}}},"_index":{entry[0]}}}]')
        field_list = ",".join(json.dumps(name, ensure_ascii=False) for name in self.fields)
        return (
            f'{{"version":"{LUNR_VERSION}","fields":[{field_list}],'
            f'"fieldVectors":[{",".join(vectors)}],'
            f'"invertedIndex":[{",".join(postings_text)}],"pipeline":[]}}'
        )


def serialise_lunr_index(
    docs: Iterable[DocTerms],
    fields: Sequence[str],
    *,
    document_count: int | None = None,
    metadata_key: str = "p",
) -> str:
    """``json.dumps(build_lunr_index(...), ensure_ascii=False, separators=(",", ":"))``, faster."""
    docs = list(docs)
    writer = ShardWriter(
        fields,
        {0: len(docs) if document_count is None else document_count},
        metadata_key=metadata_key,
    )
    for ref, by_field in docs:
        writer.add(ref, [prepare(by_field.get(name) or {}) for name in fields])
    return writer.serialise(0)
