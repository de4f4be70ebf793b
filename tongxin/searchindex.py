"""Prebuilt, sharded lunr indexes for the search page (branch sites and the portal alike).

Layout written under ``OUT/search/`` (read by ``theme/static/js/search.js``):

- ``manifest.json``: shard count, facet values (branches, types, year → doc range), block size;
- ``shards/<k>.json``: a lunr index (lunr.py, loaded by ``lunr.Index.load``) holding only the
  terms whose :func:`~tongxin.tokenizer.term_hash` is ``k`` modulo the shard count, so a query
  downloads just the shards of its own terms;
- ``meta/<j>.json``: display data (url, title, branch, type, date, excerpt) for the documents
  ``j*block … (j+1)*block-1``: a result page loads only the blocks of the hits it shows;
- ``t2s.json``: the Traditional→Simplified table for the browser's tokenizer.

Documents are numbered newest first, so "newest first" is a sort by number and a year filter is
a number range. Each posting keeps its token positions (lunr metadata ``p``): the browser checks
that a query's bigrams are adjacent, which makes the AND of bigrams as precise as a substring
search. Branch and type filters are terms of a third field ``f`` (``b:<n>``, ``t:<n>``).
"""

from __future__ import annotations

import json
import math
import multiprocessing
import os
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from lunr.builder import Builder

from tongxin.fold import write_js_table
from tongxin.tokenizer import term_hash, tokenize

FORMAT = "tongxin-search-1"
FIELDS = ("title", "text", "f")
# A shard aims at about this many postings (≈ 100 kB of JSON, ≈ 30 kB gzipped).
POSTINGS_PER_SHARD = 4000
MAX_SHARDS = 4096
# Shards built per pass over the documents: bounds the memory of lunr.py's builders.
POSTINGS_PER_PASS = 1_500_000
# Below this many postings a single process is faster than forking.
PARALLEL_POSTINGS = 400_000


@dataclass(frozen=True)
class SearchDoc:
    """One entry as the search sees it; ``text`` is plain text (no HTML)."""

    id: str
    url: str
    title: str
    text: str
    branch: str = ""
    type: str = ""
    date: datetime | date | str | None = None
    summary: str = ""


@dataclass
class IndexStats:
    docs: int = 0
    shards: int = 0
    postings: int = 0
    bytes: int = 0
    seconds: float = 0.0
    files: int = 0


def _date_key(value: datetime | date | str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _ref(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if not number:
            return out


def shard_of(term: str, shards: int) -> int:
    return term_hash(term) % shards


class ShardBuilder(Builder):
    """lunr.py's builder fed with our own tokens and their positions.

    lunr.py's ``add`` runs its tokenizer (which would split and lower-case our tokens again and
    drops list items' metadata) and deep-copies metadata for every token; we hand it terms and
    positions directly. Scoring (BM25 field vectors), the token set and the serialised format
    are lunr.py's own. Fields without terms get no field vector (lunr.js only looks up vectors
    of fields that matched), which keeps shards small.
    """

    def __init__(self) -> None:
        super().__init__()
        self.ref("id")
        for name in FIELDS:
            self.field(name)
        # No trimmer, stop words or stemmer: they would drop or mangle CJK tokens, and the
        # serialised search pipeline stays empty, so lunr.js leaves query terms alone too.
        self.metadata_whitelist = ["p"]

    def add_terms(self, ref: str, fields: dict[str, dict[str, list[int]]]) -> None:
        """Add one document: field name → term → positions in that field's token stream."""
        self._documents[ref] = {}
        self.document_count += 1
        for field_name, terms in fields.items():
            if not terms:
                continue
            field_ref = f"{field_name}/{ref}"
            self.field_term_frequencies[field_ref] = {t: len(p) for t, p in terms.items()}
            self.field_lengths[field_ref] = sum(len(p) for p in terms.values())
            for term, positions in terms.items():
                posting = self.inverted_index.get(term)
                if posting is None:
                    posting = {name: {} for name in self._fields}
                    posting["_index"] = self.term_index
                    self.term_index += 1
                    self.inverted_index[term] = posting
                posting[field_name][ref] = {"p": positions}

    def _create_token_set(self) -> None:
        # The token set (a minimised automaton, slow in Python) is not serialised: lunr.js
        # rebuilds it from the inverted index when it loads the shard.
        self.token_set = None

    def _calculate_average_field_lengths(self) -> None:
        # lunr.py divides by the number of documents having each field: a shard may have none.
        totals: dict[str, int] = dict.fromkeys(self._fields, 0)
        counts: dict[str, int] = dict.fromkeys(self._fields, 0)
        for field_ref, length in self.field_lengths.items():
            name = field_ref.partition("/")[0]
            totals[name] += length
            counts[name] += 1
        self.average_field_length = {
            name: (totals[name] / counts[name]) if counts[name] else 1.0 for name in self._fields
        }


def _choose_shards(postings: int) -> int:
    wanted = max(1, math.ceil(postings / POSTINGS_PER_SHARD))
    return min(MAX_SHARDS, 1 << (wanted - 1).bit_length())


@dataclass
class _Job:
    ordered: Sequence[SearchDoc]
    branch_no: dict[str, int]
    type_no: dict[str, int]
    shard_count: int
    search_dir: Path

    def build_group(self, group: tuple[int, int]) -> tuple[int, int]:
        """Build shards ``group[0] … group[1]-1``; returns (bytes written, files written)."""
        builders = {k: ShardBuilder() for k in range(*group)}
        shard_count = self.shard_count
        shard_cache: dict[str, int] = {}
        for number, doc in enumerate(self.ordered):
            fields = _doc_fields(doc, self.branch_no[doc.branch], self.type_no[doc.type])
            split: dict[int, dict[str, dict[str, list[int]]]] = {}
            for name, tokens in fields.items():
                for position, term in enumerate(tokens):
                    k = shard_cache.get(term)
                    if k is None:
                        k = shard_cache[term] = term_hash(term) % shard_count
                    if k in builders:
                        by_field = split.get(k)
                        if by_field is None:
                            by_field = split[k] = {f: {} for f in FIELDS}
                        by_field[name].setdefault(term, []).append(position)
            ref = _ref(number)
            for k, values in split.items():
                builders[k].add_terms(ref, values)
        written = 0
        for k, builder in builders.items():
            # idf from the whole collection, not the shard, so scores add up across shards.
            builder.document_count = len(self.ordered)
            written += _dump(self.search_dir / "shards" / f"{k}.json", builder.build().serialize())
        return written, len(builders)


_job: _Job | None = None


def _usable_cpus() -> int:
    # The CPUs this process may run on (a CI container sees the host's count otherwise).
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def _build_group_in_worker(group: tuple[int, int]) -> tuple[int, int]:
    assert _job is not None
    return _job.build_group(group)


def _doc_fields(doc: SearchDoc, branch_no: int, type_no: int) -> dict[str, list[str]]:
    return {
        "title": tokenize(doc.title),
        "text": tokenize(doc.text),
        "f": [f"b:{branch_no}", f"t:{type_no}"],
    }


def _dump(path: Path, data: object) -> int:
    encoded = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    path.write_bytes(encoded)
    return len(encoded)


def _excerpt(doc: SearchDoc, chars: int) -> str:
    text = " ".join((doc.text or doc.summary).split())
    return text if len(text) <= chars else text[:chars] + "…"


def build_search_index(
    docs: Iterable[SearchDoc],
    out_dir: Path,
    *,
    excerpt_chars: int = 300,
    meta_block: int = 8,
    shards: int | None = None,
    workers: int | None = None,
) -> IndexStats:
    """Index ``docs`` into ``out_dir/search/`` (replacing what was there); returns figures."""
    started = time.perf_counter()
    ordered: Sequence[SearchDoc] = sorted(docs, key=lambda d: _date_key(d.date), reverse=True)
    search_dir = Path(out_dir) / "search"
    for sub in ("shards", "meta"):
        folder = search_dir / sub
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob("*.json"):
            stale.unlink()

    branches = sorted({d.branch for d in ordered})
    types = sorted({d.type for d in ordered})
    branch_no = {name: i for i, name in enumerate(branches)}
    type_no = {name: i for i, name in enumerate(types)}
    stats = IndexStats(docs=len(ordered))

    # Pass 0: count postings per term to size the shards (tokens are not kept: memory).
    postings = 0
    years: dict[str, list[int]] = {}
    for number, doc in enumerate(ordered):
        for tokens in _doc_fields(doc, 0, 0).values():
            postings += len(set(tokens))
        year = _date_key(doc.date)[:4]
        if year:
            span = years.setdefault(year, [number, number])
            span[1] = number
    stats.postings = postings
    shard_count = shards or _choose_shards(postings)
    stats.shards = shard_count

    # lunr.py keeps a whole index in memory: build the shards a group at a time, groups in
    # parallel processes when the collection is big enough to be worth forking for.
    cpus = workers if workers is not None else _usable_cpus()
    passes = math.ceil(postings / POSTINGS_PER_PASS)
    if postings > PARALLEL_POSTINGS:
        passes = max(passes, cpus)
    per_pass = max(1, math.ceil(shard_count / max(passes, 1)))
    groups = [
        (first, min(shard_count, first + per_pass)) for first in range(0, shard_count, per_pass)
    ]
    job = _Job(ordered, branch_no, type_no, shard_count, search_dir)
    if workers is None:
        workers = min(cpus, len(groups)) if postings > PARALLEL_POSTINGS else 1
    if workers > 1 and "fork" in multiprocessing.get_all_start_methods():
        global _job
        _job = job  # inherited by the forked workers: the documents are not pickled
        try:
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                done = pool.map(_build_group_in_worker, groups, chunksize=1)
        finally:
            _job = None
    else:
        done = [job.build_group(group) for group in groups]
    total_bytes = sum(b for b, _ in done)
    stats.files += sum(f for _, f in done)

    for start in range(0, len(ordered), meta_block):
        rows = [
            [
                doc.url,
                doc.title,
                branch_no[doc.branch],
                type_no[doc.type],
                _date_key(doc.date)[:10],
                _excerpt(doc, excerpt_chars),
            ]
            for doc in ordered[start : start + meta_block]
        ]
        total_bytes += _dump(search_dir / "meta" / f"{start // meta_block}.json", rows)
        stats.files += 1

    total_bytes += write_js_table(search_dir / "t2s.json")
    manifest = {
        "format": FORMAT,
        "docs": len(ordered),
        "shards": shard_count,
        "hash": "fnv1a32-utf8",
        "fields": list(FIELDS),
        "metaBlock": meta_block,
        "branches": branches,
        "types": types,
        "years": years,
        "typeCounts": dict(Counter(d.type for d in ordered)),
    }
    total_bytes += _dump(search_dir / "manifest.json", manifest)
    stats.files += 2
    stats.bytes = total_bytes
    stats.seconds = time.perf_counter() - started
    return stats
