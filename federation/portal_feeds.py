"""What the portal publishes for machines: Atom, RSS, JSON Feed and the JSON API.

The Atom feed is the seam between portal levels: every entry carries an Atom ``<source>``
naming the branch that *first* published it (id, title, site link, feed link), never this
portal, so a higher portal that aggregates this feed keeps the original attribution.
feedgen writes the Atom and RSS documents; it has no ``<source><id>``, so a small feedgen
extension (:class:`_TongxinEntryExtension`) rebuilds the Atom ``<source>`` and adds the
Tongxin namespace elements (type, pinned, expires) the branch feeds carry too.
"""

from __future__ import annotations

import functools
import hashlib
import html
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from lxml import etree

from .model import Entry, Registry

#: The same namespace and type scheme as branch feeds (plugins/feeds.py), so the parser
#: reads a portal feed exactly like a branch feed.
TONGXIN_NS = "https://tongxin.example/ns/1.0"
TYPE_SCHEME = TONGXIN_NS + "#type"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
#: ``updated`` of a feed (or entry) without any date: a constant keeps output deterministic.
NO_DATE = datetime(2000, 1, 1, tzinfo=UTC)
_TAG_RE = re.compile(r"<[^>]+>")
_SPACE_RE = re.compile(r"\s+")


@dataclass(frozen=True)
class PortalSite:
    """The portal's identity as its feeds and pages name it."""

    name: str
    url: str  # absolute, ending in "/"
    language: str = "zh-CN"
    description: str = ""

    @classmethod
    def from_registry(cls, registry: Registry) -> PortalSite:
        return cls(
            name=registry.name,
            url=registry.url.rstrip("/") + "/",
            language=registry.language,
            description=registry.description,
        )


def plain_text(fragment: str, limit: int | None = None) -> str:
    """Sanitised HTML as one line of plain text (summaries in JSON; never re-parsed as HTML)."""
    text = _SPACE_RE.sub(" ", html.unescape(_TAG_RE.sub(" ", fragment or ""))).strip()
    if limit and len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def entry_date(entry: Entry) -> datetime:
    return _aware(entry.published or entry.updated or NO_DATE)


def entry_updated(entry: Entry) -> datetime:
    return _aware(entry.updated or entry.published or NO_DATE)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _iso(moment: datetime | None) -> str | None:
    return _aware(moment).isoformat(timespec="seconds") if moment else None


def source_id(entry: Entry) -> str:
    """A globally unique IRI for the entry's original branch.

    Registry ids are only unique within one registry (two counties may both have "b1"), so
    a bare id becomes its branch's feed or site address before it leaves this portal; an
    id that already is an IRI (it came through a lower portal) passes on unchanged.
    """
    origin = entry.origin_branch_id or entry.branch_id
    if ":" in origin:
        return origin
    return entry.origin_feed_url or entry.origin_branch_url or f"tag:tongxin,branch:{origin}"


class _TongxinFeedExtension(BaseExtension):
    def extend_ns(self) -> dict[str, str]:
        return {"tx": TONGXIN_NS}


class _TongxinEntryExtension(BaseEntryExtension):
    """Per-entry data feedgen cannot express: Atom ``<source>`` with id, and tx elements."""

    def __init__(self) -> None:
        self.entry: Entry | None = None

    def _tx(self, parent: Any) -> None:
        entry = self.entry
        assert entry is not None
        tx = f"{{{TONGXIN_NS}}}"
        etree.SubElement(parent, tx + "type").text = entry.type
        if entry.type == "announcements":
            etree.SubElement(parent, tx + "pinned").text = "true" if entry.pinned else "false"
        if entry.expires:
            etree.SubElement(parent, tx + "expires").text = _iso(entry.expires)

    def extend_atom(self, element: Any) -> Any:
        entry = self.entry
        if entry is None:
            return element
        for old in element.findall("source"):
            element.remove(old)
        source = etree.SubElement(element, "source")
        etree.SubElement(source, "id").text = source_id(entry)
        etree.SubElement(source, "title").text = entry.origin_branch_name or entry.branch_id
        if entry.origin_branch_url:
            etree.SubElement(
                source, "link", rel="alternate", type="text/html", href=entry.origin_branch_url
            )
        if entry.origin_feed_url:
            etree.SubElement(source, "link", rel="self", href=entry.origin_feed_url)
        self._tx(element)
        return element

    def extend_rss(self, element: Any) -> Any:
        if self.entry is not None:
            self._tx(element)
        return element


def _generator(site: PortalSite, feed_url: str, entries: Sequence[Entry]) -> FeedGenerator:
    fg = FeedGenerator()
    fg.register_extension("tongxin", _TongxinFeedExtension, _TongxinEntryExtension)
    fg.id(feed_url)
    fg.title(site.name)
    fg.subtitle(site.description or site.name)
    fg.description(site.description or site.name)
    fg.language(site.language)
    fg.author({"name": site.name, "uri": site.url})
    fg.link(href=site.url, rel="alternate")
    fg.link(href=feed_url, rel="self")
    fg.generator("Tongxin", uri="https://pypi.org/project/tongxin/")
    # Newest entry's time, not the clock: an unchanged portal writes an identical feed.
    fg.updated(max((entry_updated(e) for e in entries), default=NO_DATE))
    # feedgen prepends entries by default; order=append keeps newest first.
    for entry in entries:
        fe = fg.add_entry(order="append")
        fe.id(entry.entry_id)
        fe.title(entry.title or entry.url)
        fe.link(href=entry.url, rel="alternate")
        fe.published(entry_date(entry))
        fe.updated(entry_updated(entry))
        if entry.author:
            fe.author({"name": entry.author})
        fe.category(term=entry.type, scheme=TYPE_SCHEME)
        for tag in entry.tags:
            fe.category(term=tag)
        if entry.summary_html:
            fe.summary(entry.summary_html, type="html")
        fe.content(entry.content_html or entry.summary_html or "", type="html")
        # RSS <source url=…> is the origin's feed; Atom's is rebuilt by the extension.
        source_url = entry.origin_feed_url or entry.origin_branch_url
        if source_url:
            fe.source(url=source_url, title=entry.origin_branch_name or entry.branch_id)
        fe.tongxin.entry = entry
    return fg


def atom_feed(site: PortalSite, entries: Sequence[Entry]) -> bytes:
    """Atom 1.0, full content, every entry with ``<source>`` naming its original branch."""
    fg = _generator(site, site.url + "feeds/all.atom.xml", entries)
    return fg.atom_str(pretty=True)


def rss_feed(site: PortalSite, entries: Sequence[Entry]) -> bytes:
    """RSS 2.0; ``<source url>`` names the original branch's feed."""
    fg = _generator(site, site.url + "feeds/all.rss.xml", entries)
    fg.link(href=site.url, rel="alternate", replace=True)
    return fg.rss_str(pretty=True)


def _source_object(entry: Entry) -> dict[str, Any]:
    return {
        "id": source_id(entry),
        "title": entry.origin_branch_name or entry.branch_id,
        "url": entry.origin_branch_url or None,
        "feed_url": entry.origin_feed_url or None,
    }


def json_feed(site: PortalSite, entries: Sequence[Entry]) -> bytes:
    """JSON Feed 1.1; the original branch travels in ``_tongxin.source``."""
    items = []
    for entry in entries:
        item: dict[str, Any] = {
            "id": entry.entry_id,
            "url": entry.url,
            "title": entry.title,
            "content_html": entry.content_html or entry.summary_html,
        }
        summary = plain_text(entry.summary_html, 500)
        if summary:
            item["summary"] = summary
        item["date_published"] = _iso(entry_date(entry))
        item["date_modified"] = _iso(entry_updated(entry))
        if entry.author:
            item["authors"] = [{"name": entry.author}]
        if entry.tags:
            item["tags"] = list(entry.tags)
        item["_tongxin"] = {
            "type": entry.type,
            "pinned": entry.pinned,
            "expires": _iso(entry.expires),
            "source": _source_object(entry),
        }
        items.append(item)
    feed = {
        "version": JSON_FEED_VERSION,
        "title": site.name,
        "home_page_url": site.url,
        "feed_url": site.url + "feeds/all.json",
        "description": site.description or site.name,
        "language": site.language,
        "authors": [{"name": site.name, "url": site.url}],
        "_tongxin": {
            "about": TONGXIN_NS,
            "site": {"name": site.name, "url": site.url, "language": site.language},
            "portal": True,
        },
        "items": items,
    }
    return (json.dumps(feed, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


def api_entry(
    entry: Entry, sources: dict[tuple[str, str, str, str, str], dict[str, Any]] | None = None
) -> dict[str, Any]:
    """ApiEntry as on branch sites (docs/internals.md), plus ``branch`` (the original one).

    ``sources``: a memo of ``branch`` objects shared by the entries of one branch (the api
    index lists every stored entry; json.dumps writes a shared dict like any other)."""
    date = _iso(entry.published)
    if sources is None:
        source = _source_object(entry)
    else:
        key = (
            entry.origin_branch_id,
            entry.branch_id,
            entry.origin_branch_name,
            entry.origin_branch_url,
            entry.origin_feed_url,
        )
        cached = sources.get(key)
        if cached is None:
            cached = sources[key] = _source_object(entry)
        source = cached
    return {
        "id": entry.entry_id,
        "url": entry.url,
        "type": entry.type,
        "title": entry.title,
        "date": date,
        # Most entries were never updated (the store shares one datetime): formatted once.
        "modified": date if entry.updated is entry.published else _iso(entry.updated),
        "summary": plain_text(entry.summary_html, 300),
        "tags": list(entry.tags),
        "author": entry.author or None,
        "pinned": entry.pinned,
        "expires": _iso(entry.expires),
        "series": None,
        "order": None,
        "api": None,  # the full entry lives on its branch site, not on the portal
        "branch": source,
    }


def api_index(site: PortalSite, entries: Iterable[Entry], generated: datetime) -> bytes:
    sources: dict[tuple[str, str, str, str, str], dict[str, Any]] = {}
    document = {
        "site": {"name": site.name, "url": site.url, "language": site.language, "portal": True},
        "generated": _iso(generated),
        "entries": [api_entry(e, sources) for e in entries],
    }
    return (json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n").encode()


def api_entry_key(entry: Entry) -> str:
    """A digest of everything :func:`api_entry` reads of ``entry``: equal keys, equal JSON."""
    parts = (
        entry.entry_id,
        entry.url,
        entry.type,
        entry.title,
        str(entry.published),
        str(entry.updated),
        entry.summary_html or "",
        "\x1f".join(entry.tags),
        entry.author or "",
        "1" if entry.pinned else "0",
        str(entry.expires),
        entry.origin_branch_id,
        entry.branch_id,
        entry.origin_branch_name,
        entry.origin_branch_url,
        entry.origin_feed_url,
    )
    return hashlib.blake2b("\x1e".join(parts).encode(), digest_size=12).hexdigest()


#: ``json.dumps(..., ensure_ascii=False, separators=(",", ":"))`` without building a new
#: encoder per call (dumps does whenever an option is given): 50,000 calls a cold run.
_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))

#: One entry's place in an api/index.json: (api_entry_key, start byte, end byte).
Span = tuple[str, int, int]


def api_index_spans(
    site: PortalSite,
    entries: Iterable[Entry],
    generated: datetime,
    reuse: Callable[[str], bytes | None] | PreviousApiIndex | None = None,
    *,
    keys: Sequence[str] | None = None,
) -> tuple[bytes, list[Span]]:
    """:func:`api_index`'s bytes, assembled entry by entry, and where each entry sits in them.

    ``reuse(key)`` may hand back an entry's JSON from a previous index (found by its spans):
    when one branch of a thousand changed, fifty thousand entries are not serialised again.
    ``keys``: the entries' keys, if the caller has cheaper ones than :func:`api_entry_key`
    (each must change whenever the entry's JSON would).
    ``json.dumps`` writes a list item the same alone or in its list, so the bytes are those
    :func:`api_index` writes (tests/test_render.py compares them).
    """
    sources: dict[tuple[str, str, str, str, str], dict[str, Any]] = {}
    head = json.dumps(
        {
            "site": {"name": site.name, "url": site.url, "language": site.language, "portal": True},
            "generated": _iso(generated),
            "entries": [],
        },
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()
    prefix = head[: -len(b"]}")]  # the document up to the entries' opening bracket
    parts = [prefix]
    spans: list[Span] = []
    position = len(prefix)
    if keys is not None and isinstance(entries, Sequence):
        # The entry itself is only read when its fragment cannot be reused: a lazy sequence
        # (federation.render) then builds a few entries, not fifty thousand.
        pairs: Iterable[tuple[str, Entry | Callable[[], Entry]]] = zip(
            keys, _lazy(entries), strict=True
        )
    else:
        pairs = (
            (keys[index] if keys is not None else api_entry_key(entry), entry)
            for index, entry in enumerate(entries)
        )
    if isinstance(reuse, PreviousApiIndex):
        return _assemble(prefix, pairs, reuse, sources)
    for key, got in pairs:
        fragment = reuse(key) if reuse is not None else None
        if fragment is None:
            entry = got() if callable(got) else got
            item = api_entry(entry, sources)
            fragment = _COMPACT.encode(item).encode()
        if spans:
            parts.append(b",")
            position += 1
        parts.append(fragment)
        spans.append((key, position, position + len(fragment)))
        position += len(fragment)
    parts.append(b"]}\n")
    return b"".join(parts), spans


class PreviousApiIndex:
    """An earlier api/index.json and where each entry's JSON sits in it (its spans).

    Passed as ``reuse`` to :func:`api_index_spans`, unchanged entries that sat side by side
    in the earlier index are copied as one slice: one branch changing among a thousand makes
    a handful of copies, not fifty thousand."""

    def __init__(self, data: bytes, spans: Iterable[Span]) -> None:
        self.data = data
        self.where = {key: (start, end) for key, start, end in spans}

    @classmethod
    def parse(cls, data: bytes, spans_text: str) -> PreviousApiIndex:
        """From the index's bytes and its spans as written (``key start end`` lines)."""
        words = spans_text.split()
        if len(words) % 3:
            raise ValueError("spans are not key, start, end triples")
        spans = zip(words[0::3], map(int, words[1::3]), map(int, words[2::3]), strict=True)
        return cls(data, spans)

    def span(self, key: str) -> tuple[int, int] | None:
        """Where the entry ``key`` is, if its span frames one entry object (else the files
        disagree, and it is not trusted)."""
        where = self.where.get(key)
        if where is None:
            return None
        start, end = where
        data = self.data
        if data.startswith(b'{"id":', start) and data.endswith(b"}", start, end):
            return where
        return None

    def __call__(self, key: str) -> bytes | None:
        where = self.span(key)
        return None if where is None else self.data[where[0] : where[1]]


def _assemble(
    prefix: bytes,
    pairs: Iterable[tuple[str, Entry | Callable[[], Entry]]],
    previous: PreviousApiIndex,
    sources: dict[tuple[str, str, str, str, str], dict[str, Any]],
) -> tuple[bytes, list[Span]]:
    """:func:`api_index_spans` copying runs of entries that were adjacent in ``previous``."""
    data = previous.data
    parts = [prefix]
    spans: list[Span] = []
    position = len(prefix)
    run_start = run_end = -1  # the run of ``data`` being copied, not yet appended
    for key, got in pairs:
        if spans:
            position += 1  # the comma before this entry
        where = previous.span(key)
        if where is not None:
            start, end = where
            if run_end >= 0 and start == run_end + 1 and data[run_end] == 44:  # b","
                run_end = end  # the comma between them comes along in the slice
            else:
                if run_end >= 0:
                    parts.append(data[run_start:run_end])
                if spans:
                    parts.append(b",")
                run_start, run_end = start, end
            spans.append((key, position, position + end - start))
            position += end - start
            continue
        if run_end >= 0:
            parts.append(data[run_start:run_end])
            run_end = -1
        entry = got() if callable(got) else got
        fragment = _COMPACT.encode(api_entry(entry, sources)).encode()
        if spans:
            parts.append(b",")
        parts.append(fragment)
        spans.append((key, position, position + len(fragment)))
        position += len(fragment)
    if run_end >= 0:
        parts.append(data[run_start:run_end])
    parts.append(b"]}\n")
    return b"".join(parts), spans


def _lazy(entries: Sequence[Entry]) -> Iterable[Callable[[], Entry]]:
    """For each position, a function reading that entry only when called."""
    return (functools.partial(entries.__getitem__, index) for index in range(len(entries)))
