"""The portal's search index: every stored entry, through the same builder as branch sites.

:func:`tongxin.search.build_search_index` writes ``search/`` (manifest, shards, meta) in the
version folder being rendered. Rebuilding lunr shards for fifty thousand entries is the most
expensive step of a run, so when the documents are exactly those of the previous version
(same digest) its ``search/`` files are hard-linked instead, and when a few changed, the
previous version's base is hard-linked and only a delta of the changed entries is written
(the cache folder keeps each base document's ref and key: what changed is found by comparing
one key per entry, without analysing any unchanged text).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from tongxin import parallel
from tongxin.search import (
    DeltaRefused,
    SearchDoc,
    build_delta_index,
    build_search_index,
    date_key,
)
from tongxin.search.base import (
    DIGEST_FILE,
    KEY_BYTES,
    digest_of,
    link_tree,
    plan_delta,
    read_mark,
    save_base,
    write_marks,
)
from tongxin.search.compress import compress_file, compress_tree, slim_scripts
from tongxin.text import plain_text
from tongxin.tokenizer import is_cjk

from .entryrows import ListingRow
from .model import Entry
from .morelink import without_more_link
from .sanitise import text_title

#: The search page in ``search/``: the render's, not the index's
SEARCH_PAGE = "index.html"

#: Characters of an entry's body indexed besides its title and summary: the portal finds
#: entries, the branch site's own search has the full text (and lunr.py costs ~1 ms per doc).
TEXT_LIMIT = 300


#: Characters of the excerpt shown under a search result (the page shows ~110 of them around
#: the first match); every first query downloads the meta blocks of its top hits.
EXCERPT_CHARS = 120
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
    #: how it was built: "reused" (the previous version's), "delta" or "cold"
    mode: str = ""


def search_docs(
    entries: Sequence[Entry],
    regions: Mapping[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
    zone: tzinfo | None = None,
) -> list[SearchDoc]:
    """One ``SearchDoc`` per listed entry, attributed to its original branch; ``regions``:
    branch id -> region (the registry's), the region of the branch that fetched it;
    ``labels``: :func:`branch_labels` of every indexed entry (None: of ``entries``);
    ``zone``: the portal's, whose day a result shows and a year filter counts (stored times
    are UTC: an entry dated 3月12日 in Beijing is 3月11日 16:00 UTC)."""
    regions = regions or {}
    if labels is None:
        labels = branch_labels(entries, regions)
    docs = []
    for entry in entries:
        if (entry.type or "news") == "pages":
            continue
        # (a blog's "continue reading" link is not text: not indexed, not in the snippet)
        summary_html = without_more_link(entry.summary_html or "")
        text = plain_text_head(
            without_more_link(entry.content_html or "") or summary_html, TEXT_LIMIT
        )
        # the summary is indexed (and shown) when it says what the text's head does not
        summary = plain_text_head(summary_html, EXCERPT_CHARS) if entry.content_html else ""
        docs.append(
            SearchDoc(
                id=entry.entry_id,
                url=entry.url,
                title=entry.title or text_title(entry.summary_html, entry.content_html),
                text=text,
                branch=branch_label(entry, labels),
                type=entry.type or "news",
                date=_local(entry.published or entry.updated, zone),
                summary=summary,
                tags=tuple(entry.tags or ()),
                region=regions.get(entry.branch_id) or "",
                lang=entry.language,
                author=entry.author or "",
            )
        )
    return docs


def _local(moment: datetime | None, zone: tzinfo | None) -> datetime | None:
    return moment.astimezone(zone) if moment is not None and zone is not None else moment


def _local_text(stored: str | None, zone: tzinfo | None) -> str:
    """:func:`date_key` of a stored time (ISO text) in ``zone``."""
    if not stored or zone is None:
        return stored or ""
    return date_key(datetime.fromisoformat(stored).astimezone(zone))


def _zone_name(zone: tzinfo | None) -> str:
    return "" if zone is None else str(getattr(zone, "key", None) or zone)


class _Origin(Protocol):
    """What an :class:`Entry` and a :class:`ListingRow` both say of an entry's branch."""

    @property
    def branch_id(self) -> str: ...
    @property
    def origin_branch_id(self) -> str: ...
    @property
    def origin_branch_name(self) -> str: ...
    @property
    def origin_branch_url(self) -> str: ...
    @property
    def origin_feed_url(self) -> str: ...


def _identity(item: _Origin) -> str:
    # the feed address: global, as the API's branch id (a registry id is one portal's own)
    return item.origin_feed_url or item.origin_branch_id or item.branch_id


def _address(url: str) -> str:
    parts = urlsplit(url)
    return (parts.netloc + parts.path).rstrip("/") if parts.netloc else ""


def branch_labels(
    items: Iterable[_Origin], regions: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Branch identity -> the name the search files its entries under, for branches whose
    name another indexed branch also has (two 第一党支部 of two communities): the name with
    what tells it apart, the first of its region (the registry's), its site's address or its
    feed's that no namesake shares. Other branches keep their name
    (:func:`branch_label`). The search's branch filter is by this name: without it the two
    branches were one entry of the filter, and each one's entries were found under both."""
    regions = regions or {}
    groups: dict[str, dict[str, tuple[str, ...]]] = {}
    for item in items:
        group = groups.setdefault(item.origin_branch_name or item.branch_id, {})
        identity = _identity(item)
        if identity not in group:
            region = regions.get(item.branch_id, "")
            site, feed = _address(item.origin_branch_url), _address(identity)
            group[identity] = (region, site, feed, identity)
    labels: dict[str, str] = {}
    for name, group in groups.items():
        if len(group) < 2:
            continue
        for identity, where in group.items():
            # its own first mark no namesake shares (the identity itself, last, is unique):
            # two sharing a region take their sites, the others keep their regions
            mark = next(
                m for k, m in enumerate(where) if m and [w[k] for w in group.values()].count(m) == 1
            )
            labels[identity] = _labelled(name, mark)
    return labels


def _labelled(name: str, mark: str) -> str:
    return f"{name}（{mark}）" if any(map(is_cjk, name)) else f"{name} ({mark})"


def branch_label(item: _Origin, labels: Mapping[str, str]) -> str:
    """The name the search files ``item`` under (``labels``: :func:`branch_labels`)."""
    return labels.get(_identity(item)) or item.origin_branch_name or item.branch_id


def docs_digest(entries: Sequence[Entry]) -> str:
    """A digest of everything the index reads from ``entries``."""
    return digest_of(entry_keys(entries))


def _key(content_hash: str, branch_name: str | None, branch_id: str, zone: str = "") -> bytes:
    # The store's content hash covers url, title, type, dates, summary and body; the branch
    # the index files the entry under (its label) is made of the origin columns it leaves out.
    line = f"{content_hash}\x1f{branch_name or ''}\x1f{branch_id}"
    if zone:  # the day a result shows (a new zone in the registry re-indexes every entry)
        line += f"\x1f{zone}"
    return hashlib.blake2b(line.encode("utf-8", "surrogatepass"), digest_size=KEY_BYTES).digest()


def with_regions(
    keys: list[tuple[str, bytes]], branch_ids: Sequence[str], regions: Mapping[str, str] | None
) -> list[tuple[str, bytes]]:
    """Keys that change with the region of the entry's branch (a branch moved to another
    region in the registry re-indexes its entries); unchanged without a region."""
    if not regions:
        return keys
    out = []
    for (entry_id, key), branch_id in zip(keys, branch_ids, strict=True):
        region = regions.get(branch_id)
        if region:
            key = hashlib.blake2b(
                key + region.encode("utf-8", "surrogatepass"), digest_size=KEY_BYTES
            ).digest()
        out.append((entry_id, key))
    return out


def entry_keys(
    entries: Sequence[Entry],
    labels: Mapping[str, str] | None = None,
    zone: tzinfo | None = None,
) -> list[tuple[str, bytes]]:
    """(id, key) per entry, the key a hash of every field the index reads from it: the
    store's content hash plus the branch's label (``labels``: :func:`branch_labels`, None:
    of ``entries``), as :func:`row_keys` computes from listing rows."""
    from .store import entry_content_hash

    if labels is None:
        labels = branch_labels(entries)
    name = _zone_name(zone)
    return [
        (e.entry_id, _key(entry_content_hash(e), branch_label(e, labels), e.branch_id, name))
        for e in entries
    ]


def row_keys(
    rows: Sequence[ListingRow],
    labels: Mapping[str, str] | None = None,
    zone: tzinfo | None = None,
) -> list[tuple[str, bytes]]:
    """:func:`entry_keys` of ``Store.listing_rows()``: no body is read or hashed again (the
    stored ``content_hash`` already covers it), one short hash per entry."""
    if labels is None:
        labels = branch_labels(rows)
    name = _zone_name(zone)
    return [
        (r.entry_id, _key(r.content_hash, branch_label(r, labels), r.branch_id, name)) for r in rows
    ]


def _row_facts(
    rows: Sequence[ListingRow], labels: Mapping[str, str], zone: tzinfo | None
) -> list[tuple[str, str, str, str]]:
    """(id, branch label, type, date key) per listing row, as :func:`search_docs` files it."""
    # stored times are the ISO text of the datetimes search_docs reads: same date key
    return [
        (
            r.entry_id,
            branch_label(r, labels),
            r.type or "news",
            _local_text(r.published or r.updated, zone),
        )
        for r in rows
    ]


def _entry_facts(
    entries: Sequence[Entry], labels: Mapping[str, str], zone: tzinfo | None
) -> list[tuple[str, str, str, str]]:
    return [
        (
            e.entry_id,
            branch_label(e, labels),
            e.type or "news",
            date_key(_local(e.published or e.updated, zone)),
        )
        for e in entries
    ]


@dataclass
class IndexPlan:
    """What :func:`build_portal_index` will do, decided before any body is read.

    The caller plans (reading the state, comparing one key per entry) and reads only the
    bodies the plan needs: none to reuse the previous index, the changed entries (and the
    few whose ref they may move) for a delta, every entry for a cold build. The build then
    runs without touching the store.
    """

    mode: str  # "reused" | "delta" | "cold"
    keys: list[tuple[str, bytes]]
    digest: str
    entries: Sequence[Entry] = ()
    #: ``entries`` holds every entry: a refused delta can go cold without reading more
    complete: bool = False
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    live: list[tuple[str, str, str]] = field(default_factory=list)
    base_refs: dict[str, str] = field(default_factory=dict)
    base: str = ""
    regions: Mapping[str, str] = field(default_factory=dict)  # branch id -> region
    labels: Mapping[str, str] = field(default_factory=dict)  # branch_labels of every entry
    zone: tzinfo | None = None  # the portal's: the day of each result
    indexed_branches: set[str] = field(default_factory=set)  # ids of the indexed entries'

    def cold(self, entries: Sequence[Entry]) -> IndexPlan:
        """The cold build of the same documents (``entries``: all of them, with bodies)."""
        return IndexPlan(
            "cold",
            self.keys,
            self.digest,
            entries,
            complete=True,
            regions=self.regions,
            labels=self.labels,
            zone=self.zone,
        )


def plan_portal_index(
    rows: Sequence[ListingRow],
    previous: Path | None,
    cache_dir: Path | None,
    *,
    load: Callable[[list[str]], Sequence[Entry]],
    load_all: Callable[[], Sequence[Entry]],
    regions: Mapping[str, str] | None = None,
    zone: tzinfo | None = None,
) -> IndexPlan:
    """Plan the index of ``Store.listing_rows()`` rows; ``load(ids)`` / ``load_all()`` read
    entries with bodies (``Store.entries_by_id`` / ``Store.entries``), called once at most;
    ``regions``: branch id -> region (the registry's), for the search's region filter;
    ``zone``: the portal's (the registry's ``timezone``), the day each result shows."""
    labels = branch_labels(rows, regions)
    keys = with_regions(row_keys(rows, labels, zone), [r.branch_id for r in rows], regions)
    plan = _plan(keys, _row_facts(rows, labels, zone), previous, cache_dir, load, load_all)
    plan.regions, plan.labels, plan.zone = dict(regions or {}), labels, zone
    plan.indexed_branches = {r.branch_id for r in rows if (r.type or "news") != "pages"}
    return plan


def _plan(
    keys: list[tuple[str, bytes]],
    facts: list[tuple[str, str, str, str]],
    previous: Path | None,
    cache_dir: Path | None,
    load: Callable[[list[str]], Sequence[Entry]],
    load_all: Callable[[], Sequence[Entry]],
) -> IndexPlan:
    digest = digest_of(keys)
    if previous is not None and read_mark(previous / "search" / DIGEST_FILE) == digest:
        return IndexPlan("reused", keys, digest)
    if previous is not None:
        # branches' pages are not in the portal's index
        indexed = [(k, f) for k, f in zip(keys, facts, strict=True) if f[2] != "pages"]
        delta = plan_delta(
            [k for k, _f in indexed], [f for _k, f in indexed], previous / "search", cache_dir
        )
        if delta is not None:
            return IndexPlan(
                "delta",
                keys,
                digest,
                load(delta.wanted) if delta.wanted else [],
                changed=delta.changed,
                removed=delta.removed,
                live=delta.live,
                base_refs=delta.base_refs,
                base=delta.base,
            )
    return IndexPlan("cold", keys, digest, load_all(), complete=True)


def build_portal_index(
    entries: Sequence[Entry] | IndexPlan,
    out_dir: Path,
    previous: Path | None = None,
    cache_dir: Path | None = None,
    regions: Mapping[str, str] | None = None,
    zone: tzinfo | None = None,
) -> IndexResult:
    """Write ``out_dir/search/`` for ``entries``; reuse the previous version's when identical.
    Gzip copies of its files are written beside them (those still current are kept).
    ``regions`` (branch id -> region) and ``zone`` when ``entries`` is a list (a plan has
    its own).
    """
    if not isinstance(entries, IndexPlan):
        entries = _plan_of_entries(entries, previous, cache_dir, regions, zone)
    result = _build_portal_index(entries, out_dir, previous, cache_dir)
    # (not the search page: the render writes it meanwhile, replacing a linked copy by
    # unlinking it first, and IndexAside.result compresses it once written)
    compress_tree(Path(out_dir) / "search", skip=[SEARCH_PAGE])
    return result


def _plan_of_entries(
    everything: Sequence[Entry],
    previous: Path | None,
    cache_dir: Path | None,
    regions: Mapping[str, str] | None,
    zone: tzinfo | None,
) -> IndexPlan:
    """:func:`plan_portal_index` of entries with their bodies (a delta holds them all)."""
    by_id = {e.entry_id: e for e in everything}
    labels = branch_labels(everything, regions)
    keys = with_regions(
        entry_keys(everything, labels, zone), [e.branch_id for e in everything], regions
    )
    plan = _plan(
        keys,
        _entry_facts(everything, labels, zone),
        previous,
        cache_dir,
        lambda ids: [by_id[i] for i in ids if i in by_id],
        lambda: everything,
    )
    plan.regions, plan.labels, plan.zone = dict(regions or {}), labels, zone
    plan.indexed_branches = {e.branch_id for e in everything if e.type != "pages"}
    if plan.mode == "delta":
        plan.entries, plan.complete = everything, True
    return plan


def _build_portal_index(
    plan: IndexPlan,
    out_dir: Path,
    previous: Path | None = None,
    cache_dir: Path | None = None,
) -> IndexResult:
    """:func:`build_portal_index` without the gzip copies.

    With ``cache_dir`` (kept between runs) and a previous version, a run where few entries
    changed writes only a delta over the previous version's base (see
    :func:`tongxin.search.build_delta_index`); a cold build, reusing the cached shards
    of unchanged documents, makes a new base when the delta grew too big. When the delta of
    a ``plan`` made by :func:`plan_portal_index` is refused and the plan does not hold every
    entry, :class:`~tongxin.search.DeltaRefused` is raised (the caller reads them all and
    builds ``plan.cold(...)``).
    """
    started = time.perf_counter()
    search_dir = Path(out_dir) / "search"
    if plan.mode == "reused" and previous is not None:
        link_tree(previous / "search", search_dir)
        return IndexResult(time.perf_counter() - started, len(plan.keys), True, mode="reused")
    if plan.mode == "delta" and previous is not None:
        try:
            count = _build_delta(plan, previous / "search", Path(out_dir))
        except DeltaRefused:
            if not plan.complete:
                raise
            plan = plan.cold(plan.entries)  # a new base, below
        else:
            write_marks(search_dir, plan.digest, plan.base)
            return IndexResult(time.perf_counter() - started, count, mode="delta")
    docs = search_docs(plan.entries, plan.regions, plan.labels, plan.zone)
    stats = build_search_index(
        docs, Path(out_dir), cache_dir=cache_dir, excerpt_chars=EXCERPT_CHARS
    )
    write_marks(search_dir, plan.digest, plan.digest)
    if cache_dir is not None:
        save_base(cache_dir, plan.digest, plan.keys, stats.refs)
    return IndexResult(time.perf_counter() - started, len(docs), mode="cold")


def _build_delta(plan: IndexPlan, base_dir: Path, out_dir: Path) -> int:
    """The delta of ``plan`` over the base in ``base_dir``; its document count."""
    by_id = {e.entry_id: e for e in plan.entries}
    build_delta_index(
        base_dir,
        out_dir,
        search_docs([by_id[i] for i in plan.changed], plan.regions, plan.labels, plan.zone),
        plan.removed,
        plan.base_refs,
        plan.live,
        # only the documents read for the plan: one missing refuses the delta
        lambda ids: search_docs(
            [by_id[i] for i in ids if i in by_id], plan.regions, plan.labels, plan.zone
        ),
        excerpt_chars=EXCERPT_CHARS,
        regions=[plan.regions.get(branch, "") for branch in plan.indexed_branches],
    )
    return len(plan.live)


class IndexAside:
    """:func:`build_portal_index` of a plan, in a forked child beside the render.

    The pipeline makes it before the render and collects it after. The child needs no store
    (the plan holds the bodies) and runs at the run's own priority: on an idle machine it
    takes the second core, on a busy one it gets its own share of the CPU instead of waiting
    for the render's. A plan whose delta is refused (rare: a delta too big to foresee from
    the plan) is built cold here, in the parent, with ``load_all()`` (the store's connection
    stays in the process that opened it).
    """

    def __init__(
        self,
        entries: Sequence[Entry] | IndexPlan,
        out_dir: Path,
        previous: Path | None = None,
        cache_dir: Path | None = None,
        load_all: Callable[[], Sequence[Entry]] | None = None,
    ) -> None:
        self._args = (entries, out_dir, previous, cache_dir)
        self._load_all = load_all
        self._aside = parallel.Aside(build_portal_index, *self._args, name="portal-index")

    def result(self) -> IndexResult:
        """The index's result; its exception is raised here. Gzip copies of the theme's assets
        and of the search page are written beside them too (the render has written them by
        now)."""
        try:
            result: IndexResult = self._aside.result()
        except DeltaRefused as refused:
            result = self._cold(str(refused))
        theme = Path(self._args[1]) / "theme"
        slim_scripts(theme / "js")
        compress_tree(theme)
        # the render writes the search page while the child compresses search/: whether the
        # child saw it depended on which came first (a portal had its .gz one run, not the next)
        page = Path(self._args[1]) / "search" / SEARCH_PAGE
        if page.is_file():  # (an index built with no render, as tests do, has none)
            compress_file(str(page))
        return result

    def _cold(self, reason: str) -> IndexResult:
        plan = self._args[0]
        if not isinstance(plan, IndexPlan) or self._load_all is None:
            raise RuntimeError(f"the search index delta was refused: {reason}")
        started = time.perf_counter()
        result = build_portal_index(plan.cold(self._load_all()), *self._args[1:])
        result.seconds = time.perf_counter() - started
        return result

    def cancel(self) -> None:
        """Stop the child (the render failed: its version is discarded)."""
        self._aside.abandon()
