"""Atom, RSS 2.0 and JSON Feed 1.1 for a branch site: what the portal aggregates.

Made in the child beside the page writing (with the JSON API and the search index,
:data:`~tongxin.plugins.build_state.beside_pages`), staged beside their targets there, and
published on ``finalized``, once every page is written (a build that failed before publishes
no feed).

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

import datetime as dt
import logging
import os
import re
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urljoin

from blinker import signal
from pelican import signals
from pelican.contents import Page
from pelican.generators import ArticlesGenerator, PagesGenerator
from tongxin.plugins.build_state import beside_pages, previewing

from tongxin import feedwriter
from tongxin.config.content import ARTICLE_TYPES
from tongxin.feedwriter import (
    NO_DATE,
    TONGXIN_NS,
    FeedHead,
    FeedItem,
    clean,
)
from tongxin.i18n import normalise_language, translate
from tongxin.text import plain_text
from tongxin.zones import site_zone

logger = logging.getLogger(__name__)

#: Types with their own feed; ``pages`` are not news.
FEED_TYPES = ARTICLE_TYPES
#: ``updated`` of a feed with no entries: a constant keeps the output deterministic.
EMPTY_FEED_UPDATED = NO_DATE

#: Sent as ``feeds_written.send(output_path, paths=[...])`` once every feed file is on disk.
feeds_written = signal("tongxin_feeds_written")


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
    expires: dt.date | None
    series: str | None
    order: int | None
    quiz: Any
    #: when the entry's file was first committed (git), if known: api/ publishes it
    first_commit: datetime | None = None


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
    tz = site_zone(settings)
    kind = _content_type(item)
    url = _absolute_url(site, item.url)
    entry_id = getattr(item, "entry_id", None) or url
    published = _aware(getattr(item, "date", None), tz)
    dated = published is not None
    published = published or EMPTY_FEED_UPDATED
    modified = _aware(getattr(item, "modified", None), tz) or published
    metadata = getattr(item, "metadata", {})
    summary_html = absolutize_html(clean(item.summary or ""), url)
    content_html = absolutize_html(clean(item.get_content(site.url.rstrip("/")) or ""), url)
    author = getattr(item, "author", None)
    entry = BranchEntry(
        id=entry_id,
        url=url,
        type=kind,
        slug=str(item.slug),
        title=clean(str(item.title)),
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
        first_commit=getattr(item, "first_commit", None),
    )
    _entry_cache[item] = (site.url, entry)
    return entry


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


def _head(site: Site, feed_url: str, title: str, alternate: str) -> FeedHead:
    return FeedHead(
        title=title,
        site_name=site.name,
        site_url=site.url,
        language=site.language,
        feed_url=feed_url,
        alternate=alternate,
        description=site.description,
        json_extension={
            "about": TONGXIN_NS,
            "site": {"name": site.name, "url": site.url, "language": site.language},
        },
    )


def feed_item(entry: BranchEntry, site: Site) -> FeedItem:
    """One entry as the feed writer (:mod:`tongxin.feedwriter`) takes it."""
    expires = entry.expires.isoformat() if entry.expires else None
    differs = entry.lang and normalise_language(entry.lang) != site.language
    return FeedItem(
        id=entry.id,
        url=entry.url,
        title=entry.title,
        published=entry.date,
        updated=entry.modified,
        type=entry.type,
        content_html=entry.content_html,
        summary_html=entry.summary_html,
        summary_text=entry.summary_text,
        tags=entry.tags,
        author=entry.author,
        type_label=type_label(entry.type, site.language),
        xml_lang=entry.lang if differs else None,
        language=entry.lang,
        pinned=entry.pinned,
        expires=expires,
        series=entry.series,
        order=entry.order,
        json_extension={
            "type": entry.type,
            "pinned": entry.pinned,
            "expires": expires,
            "series": entry.series,
            "order": entry.order,
        },
    )


def atom_feed(
    site: Site, entries: Sequence[BranchEntry], feed_url: str, title: str, alternate: str
) -> bytes:
    """An Atom 1.0 document (RFC 4287) with full content."""
    items = [feed_item(e, site) for e in entries]
    return feedwriter.atom_feed(_head(site, feed_url, title, alternate), items)


def rss_feed(site: Site, entries: Sequence[BranchEntry], feed_url: str) -> bytes:
    """An RSS 2.0 document: summary as ``description``, full text as ``content:encoded``."""
    items = [feed_item(e, site) for e in entries]
    return feedwriter.rss_feed(_head(site, feed_url, site.name, site.url), items)


def json_feed(site: Site, entries: Sequence[BranchEntry], feed_url: str) -> bytes:
    """A JSON Feed 1.1 document (https://www.jsonfeed.org/version/1.1/)."""
    items = [feed_item(e, site) for e in entries]
    return feedwriter.json_feed(_head(site, feed_url, site.name, site.url), items)


def feed_files(
    site: Site, entries: Sequence[BranchEntry], max_items: int | None = None
) -> dict[str, bytes]:
    """Every feed file's bytes, by path relative to the output."""
    entries = newest_first(e for e in entries if e.type != "pages")
    if max_items:
        entries = entries[:max_items]
    files: dict[str, bytes] = {}
    items = [feed_item(e, site) for e in entries]
    all_url = site.url + "feeds/all.atom.xml"
    everything = feedwriter.atom_head(_head(site, all_url, site.name, site.url), items)
    elements = [feedwriter.atom_entry(everything, item) for item in items]
    files["feeds/all.atom.xml"] = feedwriter.atom_bytes(everything)
    for kind in sorted(set(FEED_TYPES) | {e.type for e in entries}):
        url = f"{site.url}feeds/{kind}.atom.xml"
        title = translate(
            site.language,
            "feeds.type_feed_title",
            site=site.name,
            type=type_label(kind, site.language),
        )
        of_kind = [item for item in items if item.type == kind]
        feed = feedwriter.atom_head(_head(site, url, title, f"{site.url}{kind}/"), of_kind)
        # Each entry has one type: its element, built once for all.atom.xml, moves here.
        for item, element in zip(items, elements, strict=True):
            if item.type == kind:
                feed.append(element)
        files[f"feeds/{kind}.atom.xml"] = feedwriter.atom_bytes(feed)
    rss_head = _head(site, site.url + "feeds/all.rss.xml", site.name, site.url)
    files["feeds/all.rss.xml"] = feedwriter.rss_feed(rss_head, items)
    json_head = _head(site, site.url + "feeds/all.json", site.name, site.url)
    files["feeds/all.json"] = feedwriter.json_feed(json_head, items)
    return files


def write_feeds(
    output_path: str | os.PathLike[str],
    site: Site,
    entries: Sequence[BranchEntry],
    max_items: int | None = None,
) -> list[Path]:
    """Write every feed file under ``output_path``; return their paths (written or unchanged).

    Each file whose bytes changed is replaced atomically (:func:`write_if_changed`).
    """
    return publish(output_path, feed_files(site, entries, max_items))


def publish(output_path: str | os.PathLike[str], files: dict[str, bytes]) -> list[Path]:
    """Write ``files`` (relative path → bytes) where their bytes changed; their paths."""
    paths = []
    for relative, data in files.items():
        path = Path(output_path) / relative
        write_if_changed(path, data)
        paths.append(path)
    return paths


# --------------------------------------------------------------------------- Pelican wiring


def queue_feeds(generators: Any) -> None:
    """On ``all_generators_finalized``: the feeds are a job beside the page writing
    (:data:`~tongxin.plugins.build_state.beside_pages`, after the API job, whose entries it
    reuses), staged there and published on ``finalized``."""
    generators = list(generators)
    if generators and not previewing(generators[0].settings):
        first = generators[0]
        beside_pages.add("feeds", stage_feeds, first.output_path, generators, first.settings)


def branch_feed_files(generators: list[Any], settings: dict[str, Any]) -> dict[str, bytes]:
    """The feed files of a build (relative path → bytes)."""
    entries = collect_entries(generators, settings, include_pages=False)
    return feed_files(site_identity(settings), entries, settings.get("TONGXIN_FEED_MAX_ITEMS"))


def stage_feeds(
    output_path: str, generators: list[Any], settings: dict[str, Any]
) -> list[tuple[Path, Path | None]]:
    """Each feed file with its staged new version (None: its bytes are unchanged)."""
    staged = []
    for relative, data in branch_feed_files(generators, settings).items():
        path = Path(output_path) / relative
        staged.append((path, stage_if_changed(path, data)))
    return staged


def write_after_build(pelican: Any) -> None:
    """On ``finalized`` (every page written): publish the feeds, then send ``feeds_written``."""
    staged = beside_pages.result("feeds")
    if staged is None:
        return
    for path, temporary in staged:
        if temporary is not None:
            os.replace(temporary, path)
    paths = [path for path, _temporary in staged]
    feeds_written.send(pelican.output_path, paths=paths, settings=pelican.settings)
    logger.debug("tongxin feeds: %d files", len(paths))


def register() -> None:
    beside_pages.connect()
    signals.all_generators_finalized.connect(queue_feeds)
    signals.finalized.connect(write_after_build)
