"""Small files beside the index: the facet table and the fold table in parts.

- ``facets.json`` (a collection of at most :data:`FACET_DOCS` entries): ``{"values": [[branch,
  type, region], …], "refs": {ref: i}}``, what the page counts results by (each filter's
  values with their counts). A delta writes ``delta/facets.json`` for its entries.
- ``t2s/<k>.json``: the Traditional→Simplified pairs (one JSON string ``TSTS…``) whose
  traditional or simplified character ``c`` has ``ord(c) % T2S_PARTS == k``: a query fetches
  the parts of its own characters (folding them), and those hold every traditional form of its
  simplified characters (highlighting them in results).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from tongxin.fold import load_table

from .model import SearchDoc, encode, write_atomic

#: Up to this many entries the page gets the facet table (≈ 12 bytes an entry before gzip).
FACET_DOCS = 5000
T2S_PARTS = 256


def facet_table(docs: Sequence[SearchDoc], refs: Sequence[str]) -> dict[str, object]:
    values: dict[tuple[str, str, str], int] = {}
    rows: dict[str, int] = {}
    for doc, ref in zip(docs, refs, strict=True):
        rows[ref] = values.setdefault((doc.branch, doc.type, doc.region), len(values))
    return {"values": [list(v) for v in values], "refs": rows}


def write_facets(folder: Path, docs: Sequence[SearchDoc], refs: Sequence[str]) -> bool:
    """Write ``folder/facets.json`` when the collection is small enough (else remove it)."""
    target = folder / "facets.json"
    if len(refs) > FACET_DOCS:
        target.unlink(missing_ok=True)
        return False
    write_atomic(target, encode(facet_table(docs, refs)))
    return True


def t2s_parts(table: Mapping[str, str], parts: int = T2S_PARTS) -> list[str]:
    """The pairs of each part, as the strings written."""
    out: list[list[str]] = [[] for _ in range(parts)]
    for t, s in sorted(table.items()):
        for k in sorted({ord(t) % parts, ord(s) % parts}):
            out[k].append(t + s)
    return ["".join(pairs) for pairs in out]


def write_t2s_parts(search_dir: Path) -> None:
    folder = search_dir / "t2s"
    folder.mkdir(parents=True, exist_ok=True)
    for k, pairs in enumerate(t2s_parts(load_table())):
        data = encode(pairs)
        path = folder / f"{k}.json"
        if not path.exists() or path.read_bytes() != data:
            write_atomic(path, data)
