"""The fields every feed format shares, filled one way: ids scoped by branch, origin, dates
(read strictly, clamped to the fetch), link fallback, type and tags, lazy images."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from tongxin import text
from tongxin.settings import CONTENT_TYPES

from .columns import CUSTOM, column_of
from .dates import DateReader, chinese_feed, clamp_future
from .feedtext import lazy_images, windows_1252
from .model import Branch, Entry, ParsedFeed
from .scope import entry_key, feed_id_of, origin_scope

TONGXIN_NS = "https://tongxin.example/ns/1.0"  # as plugins/feeds.py writes it
TYPE_SCHEME = TONGXIN_NS + "#type"
ENTRY_TYPES = CONTENT_TYPES  # the one list (tongxin.settings)

# An absolute http(s) URL that urljoin would hand back unchanged, whatever the base (see
# sanitise.PLAIN_HTTP_RE, which is the same test).
PLAIN_HTTP_RE = re.compile(
    r"https?://[-A-Za-z0-9._~%!$&'()*+,;=:]+(?:/[^\x00-\x20?#;\\]*)?(?:\?[^\x00-\x20#\\]+)?"
    r"(?:#[^\x00-\x20\\]+)?"
)


def _type_of(
    explicit: str | None, categories: Iterable[tuple[str, str | None]], branch: Branch
) -> str:
    if explicit and explicit.strip() in ENTRY_TYPES:
        return explicit.strip()
    plain: list[str] = []
    for term, scheme in categories:
        if scheme == TYPE_SCHEME and term in ENTRY_TYPES:
            return term
        plain.append(term)
    return column_of(plain, branch.extra.get(CUSTOM) or ()) or "news"


def _tags(categories: Iterable[tuple[str, str | None]]) -> list[str]:
    tags: list[str] = []
    for term, scheme in categories:
        term = term.strip()
        if term and scheme != TYPE_SCHEME and term not in tags:
            tags.append(term)
    return tags


def _site_of(url: str) -> str:
    """The site a feed address belongs to (``https://host/``)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/" if parts.scheme and parts.netloc else ""


def _visible(html: str) -> str:
    """The text an entry shows, without white space: what its made-up id is made of, so the
    id is the same whichever parse path read the feed (their markup differs in spacing,
    quoting and whether the text is the summary or the content)."""
    return _SPACE_RE.sub("", text.plain_text(html))


_SPACE_RE = re.compile(r"\s+")


def _fallback_id(branch: Branch, *parts: str) -> str:
    digest = hashlib.sha1("\x00".join((branch.feed, *parts)).encode("utf-8")).hexdigest()
    return f"urn:sha1:{digest}"


_WEB_ID_RE = re.compile(r"https?://[^\s<>\"]+", re.I)


class EntryBuilder:
    """Fills the fields every format shares (origin defaults, ids, type)."""

    def __init__(
        self, branch: Branch, url: str, site_link: str, feed: ParsedFeed, language: str | None
    ) -> None:
        self.branch = branch
        self.language = (language or "").strip()[:35]
        self.url = url
        self.site_link = site_link
        self.feed = feed
        self.date = DateReader(branch.timezone, chinese=chinese_feed(language, branch.timezone))
        self.now: datetime = feed.fetched or datetime.now(UTC)
        self.clamped = 0
        self.made_ids: set[str] = set()

    def _fallback_id(self, *parts: str) -> str:
        """An id for an entry with neither id nor link: its text, made unique in the feed
        (two such entries alike in every word are still two entries)."""
        made = _fallback_id(self.branch, *parts)
        n = 1
        while made in self.made_ids:
            n += 1
            made = f"{_fallback_id(self.branch, *parts)}#{n}"
        self.made_ids.add(made)
        return made

    def _clamp(self, moment: datetime | None) -> datetime | None:
        moment, clamped = clamp_future(moment, self.now)
        if clamped:
            self.clamped += 1
            if self.clamped == 1:
                self.feed.notes.append(("federation.parse.future", {}))
        return moment

    def entry(
        self,
        *,
        entry_id: str,
        link: str,
        title: str,
        summary: str,
        content: str,
        published: datetime | None,
        updated: datetime | None,
        categories: list[tuple[str, str | None]],
        explicit_type: str | None,
        author: str,
        pinned: bool,
        expires: datetime | None,
        origin: dict[str, str] | None,
        attachments: list[dict[str, Any]] | None = None,
        base: str = "",
        language: str | None = None,
    ) -> Entry:
        entry_id = (entry_id or "").strip()
        title, summary, content = windows_1252(title), windows_1252(summary), windows_1252(content)
        author = windows_1252(author)
        feed_id = (
            entry_id or link or self._fallback_id(_visible(title), _visible(summary + content))
        )
        # No link of its own: an id that is a web address (an Atom id, as feedparser reads
        # it; RSS permalink guids are taken before), else the branch's site, never the feed.
        if not link and _WEB_ID_RE.fullmatch(entry_id):
            scheme, rest = entry_id.split(":", 1)
            link = f"{scheme.lower()}:{rest}"
        link = link or self.site_link or _site_of(self.url)
        scope, origin = origin_scope(self.branch, origin)
        feed_id = feed_id_of(feed_id, origin)
        origin = origin or {}
        return Entry(
            entry_id=entry_key(scope, feed_id[:2048]),
            feed_id=feed_id[:2048],
            branch_id=self.branch.id,
            url=link,
            title=title,
            origin_branch_id=origin.get("id") or self.branch.id,
            origin_branch_name=origin.get("title") or (self.branch.name if not origin else ""),
            origin_branch_url=origin.get("link") or ("" if origin else self.site_link),
            origin_feed_url=origin.get("feed") or ("" if origin else self.url),
            summary_html=lazy_images(summary),
            content_html=lazy_images(content),
            base=base,
            published=self._clamp(published or updated),
            updated=self._clamp(updated or published),
            type=_type_of(explicit_type, categories, self.branch),
            tags=_tags(categories),
            author=author,
            pinned=pinned,
            expires=expires,
            attachments=attachments or [],
            language=(language or self.language).strip()[:35],
        )
