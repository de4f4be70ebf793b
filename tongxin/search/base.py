"""Between builds: the base (a cold build's ``search/``) and whether a delta over it will do.

A portal run and a branch rebuild both compare one key per document with the keys of the
base, kept in the cache folder (``delta-base.marshal``: the base's id, ref and key per
document), and decide before reading any text: build a delta of the changed documents over
the base (:func:`tongxin.search.build_delta_index`), or build cold (a new base). A base's
``search/`` carries ``.base-id``, the digest of the documents it was built from, so a cache
that belongs to another base is never used.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .build import build_search_index
from .delta import DELTA_DIR, DELTA_MAX_SHARE, DeltaRefused, build_delta_index, delta_neighbours
from .model import FORMAT, IndexStats, SearchDoc, date_key, doc_hash

#: The base's documents as the cache keeps them, for the next builds' deltas.
STATE_FILE = "delta-base.marshal"
#: 4: refs of any length, one a line (3: six characters each)
STATE_FORMAT = "tongxin-portal-delta-4"
KEY_BYTES = 10
#: In ``search/``: the digest of the documents the base was built from (names the base).
BASE_FILE = ".base-id"
#: In ``search/``: the digest of the documents this index holds (base and delta).
DIGEST_FILE = ".docs-digest"

#: (id, key): a document and a hash of everything the index reads from it
Key = tuple[str, bytes]
#: (id, branch name, type, date key) of a document
Fact = tuple[str, str, str, str]


@dataclass
class DeltaPlan:
    """A delta the base can take: what changed since it, and what to read for it."""

    base: str
    changed: list[str]
    removed: list[str]
    live: list[tuple[str, str, str]]
    base_refs: dict[str, str]
    #: the documents to read: the changed ones, then the base ones whose ref they may move
    wanted: list[str] = field(default_factory=list)


def digest_of(keys: Sequence[Key]) -> str:
    """The digest of a collection's keys (names a base, tells an unchanged index) in this
    :data:`FORMAT` (an index of an older format is no index to keep)."""
    # one update of the joined bytes: the same digest as one update per entry, faster
    joined = (
        FORMAT.encode()
        + b"\x1e"
        + b"".join(i.encode("utf-8", "surrogatepass") + b"\x1f" + key for i, key in keys)
    )
    return hashlib.blake2b(joined, digest_size=16).hexdigest()


def document_key(text: str) -> bytes:
    """A key of ``KEY_BYTES`` over a document's text (whatever the caller says shapes it)."""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=KEY_BYTES).digest()


def plan_delta(
    keys: Sequence[Key], facts: Sequence[Fact], base_search: Path, cache_dir: Path | None
) -> DeltaPlan | None:
    """A delta over the base in ``base_search`` (a ``search/`` folder), or None: build cold
    (no base, a cache of another base, one id twice, or more than ``DELTA_MAX_SHARE`` changed).
    """
    state = load_state(cache_dir)
    if state is None or read_mark(base_search / BASE_FILE) != state["base"]:
        return None
    base_keys: dict[str, bytes] = state["keys"]
    changed: list[tuple[str, str, str]] = []
    live: list[tuple[str, str, str]] = []
    current: set[str] = set()
    for (doc_id, key), (_id, branch, kind, when) in zip(keys, facts, strict=True):
        if doc_id in current:
            return None  # one id listed twice: the delta cannot tell which is live
        current.add(doc_id)
        live.append((branch, kind, when[:4]))
        if base_keys.get(doc_id) != key:
            changed.append((doc_id, branch, when))
    if len(changed) > DELTA_MAX_SHARE * max(len(live), 1):
        return None
    removed = [i for i in base_keys if i not in current]
    base_refs: dict[str, str] = state["refs"]
    neighbours = delta_neighbours(changed, removed, base_refs)
    ids = [i for i, _b, _d in changed]
    return DeltaPlan(state["base"], ids, removed, live, base_refs, ids + sorted(neighbours))


def read_mark(path: Path) -> str | None:
    try:
        return path.read_text(encoding="ascii")
    except OSError:
        return None


def write_marks(search_dir: Path, digest: str, base: str) -> None:
    (search_dir / DIGEST_FILE).write_text(digest, encoding="ascii")
    (search_dir / BASE_FILE).write_text(base, encoding="ascii")


def save_base(cache_dir: Path, digest: str, keys: Sequence[Key], refs: dict[str, str]) -> None:
    """Remember the base just built cold from ``keys`` (``refs``: its id → ref)."""
    kept = [(i, key) for i, key in keys if i in refs]
    # three flat strings, not a dict of tuples: loaded on every run, 4x faster to read
    state = {
        "format": STATE_FORMAT,
        "base": digest,
        "ids": "\n".join(i for i, _key in kept),
        "refs": "\n".join(refs[i] for i, _key in kept),
        "keys": b"".join(key for _i, key in kept),
    }
    path = Path(cache_dir) / STATE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(marshal.dumps(state))
    tmp.replace(path)


def load_state(cache_dir: Path | None) -> dict[str, Any] | None:
    """The base's state (``base``; ``refs``: id → ref; ``keys``: id → key), or None."""
    if cache_dir is None:
        return None
    try:
        state = marshal.loads((Path(cache_dir) / STATE_FILE).read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        return None
    if not isinstance(state, dict) or state.get("format") != STATE_FORMAT:
        return None
    ids = state.pop("ids").split("\n") if state["ids"] else []
    refs, keys = state.pop("refs"), state.pop("keys")
    size = KEY_BYTES
    # two flat dicts (id -> ref, id -> key): the plan compares keys, the delta takes refs
    state["refs"] = dict(zip(ids, refs.split("\n") if refs else [], strict=True))
    state["keys"] = dict(
        zip(ids, (keys[n : n + size] for n in range(0, len(keys), size)), strict=True)
    )
    return state


def link_tree(old: Path, new: Path) -> None:
    """Hard-link every file under ``old`` into ``new`` (files already there are kept)."""
    for folder, _dirs, files in os.walk(old):
        target_dir = new / Path(folder).relative_to(old)
        target_dir.mkdir(parents=True, exist_ok=True)
        for name in files:
            target = target_dir / name
            if not target.exists():  # index.html comes from the renderer
                os.link(Path(folder) / name, target)


def build_in_place(docs: Sequence[SearchDoc], out_dir: Path, cache_dir: Path) -> IndexStats:
    """Write ``out_dir/search/`` for ``docs`` where the last build left its index (a branch
    site's output): a delta over the base kept in ``cache_dir/base`` when few documents
    changed since it, else a cold build that becomes the new base; nothing when the
    documents are those of the index already there.

    A one-article rebuild of a site otherwise rewrites nearly every shard (an article's
    terms are in most of them); the delta writes a few small files.
    """
    keys = [(d.id, document_key(doc_hash(d, date_key(d.date)))) for d in docs]
    digest = digest_of(keys)
    search_dir = Path(out_dir) / "search"
    if read_mark(search_dir / DIGEST_FILE) == digest and (search_dir / "manifest.json").exists():
        return IndexStats(docs=len(docs), reused=1)
    base_search = Path(cache_dir) / "base" / "search"
    facts = [(d.id, d.branch, d.type, date_key(d.date)) for d in docs]
    plan = plan_delta(keys, facts, base_search, cache_dir)
    if plan is not None:
        by_id = {d.id: d for d in docs}
        try:
            stats = build_delta_index(
                base_search,
                out_dir,
                [by_id[i] for i in plan.changed],
                plan.removed,
                plan.base_refs,
                plan.live,
                lambda ids: [by_id[i] for i in ids if i in by_id],
            )
        except DeltaRefused:
            pass
        else:
            write_marks(search_dir, digest, plan.base)
            return stats
    shutil.rmtree(search_dir / DELTA_DIR, ignore_errors=True)
    stats = build_search_index(docs, out_dir, cache_dir=cache_dir, reuse_files=False)
    write_marks(search_dir, digest, digest)
    shutil.rmtree(base_search, ignore_errors=True)
    link_tree(search_dir, base_search)
    save_base(cache_dir, digest, keys, stats.refs)
    return stats
