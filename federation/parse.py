"""Turn a fetched feed body into normalised :class:`Entry` objects, whatever its format.

A fast path reads well-formed Atom 1.0, RSS 2.0 and RSS 1.0 (RDF) with lxml and JSON Feed
1.0/1.1 with :mod:`json`; anything else (RSS 0.9x, Atom 0.3, broken XML, wrong encodings) goes
to feedparser, which is slower but forgiving. Nothing here trusts the feed: the XML parser
loads no DTD, resolves no entity and touches no network, and a document that declares entities
at all (XXE, "billion laughs") is refused before any parser sees it. HTML is passed on raw:
the sanitise stage cleans it.

Tongxin's own metadata (type, pinned, expires) is read from the namespace that branch feeds
(``plugins/feeds.py``) and portal feeds (``federation/portal_feeds.py``) write, and Atom
``<source>`` (or JSON Feed ``_tongxin.source``, RSS ``<source url>``) becomes the entry's
``origin_*``, so a portal of portals keeps every entry attributed to its original branch.
"""

from __future__ import annotations

import html
import io
import json
import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any
from urllib.parse import urljoin

import feedparser
from lxml import etree

from tongxin.config import CONTENT_TYPES
from tongxin.i18n import translate

from . import attachments, repair
from .encoding import fix_encoding as _fix_encoding
from .entrybuilder import PLAIN_HTTP_RE as _PLAIN_HTTP_RE
from .entrybuilder import EntryBuilder
from .feedtext import atom_text, escaped_once, person_name, rss_html
from .model import Branch, Entry, ParsedFeed
from .repeatedids import split_repeated_ids
from .scope import drop_own_entries
from .webpage import html_error, is_web_page

TONGXIN_NS = "https://tongxin.example/ns/1.0"  # as plugins/feeds.py writes it
TYPE_SCHEME = TONGXIN_NS + "#type"
ATOM_NS = "http://www.w3.org/2005/Atom"
RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RSS1_NS = "http://purl.org/rss/1.0/"
CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
DC_NS = "http://purl.org/dc/elements/1.1/"
XHTML_NS = "http://www.w3.org/1999/xhtml"
ENTRY_TYPES = CONTENT_TYPES  # the one list (tongxin.settings)
#: A feed is read up to this many entries; the rest are a mistake or an attack.
MAX_ENTRIES = 5000

_A = f"{{{ATOM_NS}}}"
_LINK = _A + "link"
_CATEGORY = _A + "category"
_AUTHOR = _A + "author"
_TX = f"{{{TONGXIN_NS}}}"
_R1 = f"{{{RSS1_NS}}}"
_DC = f"{{{DC_NS}}}"
_CONTENT_ENCODED = f"{{{CONTENT_NS}}}encoded"
_OLD_BODIES = (f"{{{XHTML_NS}}}body", "body", "fullitem")  # xhtml:body (Radio), CDF
_DCT = "{http://purl.org/dc/terms/}"
_DCT_ISSUED, _DCT_CREATED, _DCT_MODIFIED = _DCT + "issued", _DCT + "created", _DCT + "modified"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_RDF_ABOUT = f"{{{RDF_NS}}}about"
# The names looked up on every entry, spelled once (not concatenated 11 times an entry).
_A_ID, _A_TITLE, _A_SUMMARY, _A_CONTENT = _A + "id", _A + "title", _A + "summary", _A + "content"
_A_PUBLISHED, _A_UPDATED, _A_SOURCE = _A + "published", _A + "updated", _A + "source"
_AUTHOR_NAME = f"{_A}author/{_A}name"
_TX_TYPE, _TX_PINNED, _TX_EXPIRES = _TX + "type", _TX + "pinned", _TX + "expires"


class ParseError(Exception):
    """The body is not a feed we can read; the message says why, for the health page."""


def secure_parser() -> etree.XMLParser:
    """An XML parser for what strangers send (feeds, OPML), inert by construction: no DTD
    loading, no entity substitution, no network, no huge trees."""
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
        remove_comments=True, remove_pis=True, recover=False,
    )  # fmt: skip


_ENTITY_MARKERS = (b"<!ENTITY", "<!ENTITY".encode("utf-16-le"), "<!ENTITY".encode("utf-16-be"))


# --------------------------------------------------------------------------- values


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value or "").strip().lower() in ("true", "1", "yes")


def _text(element: etree._Element | None) -> str:
    """The element's text without XML's white space around it (str.strip would also take a
    trailing U+0085, the "…" of a Windows-1252 feed labelled Latin-1)."""
    if element is None:
        return ""
    if not len(element):  # a leaf, as nearly every feed element is: no need to walk it
        return (element.text or "").strip(_XML_SPACE)
    return "".join(element.itertext()).strip(_XML_SPACE)


_XML_SPACE = " \t\r\n"


def _absolute(link: str, base: str) -> str:
    link = (link or "").strip()
    if not link:
        return ""
    if _PLAIN_HTTP_RE.fullmatch(link):
        return link
    try:
        return urljoin(base, link) if base else link
    except ValueError:
        return link


# --------------------------------------------------------------------------- Atom 1.0


def _atom_link(element: etree._Element, rel: str = "alternate") -> str:
    return _first_link(element.iterfind(_A + "link"), rel)


def _first_link(links: Iterable[etree._Element], rel: str = "alternate") -> str:
    for link in links:
        href = link.get("href")
        if link.get("rel", "alternate") == rel and href:
            if _PLAIN_HTTP_RE.fullmatch(href):
                return href  # absolute: no need to work out the xml:base (a walk up the tree)
            return _absolute(href, link.base or "")
    return ""


_OTHER_SCHEME_RE = re.compile(r"(?!https?:)[A-Za-z][A-Za-z0-9+.-]*:", re.I)  # tag:, urn:


def _atom_id(element: etree._Element | None) -> str:
    """An Atom id as feedparser reads it: a relative one resolved by the one URL rule (the
    ``xml:base`` in force, else the feed's address), so an entry keeps its identity whichever
    path parses its feed."""
    text = _text(element)
    if not text or element is None or _OTHER_SCHEME_RE.match(text):
        return text
    if _PLAIN_HTTP_RE.fullmatch(text):
        return text
    return _absolute(text, element.base or "")


def _atom_source(item: etree._Element) -> dict[str, str] | None:
    source = item.find(_A + "source")
    if source is None:
        return None
    origin = {
        "id": _text(source.find(_A + "id")),
        "title": _text(source.find(_A + "title")),
        "link": _atom_link(source),
        "feed": _atom_link(source, "self"),
    }
    if not origin["id"]:
        origin["id"] = origin["feed"] or origin["link"]
    return origin if origin["id"] else None


def _parse_atom(root: etree._Element, branch: Branch, url: str, now: datetime | None) -> ParsedFeed:
    site = _atom_link(root)
    feed = ParsedFeed(title=_text(root.find(_A + "title")), link=site, format="atom", fetched=now)
    build = EntryBuilder(branch, url, site, feed, root.get(_XML_LANG))
    has_base = bool(root.xpath("boolean(//@xml:base)"))
    feed_author = _text(root.find(f"{_A}author/{_A}name"))
    for item in root.iterfind(_A + "entry"):
        if len(feed.entries) >= MAX_ENTRIES:
            _note_too_many(feed)
            break
        # One walk over the entry's children instead of a find() (itself a walk) per field;
        # like find(), the first element of each name counts.
        first: dict[Any, etree._Element] = {}
        links: list[etree._Element] = []
        categories: list[tuple[str, str | None]] = []
        for child in item:
            tag = child.tag
            if tag == _LINK:
                links.append(child)
            elif tag == _CATEGORY:
                categories.append((child.get("term", ""), child.get("scheme")))
            elif tag not in first:
                first[tag] = child
        author = ""
        if _AUTHOR in first:
            author = _text(item.find(_AUTHOR_NAME))
        # a portal's entry its branch gave no date: Atom's required updated is a placeholder
        undated = _bool(_text(first.get(_TX + "undated")))
        feed.entries.append(
            build.entry(
                entry_id=_atom_id(first.get(_A_ID)),
                link=_first_link(links),
                title=atom_text(first.get(_A_TITLE)),
                summary=atom_text(first.get(_A_SUMMARY)),
                content=atom_text(first.get(_A_CONTENT)),
                published=None
                if undated
                else build.date(_text(first.get(_A_PUBLISHED)) or _text(first.get(_DCT_ISSUED))),
                updated=None
                if undated
                else build.date(_text(first.get(_A_UPDATED)) or _text(first.get(_DCT_MODIFIED))),
                categories=categories,
                explicit_type=_text(first.get(_TX_TYPE)) or None,
                author=author or feed_author,
                pinned=_bool(_text(first.get(_TX_PINNED))),
                expires=build.date(_text(first.get(_TX_EXPIRES))),
                origin=_atom_source(item) if _A_SOURCE in first else None,
                attachments=attachments.from_atom(links, item),
                base=_content_base(first, url) if has_base else "",
                language=item.get(_XML_LANG),
            )
        )
    return feed


def _content_base(first: dict[Any, etree._Element], url: str) -> str:
    """The ``xml:base`` in force on an Atom entry's content (or summary); "" when it is only
    the document's address (then the entry's link is the base, as for every format)."""
    element = first.get(_A_CONTENT)
    element = element if element is not None else first.get(_A_SUMMARY)
    base = element.base if element is not None else None
    return base if base and base != url else ""


# --------------------------------------------------------------------------- RSS 2.0 / 1.0


def _rss_item(build: EntryBuilder, item: etree._Element, ns: str, base: str) -> Entry:
    link_element = item.find(ns + "link")
    link = _absolute(_text(link_element), item.base or base)
    if not link and link_element is not None:
        link = _first_link(item.iterfind(ns + "link"))  # Atom-style <link href> in RSS
    guid_element = item.find(ns + "guid")
    guid = _text(guid_element) or item.get(_RDF_ABOUT, "")
    if guid_element is not None and guid and _permalink(guid_element):
        # A permalink guid, even a relative one, is an address: resolved as feedparser does,
        # so the entry keeps its id on either path; it is the entry's link if it has none.
        guid = _absolute(guid, guid_element.base or base)
        if not link and _PLAIN_HTTP_RE.fullmatch(guid):
            link = guid
    categories: list[tuple[str, str | None]] = [
        (_text(c), c.get("domain")) for c in item.iterfind(ns + "category")
    ]
    categories += [(_text(s), None) for s in item.iterfind(_DC + "subject")]
    description = rss_html(item.find(ns + "description"))
    encoded = rss_html(item.find(_CONTENT_ENCODED))
    if not encoded:  # older full-content elements feedparser also reads
        for name in _OLD_BODIES:
            encoded = rss_html(item.find(name))
            if encoded:
                break
    author = _text(item.find(_DC + "creator")) or person_name(_text(item.find(ns + "author")))
    source = item.find(ns + "source")
    origin = None
    if source is not None and source.get("url"):
        origin = {
            "id": source.get("url", ""),
            "title": _text(source),
            "feed": source.get("url", ""),
        }
    moment = build.date(
        _text(item.find(ns + "pubDate"))
        or _text(item.find(_DC + "date"))
        or _text(item.find(_DCT_ISSUED))
        or _text(item.find(_DCT_CREATED))
        or _text(item.find(ns + "published"))
        or _text(item.find(ns + "updated"))
    )
    changed = build.date(_text(item.find(_DCT_MODIFIED)))
    return build.entry(
        entry_id=guid,
        link=link,
        title=_text(item.find(ns + "title")) or _text(item.find(_DC + "title")),
        summary=description,
        content=encoded,
        published=moment,
        updated=changed or moment,
        categories=categories,
        explicit_type=_text(item.find(_TX + "type")) or None,
        author=author,
        pinned=_bool(_text(item.find(_TX + "pinned"))),
        expires=build.date(_text(item.find(_TX + "expires"))),
        origin=origin,
        attachments=attachments.from_rss(item, ns, item.base or base),
    )


def _permalink(guid: etree._Element) -> bool:
    return (guid.get("isPermaLink") or "true").strip().lower() != "false"


def _parse_rss(
    root: etree._Element, branch: Branch, url: str, ns: str, fmt: str, now: datetime | None
) -> ParsedFeed:
    channel = root.find(ns + "channel")
    if channel is None:
        raise ParseError("RSS without <channel>")
    site = _absolute(_text(channel.find(ns + "link")), url)
    feed = ParsedFeed(title=_text(channel.find(ns + "title")), link=site, format=fmt, fetched=now)
    language = _text(channel.find(ns + "language")) or _text(channel.find(_DC + "language"))
    build = EntryBuilder(branch, url, site, feed, language or root.get(_XML_LANG))
    # RSS 2.0 nests items in the channel; RSS 1.0 puts them beside it.
    holder = channel if ns == "" else root
    for item in holder.iterfind(ns + "item"):
        if len(feed.entries) >= MAX_ENTRIES:
            _note_too_many(feed)
            break
        feed.entries.append(_rss_item(build, item, ns, url))
    return feed


# --------------------------------------------------------------------------- JSON Feed


def _parse_json(body: bytes, branch: Branch, url: str, now: datetime | None) -> ParsedFeed:
    try:
        data = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise ParseError(translate(None, "federation.parse.invalid_json", error=error)) from error
    if not isinstance(data, dict) or "jsonfeed.org/version/" not in str(data.get("version", "")):
        raise ParseError(translate(None, "federation.parse.invalid_json", error="no version"))
    site = _absolute(str(data.get("home_page_url") or ""), url)
    feed = ParsedFeed(title=str(data.get("title") or ""), link=site, format="json", fetched=now)
    build = EntryBuilder(branch, url, site, feed, str(data.get("language") or ""))
    feed_authors = data.get("authors") or ([data["author"]] if data.get("author") else [])
    items = data.get("items")
    if not isinstance(items, list):
        items = []
    if len(items) > MAX_ENTRIES:
        _note_too_many(feed)
    for item in items[:MAX_ENTRIES]:
        if not isinstance(item, dict):
            continue
        extra: dict[str, Any] = item["_tongxin"] if isinstance(item.get("_tongxin"), dict) else {}
        source: dict[str, Any] | None = (
            extra["source"] if isinstance(extra.get("source"), dict) else None
        )
        origin = None
        if source and source.get("id"):
            origin = {
                "id": str(source.get("id") or ""),
                "title": str(source.get("title") or ""),
                "link": str(source.get("url") or ""),
                "feed": str(source.get("feed_url") or ""),
            }
        authors = item.get("authors") or ([item["author"]] if item.get("author") else [])
        authors = authors or feed_authors
        author = ""
        if isinstance(authors, list) and authors and isinstance(authors[0], dict):
            author = str(authors[0].get("name") or "")
        tags: list[Any] = item["tags"] if isinstance(item.get("tags"), list) else []
        content = item.get("content_html")
        if not content and item.get("content_text"):
            content = html.escape(str(item["content_text"]), quote=False)
        summary = item.get("summary")
        feed.entries.append(
            build.entry(
                entry_id=str(item.get("id") or ""),
                link=_absolute(str(item.get("url") or item.get("external_url") or ""), url),
                title=str(item.get("title") or ""),
                summary=html.escape(str(summary), quote=False) if summary else "",
                content=str(content or ""),
                published=build.date(item.get("date_published")),
                updated=build.date(item.get("date_modified")),
                categories=[(str(t), None) for t in tags],
                explicit_type=str(extra.get("type") or "") or None,
                author=author,
                pinned=_bool(extra.get("pinned")),
                expires=build.date(extra.get("expires")),
                origin=origin,
                attachments=attachments.from_json(item, url),
                language=str(item.get("language") or "") or None,
            )
        )
    return feed


# --------------------------------------------------------------------------- feedparser


def _note_too_many(feed: ParsedFeed) -> None:
    feed.notes.append(("federation.parse.too_many", {"count": MAX_ENTRIES}))


def _parse_with_feedparser(
    body: bytes, branch: Branch, url: str, content_type: str | None, why: str, now: datetime | None
) -> ParsedFeed:
    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type
    if _is_utf8(body):  # as fix_encoding left it: feedparser, not finding a declaration at
        # the very start (a blank line before <?xml), would read it as ISO-8859-1
        kind = (content_type or "application/xml").split(";")[0].strip()
        headers["content-type"] = f"{kind}; charset=utf-8"
    try:
        result = feedparser.parse(
            io.BytesIO(body),
            response_headers=headers,
            sanitize_html=False,
            resolve_relative_uris=False,
        )
    except Exception as crash:  # noqa: BLE001 - feedparser's own bugs on broken bytes
        # (a mangled encoding name, a GeoRSS point without coordinates): not a feed we read
        raise ParseError(translate(None, "federation.parse.not_a_feed", error=why)) from crash
    # Broken XML from which feedparser salvaged a version but no entry is not a feed we read:
    # calling it ok would hide the breakage from the health page.
    if not result.entries and (not result.get("version") or result.get("bozo")):
        error = result.get("bozo_exception") or why
        raise ParseError(translate(None, "federation.parse.not_a_feed", error=error))
    text, cut = repair.keep_whole_entries(body, result)
    if cut and not result.entries:  # the cut fell in its only entry
        raise ParseError(translate(None, repair.CUT_OFF, line=repair.last_line(text)))
    info = result.feed
    site = _absolute(info.get("link", ""), url)
    feed = ParsedFeed(title=info.get("title", ""), link=site, format="feedparser", fetched=now)
    build = EntryBuilder(branch, url, site, feed, info.get("language"))
    feed.notes.extend(repair.lenient_notes(text, result.get("bozo_exception"), cut))
    for item in result.entries[:MAX_ENTRIES]:
        contents = item.get("content") or []
        content = _as_html(contents[0].get("value", ""), contents[0]) if contents else ""
        summary = _as_html(item.get("summary", ""), item.get("summary_detail"))
        # Relative URLs are resolved by the sanitise stage, by the one rule of every format:
        # feedparser's xml:base when the feed sets one, else the entry's link.
        detail = contents[0] if contents else item.get("summary_detail") or {}
        base = str(detail.get("base") or "") if b"xml:base" in body else ""
        if content and item.get("summary") == contents[0].get("value"):
            summary = ""  # feedparser's copy of the content, as the fast path leaves it
        categories = [(t.get("term") or "", t.get("scheme")) for t in item.get("tags", [])]
        source: dict[str, Any] = item.get("source") or {}
        origin = None
        if source.get("id") or source.get("href"):
            origin = {
                "id": source.get("id") or source.get("href", ""),
                "title": source.get("title", ""),
                "link": source.get("link", ""),
                "feed": source.get("href", ""),
            }
        # Feedparser's own readings (*_parsed) accept a date's prefix; the raw text is read
        # strictly. dict access, not .get: .get maps updated onto published with a warning.
        published = build.date(item["published"] if "published" in item else None)
        published = published or build.date(item["created"] if "created" in item else None)
        updated = build.date(item["updated"] if "updated" in item else None)
        feed.entries.append(
            build.entry(
                entry_id=item.get("id", ""),
                # a link feedparser made of the id is judged as the fast path judges ids
                link="" if _link_is_id(item) else _absolute(item.get("link", ""), url),
                title=_feedparser_title(item),
                summary=summary,
                content=content,
                published=published,
                updated=updated,
                categories=categories,
                explicit_type=item.get("tx_type"),
                author=_feedparser_author(item, info, str(result.get("version") or "")),
                pinned=_bool(item.get("tx_pinned")),
                expires=build.date(item.get("tx_expires")),
                origin=origin,
                attachments=attachments.from_feedparser(item, url),
                base=base,
            )
        )
    return feed


def _link_is_id(item: Any) -> bool:
    return bool(item.get("guidislink")) and item.get("link") == item.get("id")


def _is_utf8(body: bytes) -> bool:
    """UTF-8 and not UTF-16 or UTF-32 (whose ASCII is valid UTF-8 with NUL bytes between)."""
    if b"\x00" in body[:4096]:
        return False
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _feedparser_author(item: Any, info: Any, version: str) -> str:
    """The author as the fast path reads it: in Atom the first author's name, else the
    feed's (feedparser joins name and e-mail, and keeps the last author); in RSS the text."""
    if not version.startswith("atom"):
        return person_name(str(item.get("author", "")))
    for detail in (item.get("authors") or [{}])[:1] + [info.get("author_detail") or {}]:
        if detail.get("name"):
            return str(detail["name"])
    return ""


def _feedparser_title(item: Any) -> str:
    """The title as HTML, as every format gives it: feedparser hands text/plain titles back
    unescaped (``如何使用 <div> 标签``), which would then be read as markup."""
    return _as_html(str(item.get("title", "")), item.get("title_detail"))


def _as_html(value: str, detail: Any) -> str:
    """A feedparser text construct as HTML: text/plain (an Atom ``type="text"`` summary
    holding ``&nbsp;`` as characters) escaped, as the fast path reads it."""
    kind = str((detail or {}).get("type") or "")
    return html.escape(value, quote=False) if kind == "text/plain" else escaped_once(value)


# --------------------------------------------------------------------------- entry point


def parse_feed(
    body: bytes,
    *,
    url: str,
    branch: Branch,
    content_type: str | None = None,
    now: datetime | None = None,
) -> ParsedFeed:
    """Parse one feed body fetched from ``url`` for ``branch`` at ``now`` (dates further
    ahead are clamped to it); raise :class:`ParseError`, also when a document holding items
    yields none (a silent 0 would hide the breakage from the health page)."""
    feed = _parse_any(body, url, branch, content_type, now)
    if not feed.entries and _ITEMS_RE.search(body[:1_000_000]):
        if feed.format not in ("feedparser", "json"):
            # Items the fast path does not know (<item> in the Atom namespace …): the
            # forgiving parser may; if it finds none either, that is an error, not a 0.
            try:
                feed = _parse_with_feedparser(body, branch, url, content_type, "no entries", now)
            except ParseError:
                pass
        if not feed.entries:
            raise ParseError(translate(None, "federation.parse.no_entries"))
    split_repeated_ids(feed)  # two items under one guid are two entries
    drop_own_entries(feed, branch)  # our own entries come back from a portal listing us
    return feed


_ITEMS_RE = re.compile(rb'<(?:\w+:)?(?:item|entry)[\s>/]|"items"\s*:\s*\[\s*\{', re.I)


def _parse_any(
    body: bytes, url: str, branch: Branch, content_type: str | None, now: datetime | None
) -> ParsedFeed:
    if not body or body.isspace():
        raise ParseError(translate(None, "federation.parse.empty"))
    head = body[:65536]
    # The UTF-16 spellings hold NUL bytes: a head without any cannot hold them either.
    markers = _ENTITY_MARKERS if b"\x00" in head else _ENTITY_MARKERS[:1]
    if any(marker in head for marker in markers):
        raise ParseError(translate(None, "federation.parse.entities"))
    start = body.lstrip()[:1]
    kind = (content_type or "").split(";")[0].strip().lower()
    if start in (b"{", b"\xef") and (start == b"{" or body.lstrip()[3:4] == b"{"):
        return _parse_json(body, branch, url, now)
    if kind.endswith("json") and start != b"<":
        return _parse_json(body, branch, url, now)
    if is_web_page(head):
        raise ParseError(html_error(head))
    body = _fix_encoding(body, content_type)
    try:
        root = etree.fromstring(body, secure_parser(), base_url=url)
    except (etree.XMLSyntaxError, ValueError) as error:
        fixed = repair.escape_bare_ampersands(body) if _is_utf8(body) else body
        try:  # a bare & is the one mistake undone exactly: read as the site meant it
            root = etree.fromstring(fixed, secure_parser(), base_url=url)
        except (etree.XMLSyntaxError, ValueError):
            return _parse_with_feedparser(fixed, branch, url, content_type, str(error), now)
        feed = _parse_tree(root, fixed, branch, url, content_type, now)
        feed.notes.append(repair.ampersand_note(getattr(error, "lineno", 0) or 1))
        return feed
    return _parse_tree(root, body, branch, url, content_type, now)


def _parse_tree(
    root: etree._Element,
    body: bytes,
    branch: Branch,
    url: str,
    content_type: str | None,
    now: datetime | None,
) -> ParsedFeed:
    tag = root.tag if isinstance(root.tag, str) else ""
    if tag == _A + "feed":
        return _parse_atom(root, branch, url, now)
    if tag == "rss" and root.get("version", "").startswith("2."):
        return _parse_rss(root, branch, url, "", "rss", now)
    if tag == f"{{{RDF_NS}}}RDF" and root.find(_R1 + "channel") is not None:
        return _parse_rss(root, branch, url, _R1, "rdf", now)
    if tag.lower() in ("html", f"{{{XHTML_NS}}}html"):
        raise ParseError(html_error(body[:65536]))
    return _parse_with_feedparser(body, branch, url, content_type, f"unknown root <{tag}>", now)
