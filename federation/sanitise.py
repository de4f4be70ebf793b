"""Never trust a feed: every foreign fragment goes through nh3 (ammonia) with a strict allowlist.

HTML keeps only text structure, links and images: no scripts, event handlers, styles, forms,
frames, objects, SVG or MathML. Links may point only to http, https or mailto and get
``rel="nofollow noopener"``; images load only over http/https. Relative URLs are resolved against
the entry (else feed) address *by the sanitiser itself*, after entity decoding, so an obfuscated
``jav&#x61;script:`` cannot slip through as "relative". Titles, authors and tags become plain text.

An embedded player (``<iframe>``, ``<video>``, ``<audio>``, ``<embed>``, a ``<source>``) goes with
its frame, but not without a trace: a link to what it played is put in its place
(:func:`media_links`), so a reader can still watch the video on its own site.

:func:`sanitise_entry` returns a new :class:`Entry` and leaves its argument alone, so the
screening stage can still look at the raw HTML (hidden text is only visible there).
"""

from __future__ import annotations

import html
import re
from functools import lru_cache
from typing import Any
from urllib.parse import urljoin, urlsplit

import nh3

from tongxin import text

from .model import Entry
from .morelink import without_more_link
from .parse import ENTRY_TYPES
from .screen_html import drop_hidden

ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "dd", "del", "details",
        "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
        "i",
        "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "small", "strong", "sub",
        "span", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "time", "tr", "u",
        "ul",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "hreflang"},
    "img": {"src", "alt", "title", "width", "height"},
    "abbr": {"title"},
    "blockquote": {"cite"},
    "q": {"cite"},
    "del": {"cite", "datetime"},
    "ins": {"cite", "datetime"},
    "time": {"datetime"},
    "ol": {"start", "reversed"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "*": {"lang", "dir"},
}
#: Removed with everything inside them (the rest of the unknown tags keep their text).
DROPPED_WITH_CONTENT = frozenset(
    {
        "script", "style", "template", "noscript", "iframe", "frame", "frameset", "object",
        "embed", "applet", "svg", "math", "form", "button", "select", "textarea", "head",
        "title", "xmp", "noembed", "noframes", "video", "audio", "canvas",
    }
)  # fmt: skip
LINK_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow noopener"

TITLE_LIMIT = 300
AUTHOR_LIMIT = 200
TAG_LIMIT = 64
MAX_TAGS = 30
HTML_LIMIT = 512 * 1024  # one entry's HTML; a bigger one is a mistake or an attack
#: Deeper nesting is flattened before the HTML parser sees it: html5ever's scope checks walk
#: the stack of open elements, so 100,000 unclosed ``<div>`` cost a minute of CPU.
MAX_DEPTH = 64
_TAG_RE = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9:-]*)[^<>]*>")
#: Not counted: void elements, and elements a start tag of their own kind closes (``<p>``
#: after ``<p>``), which real HTML leaves unclosed and the parser handles in linear time.
_UNCOUNTED = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
     "source", "track", "wbr", "p", "li", "dt", "dd", "tr", "td", "th", "tbody", "thead",
     "tfoot", "option", "optgroup", "rp", "rt", "colgroup", "caption"}
)  # fmt: skip

_SCHEME_RE = re.compile(r"^\s*([a-zA-Z][a-zA-Z0-9+.-]*):")
# A plain absolute http(s) URL that urljoin and urlsplit would hand back unchanged: an ASCII
# host (urlsplit rejects some non-ASCII ones), no user info, path parameters, empty query or
# fragment, spaces, controls or backslashes. Anything else takes the slow, exact path.
_PLAIN_HTTP_RE = re.compile(
    r"https?://[-A-Za-z0-9._~%!$&'()*+,;=:]+(?:/[^\x00-\x20?#;\\]*)?(?:\?[^\x00-\x20#\\]+)?"
    r"(?:#[^\x00-\x20\\]+)?"
)


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    # ammonia applies url_schemes to every URL attribute alike; images must not be mailto:.
    if tag == "img" and attribute == "src":
        match = _SCHEME_RE.match(value)
        if match and match.group(1).lower() not in ("http", "https"):
            return None
    return value


@lru_cache(maxsize=256)
def _cleaner(base_url: str) -> nh3.Cleaner:
    relative: Any = ("rewrite_with_base", base_url) if _is_http(base_url) else "deny"
    return _make_cleaner(relative)


def _make_cleaner(relative: Any) -> nh3.Cleaner:
    return nh3.Cleaner(
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(DROPPED_WITH_CONTENT),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        attribute_filter=_attribute_filter,
        strip_comments=True,
        link_rel=LINK_REL,
        url_schemes=set(LINK_SCHEMES),
        url_relative=relative,
    )


_TEXT_CLEANER = nh3.Cleaner(tags=set(), clean_content_tags={"script", "style"}, attributes={})


@lru_cache(maxsize=4096)
def _is_http(url: str) -> bool:
    if _PLAIN_HTTP_RE.fullmatch(url):
        return True
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def flatten_nesting(fragment: str, limit: int = MAX_DEPTH) -> str:
    """``fragment`` without the start tags (and their end tags) nested deeper than ``limit``.

    One linear scan of the tags; the text stays. The result still goes through nh3, so a tag
    removed here can only cost structure, never safety.
    """
    depth = 0
    dropped = 0
    parts: list[str] = []
    last = 0
    for match in _TAG_RE.finditer(fragment):
        closing, name = match.group(1), match.group(2).lower()
        if name in _UNCOUNTED or match.group(0).endswith("/>"):
            continue
        drop = False
        if not closing:
            depth += 1
            drop = depth > limit
            dropped += drop
        elif depth > 0:
            drop = depth > limit and dropped > 0
            dropped -= drop
            depth -= 1
        if drop:
            parts.append(fragment[last : match.start()])
            last = match.end()
    if not parts:
        return fragment
    parts.append(fragment[last:])
    return "".join(parts)


def clean_html(fragment: str, base_url: str) -> str:
    """``fragment`` reduced to the allowlist, relative URLs resolved against ``base_url``.

    Linear in the input: at most :data:`HTML_LIMIT` characters are read, nesting deeper than
    :data:`MAX_DEPTH` is flattened first, and the output is never longer than the input cap
    (closing tags and ``rel`` attributes can make it grow: the input is then cut shorter).
    """
    if not fragment:
        return ""
    fragment = fragment[:HTML_LIMIT]
    if fragment.count("<") > MAX_DEPTH:
        fragment = flatten_nesting(fragment)
    # Text hidden by styles the allowlist strips would be revealed: drop it (screen_html).
    fragment = media_links(drop_hidden(fragment))
    cleaned = _clean(fragment, base_url)
    for _attempt in range(3):
        if len(cleaned) <= HTML_LIMIT:
            return cleaned
        fragment = fragment[: int(len(fragment) * HTML_LIMIT / len(cleaned) * 0.9)]
        cleaned = _clean(fragment, base_url)
    return (
        cleaned
        if len(cleaned) <= HTML_LIMIT
        else html.escape(plain_text(fragment, HTML_LIMIT // 8))
    )


#: An embedded player: a video or audio element with what it holds (its <source> elements
#: would go with it), or an iframe or embed.
_MEDIA = re.compile(
    # (bounded: an unclosed <video> looks no further, so many of them stay linear)
    r"<(video|audio)\b[^>]*>.{0,4096}?</\1\s*>|<(?:iframe|embed|video|audio)\b[^>]*>",
    re.IGNORECASE | re.DOTALL,
)
_BLOCK_OPEN = re.compile(r"<(?:p|li|td|figure|div)\b[^>]*>\s*$", re.IGNORECASE)
_MEDIA_SOURCE = re.compile(
    r"""\s(?:data-)?src\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""", re.IGNORECASE
)


def media_links(fragment: str) -> str:
    """``fragment`` with a link to each embedded player's address before the player (which
    the allowlist then drops with what it holds): ``<a href="…">▶ …</a>``. Addresses are
    http(s) or relative (resolved by the cleaner); each once."""
    if "<" not in fragment or not _MEDIA.search(fragment):
        return fragment
    seen: set[str] = set()

    def link(match: re.Match[str]) -> str:
        found = _MEDIA_SOURCE.search(match.group(0))  # its own src, else its first <source>
        address = html.unescape(next((g for g in found.groups() if g), "")) if found else ""
        address = address.strip()
        scheme = urlsplit(address).scheme.lower()
        if not address or address in seen or scheme not in ("", "http", "https"):
            return match.group(0)
        seen.add(address)
        shown = html.escape(address if len(address) <= 80 else address[:77] + "…")
        anchor = f'<a href="{html.escape(address)}">▶ {shown}</a>'
        # a paragraph of its own, unless the player already sits at the start of one
        inside = _BLOCK_OPEN.search(fragment, max(0, match.start() - 200), match.start())
        return (anchor if inside else f"<p>{anchor}</p>") + match.group(0)

    return _MEDIA.sub(link, fragment)


#: An attribute holding a URL whose value does not start with a scheme (relative, ``//host``,
#: ``#frag``): only such a fragment needs a cleaner made for its own base.
_RELATIVE_URL_RE = re.compile(
    r"""\b(?:href|src|srcset|cite|poster|action|background|longdesc|usemap|data)\s*=\s*"""
    r"""(?!["']?\s*[a-zA-Z][a-zA-Z0-9+.\-]*:)""",
    re.IGNORECASE,
)
#: The base of fragments with no relative URL (the cleaner's output does not depend on it).
_ANY_BASE = "http://tongxin.invalid/"


def _clean(fragment: str, base_url: str) -> str:
    # A cleaner per base costs more than cleaning one entry: most entries (absolute links
    # only, or none) share one.
    if _is_http(base_url) and not _RELATIVE_URL_RE.search(fragment):
        base_url = _ANY_BASE
    return _cleaner(base_url).clean(fragment).strip()


def plain_text(value: str | None, limit: int = TITLE_LIMIT) -> str:
    """Text without tags (:func:`tongxin.text.plain_text`), cut at ``limit`` characters; what
    scripts and styles hold is dropped with them first (nh3), never shown as text."""
    if not value:
        return ""
    if "<" in value:
        value = _TEXT_CLEANER.clean(value[: limit * 8])  # text left escaped: decoded below
    return text.plain_text(value, limit)


def safe_url(url: str | None, base_url: str = "") -> str:
    """An absolute http(s) URL, or ``""`` for anything else (javascript:, data:, garbage)."""
    if not url:
        return ""
    return _safe_url(url, base_url)


@lru_cache(maxsize=4096)  # a feed's origin addresses repeat on every entry
def _safe_url(url: str, base_url: str) -> str:
    candidate = html.unescape(url.strip())
    if _PLAIN_HTTP_RE.fullmatch(candidate):
        return candidate  # what urljoin would return, without its ~10 µs
    try:
        resolved = urljoin(base_url, candidate) if base_url else candidate
    except ValueError:
        return ""
    return resolved if _is_http(resolved) else ""


#: Characters of an untitled entry's text that stand in for its title.
TEXT_TITLE_CHARS = 30


def text_title(*html_parts: str | None) -> str:
    """A title for an entry without one (JSON Feed ``"title": null``, an RSS item with only a
    description): the first :data:`TEXT_TITLE_CHARS` characters of its text, ``…`` when cut;
    ``""`` when it has no text either."""
    for part in html_parts:
        words = text.plain_text(part, TEXT_TITLE_CHARS + 1) if part else ""
        if words:
            return words
    return ""


def sanitise_entry(entry: Entry, base_url: str) -> Entry:
    """A copy of ``entry`` that is safe to publish: HTML allowlisted, text fields plain."""
    base = base_url if _is_http(base_url) else ""
    url = safe_url(entry.url, base) or base
    # The one rule of every format: the feed's xml:base (Entry.base), else the entry's link.
    link_base = (entry.base if _is_http(entry.base) else "") or url or base
    tags: list[str] = []
    for tag in entry.tags[: MAX_TAGS * 2]:
        text = plain_text(tag, TAG_LIMIT)
        if text and text not in tags:
            tags.append(text)
        if len(tags) >= MAX_TAGS:
            break
    # A shallow copy with the cleaned fields set: dataclasses.replace re-runs __init__ through
    # the fields' metadata, which cost as much as cleaning the title, author and origin.
    clean = Entry.__new__(Entry)
    clean.__dict__.update(entry.__dict__)
    clean.url = url
    clean.title = plain_text(entry.title, TITLE_LIMIT)
    # a blog's "continue reading" link is navigation: on a card it read as part of the text
    clean.summary_html, clean.content_html = card_summary(
        without_more_link(clean_html(entry.summary_html, link_base), keep_ellipsis=True),
        clean_html(entry.content_html, link_base),
    )
    clean.title = clean.title or text_title(clean.summary_html, clean.content_html)
    clean.tags = tags
    clean.author = plain_text(entry.author, AUTHOR_LIMIT)
    clean.origin_branch_id = _plain_origin(entry.origin_branch_id)
    clean.origin_branch_name = _plain_origin_name(entry.origin_branch_name)
    clean.origin_branch_url = safe_url(entry.origin_branch_url)
    clean.origin_feed_url = safe_url(entry.origin_feed_url)
    clean.type = entry.type if entry.type in ENTRY_TYPES else "news"
    return clean


#: A summary with more text than this is the entry's text, not a summary: the RSS feeds of
#: WeChat official accounts (RSSHub), Drupal and many CMSs put the whole article in
#: ``<description>``, and a portal card showed all of it (a WordPress excerpt is ~55 words).
SUMMARY_CHARS = 400
#: …or more blocks than this (a forwarded notice listing 59 linked files, little text)
SUMMARY_BLOCKS = 4
#: What a card shows of such an entry: the head of its text, as a branch site's summary is.
EXCERPT_CHARS = 160
_BLOCK_RE = re.compile(r"<(?:p|li|h[1-6]|tr|div|blockquote|br|dd|dt)\b", re.IGNORECASE)
# Media a card has no room for: a full-width photo (hotlinked from WeChat, refused there), a
# video, a table. The entry's text keeps them.
_MEDIA_RE = re.compile(r"<(?:img|video|audio|iframe|table|picture|object|embed)\b", re.IGNORECASE)


def card_summary(summary: str, content: str) -> tuple[str, str]:
    """(summary, content) of a sanitised entry: a summary that is the entry's text (long, of
    many blocks, or holding images or tables) becomes the content when the entry has none,
    and the head of its text becomes the summary."""
    if not summary:
        return summary, content
    plain = not _MEDIA_RE.search(summary) and len(_BLOCK_RE.findall(summary)) <= SUMMARY_BLOCKS
    if plain and len(summary) <= SUMMARY_CHARS:  # (its text is no longer than its HTML)
        return summary, content
    whole = text.plain_text(summary)  # all of it: twelve photos first hid the text after
    if plain and len(whole) <= SUMMARY_CHARS:
        return summary, content
    head = whole if len(whole) <= EXCERPT_CHARS else whole[: EXCERPT_CHARS - 1].rstrip() + "…"
    return (f"<p>{html.escape(head, quote=False)}</p>" if head else ""), content or summary


@lru_cache(maxsize=1024)  # every entry of a feed repeats its branch's id and name
def _plain_origin(value: str) -> str:
    return plain_text(value, 500)


@lru_cache(maxsize=1024)
def _plain_origin_name(value: str) -> str:
    return plain_text(value, TITLE_LIMIT)
