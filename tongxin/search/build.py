"""``build_search_index``: documents in, ``OUT/search/`` out (branch sites and the portal).

Layout written under ``OUT/search/`` (read by ``theme/static/js/search.js``):

- ``manifest.json``: shard count, split buckets (``parts``), hot terms (``hot``), facet values
  (branches, types, years), the meta block width;
- ``shards/*.json``: lunr indexes of the terms of one bucket, hot term or part (see
  :mod:`tongxin.search.plan` and :mod:`tongxin.search.format`);
- ``meta/<j>.json``: display rows (url, title, branch, type, date, excerpt) of the documents
  whose ``n // width == j`` (see :mod:`tongxin.search.refs`), keyed by ref;
- ``t2s.json``: the Traditional→Simplified table for the browser's tokenizer.

Each posting keeps its token positions: the browser checks that a query's bigrams are
adjacent, which makes the AND of bigrams as precise as a substring search. Branch and type
filters are terms of a third field ``f`` (``b:<branch>``, ``t:<type>``).
"""

from __future__ import annotations

import contextlib
import gc
import math
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from tongxin.fold import load_table

from .cache import TERMS_FILE, FileCache, TermsCache, documents_of, meta_key, shard_keys
from .extras import T2S_PARTS, write_facets, write_t2s_parts
from .first import first_terms, write_first_files
from .format import Prepared, prepare
from .grams import EXTEND_POSTINGS, extend_texts, extended_bigrams
from .model import (
    FIELDS,
    FORMAT,
    IndexStats,
    SearchDoc,
    body_field,
    date_key,
    doc_hash,
    encode,
    facet_terms,
    meta_row,
    title_field,
    write_atomic,
)
from .plan import HOT_POSTINGS, SPLIT_POSTINGS, Layout, TextGroups, pass_groups, plan_layout
from .refs import PART_KEYS, assign_refs, day_number, meta_width, ref_number, year_ranges
from .writer import ShardJob, write_meta

# Postings of the files written per pass over the documents: bounds the memory of one pass.
POSTINGS_PER_PASS = 1_500_000


@dataclass
class _Collection:
    """The documents newest first, with their refs, date keys and content hashes."""

    docs: list[SearchDoc]
    refs: list[str]
    dates: list[str]
    hashes: list[str]

    @classmethod
    def of(cls, docs: list[SearchDoc]) -> _Collection:
        dates = [date_key(d.date) for d in docs]
        days = [day_number(k) for k in dates]
        refs = assign_refs(days, [d.id for d in docs], [d.branch for d in docs])
        order = sorted(range(len(docs)), key=refs.__getitem__, reverse=True)
        docs = [docs[i] for i in order]
        dates = [dates[i] for i in order]
        hashes = [doc_hash(d, k) for d, k in zip(docs, dates, strict=True)]
        return cls(docs, [refs[i] for i in order], dates, hashes)

    def marks(self) -> list[bytes]:
        return [f"{r}:{h};".encode("ascii") for r, h in zip(self.refs, self.hashes, strict=True)]


@contextlib.contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    # Millions of small lists and no cycles: the cyclic collector would only walk them again.
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def build_search_index(
    docs: Iterable[SearchDoc],
    out_dir: Path,
    *,
    cache_dir: Path | None = None,
    excerpt_chars: int = 120,
    meta_block: int = 8,
    shards: int | None = None,
    split_postings: int = SPLIT_POSTINGS,
    hot_postings: int = HOT_POSTINGS,
    extend_postings: int = EXTEND_POSTINGS,
    reuse_files: bool = True,
) -> IndexStats:
    """Index ``docs`` into ``out_dir/search/`` (replacing what was there); returns figures.

    With ``cache_dir``, each text's terms are kept by content, and (``reuse_files``) shards
    and meta blocks whose documents did not change since a build that used the same cache
    are reused rather than rebuilt; the output is the same. A branch site, whose rebuilds are
    deltas over a base (:mod:`tongxin.search.base`), keeps only the terms: keying every file
    costs its cold builds more than the rare cold rebuild wins.
    """
    started = time.perf_counter()
    with _no_cyclic_gc():
        collection = _Collection.of(list(docs))
        stats = IndexStats(docs=len(collection.docs))
        stats.refs = {d.id: r for d, r in zip(collection.docs, collection.refs, strict=True)}
        lap = stats.lap("refs", started)
        terms = TermsCache(Path(cache_dir) / TERMS_FILE if cache_dir else None)
        keys = [ref_number(r) % PART_KEYS for r in collection.refs]
        extend = max(extend_postings, hot_postings)
        fields, groups, frequency, extended = _analyse(collection.docs, keys, terms, stats, extend)
        lap = stats.lap("analyse", lap)
        stats.postings = frequency.total()
        layout = plan_layout(frequency, len(set(keys)) > 1, shards, split_postings, hot_postings)
        layout.extended = extended
        stats.shards = len(layout.names)
        search_dir = Path(out_dir) / "search"
        files = FileCache(Path(cache_dir) / "files" if cache_dir and reuse_files else None)
        job = _shard_job(collection, keys, fields, layout, groups, files, search_dir)
        lap = stats.lap("plan", lap)
        total = sum(layout.weights[k] for k in job.targets)
        passes = math.ceil(total / POSTINGS_PER_PASS)
        for group in pass_groups(list(job.targets), layout.weights, passes):
            job.write_group(group)
        blocks = _write_meta_blocks(collection, meta_block, excerpt_chars, files, search_dir)
        lap = stats.lap("shards and meta", lap)
        files.place()
        first = first_terms(frequency, len(collection.docs), hot_postings)
        write_first_files(search_dir, collection.docs, collection.refs, fields, first)
        _write_manifest(collection, layout, search_dir, blocks[0], first)
        files.prune()
        terms.save()
        stats.lap("finish", lap)
    stats.built = len(job.targets) + blocks[1]
    stats.reused = files.reused
    stats.files = len(layout.names) + len(blocks[2]) + 2
    stats.bytes = sum(p.stat().st_size for p in search_dir.rglob("*.json"))
    stats.seconds = time.perf_counter() - started
    return stats


def _analyse(
    docs: list[SearchDoc], keys: list[int], terms: TermsCache, stats: IndexStats, extend: int
) -> tuple[list[tuple[Prepared, Prepared, Prepared]], TextGroups, Counter[str], list[str]]:
    """Each document's title, text and filter terms (each distinct text analysed once), their
    groups, the terms' frequency, and the extended bigrams, whose trigrams are among the
    terms (:mod:`.grams`)."""
    known = terms.analyse(t for d in docs for t in (title_field(d), body_field(d)))
    fresh = terms.new_texts
    stats.tokenized = sum(1 for d in docs if title_field(d) in fresh or body_field(d) in fresh)
    fields = document_fields(docs, known)
    groups = TextGroups.of(fields, keys)
    frequency = groups.frequency()
    extended = extended_bigrams(frequency, extend)  # extend ≥ hot: hot ones
    if extended:
        cache = terms.path.with_name("trigrams.marshal") if terms.path else None
        fields = document_fields(docs, extend_texts(known, extended, cache))
        groups = TextGroups.of(fields, keys)
        frequency = groups.frequency()
    return fields, groups, frequency, extended


def document_fields(
    docs: list[SearchDoc], texts: dict[str, Prepared]
) -> list[tuple[Prepared, Prepared, Prepared]]:
    """Each document's (title, text, filter terms), the texts analysed in ``texts``; the
    filter terms of each (branch, type, region) prepared once."""
    facet_of: dict[tuple[str, str, str], Prepared] = {}
    out = []
    for d in docs:
        key = (d.branch, d.type, d.region)
        if key not in facet_of:
            facet_of[key] = prepare(facet_terms(*key))
        out.append((texts[title_field(d)], texts[body_field(d)], facet_of[key]))
    return out


def _clear(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.iterdir():
        stale.unlink()
    return folder


def _shard_job(
    collection: _Collection,
    keys: list[int],
    fields: list[tuple[Prepared, Prepared, Prepared]],
    layout: Layout,
    groups: TextGroups,
    files: FileCache,
    search_dir: Path,
) -> ShardJob:
    """The files to build (the others come from the cache) and the documents of each."""
    shard_dir = _clear(search_dir / "shards")
    targets: dict[int, Path] = {}
    members: dict[int, list[int]] | None = None
    if files.folder is None:
        targets = {k: shard_dir / f"{name}.json" for k, name in layout.names.items()}
    else:
        cache_keys, members_of = shard_keys(layout, groups, collection.marks())
        for k, name in layout.names.items():
            key = cache_keys.get(k, f"empty-{layout.shard_count}-{name}")
            target = files.target(f"s-{key}.json", shard_dir / f"{name}.json")
            if target is not None:
                targets[k] = target
        # little to rebuild (a quarter of the postings at most): lists of each file's
        # documents; more (a first build): scanning every document is cheaper
        if sum(layout.weights[k] for k in targets) * 4 <= layout.total_weight():
            members = {k: documents_of(members_of.get(k) or [[]]) for k in targets}
    return ShardJob(collection.refs, keys, fields, layout.shard_of, members, targets)


def _write_meta_blocks(
    collection: _Collection, block: int, chars: int, files: FileCache, search_dir: Path
) -> tuple[int, int, list[int]]:
    """(width, blocks built, block numbers): rows keyed by ref, a block per range of ``n``."""
    meta_dir = _clear(search_dir / "meta")
    numbers = [ref_number(r) for r in collection.refs]
    width = meta_width(numbers, block)
    blocks: dict[int, list[int]] = {}
    for i, n in enumerate(numbers):
        blocks.setdefault(n // width, []).append(i)
    marks = collection.marks() if files.folder is not None else []
    built = 0
    for j, members in blocks.items():
        key = meta_key(f"{width}|{chars}|{j}", (marks[i] for i in members)) if marks else ""
        target = files.target(f"m-{key}.json", meta_dir / f"{j}.json")
        if target is None:
            continue
        docs, refs, dates = collection.docs, collection.refs, collection.dates
        write_meta(target, {refs[i]: meta_row(docs[i], dates[i], chars) for i in members})
        built += 1
    return width, built, list(blocks)


def _write_manifest(
    collection: _Collection, layout: Layout, search_dir: Path, width: int, first: list[str]
) -> None:
    # the fold table as one string of (traditional, simplified) pairs: a sixth smaller than
    # the object once compressed, on every first query
    table = encode("".join(t + s for t, s in sorted(load_table().items())))
    t2s = search_dir / "t2s.json"
    if not t2s.exists() or t2s.read_bytes() != table:
        write_atomic(t2s, table)
    docs = collection.docs
    manifest = {
        "format": FORMAT,
        "docs": len(docs),
        "shards": layout.shard_count,
        "parts": layout.manifest_parts(),
        "hot": layout.manifest_hot(first),
        "hash": "fnv1a32-utf8",
        "fields": list(FIELDS),
        "metaWidth": width,
        "branches": sorted({d.branch for d in docs}),
        "types": sorted({d.type for d in docs}),
        "years": year_ranges({k[:4] for k in collection.dates}),
        "typeCounts": dict(sorted(Counter(d.type for d in docs).items())),
    }
    manifest["regions"] = sorted({d.region for d in docs} - {""})
    manifest["t2sParts"] = T2S_PARTS
    write_t2s_parts(search_dir)
    manifest["facets"] = write_facets(search_dir, docs, collection.refs)
    write_atomic(search_dir / "manifest.json", encode(manifest))
