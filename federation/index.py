"""The portal's search index: every stored entry, through the same builder as branch sites.

``tongxin.searchindex.build_search_index`` writes ``search/`` (manifest, shards, meta) in the
version folder being rendered. Rebuilding lunr shards for fifty thousand entries is the most
expensive step of a run, so when the documents are exactly those of the previous version
(same digest) its ``search/`` files are hard-linked instead, and when a few changed, the
previous version's base is hard-linked and only a delta of the changed entries is written
(the cache folder keeps each base document's ref and key: what changed is found by comparing
one key per entry, without analysing any unchanged text).
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import importlib.util
import marshal
import os
import pickle
import signal
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .model import Entry
from .portal_feeds import plain_text

DIGEST_FILE = ".docs-digest"
#: Characters of an entry's body indexed besides its title and summary: the portal finds
#: entries, the branch site's own search has the full text (and lunr.py costs ~1 ms per doc).
TEXT_LIMIT = 300


#: Characters of the excerpt shown under a search result (the page shows ~110 of them around
#: the first match); every first query downloads the meta blocks of its top hits.
EXCERPT_CHARS = 160
# Longest HTML entity name (&CounterClockwiseContourIntegral;) plus room: what a cut may spoil.
_CUT_MARGIN = 40


def plain_text_head(fragment: str, limit: int) -> str:
    """``plain_text(fragment, limit)`` read from the start of the fragment only.

    Only ``limit`` characters of text are kept, so a long body's tags need not all be
    stripped: a prefix cut before a ``<`` (no tag is half read) gives the same text as long
    as it holds more than ``limit`` characters past any entity the cut may have split.
    """
    cut = limit * 4 + 256
    if fragment and len(fragment) > cut:
        start = fragment.rfind("<", 0, cut)
        if start > 0 and len(plain_text(fragment[:start])) > limit + _CUT_MARGIN:
            return plain_text(fragment[:start], limit)
    return plain_text(fragment, limit)


@dataclass
class IndexResult:
    seconds: float = 0.0
    docs: int = 0
    reused: bool = False
    available: bool = True


def builder_available() -> bool:
    return importlib.util.find_spec("tongxin.searchindex") is not None


def search_docs(entries: Sequence[Entry]) -> list:
    """One ``SearchDoc`` per listed entry, attributed to its original branch."""
    from tongxin.searchindex import SearchDoc

    docs = []
    for entry in entries:
        if (entry.type or "news") == "pages":
            continue
        text = plain_text_head(entry.content_html or entry.summary_html, TEXT_LIMIT)
        # the summary only shows when the body has no text (the excerpt is the text's head)
        summary = "" if text else plain_text_head(entry.summary_html, EXCERPT_CHARS)
        docs.append(
            SearchDoc(
                id=entry.entry_id,
                url=entry.url,
                title=entry.title,
                text=text,
                branch=entry.origin_branch_name or entry.branch_id,
                type=entry.type or "news",
                date=entry.published or entry.updated,
                summary=summary,
            )
        )
    return docs


def docs_digest(entries: Sequence[Entry]) -> str:
    """A digest of everything the index reads from ``entries``."""
    return _digest(entry_keys(entries))


def entry_keys(entries: Sequence[Entry]) -> list[tuple[str, bytes]]:
    """(id, key) per entry, the key a hash of every field the index reads from it.

    This runs over every stored entry on every run: one string and one hash per entry (about
    4 µs); the dates go in as ``str`` (cheaper than ``isoformat``, as exact)."""
    blake = hashlib.blake2b
    out = []
    for e in entries:
        line = "\x1f".join(
            (
                e.url,
                e.title,
                e.type or "",
                e.origin_branch_name or "",
                e.branch_id,
                str(e.published),
                str(e.updated),
                e.summary_html,
                e.content_html,
            )
        )
        out.append(
            (
                e.entry_id,
                blake(line.encode("utf-8", "surrogatepass"), digest_size=KEY_BYTES).digest(),
            )
        )
    return out


def build_portal_index(
    entries: Sequence[Entry],
    out_dir: Path,
    previous: Path | None = None,
    cache_dir: Path | None = None,
) -> IndexResult:
    """Write ``out_dir/search/`` for ``entries``; reuse the previous version's when identical.

    With ``cache_dir`` (kept between runs) and a previous version, a run where few entries
    changed writes only a delta over the previous version's base (see
    :func:`tongxin.searchindex.build_delta_index`); a cold build, reusing the cached shards
    of unchanged documents, makes a new base when the delta grew too big.
    """
    started = time.perf_counter()
    if not builder_available():
        return IndexResult(available=False)
    keys = entry_keys(entries)
    digest = _digest(keys)
    search_dir = Path(out_dir) / "search"
    if previous is not None and _link_previous(previous / "search", search_dir, digest):
        return IndexResult(time.perf_counter() - started, len(entries), reused=True)
    from tongxin.searchindex import DeltaRefused, build_search_index

    state = _load_state(cache_dir)
    if state is not None and previous is not None:
        try:
            count = _build_delta(entries, keys, state, previous / "search", Path(out_dir))
        except DeltaRefused:
            pass  # a new base, below
        else:
            _write_marks(search_dir, digest, state["base"])
            return IndexResult(time.perf_counter() - started, count)
    docs = search_docs(entries)
    stats = build_search_index(
        docs, Path(out_dir), cache_dir=cache_dir, excerpt_chars=EXCERPT_CHARS
    )
    _write_marks(search_dir, digest, digest)
    if cache_dir is not None:
        kept = [(i, key) for i, key in keys if i in stats.refs]
        # three flat strings, not a dict of tuples: loaded on every run, 4x faster to read
        _save_state(
            cache_dir,
            {
                "format": STATE_FORMAT,
                "base": digest,
                "ids": "\n".join(i for i, _key in kept),
                "refs": "".join(stats.refs[i] for i, _key in kept),
                "keys": b"".join(key for _i, key in kept),
            },
        )
    return IndexResult(time.perf_counter() - started, len(docs))


#: The base's documents as the cache keeps them, for the next runs' deltas.
STATE_FILE = "delta-base.marshal"
STATE_FORMAT = "tongxin-portal-delta-2"
KEY_BYTES = 10
#: In ``search/``: the digest of the entries the base was built from (names the base).
BASE_FILE = ".base-id"


def _digest(keys: list[tuple[str, bytes]]) -> str:
    h = hashlib.blake2b(digest_size=16)
    for entry_id, key in keys:
        h.update(entry_id.encode("utf-8", "surrogatepass") + b"\x1f" + key)
    return h.hexdigest()


def _write_marks(search_dir: Path, digest: str, base: str) -> None:
    (search_dir / DIGEST_FILE).write_text(digest, encoding="ascii")
    (search_dir / BASE_FILE).write_text(base, encoding="ascii")


def _build_delta(
    entries: Sequence[Entry],
    keys: list[tuple[str, bytes]],
    state: dict[str, Any],
    base_dir: Path,
    out_dir: Path,
) -> int:
    """The delta over ``state``'s base, when ``base_dir`` holds that base; its document count."""
    from tongxin.searchindex import DeltaRefused, build_delta_index

    try:
        if (base_dir / BASE_FILE).read_text(encoding="ascii") != state["base"]:
            raise DeltaRefused("the previous version has another base")
    except OSError as error:
        raise DeltaRefused("the previous version has no base mark") from error
    base_docs: dict[str, tuple[str, bytes]] = state["docs"]
    changed: list[Entry] = []
    live: list[tuple[str, str, str]] = []
    current: dict[str, Entry] = {}
    for entry, (entry_id, key) in zip(entries, keys, strict=True):
        kind = entry.type or "news"
        if kind == "pages":
            continue
        if entry_id in current:
            raise DeltaRefused("an entry id listed twice")
        current[entry_id] = entry
        when = entry.published or entry.updated
        live.append(
            (entry.origin_branch_name or entry.branch_id, kind, f"{when.year:04d}" if when else "")
        )
        found = base_docs.get(entry_id)
        if found is None or found[1] != key:
            changed.append(entry)
    removed = [i for i in base_docs if i not in current]
    build_delta_index(
        base_dir,
        out_dir,
        search_docs(changed),
        removed,
        {i: ref for i, (ref, _key) in base_docs.items()},
        live,
        lambda ids: search_docs([current[i] for i in ids]),
        excerpt_chars=EXCERPT_CHARS,
    )
    return len(live)


def _load_state(cache_dir: Path | None) -> dict[str, Any] | None:
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
    state["docs"] = {
        i: (refs[n * 6 : n * 6 + 6], keys[n * size : n * size + size]) for n, i in enumerate(ids)
    }
    return state


def _save_state(cache_dir: Path, state: dict[str, Any]) -> None:
    path = Path(cache_dir) / STATE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(marshal.dumps(state))
    tmp.replace(path)


def _link_previous(old: Path, new: Path, digest: str) -> bool:
    try:
        if (old / DIGEST_FILE).read_text(encoding="ascii") != digest:
            return False
    except OSError:
        return False
    for folder, _dirs, files in os.walk(old):
        target_dir = new / Path(folder).relative_to(old)
        target_dir.mkdir(parents=True, exist_ok=True)
        for name in files:
            target = target_dir / name
            if not target.exists():  # index.html comes from the renderer
                os.link(Path(folder) / name, target)
    return True


class IndexAside:
    """:func:`build_portal_index` run in a forked child while the caller renders the pages.

    Render and index are a cold run's two longest phases and neither reads what the other
    writes (the index only writes ``search/`` files besides the page ``search/index.html``),
    so on two cores they overlap. The entries are read by the caller *before* the fork (a
    child must not open the SQLite store of a parent that holds it open), and the child
    inherits them copy-on-write: nothing is pickled but the small :class:`IndexResult`.
    Where ``fork`` is missing the build simply runs in :meth:`result`.
    """

    def __init__(
        self,
        entries: Sequence[Entry],
        out_dir: Path,
        previous: Path | None = None,
        cache_dir: Path | None = None,
    ) -> None:
        self._args = (entries, out_dir, previous, cache_dir)
        self._pid = 0
        self._read_fd = -1
        if hasattr(os, "fork") and builder_available():
            self._fork()

    def _fork(self) -> None:
        read_fd, write_fd = os.pipe()
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:  # the child: build, report, and leave without the parent's exit handlers
            status = 0
            try:
                os.close(read_fd)
                _die_with(parent)
                result = build_portal_index(*self._args)
                payload = pickle.dumps(("ok", result))
            except BaseException:
                payload = pickle.dumps(("error", traceback.format_exc()))
                status = 1
            try:
                with os.fdopen(write_fd, "wb") as pipe:
                    pipe.write(payload)
            finally:
                os._exit(status)
        os.close(write_fd)
        self._pid, self._read_fd = pid, read_fd
        self._args = (self._args[0][:0], *self._args[1:])  # the parent's copy can go now

    def result(self) -> IndexResult:
        """Wait for the child; its exception (as text) is raised here as a RuntimeError."""
        if not self._pid:
            return build_portal_index(*self._args)
        with os.fdopen(self._read_fd, "rb") as pipe:
            payload = pipe.read()
        _pid, status = os.waitpid(self._pid, 0)
        self._pid = 0
        if not payload:
            raise RuntimeError(f"the search index process died (wait status {status})")
        kind, value = pickle.loads(payload)
        if kind == "error":
            raise RuntimeError(f"building the search index failed:\n{value}")
        return value  # its seconds are the child's own: the build, not the wait

    def cancel(self) -> None:
        """Stop the child (the caller's render failed and discards the version)."""
        if self._pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._pid, signal.SIGKILL)
            os.waitpid(self._pid, 0)
            os.close(self._read_fd)
            self._pid = 0


def _die_with(parent: int) -> None:
    """Have the kernel kill this child when its parent dies (Linux): a federate run killed
    mid-index must not leave a child writing into a version folder the next run reuses."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)
