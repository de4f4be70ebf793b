"""Atom, RSS 2.0 and JSON Feed 1.1 for a branch site: what the portal aggregates.

Written in-process on ``finalized``, once every page is written (a build that failed before
publishes no feed):

- ``feeds/all.atom.xml``: every published article with its full content;
- ``feeds/{type}.atom.xml`` for news, announcements and study (always written, possibly empty,
  so a portal subscribed to one never meets a 404);
- ``feeds/all.rss.xml`` (RSS 2.0, summary in ``description``, full text in ``content:encoded``);
- ``feeds/all.json`` (JSON Feed 1.1).

Pages (about, contact) are not news and stay out of feeds; the JSON API lists them.
Every link and image inside the content is made absolute, since a feed is read away from
the site. Entry ids are ``article.entry_id``, the entry's absolute URL, which never changes
with the title, date or git history. Output is deterministic (feed ``updated`` is the newest
entry's, not the build time) and a file whose bytes are unchanged is not rewritten.

Tongxin metadata a generic feed format has no place for (type, pinned, expires, series,
order) travels in the :data:`TONGXIN_NS` namespace in Atom and RSS, and in a ``_tongxin``
object in JSON Feed. After writing, the module sends the :data:`feeds_written` signal with the
paths it wrote, so a later stage (``feed_signing``) runs after it whatever the plugin order.
"""

from __future__ import annotations

import json
import logging
import os
import re
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urljoin
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from blinker import signal
from lxml import etree
from pelican import signals
from pelican.contents import Page
from pelican.generators import ArticlesGenerator, PagesGenerator
from tongxin.plugins.build_state import BuildGenerators

from tongxin.i18n import normalise_language, translate
from tongxin.text import plain_text

logger = logging.getLogger(__name__)

#: Namespace of Tongxin's feed extension elements (Atom/RSS) and the ``about`` of ``_tongxin``.
#: A name, not a page: ``.example`` is reserved, so it can never be claimed by someone else.
TONGXIN_NS = "https://tongxin.example/ns/1.0"
#: ``scheme`` of the Atom category (``domain`` of the RSS category) that carries the type.
TYPE_SCHEME = TONGXIN_NS + "#type"
ATOM_NS = "http://www.w3.org/2005/Atom"
CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
DC_NS = "http://purl.org/dc/elements/1.1/"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
#: Types with their own feed; ``pages`` are not news.
FEED_TYPES = ("news", "announcements", "study")
#: ``updated`` of a feed with no entries: a constant keeps the output deterministic.
EMPTY_FEED_UPDATED = datetime(2000, 1, 1, tzinfo=UTC)

#: Sent as ``feeds_written.send(output_path, paths=[...])`` once every feed file is on disk.
feeds_written = signal("tongxin_feeds_written")

_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
# Clark-notation prefixes for lxml element names.
_A = f"{{{ATOM_NS}}}"
_TX = f"{{{TONGXIN_NS}}}"


@dataclass(frozen=True)
class Site:
    """The branch identity a feed names."""

    name: str
    url: str  # absolute, ending in "/"
    language: str
    description: str = ""


@dataclass(frozen=True)
class BranchEntry:
    """One published article or page, normalised once for every feed and the JSON API."""

    id: str
    url: str
    type: str
    slug: str
    title: str
    date: datetime
    modified: datetime
    #: False for an undated page: ``date``/``modified`` then hold a placeholder for sorting.
    dated: bool
    summary_html: str
    summary_text: str
    content_html: str
    tags: tuple[str, ...]
    author: str | None
    lang: str | None
    pinned: bool
    expires: date | None
    series: str | None
    order: int | None
    quiz: Any


# --------------------------------------------------------------------------- site and entries


def site_identity(settings: dict[str, Any]) -> Site:
    """The branch: ``TONGXIN_SITE`` (site.yaml), else SITENAME, SITEURL and DEFAULT_LANG.

    The URL is SITEURL when absolute: it is where this build is served (``tongxin build``
    sets it from site.yaml, the demo overrides it with a local address), else site.yaml's.
    """
    site = settings.get("TONGXIN_SITE") or {}
    url = str(settings.get("SITEURL") or "").strip()
    if not _ABSOLUTE.match(url):
        url = str(site.get("url") or "").strip()
    if not _ABSOLUTE.match(url):
        raise ValueError(f"feeds need an absolute site url (http/https), got {url!r}")
    return Site(
        name=str(site.get("name") or settings.get("SITENAME") or url),
        url=url.rstrip("/") + "/",
        language=normalise_language(site.get("language") or settings.get("DEFAULT_LANG")),
        description=str(site.get("description") or ""),
    )


def _timezone(settings: dict[str, Any]) -> Any:
    name = (settings.get("TONGXIN_SITE") or {}).get("timezone") or settings.get("TIMEZONE")
    try:
        return ZoneInfo(name or "Asia/Shanghai")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("Asia/Shanghai")


def _aware(value: Any, tz: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        result = value
    elif isinstance(value, date):
        result = datetime(value.year, value.month, value.day)
    else:
        return None
    # Pelican's SafeDatetime is a datetime subclass; normalise to a plain one.
    result = datetime(*result.timetuple()[:6], result.microsecond, tzinfo=result.tzinfo)
    return result if result.tzinfo else result.replace(tzinfo=tz)


def _as_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value.strip():
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    return None


def _as_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "yes", "1", "on")
    return bool(value)


def _as_int(value: Any) -> int | None:
    try:
        return None if value is None or value == "" else int(value)
    except (TypeError, ValueError):
        return None


_TAG = re.compile(r"<[a-zA-Z][^<>]*>")
_URL_ATTR = re.compile(
    r"""(?P<head>\s(?P<name>href|src|poster|cite|data|srcset)\s*=\s*)
        (?P<quote>["'])(?P<value>.*?)(?P=quote)""",
    re.X | re.S | re.I,
)
_ABSOLUTE = re.compile(r"^https?://", re.I)
_HAS_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def absolutize_html(html: str, base_url: str) -> str:
    """Make relative ``href``/``src``/``srcset`` values in ``html`` absolute against ``base_url``.

    A regex on attributes rather than a parse-and-serialise round trip: it leaves the HTML
    byte for byte as written elsewhere and is fast enough for thousands of entries.
    """
    if not html:
        return html

    def join(value: str) -> str:
        value = value.strip()
        if not value or _HAS_SCHEME.match(value):
            return value
        return urljoin(base_url, value)

    def replace(match: re.Match[str]) -> str:
        value = match["value"]
        if match["name"].lower() == "srcset":
            parts = []
            for candidate in value.split(","):
                bits = candidate.strip().split(None, 1)
                if bits:
                    parts.append(" ".join([join(bits[0]), *bits[1:]]))
            new = ", ".join(parts)
        else:
            new = join(value)
        return f"{match['head']}{match['quote']}{new}{match['quote']}"

    # Tags first, then their attributes: text that merely looks like href="…" is left alone.
    return _TAG.sub(lambda tag: _URL_ATTR.sub(replace, tag[0]), html)


def _absolute_url(site: Site, url: str) -> str:
    # Non-ASCII slugs are kept as UTF-8 in Pelican's url; a link must be percent-encoded.
    return urljoin(site.url, quote(url, safe="/%#?=&~:+@!$,;"))


def _content_type(item: Any) -> str:
    kind = getattr(item, "type", None) or getattr(item, "metadata", {}).get("type")
    if not kind and isinstance(item, Page):
        kind = "pages"
    if not kind:
        category = getattr(item, "category", None)
        kind = getattr(category, "slug", None) or (str(category) if category else "news")
    return str(kind)


_entry_cache: weakref.WeakKeyDictionary[Any, tuple[str, BranchEntry]] = weakref.WeakKeyDictionary()


def branch_entry(item: Any, site: Site, settings: dict[str, Any]) -> BranchEntry:
    """Normalise one Pelican Article/Page (attributes as docs/internals.md promises).

    Cached per content object, so the feeds and the JSON API share one conversion.
    """
    cached = _entry_cache.get(item)
    if cached and cached[0] == site.url:
        return cached[1]
    tz = _timezone(settings)
    kind = _content_type(item)
    url = _absolute_url(site, item.url)
    entry_id = getattr(item, "entry_id", None) or url
    published = _aware(getattr(item, "date", None), tz)
    dated = published is not None
    published = published or EMPTY_FEED_UPDATED
    modified = _aware(getattr(item, "modified", None), tz) or published
    metadata = getattr(item, "metadata", {})
    summary_html = absolutize_html(_clean(item.summary or ""), url)
    content_html = absolutize_html(_clean(item.get_content(site.url.rstrip("/")) or ""), url)
    author = getattr(item, "author", None)
    entry = BranchEntry(
        id=entry_id,
        url=url,
        type=kind,
        slug=str(item.slug),
        title=_clean(str(item.title)),
        date=published,
        modified=max(modified, published),
        dated=dated,
        summary_html=summary_html,
        summary_text=plain_text(summary_html),
        content_html=content_html,
        tags=tuple(str(tag) for tag in (getattr(item, "tags", None) or ())),
        author=str(author) if author else None,
        lang=metadata.get("lang"),
        pinned=_as_bool(getattr(item, "pinned", metadata.get("pinned", False))),
        expires=_as_date(getattr(item, "expires", metadata.get("expires"))),
        series=getattr(item, "series", metadata.get("series")) or None,
        order=_as_int(getattr(item, "order", metadata.get("order"))),
        quiz=getattr(item, "quiz", metadata.get("quiz")) or None,
    )
    _entry_cache[item] = (site.url, entry)
    return entry


def _clean(text: str) -> str:
    # Characters XML 1.0 forbids would make lxml refuse the whole feed (and one stray
    # control character pasted from a word processor must not cost a branch its feed).
    return _XML_INVALID.sub("", text)


def newest_first(entries: Iterable[BranchEntry]) -> list[BranchEntry]:
    """Newest first; the id breaks ties so the order never depends on file-system order."""
    return sorted(entries, key=lambda e: (e.date, e.id), reverse=True)


def collect_entries(
    generators: Sequence[Any], settings: dict[str, Any], *, include_pages: bool
) -> list[BranchEntry]:
    """Every published article (and page, when asked) of a build, newest first."""
    site = site_identity(settings)
    items: list[Any] = []
    for generator in generators:
        if isinstance(generator, ArticlesGenerator):
            items.extend(generator.articles)
        elif include_pages and isinstance(generator, PagesGenerator):
            items.extend(generator.pages)
    return newest_first(branch_entry(item, site, settings) for item in items)


def type_label(kind: str, language: str) -> str:
    """The type's name in the site language (要闻, 通知公告 …); the key itself if unknown."""
    label = translate(language, f"feeds.type.{kind}")
    return kind if label == f"feeds.type.{kind}" else label


# --------------------------------------------------------------------------- writing


def write_if_changed(path: Path, data: bytes, folders: set[Path] | None = None) -> bool:
    """Write ``data`` unless the file already holds exactly it; True when written.

    Skipping identical files keeps a no-change rebuild cheap and leaves mtimes (and so HTTP
    Last-Modified/ETag on the branch's web server) alone, which saves portals' bandwidth.
    Written through a temporary file and a rename so a reader never sees half a feed.
    ``folders`` (kept by a caller writing many files) remembers the folders known to exist.
    """
    temporary = stage_if_changed(path, data, folders)
    if temporary is None:
        return False
    os.replace(temporary, path)
    return True


def stage_if_changed(path: Path, data: bytes, folders: set[Path] | None = None) -> Path | None:
    """Write ``data`` to a temporary file beside ``path`` and return it, or return None when
    ``path`` already holds exactly ``data``. Renaming the temporary file publishes it."""
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return None
    except FileNotFoundError:
        pass
    if folders is None or path.parent not in folders:
        path.parent.mkdir(parents=True, exist_ok=True)
        if folders is not None:
            folders.add(path.parent)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(data)
    return temporary


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attrib: str) -> Any:
    element = etree.SubElement(parent, tag, {k: _clean(v) for k, v in attrib.items()})
    if text is not None:
        element.text = _clean(text)
    return element


def _tx_extensions(parent: etree._Element, entry: BranchEntry) -> None:
    tx = _TX
    _sub(parent, tx + "type", entry.type)
    if entry.type == "announcements":
        _sub(parent, tx + "pinned", "true" if entry.pinned else "false")
    if entry.expires:
        _sub(parent, tx + "expires", entry.expires.isoformat())
    if entry.series:
        _sub(parent, tx + "series", str(entry.series))
    if entry.order is not None:
        _sub(parent, tx + "order", str(entry.order))


def atom_feed(
    site: Site, entries: Sequence[BranchEntry], feed_url: str, title: str, alternate: str
) -> bytes:
    """An Atom 1.0 document (RFC 4287) with full content."""
    feed = _atom_head(site, entries, feed_url, title, alternate)
    for entry in entries:
        _atom_entry(feed, site, entry)
    return _atom_bytes(feed)


def _atom_bytes(feed: etree._Element) -> bytes:
    return etree.tostring(feed, xml_declaration=True, encoding="utf-8", pretty_print=True)


def _atom_head(
    site: Site, entries: Sequence[BranchEntry], feed_url: str, title: str, alternate: str
) -> etree._Element:
    """The ``<feed>`` element with everything but its entries."""
    a = _A
    feed = etree.Element(a + "feed", nsmap={None: ATOM_NS, "tx": TONGXIN_NS})
    feed.set(_XML_LANG, site.language)
    _sub(feed, a + "id", feed_url)
    _sub(feed, a + "title", title, type="text")
    if site.description:
        _sub(feed, a + "subtitle", site.description, type="text")
    updated = max((e.modified for e in entries), default=EMPTY_FEED_UPDATED)
    _sub(feed, a + "updated", _iso(updated))
    _sub(feed, a + "link", rel="self", type="application/atom+xml", href=feed_url)
    _sub(feed, a + "link", rel="alternate", type="text/html", href=alternate)
    author = _sub(feed, a + "author")
    _sub(author, a + "name", site.name)
    _sub(author, a + "uri", site.url)
    _sub(feed, a + "generator", "Tongxin", uri="https://pypi.org/project/tongxin/")
    return feed


def _atom_entry(feed: etree._Element, site: Site, entry: BranchEntry) -> etree._Element:
    """One ``<entry>``, appended to ``feed``."""
    a = _A
    item = _sub(feed, a + "entry")
    if entry.lang and normalise_language(entry.lang) != site.language:
        item.set(_XML_LANG, entry.lang)
    _sub(item, a + "id", entry.id)
    _sub(item, a + "title", entry.title, type="text")
    _sub(item, a + "link", rel="alternate", type="text/html", href=entry.url)
    _sub(item, a + "published", _iso(entry.date))
    _sub(item, a + "updated", _iso(entry.modified))
    if entry.author:
        _sub(_sub(item, a + "author"), a + "name", entry.author)
    _sub(
        item,
        a + "category",
        term=entry.type,
        scheme=TYPE_SCHEME,
        label=type_label(entry.type, site.language),
    )
    for tag in entry.tags:
        _sub(item, a + "category", term=tag)
    if entry.summary_html:
        _sub(item, a + "summary", entry.summary_html, type="html")
    _sub(item, a + "content", entry.content_html, type="html")
    _tx_extensions(item, entry)
    return item


def rss_feed(site: Site, entries: Sequence[BranchEntry], feed_url: str) -> bytes:
    """An RSS 2.0 document: summary as ``description``, full text as ``content:encoded``."""
    rss = etree.Element(
        "rss",
        {"version": "2.0"},
        nsmap={"atom": ATOM_NS, "content": CONTENT_NS, "dc": DC_NS, "tx": TONGXIN_NS},
    )
    channel = _sub(rss, "channel")
    _sub(channel, "title", site.name)
    _sub(channel, "link", site.url)
    _sub(channel, "description", site.description or site.name)
    _sub(channel, "language", site.language)
    updated = max((e.modified for e in entries), default=EMPTY_FEED_UPDATED)
    _sub(channel, "lastBuildDate", format_datetime(updated))
    _sub(channel, "generator", "Tongxin")
    _sub(channel, _A + "link", rel="self", type="application/rss+xml", href=feed_url)
    for entry in entries:
        item = _sub(channel, "item")
        _sub(item, "title", entry.title)
        _sub(item, "link", entry.url)
        _sub(item, "guid", entry.id, isPermaLink="true" if entry.id == entry.url else "false")
        _sub(item, "pubDate", format_datetime(entry.date))
        if entry.author:
            _sub(item, f"{{{DC_NS}}}creator", entry.author)
        _sub(item, "category", entry.type, domain=TYPE_SCHEME)
        for tag in entry.tags:
            _sub(item, "category", tag)
        _sub(item, "description", entry.summary_html or entry.content_html)
        _sub(item, f"{{{CONTENT_NS}}}encoded", entry.content_html)
        _tx_extensions(item, entry)
    return etree.tostring(rss, xml_declaration=True, encoding="utf-8", pretty_print=True)


def _tongxin_item(entry: BranchEntry) -> dict[str, Any]:
    return {
        "type": entry.type,
        "pinned": entry.pinned,
        "expires": entry.expires.isoformat() if entry.expires else None,
        "series": entry.series,
        "order": entry.order,
    }


def json_feed(site: Site, entries: Sequence[BranchEntry], feed_url: str) -> bytes:
    """A JSON Feed 1.1 document (https://www.jsonfeed.org/version/1.1/)."""
    feed: dict[str, Any] = {
        "version": JSON_FEED_VERSION,
        "title": site.name,
        "home_page_url": site.url,
        "feed_url": feed_url,
    }
    if site.description:
        feed["description"] = site.description
    feed["language"] = site.language
    feed["authors"] = [{"name": site.name, "url": site.url}]
    feed["_tongxin"] = {
        "about": TONGXIN_NS,
        "site": {"name": site.name, "url": site.url, "language": site.language},
    }
    items = []
    for entry in entries:
        item: dict[str, Any] = {
            "id": entry.id,
            "url": entry.url,
            "title": entry.title,
            "content_html": entry.content_html,
        }
        if entry.summary_text:
            item["summary"] = entry.summary_text
        item["date_published"] = _iso(entry.date)
        item["date_modified"] = _iso(entry.modified)
        if entry.author:
            item["authors"] = [{"name": entry.author}]
        if entry.tags:
            item["tags"] = list(entry.tags)
        if entry.lang:
            item["language"] = entry.lang
        item["_tongxin"] = _tongxin_item(entry)
        items.append(item)
    feed["items"] = items
    return (json.dumps(feed, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


def write_feeds(
    output_path: str | os.PathLike[str],
    site: Site,
    entries: Sequence[BranchEntry],
    max_items: int | None = None,
) -> list[Path]:
    """Write every feed file under ``output_path``; return their paths (written or unchanged).

    Each file whose bytes changed is replaced atomically (:func:`write_if_changed`).
    """
    out = Path(output_path)
    entries = newest_first(e for e in entries if e.type != "pages")
    if max_items:
        entries = entries[:max_items]
    paths: list[Path] = []

    def put(relative: str, data: bytes) -> None:
        path = out / relative
        write_if_changed(path, data)
        paths.append(path)

    all_url = site.url + "feeds/all.atom.xml"
    everything = _atom_head(site, entries, all_url, site.name, site.url)
    elements = [_atom_entry(everything, site, entry) for entry in entries]
    put("feeds/all.atom.xml", _atom_bytes(everything))
    kinds = sorted(set(FEED_TYPES) | {e.type for e in entries})
    for kind in kinds:
        url = f"{site.url}feeds/{kind}.atom.xml"
        title = translate(
            site.language,
            "feeds.type_feed_title",
            site=site.name,
            type=type_label(kind, site.language),
        )
        of_kind = [e for e in entries if e.type == kind]
        feed = _atom_head(site, of_kind, url, title, f"{site.url}{kind}/")
        # Each entry has one type: its element, built once for all.atom.xml, moves here
        # (same namespaces, so it serialises as if built in place).
        for entry, element in zip(entries, elements, strict=True):
            if entry.type == kind:
                feed.append(element)
        put(f"feeds/{kind}.atom.xml", _atom_bytes(feed))
    put("feeds/all.rss.xml", rss_feed(site, entries, site.url + "feeds/all.rss.xml"))
    put("feeds/all.json", json_feed(site, entries, site.url + "feeds/all.json"))
    return paths


# --------------------------------------------------------------------------- Pelican wiring

_generators = BuildGenerators()


def write_after_build(pelican: Any) -> None:
    """On ``finalized`` (every page written): write the feeds, then send ``feeds_written``."""
    settings = pelican.settings
    site = site_identity(settings)
    entries = collect_entries(_generators.take(), settings, include_pages=False)
    paths = write_feeds(pelican.output_path, site, entries, settings.get("TONGXIN_FEED_MAX_ITEMS"))
    logger.debug("tongxin feeds: %d entries, %d files", len(entries), len(paths))
    feeds_written.send(pelican.output_path, paths=paths, settings=settings)


def register() -> None:
    _generators.connect()
    signals.finalized.connect(write_after_build)
