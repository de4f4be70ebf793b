"""Prebuilt, sharded lunr indexes for the search page (branch sites and the portal alike).

Layout written under ``OUT/search/`` (read by ``theme/static/js/search.js``):

- ``manifest.json``: shard count, split buckets (``parts``), facet values (branches, types,
  years), the meta block width;
- ``shards/<k>.json``: a lunr index (lunr's serialised format, loaded by ``lunr.Index.load``)
  holding only the terms whose :func:`~tongxin.tokenizer.term_hash` is ``k`` modulo the shard
  count, so a query downloads just the shards of its own terms. ``fieldVectors`` is empty: the
  page scores BM25 from the postings' positions (vectors were half of every download);
- ``shards/h<hash>.json`` (or parts ``h<hash>-<part>.json``): a frequent term's own file, the
  term listed in the manifest's ``hot``: a common bigram no longer drags the other terms of its
  bucket into every query that holds it (they were four fifths of such a bucket);
- ``shards/<k>-<part>.json`` instead, for a hot bucket (a bigram found in a good part of the
  collection): the bucket's postings of the documents whose number ``n % parts == part``, each
  part a lunr index of its own (idf over its documents). No file of a first query is huge, the
  parts download in parallel, and since ``n % 32`` is a hash of the document's branch, a branch
  whose entries changed rebuilds one part of each hot bucket, not the whole bucket;
- ``meta/<j>.json``: display rows (url, title, branch, type, date, excerpt) of the documents
  whose number ``n`` has ``n // width == j``, keyed by ref: a result page loads only the blocks
  of the hits it shows;
- ``t2s.json``: the Traditional→Simplified table for the browser's tokenizer (a string of
  character pairs).

Document refs never depend on the other documents: a ref is six base-36 digits, the day of the
entry's date (since 1970) then a hash of its id (collisions on one day are resolved by id) whose
value mod 32 is the branch's key, so ``n = parseInt(ref, 36)`` sorts newest first by itself, a
year filter is a range of ``n``, and adding an entry changes only the shards of its own terms
and one meta block. Scores use a collection size rounded up to 4 significant bits (lunr's idf
needs one N for all shards): it changes every ~10 % of growth, not with every entry.

Each posting keeps its token positions (lunr metadata ``p``): the browser checks that a query's
bigrams are adjacent, which makes the AND of bigrams as precise as a substring search. Branch
and type filters are terms of a third field ``f`` (``b:<branch>``, ``t:<type>``).

Speed: each distinct text is tokenized once (in worker processes when there are many), the
shards are written by :class:`~tongxin.lunrformat.ShardWriter` from preformatted pieces, a
group of shards per worker process, while the parent writes the meta blocks.

Incremental builds (``cache_dir``): every shard and meta block is keyed by the (ref, content
hash) pairs of the documents in it; a key already in the cache is hard-linked (or copied) into
the output instead of being built, and the terms of each distinct text are cached by content.
The output is byte for byte that of a cold build.

Portal deltas (:func:`build_delta_index`): the previous version's files are kept as the base
and only ``delta/`` (the documents changed since) and the manifest are written; the browser
merges both, dropping the base refs the manifest lists as dead.
"""

from __future__ import annotations

import functools
import gc
import hashlib
import json
import marshal
import math
import multiprocessing
import os
import shutil
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import chain
from pathlib import Path
from typing import Any

from tongxin.fold import load_table
from tongxin.lunrformat import Prepared, ShardWriter, prepare
from tongxin.tokenizer import term_hash, tokenize

FORMAT = "tongxin-search-5"  # 5: refs may carry a collision suffix
FIELDS = ("title", "text", "f")
# A shard aims at about this many postings (≈ 100 kB of JSON, ≈ 30 kB gzipped).
POSTINGS_PER_SHARD = 4000
MAX_SHARDS = 4096
# Shards built per pass over the documents: bounds the memory of one pass.
POSTINGS_PER_PASS = 1_500_000
# Below this many postings (or documents to tokenize) one process is faster than forking.
PARALLEL_POSTINGS = 60_000
PARALLEL_TOKENIZE = 20_000
DISC = 36**3  # ref = 3 base-36 digits of day, 3 of discriminator
# A bucket of more postings than this (a hot bigram's) is written as parts, by the branch key
# of each document (``n % parts``): no single file of a first query is huge, the parts are
# fetched in parallel, and a branch whose entries changed rebuilds one part of it.
SPLIT_POSTINGS = 16_000  # a part aims at 3/8 of this (a power of two of parts, at most 32)
PART_KEYS = 32  # parts per bucket at most; divides DISC
# A term of at least this many postings is written to files of its own (see the manifest's
# ``hot``), not to a bucket shared with other terms.
HOT_POSTINGS = POSTINGS_PER_SHARD // 4
_EPOCH = date(1970, 1, 1).toordinal()


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
    built: int = 0  # shards and meta blocks computed by this run
    reused: int = 0  # taken from the cache
    tokenized: int = 0  # documents tokenized by this run (the others came from the cache)
    refs: dict[str, str] = field(default_factory=dict)  # document id -> ref
    phases: dict[str, float] = field(default_factory=dict)  # seconds per stage, for benchmarks

    def lap(self, name: str, since: float) -> float:
        now = time.perf_counter()
        self.phases[name] = round(self.phases.get(name, 0.0) + now - since, 3)
        return now


def _date_key(value: datetime | date | str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def day_number(date_key: str) -> int:
    """Days since 1970-01-01 of an ISO date (0 when undated or unreadable, clamped to 3 digits)."""
    try:
        day = date.fromisoformat(date_key[:10]).toordinal() - _EPOCH
    except ValueError:
        return 0
    return min(max(day, 0), DISC - 1)


_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


@functools.cache
def _three_digits() -> list[str]:
    return [a + b + c for a in _DIGITS for b in _DIGITS for c in _DIGITS]


def _base36(number: int, width: int) -> str:
    if width == 3 and 0 <= number < DISC:
        return _three_digits()[number]
    out = ""
    for _ in range(width):
        number, rest = divmod(number, 36)
        out = _DIGITS[rest] + out
    return out


@functools.cache
def part_key(group: str) -> int:
    """The low bits of a ref: its branch's hash (so a hot term splits by branch, see below)."""
    return term_hash(group) % PART_KEYS


def _id_hash(doc_id: str) -> int:
    # only Python reads it (the browser never recomputes a ref): blake2b is C speed
    digest = hashlib.blake2b(doc_id.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def _wanted_disc(doc_id: str, key: int) -> int:
    # a hash of the id whose value mod PART_KEYS is the group's key
    return _id_hash(doc_id) % (DISC // PART_KEYS) * PART_KEYS + key


REF_BASE = 6  # characters of a ref before its collision suffix (``.`` and a number)


def ref_number(ref: str) -> int:
    """A ref's number ``n`` (what the browser reads with ``parseInt(ref, 36)``, which stops at
    the suffix): day × DISC + the id's hash, whose value mod :data:`PART_KEYS` is the key."""
    return int(ref[:REF_BASE], 36)


def base_ref(day: int, doc_id: str, key: int) -> str:
    """The ref a document takes unless another of the same day and hash sorts before it."""
    return _base36(day, 3) + _base36(_wanted_disc(doc_id, key), 3)


def assign_refs(
    days: Sequence[int], ids: Sequence[str], groups: Sequence[str] | None = None
) -> list[str]:
    """The ref of each document: its day, then a hash of its id, then a suffix if needed.

    The hash's value modulo :data:`PART_KEYS` is :func:`part_key` of the document's group
    (its branch), so the browser reads a document's part of a split term from its ref.
    Documents whose day and hash collide share that base: in order of id, the first keeps
    it and the others add ``.1``, ``.2``… (no capacity: any number of documents fits on a
    day). A ref depends only on the documents of the same base (what a delta recomputes).
    """
    keys = [part_key(g) for g in groups] if groups is not None else [part_key("")] * len(ids)
    by_base: dict[str, list[tuple[str, int]]] = {}
    for i, (day, doc_id) in enumerate(zip(days, ids, strict=True)):
        by_base.setdefault(base_ref(day, doc_id, keys[i]), []).append((doc_id, i))
    refs = [""] * len(days)
    for base, members in by_base.items():
        for i, ref in _settle(base, members):
            refs[i] = ref
    return refs


def _settle(base: str, members: list[tuple[str, Any]]) -> Iterable[tuple[Any, str]]:
    """The refs of the documents of one base, given as (id, tag): (tag, ref) each."""
    for number, (_doc_id, tag) in enumerate(sorted(members)):
        yield tag, base if number == 0 else f"{base}.{_base36_any(number)}"


def _base36_any(number: int) -> str:
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = _DIGITS[rest] + out
        if not number:
            return out


def quantised_count(n: int) -> int:
    """``n`` rounded up to 4 significant bits: the N of idf, stable while a site grows a bit."""
    if n < 16:
        return max(n, 1)
    shift = n.bit_length() - 4
    return -(-n >> shift) << shift


def _choose_shards(postings: int) -> int:
    wanted = max(1, math.ceil(postings / POSTINGS_PER_SHARD))
    return min(MAX_SHARDS, 1 << (wanted - 1).bit_length())


def _meta_width(numbers: Sequence[int], target: int) -> int:
    """A power of two W such that a block ``n // W`` holds about ``target`` documents."""
    dated = [n for n in numbers if n >= DISC] or [0]
    span = (max(dated) // DISC - min(dated) // DISC + 1) * DISC
    if not numbers:
        return DISC
    ideal = target * span / len(numbers)
    return 1 << max(0, round(math.log2(max(ideal, 1))))


def _doc_hash(doc: SearchDoc, date_key: str) -> str:
    parts = (doc.id, doc.url, doc.title, doc.text, doc.branch, doc.type, date_key, doc.summary)
    joined = "\x1f".join(parts) + "\x1f"
    return hashlib.blake2b(joined.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def _prepare_text(text: str) -> Prepared:
    """A field's text as the shard writer takes it (what the cache keeps)."""
    positions: dict[str, list[int]] = {}
    for position, term in enumerate(tokenize(text)):
        found = positions.get(term)
        if found is None:
            positions[term] = [position]
        else:
            found.append(position)
    return prepare(positions)


def _analyse_chunk(texts: list[str]) -> bytes:
    # marshal: far cheaper than pickle for lists of strings, and it keeps interned terms shared
    return marshal.dumps([_prepare_text(t) for t in texts])


def _analyse_all(texts: list[str], workers: int) -> list[Prepared]:
    if workers > 1 and len(texts) >= PARALLEL_TOKENIZE and _can_fork():
        size = max(64, len(texts) // (workers * 8))
        chunks = [texts[i : i + size] for i in range(0, len(texts), size)]
        out: list[Prepared] = []
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            for data in pool.imap(_analyse_chunk, chunks):
                out.extend(marshal.loads(data))
        return out
    return [_prepare_text(t) for t in texts]


def _text_key(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def _can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def _usable_cpus() -> int:
    # The CPUs this process may run on (a CI container sees the host's count otherwise).
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def _encode(data: object) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)  # atomic: a reader (or a parallel build sharing the cache) never sees half


def _place(source: Path, target: Path) -> None:
    """Hard-link ``source`` to ``target`` (a copy across file systems)."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


@dataclass
class _Job:
    """What the shard builders need; inherited by forked workers (nothing is pickled)."""

    refs: list[str]
    keys: list[int]  # part key per document
    analysed: list[tuple[Prepared, Prepared]]  # title and text per document
    facets: list[Prepared]  # the filter terms of field f per document
    shard_of: dict[str, Any]  # term -> shard, or (split bucket) document key -> shard
    counts: dict[int, int]  # shard -> N of idf
    members: dict[int, list[int]] | None  # shard -> documents in it (None: all documents)
    targets: dict[int, Path]  # shard -> file to write

    def build_group(self, group: Sequence[int]) -> int:
        writer = ShardWriter(FIELDS, {k: self.counts[k] for k in group}, vectors=False)
        if self.members is None:
            order: Iterable[int] = range(len(self.refs))
        else:
            order = sorted(set().union(*(self.members[k] for k in group)))
        shard_of = self.shard_of
        add = writer.add
        wanted = set(group)
        # A field's terms narrowed to this group's shards, once per (text, key) seen twice: a
        # text shared by thousands of entries (boilerplate, filter terms) is not walked term
        # by term for each of them when only a few shards are built.
        narrowed: dict[tuple[int, int], Any] = {}
        seen_once = object()

        def narrow(prepared: Prepared, key: int) -> Any:
            terms, texts, tfs = prepared
            keep = []
            for j, term in enumerate(terms):
                k = shard_of[term]
                if (k if k.__class__ is int else k[key]) in wanted:
                    keep.append(j)
            if len(keep) == len(terms):
                return prepared
            if not keep:
                return ()
            return [terms[j] for j in keep], [texts[j] for j in keep], [tfs[j] for j in keep]

        for i in order:
            key = self.keys[i]
            fields = []
            for prepared in (*self.analysed[i], self.facets[i]):
                slot = (id(prepared), key)
                found = narrowed.get(slot)
                if found is None:  # a text of one entry, so far: add() skips its other terms
                    narrowed[slot] = seen_once
                    found = prepared
                elif found is seen_once:
                    found = narrowed[slot] = narrow(prepared, key)
                fields.append(found)
            if fields[0] or fields[1] or fields[2]:
                add(self.refs[i], fields, shard_of, key)
        written = 0
        for k in group:
            data = writer.serialise(k).encode("utf-8")
            _write(self.targets[k], data)
            written += len(data)
        return written


def _facet_terms(branch: str, kind: str) -> dict[str, list[int]]:
    # the filters are terms of field f: a branch or type filter is one more AND-ed term
    return {f"b:{branch}": [0], f"t:{kind}": [1]}


_job: _Job | None = None


def _build_group_in_worker(group: Sequence[int]) -> int:
    assert _job is not None
    return _job.build_group(group)


def _excerpt(doc: SearchDoc, chars: int) -> str:
    text = " ".join((doc.text or doc.summary).split())
    return text if len(text) <= chars else text[:chars] + "…"


def _load_token_cache(path: Path | None) -> dict[bytes, Prepared]:
    """The terms cache: a base file, then the entries added since (``…-new``) over it."""
    if path is None:
        return {}
    out: dict[bytes, Prepared] = {}
    for part in (path, _delta_path(path)):
        try:
            data = marshal.loads(part.read_bytes())
        except (OSError, EOFError, ValueError, TypeError):
            continue
        if isinstance(data, dict) and data.get("format") == FORMAT:
            out.update(data["texts"])
    return out


def _delta_path(path: Path) -> Path:
    return path.with_name(path.stem + "-new" + path.suffix)


def _save_token_cache(
    path: Path, cached: dict[bytes, Prepared], used: Iterable[bytes], fresh: set[bytes]
) -> None:
    """Write the texts analysed this run alone while they are few (a portal's base file holds
    millions of postings: rewriting it for a handful of new entries would cost more than the
    entries); fold everything into a new base, dropping unused texts, once they are not."""
    keep = dict.fromkeys(used)
    delta = _load_token_cache_file(_delta_path(path))
    added = {key: cached[key] for key in keep if key in fresh or key in delta}
    if path.exists() and len(added) * 8 < len(keep):
        if fresh:
            _write(_delta_path(path), marshal.dumps({"format": FORMAT, "texts": added}))
        return
    _write(path, marshal.dumps({"format": FORMAT, "texts": {key: cached[key] for key in keep}}))
    _delta_path(path).unlink(missing_ok=True)


def _load_token_cache_file(path: Path) -> dict[bytes, Prepared]:
    try:
        data = marshal.loads(path.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        return {}
    return data["texts"] if isinstance(data, dict) and data.get("format") == FORMAT else {}


def _year_ranges(keys: Iterable[str]) -> dict[str, list[int]]:
    """The manifest's ``years``: each year's range of document numbers, newest first."""
    years: dict[str, list[int]] = {}
    for key in sorted({k for k in keys if k.isdigit()}, reverse=True):
        year = int(key)
        first = day_number(f"{key}-01-01")
        last = day_number(f"{year + 1:04d}-01-01") - 1 if year < 2097 else DISC - 1
        years[key] = [first * DISC, last * DISC + DISC - 1]
    return years


def _groups(needed: list[int], weights: Counter[int], passes: int) -> list[list[int]]:
    """Split ``needed`` shards into ``passes`` groups of about equal postings."""
    if not needed:
        return []
    total = sum(weights[k] for k in needed) or 1
    per = total / max(passes, 1)
    groups: list[list[int]] = [[]]
    size = 0
    for k in needed:
        if groups[-1] and size + weights[k] > per:
            groups.append([])
            size = 0
        groups[-1].append(k)
        size += weights[k]
    return groups


def build_search_index(
    docs: Iterable[SearchDoc],
    out_dir: Path,
    *,
    cache_dir: Path | None = None,
    excerpt_chars: int = 300,
    meta_block: int = 8,
    shards: int | None = None,
    workers: int | None = None,
    split_postings: int = SPLIT_POSTINGS,
    hot_postings: int = HOT_POSTINGS,
) -> IndexStats:
    """Index ``docs`` into ``out_dir/search/`` (replacing what was there); returns figures.

    With ``cache_dir``, shards and meta blocks whose documents did not change since a build
    that used the same cache are reused rather than rebuilt; the output is the same.
    """
    started = time.perf_counter()
    # Millions of small lists and no cycles: the cyclic collector would only walk them again.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _build(
            list(docs),
            Path(out_dir),
            cache_dir,
            excerpt_chars,
            meta_block,
            shards,
            workers,
            split_postings,
            hot_postings,
            started,
        )
    finally:
        if collecting:
            gc.enable()


def _build(
    docs: list[SearchDoc],
    out_dir: Path,
    cache_dir: Path | None,
    excerpt_chars: int,
    meta_block: int,
    shards: int | None,
    workers: int | None,
    split_postings: int,
    hot_postings: int,
    started: float,
) -> IndexStats:
    stats = IndexStats(docs=len(docs))
    cpus = workers if workers is not None else _usable_cpus()
    search_dir = Path(out_dir) / "search"
    files_dir: Path | None = None
    if cache_dir is not None:
        files_dir = Path(cache_dir) / "files"
        files_dir.mkdir(parents=True, exist_ok=True)

    # Refs, newest first; the hash of everything a document shows or is found by.
    date_keys = [_date_key(d.date) for d in docs]
    days = [day_number(k) for k in date_keys]
    refs = assign_refs(days, [d.id for d in docs], [d.branch for d in docs])
    order = sorted(range(len(docs)), key=lambda i: refs[i], reverse=True)
    docs = [docs[i] for i in order]
    date_keys = [date_keys[i] for i in order]
    refs = [refs[i] for i in order]
    hashes = [_doc_hash(d, k) for d, k in zip(docs, date_keys, strict=True)]
    stats.refs = {d.id: r for d, r in zip(docs, refs, strict=True)}

    lap = stats.lap("refs", started)
    # Terms and positions: from the cache by content hash, else analysed (in parallel if many).
    # Each distinct text is analysed once (a portal repeats boilerplate), by its content key.
    token_cache_path = Path(cache_dir) / "terms.marshal" if cache_dir is not None else None
    if cache_dir is not None:
        (Path(cache_dir) / "tokens.marshal").unlink(missing_ok=True)  # an older build's cache
    cached = _load_token_cache(token_cache_path)
    texts: dict[str, bytes] = {}
    for d in docs:
        texts[d.title] = texts[d.text] = b""
    for text in texts:
        texts[text] = _text_key(text)
    missing = [text for text, key in texts.items() if key not in cached]
    fresh = _analyse_all(missing, cpus)
    for text, prepared in zip(missing, fresh, strict=True):
        cached[texts[text]] = prepared
    analysed_text = {text: cached[key] for text, key in texts.items()}
    analysed = [(analysed_text[d.title], analysed_text[d.text]) for d in docs]
    new_texts = set(missing)
    stats.tokenized = sum(1 for d in docs if d.title in new_texts or d.text in new_texts)
    facet_of: dict[tuple[str, str], Prepared] = {}
    for d in docs:
        if (d.branch, d.type) not in facet_of:
            facet_of[d.branch, d.type] = prepare(_facet_terms(d.branch, d.type))
    facets = [facet_of[d.branch, d.type] for d in docs]

    lap = stats.lap("analyse", lap)
    # The documents of each distinct (field text, part key): a portal repeats its boilerplate
    # (and every entry of a branch and type shares its filter terms), so what depends only on
    # a text is worked out once per group, not once per document.
    keys = [ref_number(r) % PART_KEYS for r in refs]
    groups: dict[tuple[int, int], list[int]] = {}
    prepared_of: dict[int, Prepared] = {}
    for i, ((title, text), facet) in enumerate(zip(analysed, facets, strict=True)):
        key = keys[i]
        for prepared in (title, text, facet):
            group = groups.get((id(prepared), key))
            if group is None:
                groups[id(prepared), key] = [i]
                prepared_of[id(prepared)] = prepared
            else:
                group.append(i)
    uses: Counter[int] = Counter()
    for (pid, _key), members_g in groups.items():
        uses[pid] += len(members_g)
    # Document frequency of every term (Counter.update counts a list in C), hence postings.
    frequency: Counter[str] = Counter()
    for pid, count in uses.items():
        terms = prepared_of[pid][0]
        if count == 1:
            frequency.update(terms)
        else:
            for term in terms:
                frequency[term] += count
    postings = frequency.total()
    stats.postings = postings
    # A frequent term gets a file (or parts) of its own, named by its hash and listed in the
    # manifest: a query then downloads that term's postings, not those of the other terms of
    # its bucket (measured: a common bigram was a fifth of its bucket's bytes).
    term_hashes = {term: term_hash(term) for term in frequency}
    hot_terms = sorted(t for t, c in frequency.items() if c >= hot_postings)
    hot_total = sum(frequency[t] for t in hot_terms)
    shard_count = shards or _choose_shards(postings - hot_total)
    stats.shards = shard_count
    document_count = quantised_count(len(docs))
    shard_dir = search_dir / "shards"
    meta_dir = search_dir / "meta"
    for folder in (shard_dir, meta_dir):
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.iterdir():
            stale.unlink()

    # Buckets: k = hash % shards. A heavy bucket (or hot term) becomes parts (a shard number
    # per part): a term's route is then a list from the document's key to its part.
    hot_set = set(hot_terms)
    bucket_of = {term: h % shard_count for term, h in term_hashes.items() if term not in hot_set}
    weights: Counter[int] = Counter()
    for term, k in bucket_of.items():
        weights[k] += frequency[term]
    # hot files: numbers after the buckets' parts, one per distinct hash (a collision shares)
    hot_base = shard_count * (1 + PART_KEYS)
    hot_number: dict[int, int] = {}
    hot_of: dict[str, int] = {}
    hot_members: defaultdict[int, list[str]] = defaultdict(list)
    for term in sorted(hot_terms, key=term_hashes.__getitem__):
        h = term_hashes[term]
        if h not in hot_number:
            hot_number[h] = hot_base + len(hot_number) * PART_KEYS
        k = hot_of[term] = hot_number[h]
        weights[k] += frequency[term]
        hot_members[k].append(term)
    # what a bucket's content depends on besides its documents: the hot terms it leaves out
    excluded: defaultdict[int, list[str]] = defaultdict(list)
    for term in hot_terms:
        excluded[term_hashes[term] % shard_count].append(term)
    parts: dict[int, int] = {}
    if len(set(keys)) > 1:
        for k, weight in weights.items():
            if weight > split_postings:
                wanted = max(2, math.ceil(weight / max(1, split_postings * 3 // 8)))
                parts[k] = min(PART_KEYS, 1 << (wanted - 1).bit_length())

    def part_number(k: int, part: int) -> int:
        return k + part if k >= hot_base else shard_count + k * PART_KEYS + part

    routes = {
        k: tuple(part_number(k, key % count) for key in range(PART_KEYS))
        for k, count in parts.items()
    }
    shard_of: dict[str, Any] = {term: routes.get(k, k) for term, k in bucket_of.items()}
    for term, k in hot_of.items():
        shard_of[term] = routes.get(k, k)
    # N of idf: the collection's for a whole bucket, its share for a part (the keys spread the
    # documents evenly; a count of the part's own documents would change with every entry)
    counts = {k: document_count for k in range(shard_count) if k not in parts}
    names = {k: f"{k}" for k in counts}
    extra: dict[int, str] = {k: " ".join(excluded.get(k, ())) for k in range(shard_count)}
    for h, k in hot_number.items():
        extra[k] = " ".join(hot_members[k])
        if k not in parts:
            counts[k] = document_count
            names[k] = f"h{_base36(h, 7)}"
    hash_of = {k: h for h, k in hot_number.items()}
    of_parts: dict[int, int] = {}  # a part's number of parts (what routes documents to it)
    for k, count in parts.items():
        for part in range(count):
            number = part_number(k, part)
            counts[number] = quantised_count(max(1, document_count // count))
            names[number] = f"{k}-{part}" if k < hot_base else f"h{_base36(hash_of[k], 7)}-{part}"
            of_parts[number] = count
            weights[number] = weights[k] // count
            extra[number] = extra[k]
    stats.shards = len(counts)

    # Keys: a shard is a function of its documents' (ref, hash), N and the shard count; the
    # documents of each shard are remembered so that a rebuild reads only those.
    members: dict[int, list[int]] | None = None if files_dir is None else {}
    digests: dict[int, Any] = {}
    # only what this shard depends on: a bucket that starts or stops being split leaves the
    # others alone
    salt = f"{FORMAT}|{shard_count}|".encode()
    if members is not None:
        # The shards of each group's text: fixed ones, and for split terms the part of the
        # group's key. A shard's key: the digests of its groups (each over its documents' ref
        # and content hash), sorted; its documents are listed only if it has to be rebuilt.
        marks = [f"{ref}:{h};".encode("ascii") for ref, h in zip(refs, hashes, strict=True)]
        fixed_of: dict[int, list[int]] = {}
        split_of: dict[int, list[tuple[int, ...]]] = {}
        shard_digests: defaultdict[int, list[bytes]] = defaultdict(list)
        shard_groups: defaultdict[int, list[list[int]]] = defaultdict(list)
        for (pid, key), members_g in groups.items():
            fixed = fixed_of.get(pid)
            if fixed is None:
                routes_of_text = {shard_of[term] for term in prepared_of[pid][0]}
                fixed = fixed_of[pid] = [r for r in routes_of_text if r.__class__ is int]
                split_of[pid] = [r for r in routes_of_text if r.__class__ is not int]
            ks = fixed
            if split_of[pid]:
                ks = list({*fixed, *[route[key] for route in split_of[pid]]})
            digest = hashlib.blake2b(
                b"".join(map(marks.__getitem__, members_g)), digest_size=12
            ).digest()
            for k in ks:
                shard_digests[k].append(digest)
                shard_groups[k].append(members_g)
        for k, found in shard_digests.items():
            found.sort()
            digests[k] = hashlib.blake2b(
                salt
                + f"{names[k]}|{of_parts.get(k, 1)}|{counts[k]}|{extra.get(k, '')}|".encode()
                + b"".join(found),
                digest_size=12,
            )
    placed: list[tuple[Path, Path]] = []  # (cache file, output file)
    targets: dict[int, Path] = {}
    if files_dir is None:
        needed = list(counts)
        targets = {k: shard_dir / f"{names[k]}.json" for k in needed}
    else:
        needed = []
        for k in counts:
            d = digests.get(k)
            key = d.hexdigest() if d is not None else f"empty-{shard_count}-{names[k]}"
            cached_file = files_dir / f"s-{key}.json"
            placed.append((cached_file, shard_dir / f"{names[k]}.json"))
            if cached_file.exists():
                stats.reused += 1
            else:
                needed.append(k)
                targets[k] = cached_file
        assert members is not None
        if sum(weights[k] for k in needed) * 4 > postings:
            members = None  # much to rebuild: scanning every document is cheaper than lists
        else:
            for k in needed:
                lists = shard_groups.get(k) or [[]]
                members[k] = (
                    lists[0] if len(lists) == 1 else sorted(set(chain.from_iterable(lists)))
                )

    lap = stats.lap("plan", lap)
    # Build what is needed, a group of shards per pass; passes in parallel processes when the
    # work is big enough to be worth forking for.
    needed_postings = sum(weights[k] for k in needed)
    passes = max(1, math.ceil(needed_postings / POSTINGS_PER_PASS))
    parallel = cpus > 1 and needed_postings > PARALLEL_POSTINGS and _can_fork()
    if parallel:
        passes = max(passes, cpus)
    groups = _groups(needed, weights, passes)
    job = _Job(refs, keys, analysed, facets, shard_of, counts, members, targets)

    # Meta blocks: rows keyed by ref, a block per range of n (dates: new entries touch one).
    numbers = [ref_number(r) for r in refs]
    width = _meta_width(numbers, meta_block)

    def write_meta() -> int:
        blocks: dict[int, list[int]] = {}
        for i, n in enumerate(numbers):
            blocks.setdefault(n // width, []).append(i)
        for j, members_j in blocks.items():
            target = meta_dir / f"{j}.json"
            if files_dir is not None:
                key = hashlib.blake2b(
                    f"{FORMAT}|{width}|{excerpt_chars}|{j}|".encode()
                    + "".join(f"{refs[i]}:{hashes[i]};" for i in members_j).encode("ascii"),
                    digest_size=12,
                ).hexdigest()
                cached_file = files_dir / f"m-{key}.json"
                placed.append((cached_file, target))
                if cached_file.exists():
                    stats.reused += 1
                    continue
                target = cached_file
            rows = {
                refs[i]: [
                    docs[i].url,
                    docs[i].title,
                    docs[i].branch,
                    docs[i].type,
                    date_keys[i][:10],
                    _excerpt(docs[i], excerpt_chars),
                ]
                for i in members_j
            }
            data = _encode(rows)
            _write(target, data)
            stats.built += 1
        return len(blocks)

    # The parent writes the meta blocks while the workers write shards.
    if parallel and len(groups) > 1:
        global _job
        _job = job
        try:
            with multiprocessing.get_context("fork").Pool(min(cpus, len(groups))) as pool:
                done = pool.map_async(_build_group_in_worker, groups, chunksize=1)
                block_count = write_meta()
                done.get()
        finally:
            _job = None
    else:
        for group in groups:
            job.build_group(group)
        block_count = write_meta()
    stats.built += len(needed)
    lap = stats.lap("shards and meta", lap)
    for source, target in placed:
        _place(source, target)
    stats.files = len(counts) + block_count + 2

    # the fold table as one string of (traditional, simplified) pairs: a sixth smaller than
    # the object once compressed, on every first query
    table = _encode("".join(t + s for t, s in sorted(load_table().items())))
    t2s = search_dir / "t2s.json"
    if not t2s.exists() or t2s.read_bytes() != table:
        _write(t2s, table)
    years = _year_ranges({k[:4] for k in date_keys})
    manifest = {
        "format": FORMAT,
        "docs": len(docs),
        "shards": shard_count,
        "parts": {str(k): count for k, count in sorted(parts.items()) if k < hot_base},
        # terms with files of their own: the number of parts (0: one file)
        "hot": {t: parts.get(hot_of[t], 0) for t in hot_terms},
        "hash": "fnv1a32-utf8",
        "fields": list(FIELDS),
        "metaWidth": width,
        "branches": sorted({d.branch for d in docs}),
        "types": sorted({d.type for d in docs}),
        "years": years,
        "typeCounts": dict(sorted(Counter(d.type for d in docs).items())),
    }
    data = _encode(manifest)
    _write(search_dir / "manifest.json", data)
    if files_dir is not None and token_cache_path is not None:
        used = {source.name for source, _ in placed}
        for old in files_dir.iterdir():
            if old.name not in used:
                old.unlink(missing_ok=True)  # a cache of this build only: it never grows
        if missing or not token_cache_path.exists():
            _save_token_cache(
                token_cache_path, cached, texts.values(), {texts[text] for text in missing}
            )
    lap = stats.lap("finish", lap)
    stats.bytes = sum(p.stat().st_size for p in search_dir.rglob("*.json"))
    stats.seconds = time.perf_counter() - started
    return stats


# ---- The delta (LSM-style): a base built cold, plus the documents changed since ----------
#
# A portal rerun where one branch changed used to rebuild every shard holding a common term
# of its entries, which is most of them. Instead the published ``search/`` keeps the base's
# files (hard-linked from the previous version) and adds ``delta/``: the documents added or
# changed since the base was built, in a few small term-hashed shards and meta blocks, while
# the manifest's ``delta.dead`` lists the base refs deleted or superseded. The browser merges
# both (see ``search.js``); N and document frequencies count the live documents only, so the
# scores are those of a cold build.

DELTA_DIR = "delta"
#: Past this share of the collection in the delta (or past ``DELTA_MAX_POSTINGS``), the caller
#: builds a new base instead: each query downloads a delta file per term.
DELTA_MAX_SHARE = 0.05
DELTA_MAX_POSTINGS = 32 * POSTINGS_PER_SHARD


class DeltaRefused(Exception):
    """The delta cannot reproduce a cold build (too big, a ref collision, another format)."""


def build_delta_index(
    base_dir: Path,
    out_dir: Path,
    changed: Sequence[SearchDoc],
    removed: Collection[str],
    base: Mapping[str, str],
    live: Sequence[tuple[str, str, str]],
    load: Callable[[list[str]], Sequence[SearchDoc]],
    *,
    excerpt_chars: int = 300,
    meta_block: int = 8,
    max_share: float = DELTA_MAX_SHARE,
    max_postings: int = DELTA_MAX_POSTINGS,
) -> IndexStats:
    """Write ``out_dir/search/`` as the base in ``base_dir`` (a ``search/`` folder) plus a delta.

    ``changed``: every document added or changed since the base was built (not only since
    the last delta); ``removed``: the ids of base documents deleted since; ``base``: id → ref
    of every base document (:attr:`IndexStats.refs` of its build); ``live``: (branch, type,
    date key, of which the year is read) of every document of the collection now, for the
    manifest's facets; ``load(ids)``: the current documents of unchanged base ids, for the
    rare ones whose ref a cold build would now assign differently (a new document took their
    first choice): they move to the delta. Raises :class:`DeltaRefused` when a new base is
    due; nothing is written then. ``stats.refs`` holds the refs of the delta's documents.
    """
    started = time.perf_counter()
    stats = IndexStats(docs=len(live))
    base_dir = Path(base_dir)
    try:
        manifest = json.loads((base_dir / "manifest.json").read_bytes())
    except (OSError, ValueError) as error:
        raise DeltaRefused(f"no base manifest: {error}") from error
    if manifest.get("format") != FORMAT:
        raise DeltaRefused("the base was built by another format")
    if len(changed) > max_share * max(len(live), 1):
        raise DeltaRefused(f"{len(changed)} changed documents: time for a new base")

    # Refs as a cold build of the whole collection assigns them: those of a (day, group key)
    # depend on that group's documents alone, so only the groups of changed or removed
    # documents are settled again, with the base documents that survive in them.
    date_keys = {d.id: _date_key(d.date) for d in changed}
    gone, groups = _delta_groups(
        [(d.id, d.branch, date_keys[d.id]) for d in changed], removed, base
    )
    refs_of: dict[str, str] = {}
    for base_key, members in groups.items():
        refs_of.update(_settle(base_key, members))
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
        date_keys.update((d.id, _date_key(d.date)) for d in docs[len(changed) :])
    if len(docs) > max_share * max(len(live), 1):
        raise DeltaRefused(f"{len(docs)} documents in the delta: time for a new base")
    dead = sorted(base[doc_id] for doc_id in gone.union(moved))
    refs = [refs_of[d.id] for d in docs]
    stats.refs = dict(zip((d.id for d in docs), refs, strict=True))
    lap = stats.lap("refs", started)

    order = sorted(range(len(docs)), key=refs.__getitem__, reverse=True)  # as a cold build
    texts = {t: _prepare_text(t) for i in order for t in (docs[i].title, docs[i].text)}
    facet_of: dict[tuple[str, str], Prepared] = {}
    fields = []
    for i in order:
        d = docs[i]
        facet = facet_of.get((d.branch, d.type))
        if facet is None:
            facet = facet_of[d.branch, d.type] = prepare(_facet_terms(d.branch, d.type))
        fields.append((refs[i], [texts[d.title], texts[d.text], facet]))
    postings = sum(len(p[0]) for _ref, by_field in fields for p in by_field)
    if postings > max_postings:
        raise DeltaRefused(f"{postings} delta postings: time for a new base")
    stats.postings = postings
    count = _choose_shards(postings) if docs else 0
    shard_of: dict[str, int] = {}
    for _ref, by_field in fields:
        for prepared in by_field:
            for term in prepared[0]:
                if term not in shard_of:
                    shard_of[term] = term_hash(term) % count
    # N of idf as a cold build's (only the postings' sizes matter to the browser's scores)
    writer = ShardWriter(
        FIELDS, dict.fromkeys(range(count), quantised_count(len(live))), vectors=False
    )
    for ref, by_field in fields:
        writer.add(ref, by_field, shard_of)
    lap = stats.lap("analyse", lap)

    search_dir = Path(out_dir) / "search"
    search_dir.mkdir(parents=True, exist_ok=True)
    _link_base(base_dir, search_dir)
    delta_dir = search_dir / DELTA_DIR
    shutil.rmtree(delta_dir, ignore_errors=True)  # a link of the previous delta: replaced
    (delta_dir / "shards").mkdir(parents=True)
    (delta_dir / "meta").mkdir()
    for k in range(count):
        _write(delta_dir / "shards" / f"{k}.json", writer.serialise(k).encode("utf-8"))
    numbers = [ref_number(r) for r in refs]
    width = _meta_width(numbers, meta_block)
    blocks: dict[int, dict[str, list[str]]] = {}
    for i in order:
        d = docs[i]
        blocks.setdefault(numbers[i] // width, {})[refs[i]] = [
            d.url,
            d.title,
            d.branch,
            d.type,
            date_keys[d.id][:10],
            _excerpt(d, excerpt_chars),
        ]
    for j, rows in blocks.items():
        _write(delta_dir / "meta" / f"{j}.json", _encode(rows))
    stats.shards = count
    stats.built = count + len(blocks)
    stats.files = count + len(blocks) + 1

    manifest.update(
        docs=len(live),
        branches=sorted({branch for branch, _type, _date in live}),
        types=sorted({kind for _branch, kind, _date in live}),
        years=_year_ranges({date_key[:4] for _branch, _type, date_key in live}),
        typeCounts=dict(sorted(Counter(kind for _branch, kind, _date in live).items())),
    )
    manifest["delta"] = {
        "shards": count,
        "metaWidth": width,
        "refs": sorted(refs, reverse=True),
        "dead": dead,
    }
    _write(search_dir / "manifest.json", _encode(manifest))
    stats.lap("write", lap)
    stats.bytes = sum(p.stat().st_size for p in delta_dir.rglob("*.json"))
    stats.seconds = time.perf_counter() - started
    return stats


def delta_neighbours(
    changed: Sequence[tuple[str, str, str]], removed: Collection[str], base: Mapping[str, str]
) -> set[str]:
    """The base documents :func:`build_delta_index` may pass to its ``load`` for this change.

    ``changed``: (id, branch, date key) of each added or changed document. They are the
    surviving base documents of the (day, branch key) groups the change touches, so a caller
    that cannot read documents later (a forked child) reads these beforehand: few, not all.
    """
    _gone, groups = _delta_groups(changed, removed, base)
    return {doc_id for members in groups.values() for doc_id, _t in members} - {
        doc_id for doc_id, _branch, _date in changed
    }


def _delta_groups(
    changed: Sequence[tuple[str, str, str]], removed: Collection[str], base: Mapping[str, str]
) -> tuple[set[str], dict[str, list[tuple[str, str]]]]:
    """(base ids gone or superseded, the bases to settle again with their members as
    ``_settle`` takes them): the changed documents and the surviving base ones."""
    gone = {i for i in removed if i in base} | {i for i, _b, _d in changed if i in base}
    groups: dict[str, list[tuple[str, str]]] = {}
    for doc_id, branch, date_key in changed:
        ref = base_ref(day_number(date_key), doc_id, part_key(branch))
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
                name = item.name
                if name.startswith("."):
                    continue
                if item.is_dir(follow_symlinks=False):
                    if not (source == top and name == DELTA_DIR):
                        stack.append((item.path, os.path.join(target, name)))
                elif not (source == top and name == "manifest.json"):
                    _link_file(item.path, os.path.join(target, name))


def _link_file(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except FileExistsError:
        pass  # index.html comes from the renderer
    except OSError:
        shutil.copy2(source, target)  # across file systems
