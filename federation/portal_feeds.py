"""What the portal publishes for machines: Atom, RSS, JSON Feed and the JSON API.

The Atom feed is the seam between portal levels: every entry carries an Atom ``<source>``
naming the branch that *first* published it (id, title, site link, feed link), never this
portal, so a higher portal that aggregates this feed keeps the original attribution. The
documents are written by :mod:`tongxin.feedwriter`, the writer branch feeds use too, so the
parser reads a portal feed exactly like a branch feed.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tongxin import feedwriter
from tongxin.feedwriter import JSON_FEED_VERSION, TONGXIN_NS, TYPE_SCHEME, FeedHead, FeedItem
from tongxin.text import plain_text

from .model import Entry, Registry
from .sanitise import text_title

__all__ = ["JSON_FEED_VERSION", "TONGXIN_NS", "TYPE_SCHEME", "PortalSite", "plain_text"]

#: ``updated`` of a feed (or entry) without any date: a constant keeps output deterministic.
NO_DATE = feedwriter.NO_DATE


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


def public_id(entry: Entry) -> str:
    """The id the portal's own feeds give ``entry``: the feed's own when it is an IRI, else
    ``<source id>#<feed id>`` (a bare ``1`` of two branches must not become one entry in a
    reader). An upper portal trusting the ``<source>`` takes the prefix off again
    (:func:`federation.scope.feed_id_of`), so the same entry reached directly and through
    this portal keeps one id."""
    feed_id = entry.public_id
    return feed_id if ":" in feed_id else f"{source_id(entry)}#{feed_id}"


def _head(site: PortalSite, feed_url: str) -> FeedHead:
    return FeedHead(
        title=site.name,
        site_name=site.name,
        site_url=site.url,
        language=site.language,
        feed_url=feed_url,
        alternate=site.url,
        description=site.description or site.name,
        json_extension={
            "about": TONGXIN_NS,
            "site": {"name": site.name, "url": site.url, "language": site.language},
            "portal": True,
        },
    )


def feed_item(entry: Entry, title: str | None = None) -> FeedItem:
    """One stored entry as the feed writer takes it; ``title`` overrides the entry's."""
    expires = _iso(entry.expires)
    return FeedItem(
        id=public_id(entry),
        url=entry.url,
        title=entry.title if title is None else title,
        # an entry its branch gave no date is published undated, never as of NO_DATE
        published=entry_date(entry) if entry.published or entry.updated else None,
        updated=entry_updated(entry),
        type=entry.type,
        content_html=entry.content_html or entry.summary_html or "",
        summary_html=entry.summary_html,
        summary_text=plain_text(entry.summary_html, 500),
        tags=tuple(entry.tags),
        author=entry.author or None,
        pinned=entry.pinned,
        expires=expires,
        # an entry in another language says so (WCAG 3.1.2), in Atom and JSON Feed alike
        xml_lang=entry.language or None,
        language=entry.language or None,
        attachments=tuple(
            feedwriter.FeedAttachment(a["url"], a["type"], a["length"], a["title"])
            for a in entry.attachments
        ),
        source=feedwriter.FeedSource(
            id=source_id(entry),
            title=entry.origin_branch_name or entry.branch_id,
            link=entry.origin_branch_url,
            feed_url=entry.origin_feed_url,
        ),
        json_extension={
            "type": entry.type,
            "pinned": entry.pinned,
            "expires": expires,
            "source": _source_object(entry),
        },
    )


def atom_feed(site: PortalSite, entries: Sequence[Entry]) -> bytes:
    """Atom 1.0, full content, every entry with ``<source>`` naming its original branch."""
    items = [feed_item(e, shown_title(e)) for e in entries]
    return feedwriter.atom_feed(_head(site, site.url + "feeds/all.atom.xml"), items)


def rss_feed(site: PortalSite, entries: Sequence[Entry]) -> bytes:
    """RSS 2.0; ``<source url>`` names the original branch's feed."""
    items = [feed_item(e, shown_title(e)) for e in entries]
    return feedwriter.rss_feed(_head(site, site.url + "feeds/all.rss.xml"), items)


def shown_title(entry: Entry) -> str:
    """The entry's title, else the head of its text (an entry stored before untitled ones
    got one), else its link."""
    return entry.title or text_title(entry.summary_html, entry.content_html) or entry.url


def _source_object(entry: Entry) -> dict[str, Any]:
    return {
        "id": source_id(entry),
        "title": entry.origin_branch_name or entry.branch_id,
        "url": entry.origin_branch_url or None,
        "feed_url": entry.origin_feed_url or None,
    }


def json_feed(site: PortalSite, entries: Sequence[Entry]) -> bytes:
    """JSON Feed 1.1; the original branch travels in ``_tongxin.source``."""
    items = [feed_item(e) for e in entries]
    return feedwriter.json_feed(_head(site, site.url + "feeds/all.json"), items)


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
        "id": public_id(entry),
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
        "attachments": [dict(a) for a in entry.attachments],
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
        json.dumps(entry.attachments, sort_keys=True) if entry.attachments else "",
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
