"""The one feed writer: Atom 1.0, RSS 2.0 and JSON Feed 1.1 for branch sites and portals.

A caller (``plugins/feeds.py`` for a branch, ``federation/portal_feeds.py`` for a portal)
turns its entries into :class:`FeedItem` and names the feed with :class:`FeedHead`; this
module writes the documents. Output is deterministic: the feed's ``updated`` is its newest
item's, never the clock, so an unchanged site writes identical bytes.

Tongxin metadata a generic feed format has no place for (type, pinned, expires, series,
order) travels in the :data:`TONGXIN_NS` namespace in Atom and RSS, and in a ``_tongxin``
object in JSON Feed. An item republished by a portal carries its original branch
(:class:`FeedSource`) as Atom ``<source>`` and RSS ``<source>``, so a higher portal that
aggregates the feed keeps the original attribution.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

from lxml import etree

#: Namespace of Tongxin's feed extension elements (Atom/RSS) and the ``about`` of ``_tongxin``.
#: A name, not a page: ``.example`` is reserved, so it can never be claimed by someone else.
TONGXIN_NS = "https://tongxin.example/ns/1.0"
#: ``scheme`` of the Atom category (``domain`` of the RSS category) that carries the type.
TYPE_SCHEME = TONGXIN_NS + "#type"
ATOM_NS = "http://www.w3.org/2005/Atom"
CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
DC_NS = "http://purl.org/dc/elements/1.1/"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
#: ``updated`` of a feed (or item) without any date: a constant keeps the output deterministic.
NO_DATE = datetime(2000, 1, 1, tzinfo=UTC)
GENERATOR_URI = "https://pypi.org/project/tongxin/"

_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_A = f"{{{ATOM_NS}}}"
_TX = f"{{{TONGXIN_NS}}}"
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True)
class FeedHead:
    """What a feed says about itself."""

    title: str  # the feed's title (Atom); RSS and JSON Feed use ``site_name``
    site_name: str
    site_url: str  # absolute, ending in "/"
    language: str
    feed_url: str  # this document's own address
    alternate: str  # the HTML page the feed stands for (Atom)
    description: str = ""  # Atom subtitle and JSON description when given
    #: The feed's ``_tongxin`` object in JSON Feed.
    json_extension: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FeedAttachment:
    """A file attached to an item."""

    url: str
    type: str = ""  # MIME type
    length: int = 0  # bytes; 0 when unknown
    title: str = ""


@dataclass(frozen=True)
class FeedSource:
    """The branch that first published an item (portal feeds only)."""

    id: str
    title: str
    link: str = ""  # its site
    feed_url: str = ""


@dataclass(frozen=True)
class FeedItem:
    """One entry as every feed format writes it."""

    id: str
    url: str
    title: str
    #: None for an entry its source gave no date (a portal's): no date is written for it
    #: (Atom's required ``updated`` is :data:`NO_DATE`, with ``tx:undated``)
    published: datetime | None
    updated: datetime
    type: str
    content_html: str
    summary_html: str = ""
    summary_text: str = ""  # JSON Feed ``summary``
    tags: tuple[str, ...] = ()
    author: str | None = None
    type_label: str | None = None  # Atom category label of the type
    xml_lang: str | None = None  # Atom ``xml:lang`` when it differs from the feed's
    language: str | None = None  # JSON Feed ``language``
    pinned: bool = False
    expires: str | None = None  # as written
    series: str | None = None
    order: int | None = None
    source: FeedSource | None = None
    #: files attached: Atom ``link rel="enclosure"``, RSS ``<enclosure>``, JSON Feed
    #: ``attachments``
    attachments: tuple[FeedAttachment, ...] = ()
    #: The item's ``_tongxin`` object in JSON Feed.
    json_extension: dict[str, Any] = field(default_factory=dict)


def clean(text: str) -> str:
    """``text`` without the characters XML 1.0 forbids: lxml would refuse the whole feed (and
    one stray control character pasted from a word processor must not cost a site its feed)."""
    return _XML_INVALID.sub("", text)


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def newest(items: Sequence[FeedItem]) -> datetime:
    """The feed's ``updated``: its newest dated item's, or :data:`NO_DATE`."""
    return max((item.updated for item in items if item.published is not None), default=NO_DATE)


def _sub(parent: Any, tag: str, text: str | None = None, **attrib: str) -> Any:
    element = etree.SubElement(parent, tag, {k: clean(v) for k, v in attrib.items()})
    if text is not None:
        element.text = clean(text)
    return element


def _tx_extensions(parent: Any, item: FeedItem) -> None:
    _sub(parent, _TX + "type", item.type)
    if item.published is None:  # (its Atom updated is a placeholder: no date to read)
        _sub(parent, _TX + "undated", "true")
    if item.type == "announcements":
        _sub(parent, _TX + "pinned", "true" if item.pinned else "false")
    if item.expires:
        _sub(parent, _TX + "expires", item.expires)
    if item.series:
        _sub(parent, _TX + "series", str(item.series))
    if item.order is not None:
        _sub(parent, _TX + "order", str(item.order))


# --------------------------------------------------------------------------- Atom


def atom_head(head: FeedHead, items: Sequence[FeedItem]) -> Any:
    """The Atom ``<feed>`` element with everything but its entries."""
    feed = etree.Element(_A + "feed", nsmap={None: ATOM_NS, "tx": TONGXIN_NS})
    feed.set(_XML_LANG, head.language)
    _sub(feed, _A + "id", head.feed_url)
    _sub(feed, _A + "title", head.title, type="text")
    if head.description:
        _sub(feed, _A + "subtitle", head.description, type="text")
    _sub(feed, _A + "updated", iso(newest(items)))
    _sub(feed, _A + "link", rel="self", type="application/atom+xml", href=head.feed_url)
    _sub(feed, _A + "link", rel="alternate", type="text/html", href=head.alternate)
    author = _sub(feed, _A + "author")
    _sub(author, _A + "name", head.site_name)
    _sub(author, _A + "uri", head.site_url)
    _sub(feed, _A + "generator", "Tongxin", uri=GENERATOR_URI)
    return feed


def atom_entry(feed: Any, item: FeedItem) -> Any:
    """One ``<entry>``, appended to ``feed``. An element may later move to another feed of
    the same namespaces (it serialises as if built there)."""
    entry = _sub(feed, _A + "entry")
    if item.xml_lang:
        entry.set(_XML_LANG, item.xml_lang)
    _sub(entry, _A + "id", item.id)
    _sub(entry, _A + "title", item.title, type="text")
    if item.url:  # an entry without a link of its own (its only one was javascript:) has none
        _sub(entry, _A + "link", rel="alternate", type="text/html", href=item.url)
    for attached in item.attachments:
        link = _sub(entry, _A + "link", rel="enclosure", href=attached.url)
        if attached.type:
            link.set("type", clean(attached.type))
        if attached.length:
            link.set("length", str(attached.length))
        if attached.title:
            link.set("title", clean(attached.title))
    if item.published is not None:
        _sub(entry, _A + "published", iso(item.published))
    _sub(entry, _A + "updated", iso(item.updated))
    if item.author:
        _sub(_sub(entry, _A + "author"), _A + "name", item.author)
    type_attrib = {"term": item.type, "scheme": TYPE_SCHEME}
    if item.type_label is not None:
        type_attrib["label"] = item.type_label
    _sub(entry, _A + "category", **type_attrib)
    for tag in item.tags:
        _sub(entry, _A + "category", term=tag)
    if item.summary_html:
        _sub(entry, _A + "summary", item.summary_html, type="html")
    _sub(entry, _A + "content", item.content_html, type="html")
    if item.source is not None:
        _atom_source(entry, item.source)
    _tx_extensions(entry, item)
    return entry


def _atom_source(entry: Any, source: FeedSource) -> None:
    element = _sub(entry, _A + "source")
    _sub(element, _A + "id", source.id)
    _sub(element, _A + "title", source.title)
    if source.link:
        _sub(element, _A + "link", rel="alternate", type="text/html", href=source.link)
    if source.feed_url:
        _sub(element, _A + "link", rel="self", href=source.feed_url)


def atom_bytes(feed: Any) -> bytes:
    return etree.tostring(feed, xml_declaration=True, encoding="utf-8", pretty_print=True)


def atom_feed(head: FeedHead, items: Sequence[FeedItem]) -> bytes:
    """An Atom 1.0 document (RFC 4287) with full content."""
    feed = atom_head(head, items)
    for item in items:
        atom_entry(feed, item)
    return atom_bytes(feed)


# --------------------------------------------------------------------------- RSS


def rss_feed(head: FeedHead, items: Sequence[FeedItem]) -> bytes:
    """An RSS 2.0 document: summary as ``description``, full text as ``content:encoded``."""
    rss = etree.Element(
        "rss",
        {"version": "2.0"},
        nsmap={"atom": ATOM_NS, "content": CONTENT_NS, "dc": DC_NS, "tx": TONGXIN_NS},
    )
    channel = _sub(rss, "channel")
    _sub(channel, "title", head.site_name)
    _sub(channel, "link", head.site_url)
    _sub(channel, "description", head.description or head.site_name)
    _sub(channel, "language", head.language)
    if any(item.published is not None for item in items):  # (optional: no placeholder)
        _sub(channel, "lastBuildDate", format_datetime(newest(items)))
    _sub(channel, "generator", "Tongxin")
    _sub(channel, _A + "link", rel="self", type="application/rss+xml", href=head.feed_url)
    for item in items:
        _rss_item(channel, item)
    return etree.tostring(rss, xml_declaration=True, encoding="utf-8", pretty_print=True)


def _rss_item(channel: Any, item: FeedItem) -> None:
    element = _sub(channel, "item")
    _sub(element, "title", item.title)
    if item.url:
        _sub(element, "link", item.url)
    _sub(element, "guid", item.id, isPermaLink="true" if item.id == item.url else "false")
    if item.published is not None:
        _sub(element, "pubDate", format_datetime(item.published))
    if item.author:
        _sub(element, f"{{{DC_NS}}}creator", item.author)
    _sub(element, "category", item.type, domain=TYPE_SCHEME)
    for tag in item.tags:
        _sub(element, "category", tag)
    _sub(element, "description", item.summary_html or item.content_html)
    _sub(element, f"{{{CONTENT_NS}}}encoded", item.content_html)
    for attached in item.attachments:
        _sub(
            element,
            "enclosure",
            url=attached.url,
            length=str(attached.length),  # required; 0 when unknown, as the RSS board advises
            type=attached.type or "application/octet-stream",
        )
    source = item.source
    if source is not None and (source.feed_url or source.link):
        _sub(element, "source", source.title, url=source.feed_url or source.link)
    _tx_extensions(element, item)


# --------------------------------------------------------------------------- JSON Feed


def json_feed(head: FeedHead, items: Sequence[FeedItem]) -> bytes:
    """A JSON Feed 1.1 document (https://www.jsonfeed.org/version/1.1/)."""
    feed: dict[str, Any] = {
        "version": JSON_FEED_VERSION,
        "title": head.site_name,
        "home_page_url": head.site_url,
        "feed_url": head.feed_url,
    }
    if head.description:
        feed["description"] = head.description
    feed["language"] = head.language
    feed["authors"] = [{"name": head.site_name, "url": head.site_url}]
    feed["_tongxin"] = head.json_extension
    feed["items"] = [_json_item(item) for item in items]
    return (json.dumps(feed, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


def _json_item(item: FeedItem) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": item.id,
        "url": item.url,
        "title": item.title,
        "content_html": item.content_html,
    }
    if not item.url:
        del data["url"]  # optional in JSON Feed 1.1: none rather than ""
    if item.summary_text:
        data["summary"] = item.summary_text
    if item.published is not None:
        data["date_published"] = iso(item.published)
        data["date_modified"] = iso(item.updated)
    if item.author:
        data["authors"] = [{"name": item.author}]
    if item.tags:
        data["tags"] = list(item.tags)
    if item.language:
        data["language"] = item.language
    if item.attachments:
        data["attachments"] = [_json_attachment(a) for a in item.attachments]
    data["_tongxin"] = item.json_extension
    return data


def _json_attachment(attached: FeedAttachment) -> dict[str, Any]:
    data: dict[str, Any] = {
        "url": attached.url,
        "mime_type": attached.type or "application/octet-stream",
    }
    if attached.title:
        data["title"] = attached.title
    if attached.length:
        data["size_in_bytes"] = attached.length
    return data
