"""The portal's search index: every stored entry, through the same builder as branch sites.

``tongxin.searchindex.build_search_index`` writes ``search/`` (manifest, shards, meta) in the
version folder being rendered. Rebuilding lunr shards for fifty thousand entries is the most
expensive step of a run, so when the documents are exactly those of the previous version
(same digest) its ``search/`` files are hard-linked instead.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

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
    """A digest of everything the index reads from ``entries`` (one string per entry, one
    hash update: this runs over every stored entry on every run)."""
    h = hashlib.blake2b(digest_size=16)
    update = h.update
    for entry in entries:
        published, updated = entry.published, entry.updated
        line = "\x1f".join(
            (
                entry.entry_id,
                entry.url,
                entry.title,
                entry.type or "",
                entry.origin_branch_name or "",
                entry.branch_id,
                published.isoformat() if published else "",
                updated.isoformat() if updated else "",
                entry.summary_html,
                entry.content_html,
                "\x1e",
            )
        )
        update(line.encode("utf-8", "surrogatepass"))
    return h.hexdigest()


def build_portal_index(
    entries: Sequence[Entry],
    out_dir: Path,
    previous: Path | None = None,
    cache_dir: Path | None = None,
) -> IndexResult:
    """Write ``out_dir/search/`` for ``entries``; reuse the previous version's when identical.

    ``cache_dir`` keeps shards between runs, so when one branch changes only the shards of
    its entries' terms are rebuilt.
    """
    started = time.perf_counter()
    if not builder_available():
        return IndexResult(available=False)
    digest = docs_digest(entries)
    search_dir = Path(out_dir) / "search"
    if previous is not None and _link_previous(previous / "search", search_dir, digest):
        return IndexResult(time.perf_counter() - started, len(entries), reused=True)
    from tongxin.searchindex import build_search_index

    docs = search_docs(entries)
    build_search_index(docs, Path(out_dir), cache_dir=cache_dir, excerpt_chars=EXCERPT_CHARS)
    (search_dir / DIGEST_FILE).write_text(digest, encoding="ascii")
    return IndexResult(time.perf_counter() - started, len(docs))


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
