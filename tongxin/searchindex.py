"""Prebuilt, sharded lunr indexes for the search page (branch sites and the portal alike).

Layout written under ``OUT/search/`` (read by ``theme/static/js/search.js``):

- ``manifest.json``: shard count, facet values (branches, types, years), the meta block width;
- ``shards/<k>.json``: a lunr index (lunr's serialised format, loaded by ``lunr.Index.load``)
  holding only the terms whose :func:`~tongxin.tokenizer.term_hash` is ``k`` modulo the shard
  count, so a query downloads just the shards of its own terms;
- ``meta/<j>.json``: display rows (url, title, branch, type, date, excerpt) of the documents
  whose number ``n`` has ``n // width == j``, keyed by ref: a result page loads only the blocks
  of the hits it shows;
- ``t2s.json``: the Traditional→Simplified table for the browser's tokenizer.

Document refs never depend on the other documents: a ref is six base-36 digits, the day of the
entry's date (since 1970) then a hash of its id (collisions on one day are resolved by id), so
``n = parseInt(ref, 36)`` sorts newest first by itself, a year filter is a range of ``n``, and
adding an entry changes only the shards of its own terms and one meta block. Scores use a
collection size rounded up to 4 significant bits (lunr's idf needs one N for all shards): it
changes every ~10 % of growth, not with every entry.

Each posting keeps its token positions (lunr metadata ``p``): the browser checks that a query's
bigrams are adjacent, which makes the AND of bigrams as precise as a substring search. Branch
and type filters are terms of a third field ``f`` (``b:<branch>``, ``t:<type>``).

Incremental builds (``cache_dir``): every shard and meta block is keyed by the (ref, content
hash) pairs of the documents in it; a key already in the cache is hard-linked (or copied) into
the output instead of being built, and tokens are cached per document content. The output is
byte for byte that of a cold build.
"""

from __future__ import annotations

import hashlib
import json
import marshal
import math
import multiprocessing
import os
import shutil
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from tongxin.fold import load_table
from tongxin.lunrformat import ShardWriter
from tongxin.tokenizer import term_hash, tokenize

FORMAT = "tongxin-search-2"
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


def _base36(number: int, width: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    for _ in range(width):
        number, rest = divmod(number, 36)
        out = digits[rest] + out
    return out


def assign_refs(days: Sequence[int], ids: Sequence[str]) -> list[str]:
    """The ref of each document: its day, then a hash of its id free on that day.

    Deterministic from the documents of the same day only: two entries of one day whose hashes
    collide take the next free value in order of (hash, id).
    """
    by_day: dict[int, list[tuple[int, str, int]]] = {}
    for i, (day, doc_id) in enumerate(zip(days, ids, strict=True)):
        by_day.setdefault(day, []).append((term_hash(doc_id) % DISC, doc_id, i))
    refs = [""] * len(days)
    for day, members in by_day.items():
        taken: set[int] = set()
        for wanted, _doc_id, i in sorted(members):
            disc = wanted
            while disc in taken:
                disc = (disc + 1) % DISC
            taken.add(disc)
            refs[i] = _base36(day, 3) + _base36(disc, 3)
    return refs


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
    h = hashlib.blake2b(digest_size=16)
    for part in (doc.id, doc.url, doc.title, doc.text, doc.branch, doc.type, date_key, doc.summary):
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\x1f")
    return h.hexdigest()


def _tokens_of(pair: tuple[str, str]) -> tuple[str, str]:
    # Joined with spaces (never part of a token): cheap to pickle and to cache.
    title, text = pair
    return " ".join(tokenize(title)), " ".join(tokenize(text))


def _split(joined: str) -> list[str]:
    return joined.split(" ") if joined else []


def _tokenize_all(pairs: list[tuple[str, str]], workers: int) -> list[tuple[str, str]]:
    if workers > 1 and len(pairs) >= PARALLEL_TOKENIZE and _can_fork():
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            return pool.map(_tokens_of, pairs, chunksize=512)
    return [_tokens_of(p) for p in pairs]


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
    tokens: list[tuple[str, str]]  # joined title and text tokens per document
    facets: list[tuple[str, str]]  # (branch, type) per document
    shard_of: dict[str, int]
    document_count: int
    members: dict[int, list[int]] | None  # shard -> documents in it (None: all documents)
    targets: dict[int, Path]  # shard -> file to write

    def build_group(self, group: Sequence[int]) -> int:
        writer = ShardWriter(FIELDS, group, document_count=self.document_count)
        if self.members is None:
            order: Iterable[int] = range(len(self.refs))
        else:
            order = sorted(set().union(*(self.members[k] for k in group)))
        shard_of = self.shard_of
        add = writer.add
        for i in order:
            title, text = self.tokens[i]
            branch, kind = self.facets[i]
            add(
                self.refs[i],
                (_positions(title), _positions(text), _facet_terms(branch, kind)),
                shard_of,
            )
        written = 0
        for k in group:
            data = writer.serialise(k).encode("utf-8")
            _write(self.targets[k], data)
            written += len(data)
        return written


def _positions(joined: str) -> dict[str, list[int]]:
    """Term -> its positions, terms in order of first appearance (lunr's insertion order)."""
    positions: dict[str, list[int]] = {}
    if not joined:
        return positions
    for position, term in enumerate(joined.split(" ")):
        found = positions.get(term)
        if found is None:
            positions[term] = [position]
        else:
            found.append(position)
    return positions


def _facet_terms(branch: str, kind: str) -> dict[str, list[int]]:
    return {f"b:{branch}": [0], f"t:{kind}": [1]}


_job: _Job | None = None


def _build_group_in_worker(group: Sequence[int]) -> int:
    assert _job is not None
    return _job.build_group(group)


def _excerpt(doc: SearchDoc, chars: int) -> str:
    text = " ".join((doc.text or doc.summary).split())
    return text if len(text) <= chars else text[:chars] + "…"


def _load_token_cache(path: Path | None) -> dict[str, tuple[str, str]]:
    if path is None:
        return {}
    try:
        data = marshal.loads(path.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        return {}
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return {}
    return data["docs"]


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
) -> IndexStats:
    """Index ``docs`` into ``out_dir/search/`` (replacing what was there); returns figures.

    With ``cache_dir``, shards and meta blocks whose documents did not change since a build
    that used the same cache are reused rather than rebuilt; the output is the same.
    """
    started = time.perf_counter()
    docs = list(docs)
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
    refs = assign_refs(days, [d.id for d in docs])
    order = sorted(range(len(docs)), key=lambda i: refs[i], reverse=True)
    docs = [docs[i] for i in order]
    date_keys = [date_keys[i] for i in order]
    refs = [refs[i] for i in order]
    hashes = [_doc_hash(d, k) for d, k in zip(docs, date_keys, strict=True)]

    # Tokens: from the cache by content hash, else tokenized (in parallel when many).
    token_cache_path = Path(cache_dir) / "tokens.marshal" if cache_dir is not None else None
    cached = _load_token_cache(token_cache_path)
    missing = [i for i, h in enumerate(hashes) if h not in cached]
    fresh = _tokenize_all([(docs[i].title, docs[i].text) for i in missing], cpus)
    stats.tokenized = len(missing)
    for i, pair in zip(missing, fresh, strict=True):
        cached[hashes[i]] = pair
    tokens = [cached[h] for h in hashes]
    facets = [(d.branch, d.type) for d in docs]

    # Which shard each term goes to, and postings per shard (to size shards and passes).
    postings = sum(len(set(_split(a))) + len(set(_split(b))) + 2 for a, b in tokens)
    stats.postings = postings
    shard_count = shards or _choose_shards(postings)
    stats.shards = shard_count
    document_count = quantised_count(len(docs))
    shard_dir = search_dir / "shards"
    meta_dir = search_dir / "meta"
    for folder in (shard_dir, meta_dir):
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.iterdir():
            stale.unlink()

    # Keys: a shard is a function of its documents' (ref, hash), N and the shard count; the
    # documents of each shard are remembered so that a rebuild reads only those.
    shard_of: dict[str, int] = {}
    weights: Counter[int] = Counter()
    members: dict[int, list[int]] | None = None if files_dir is None else {}
    digests: dict[int, Any] = {}
    salt = f"{FORMAT}|{shard_count}|{document_count}|".encode()
    for i, ((title, text), (branch, kind)) in enumerate(zip(tokens, facets, strict=True)):
        terms = set(_split(title))
        terms.update(_split(text))
        terms.add(f"b:{branch}")
        terms.add(f"t:{kind}")
        ks = []
        for term in terms:
            k = shard_of.get(term)
            if k is None:
                k = shard_of[term] = term_hash(term) % shard_count
            ks.append(k)
        weights.update(ks)
        if members is not None:
            mark = f"{refs[i]}:{hashes[i]};".encode("ascii")
            for k in set(ks):
                found = members.get(k)
                if found is None:
                    found = members[k] = []
                    digests[k] = hashlib.blake2b(salt + str(k).encode(), digest_size=12)
                found.append(i)
                digests[k].update(mark)
    placed: list[tuple[Path, Path]] = []  # (cache file, output file)
    targets: dict[int, Path] = {}
    if files_dir is None:
        needed = list(range(shard_count))
        targets = {k: shard_dir / f"{k}.json" for k in needed}
    else:
        needed = []
        for k in range(shard_count):
            d = digests.get(k)
            key = d.hexdigest() if d is not None else f"empty-{shard_count}-{k}"
            cached_file = files_dir / f"s-{key}.json"
            placed.append((cached_file, shard_dir / f"{k}.json"))
            if cached_file.exists():
                stats.reused += 1
            else:
                needed.append(k)
                targets[k] = cached_file
        assert members is not None
        for k in needed:
            members.setdefault(k, [])

    # Build what is needed, a group of shards per pass; passes in parallel processes when the
    # work is big enough to be worth forking for.
    needed_postings = sum(weights[k] for k in needed)
    passes = max(1, math.ceil(needed_postings / POSTINGS_PER_PASS))
    parallel = cpus > 1 and needed_postings > PARALLEL_POSTINGS and _can_fork()
    if parallel:
        passes = max(passes, cpus)
    groups = _groups(needed, weights, passes)
    job = _Job(refs, tokens, facets, shard_of, document_count, members, targets)
    if parallel and len(groups) > 1:
        global _job
        _job = job
        try:
            with multiprocessing.get_context("fork").Pool(min(cpus, len(groups))) as pool:
                pool.map(_build_group_in_worker, groups, chunksize=1)
        finally:
            _job = None
    else:
        for group in groups:
            job.build_group(group)
    stats.built += len(needed)

    # Meta blocks: rows keyed by ref, a block per range of n (dates, so new entries touch one).
    numbers = [int(r, 36) for r in refs]
    width = _meta_width(numbers, meta_block)
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

    for source, target in placed:
        _place(source, target)
    stats.files = shard_count + len(blocks) + 2

    table = _encode(dict(load_table()))
    t2s = search_dir / "t2s.json"
    if not t2s.exists() or t2s.read_bytes() != table:
        _write(t2s, table)
    years: dict[str, list[int]] = {}
    for key in sorted({k[:4] for k in date_keys if k[:4].isdigit()}, reverse=True):
        year = int(key)
        first = day_number(f"{key}-01-01")
        last = day_number(f"{year + 1:04d}-01-01") - 1 if year < 2097 else DISC - 1
        years[key] = [first * DISC, last * DISC + DISC - 1]
    manifest = {
        "format": FORMAT,
        "docs": len(docs),
        "shards": shard_count,
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
        if missing or len(cached) != len(set(hashes)):
            keep = {h: cached[h] for h in hashes}
            _write(token_cache_path, marshal.dumps({"format": FORMAT, "docs": keep}))
    stats.bytes = sum(p.stat().st_size for p in search_dir.rglob("*.json"))
    stats.seconds = time.perf_counter() - started
    return stats
