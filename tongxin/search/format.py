"""lunr's serialised index (what ``lunr.Index.load`` in lunr.js 2.3.9 reads), postings only.

A shard file is the JSON lunr.py's ``Builder`` would serialise for the shard's documents (with
an empty pipeline, token positions kept as metadata ``p``), except ``fieldVectors``, which is
empty: the page scores BM25 from the positions (vectors were half of every download). Terms
are sorted; each posting lists ``{field: {ref: {"p": positions}}, "_index": n}`` with ``n`` the
term's order of first appearance (documents in the order given, then fields, then terms).

:class:`ShardWriter` writes many shards in one pass over the documents, a term going to one
shard, from preformatted pieces: a posting becomes its text once, with no nested dicts to
build and walk again (a portal's index has millions of postings).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from tongxin.tokenizer import index_terms

LUNR_VERSION = "2.3.9"

#: a field's terms, ready to write: (terms in order of first appearance, each term's
#: positions as the JSON text closing its posting, e.g. ``3,17]}``)
Prepared = tuple[list[str], list[str]]
# Position texts of one position, shared (most terms occur once in a document).
_ONE_POSITION = [sys.intern(f"{i}]}}") for i in range(4096)]


def prepare(positions: Mapping[str, list[int]]) -> Prepared:
    """A field's ``term -> positions`` (in order of first appearance) as :data:`Prepared`."""
    texts = []
    for where in positions.values():
        if len(where) == 1 and where[0] < 4096:
            texts.append(_ONE_POSITION[where[0]])
        else:
            texts.append(",".join(map(str, where)) + "]}")
    return [sys.intern(term) for term in positions], texts


def prepare_text(text: str) -> Prepared:
    """A field's text, tokenized (CJK characters alone too), as the writer takes it (what the
    terms cache keeps)."""
    return prepare(index_terms(text))


def _json_string(text: str) -> str:
    # Tokens are letters, digits and marks: no character JSON escapes (json.dumps otherwise).
    return f'"{text}"' if text.isalnum() else json.dumps(text, ensure_ascii=False)


#: where a term goes: a shard, or (a term split by documents) a shard per document key
Route = int | Sequence[int]


class ShardWriter:
    """Several lunr indexes written in one pass over the documents: a term goes to one shard.

    Each shard's JSON is that of lunr.py's builder over the shard's documents (each holding
    only its terms of that shard), with empty ``fieldVectors``.
    """

    def __init__(self, fields: Sequence[str], shards: Iterable[int], metadata_key: str = "p"):
        self.fields = list(fields)
        # shard -> term -> [_index, postings of field 0 (texts), postings of field 1, …]
        self._inverted: dict[int, dict[str, list[Any]]] = {k: {} for k in shards}
        self._opening = f'{{"{metadata_key}":['

    def add(
        self,
        ref: str,
        by_field: Sequence[Prepared | tuple[()]],
        shard_of: Mapping[str, Route] | None = None,
        key: int = 0,
    ) -> None:
        """Add a document: per field (in ``fields`` order) its terms, from :func:`prepare`.

        ``shard_of`` maps each term to its route (None: every term to shard 0); a route that
        is a sequence is indexed by the document's ``key``. Terms of shards this writer was
        not given are skipped.
        """
        lead = _json_string(ref) + ":" + self._opening
        inverted = self._inverted
        slots = len(self.fields) + 1
        for slot, prepared in enumerate(by_field, start=1):
            if not prepared:
                continue
            for term, text in zip(prepared[0], prepared[1], strict=True):
                k = 0 if shard_of is None else shard_of[term]
                if k.__class__ is not int:
                    k = k[key]  # type: ignore[index]
                postings = inverted.get(k)  # type: ignore[arg-type]
                if postings is None:
                    continue
                entry = postings.get(term)
                if entry is None:
                    entry = postings[term] = [len(postings)]
                    entry.extend([] for _ in range(1, slots))
                entry[slot].append(lead + text)

    def serialise(self, k: int) -> str:
        """The JSON text of shard ``k`` (its data is released)."""
        inverted = self._inverted.pop(k)
        keys = [f"{json.dumps(name, ensure_ascii=False)}:{{" for name in self.fields]
        postings = []
        for term in sorted(inverted):
            entry = inverted[term]
            body = "},".join(keys[f] + ",".join(entry[f + 1]) for f in range(len(keys)))
            postings.append(f'[{_json_string(term)},{{{body}}},"_index":{entry[0]}}}]')
        field_list = ",".join(json.dumps(name, ensure_ascii=False) for name in self.fields)
        return (
            f'{{"version":"{LUNR_VERSION}","fields":[{field_list}],"fieldVectors":[],'
            f'"invertedIndex":[{",".join(postings)}],"pipeline":[]}}'
        )
