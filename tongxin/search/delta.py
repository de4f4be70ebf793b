"""The portal's delta (LSM-style): a base built cold, plus the documents changed since.

A portal rerun where one branch changed would rebuild every shard holding a common term of
its entries, which is most of them. Instead the published ``search/`` keeps the base's files
(hard-linked from the previous version) and adds ``delta/``: the documents added or changed
since the base was built, in a few small term-hashed shards and meta blocks, while the
manifest's ``delta.dead`` lists the base refs deleted or superseded. The browser merges both
(see ``search.js``); document frequencies count the live documents only, so the scores are
those of a cold build.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

from tongxin.tokenizer import term_hash

from .build import document_fields
from .cache import link_or_copy
from .extras import write_facets
from .format import ShardWriter, prepare_text
from .grams import extend_texts
from .model import (
    FIELDS,
    FORMAT,
    IndexStats,
    SearchDoc,
    body_field,
    date_key,
    encode,
    meta_row,
    title_field,
    write_atomic,
)
from .plan import EXTENDED_FLAG, choose_shards
from .refs import (
    REF_BASE,
    base_ref,
    day_number,
    meta_width,
    part_key,
    ref_number,
    settle,
    year_ranges,
)

DELTA_DIR = "delta"
#: Past this share of the collection in the delta (or past ``DELTA_MAX_POSTINGS``), the caller
#: builds a new base instead: each query downloads a delta file per term.
DELTA_MAX_SHARE = 0.05
#: (Trigrams add about two fifths to a portal's postings: as many documents fit as before
#: them, in delta buckets of about 2,000 postings, as the base's.)
DELTA_MAX_POSTINGS = 192_000

#: (id, branch, date key) of a document
Facts = tuple[str, str, str]


class DeltaRefused(Exception):
    """The delta cannot reproduce a cold build (too big, another format)."""


def build_delta_index(
    base_dir: Path,
    out_dir: Path,
    changed: Sequence[SearchDoc],
    removed: Collection[str],
    base: Mapping[str, str],
    live: Sequence[tuple[str, str, str]],
    load: Callable[[list[str]], Sequence[SearchDoc]],
    *,
    excerpt_chars: int = 120,
    meta_block: int = 8,
    max_share: float = DELTA_MAX_SHARE,
    max_postings: int = DELTA_MAX_POSTINGS,
    regions: Sequence[str] | None = None,
) -> IndexStats:
    """Write ``out_dir/search/`` as the base in ``base_dir`` (a ``search/`` folder) plus a delta.

    ``changed``: every document added or changed since the base was built (not only since
    the last delta); ``removed``: the ids of base documents deleted since; ``base``: id → ref
    of every base document (:attr:`IndexStats.refs` of its build); ``live``: (branch, type,
    date key, of which the year is read) of every document of the collection now, for the
    manifest's facets; ``load(ids)``: the current documents of unchanged base ids whose ref a
    cold build would now assign differently (a new document collides with them): they move
    to the delta. Raises :class:`DeltaRefused` when a new base is due; nothing is written
    then. ``stats.refs`` holds the refs of the delta's documents. ``regions``: every region
    of the collection now (the region filter's values; None: the base's).
    """
    started = time.perf_counter()
    stats = IndexStats(docs=len(live))
    manifest = _base_manifest(Path(base_dir))
    limit = max_share * max(len(live), 1)
    if len(changed) > limit:
        raise DeltaRefused(f"{len(changed)} changed documents: time for a new base")
    docs, refs, dead = _delta_documents(changed, removed, base, load)
    if len(docs) > limit:
        raise DeltaRefused(f"{len(docs)} documents in the delta: time for a new base")
    stats.refs = dict(zip((d.id for d in docs), refs, strict=True))
    order = sorted(range(len(docs)), key=refs.__getitem__, reverse=True)  # as a cold build
    docs, refs = [docs[i] for i in order], [refs[i] for i in order]
    lap = stats.lap("refs", started)
    extended = [t for t, code in manifest.get("hot", {}).items() if code & EXTENDED_FLAG]
    writer, count, stats.postings = _delta_shards(docs, refs, max_postings, extended)
    lap = stats.lap("analyse", lap)
    search_dir = Path(out_dir) / "search"
    search_dir.mkdir(parents=True, exist_ok=True)
    _link_base(Path(base_dir), search_dir)
    _scrub_dead(search_dir, manifest, dead)
    delta_dir = search_dir / DELTA_DIR
    shutil.rmtree(delta_dir, ignore_errors=True)  # a link of the previous delta: replaced
    (delta_dir / "shards").mkdir(parents=True)
    (delta_dir / "meta").mkdir()
    for k in range(count):
        write_atomic(delta_dir / "shards" / f"{k}.json", writer.serialise(k).encode("utf-8"))
    width, blocks = _delta_meta(docs, refs, delta_dir, meta_block, excerpt_chars)
    stats.shards, stats.built, stats.files = count, count + blocks, count + blocks + 1
    manifest.update(_live_facets(live))
    if regions is not None:  # a branch of a new region joined: the filter offers it
        manifest["regions"] = sorted(set(regions) - {""})
    manifest["delta"] = {"shards": count, "metaWidth": width, "refs": refs, "dead": dead}
    if manifest.get("facets"):
        write_facets(delta_dir, docs, refs)
    write_atomic(search_dir / "manifest.json", encode(manifest))
    stats.lap("write", lap)
    stats.bytes = sum(p.stat().st_size for p in delta_dir.rglob("*.json"))
    stats.seconds = time.perf_counter() - started
    return stats


def _scrub_dead(search_dir: Path, manifest: Mapping[str, Any], dead: Sequence[str]) -> None:
    """Take the rows of dead refs out of the base's meta blocks and first-screen files here
    (new files, the base's stay as they are): a deleted, retracted or rejected entry's title
    and text leave the published files with the run that drops it, not with the next base."""
    if not dead:
        return
    gone = set(dead)
    width = int(manifest.get("metaWidth") or 0)
    blocks = {ref_number(r) // width for r in gone} if width else set()
    paths = [search_dir / "meta" / f"{j}.json" for j in sorted(blocks)]
    paths += sorted((search_dir / "shards").glob("f*.json"))
    for path in paths:
        try:
            data = json.loads(path.read_bytes())
        except (OSError, ValueError):
            continue
        rows = data.get("rows", data) if isinstance(data, dict) else {}
        if not isinstance(rows, dict) or gone.isdisjoint(rows):
            continue
        for ref in gone.intersection(rows):
            del rows[ref]
        for lists in data.get("terms", {}).values() if "terms" in data else ():
            for key in ("rel", "new"):
                lists[key] = [r for r in lists.get(key, []) if r not in gone]
        write_atomic(path, encode(data))


def _base_manifest(base_dir: Path) -> dict[str, Any]:
    try:
        manifest: dict[str, Any] = json.loads((base_dir / "manifest.json").read_bytes())
    except (OSError, ValueError) as error:
        raise DeltaRefused(f"no base manifest: {error}") from error
    if manifest.get("format") != FORMAT:
        raise DeltaRefused("the base was built by another format")
    return manifest


def _delta_documents(
    changed: Sequence[SearchDoc],
    removed: Collection[str],
    base: Mapping[str, str],
    load: Callable[[list[str]], Sequence[SearchDoc]],
) -> tuple[list[SearchDoc], list[str], list[str]]:
    """(documents of the delta, their refs, dead base refs), refs as a cold build of the
    whole collection assigns them: only the bases (six digits) of changed or removed
    documents are settled again, with the base documents that survive in them."""
    facts = [(d.id, d.branch, date_key(d.date)) for d in changed]
    gone, groups = _delta_groups(facts, removed, base)
    refs_of: dict[str, str] = {}
    for base_key, members in groups.items():
        refs_of.update(settle(base_key, members))
    moved = sorted(
        doc_id
        for doc_id, ref in refs_of.items()
        if doc_id in base and doc_id not in gone and base[doc_id] != ref
    )
    docs = list(changed)
    if moved:
        docs.extend(load(moved))
        if sorted(d.id for d in docs[len(changed) :]) != moved:
            raise DeltaRefused("a moved document could not be loaded")
    dead = sorted(base[doc_id] for doc_id in gone.union(moved))
    return docs, [refs_of[d.id] for d in docs], dead


def _delta_shards(
    docs: list[SearchDoc], refs: list[str], max_postings: int, extended: list[str]
) -> tuple[ShardWriter, int, int]:
    """(the writer holding the delta's postings, its shard count, its postings); the
    trigrams of the base's ``extended`` bigrams are indexed as the base indexes them."""
    texts = {t: prepare_text(t) for d in docs for t in (title_field(d), body_field(d))}
    fields = document_fields(docs, extend_texts(texts, extended))
    postings = sum(len(p[0]) for by_field in fields for p in by_field)
    if postings > max_postings:
        raise DeltaRefused(f"{postings} delta postings: time for a new base")
    count = choose_shards(postings) if docs else 0
    shard_of: dict[str, int] = {}
    for by_field in fields:
        for prepared in by_field:
            for term in prepared[0]:
                if term not in shard_of:
                    shard_of[term] = term_hash(term) % count
    writer = ShardWriter(FIELDS, range(count))
    for ref, by_field in zip(refs, fields, strict=True):
        writer.add(ref, by_field, shard_of)
    return writer, count, postings


def _delta_meta(
    docs: list[SearchDoc], refs: list[str], delta_dir: Path, block: int, chars: int
) -> tuple[int, int]:
    """(width, blocks written) of the delta's meta blocks."""
    numbers = [ref_number(r) for r in refs]
    width = meta_width(numbers, block)
    blocks: dict[int, dict[str, list[str]]] = {}
    for d, ref, n in zip(docs, refs, numbers, strict=True):
        blocks.setdefault(n // width, {})[ref] = meta_row(d, date_key(d.date), chars)
    for j, rows in blocks.items():
        write_atomic(delta_dir / "meta" / f"{j}.json", encode(rows))
    return width, len(blocks)


def _live_facets(live: Sequence[tuple[str, str, str]]) -> dict[str, Any]:
    return {
        "docs": len(live),
        "branches": sorted({branch for branch, _type, _date in live}),
        "types": sorted({kind for _branch, kind, _date in live}),
        "years": year_ranges({when[:4] for _branch, _type, when in live}),
        "typeCounts": dict(sorted(Counter(kind for _branch, kind, _date in live).items())),
    }


def delta_neighbours(
    changed: Sequence[Facts], removed: Collection[str], base: Mapping[str, str]
) -> set[str]:
    """The base documents :func:`build_delta_index` may pass to its ``load`` for this change.

    ``changed``: (id, branch, date key) of each added or changed document. They are the
    surviving base documents sharing a ref's six digits with a changed or removed one, so a
    caller that reads documents only beforehand reads these: few, not all.
    """
    _gone, groups = _delta_groups(changed, removed, base)
    ids = {doc_id for members in groups.values() for doc_id, _tag in members}
    return ids - {doc_id for doc_id, _branch, _date in changed}


def _delta_groups(
    changed: Sequence[Facts], removed: Collection[str], base: Mapping[str, str]
) -> tuple[set[str], dict[str, list[tuple[str, str]]]]:
    """(base ids gone or superseded, the bases to settle again with their members as
    :func:`~tongxin.search.refs.settle` takes them): changed and surviving base documents."""
    gone = {i for i in removed if i in base} | {i for i, _b, _d in changed if i in base}
    groups: dict[str, list[tuple[str, str]]] = {}
    for doc_id, branch, when in changed:
        ref = base_ref(day_number(when), doc_id, part_key(branch))
        groups.setdefault(ref, []).append((doc_id, doc_id))
    for doc_id in gone:
        groups.setdefault(base[doc_id][:REF_BASE], [])
    for doc_id, ref in base.items():
        members = groups.get(ref[:REF_BASE])
        if members is not None and doc_id not in gone:
            members.append((doc_id, doc_id))
    return gone, groups


def _link_base(base_dir: Path, search_dir: Path) -> None:
    """Hard-link the base's files (all but the manifest, the delta and hidden files).

    Thousands of files on a portal: plain strings and ``os.scandir``, no ``Path`` per file."""
    top = str(base_dir)
    stack = [(top, str(search_dir))]
    while stack:
        source, target = stack.pop()
        os.makedirs(target, exist_ok=True)
        with os.scandir(source) as found:
            for item in found:
                if item.name.startswith("."):
                    continue
                at_top = source == top
                if item.is_dir(follow_symlinks=False):
                    if not (at_top and item.name == DELTA_DIR):
                        stack.append((item.path, os.path.join(target, item.name)))
                elif not (at_top and item.name == "manifest.json"):
                    _link_file(item.path, os.path.join(target, item.name))


def _link_file(source: str, target: str) -> None:
    if not os.path.exists(target):  # index.html comes from the renderer
        link_or_copy(source, target)
