"""Plain text out of HTML: the one helper for summaries, search text, titles and excerpts."""

from __future__ import annotations

import re

import lxml.etree
import lxml.html

_SPACE_RE = re.compile(r"\s+")
# Control characters other than whitespace have no business in a title or a summary.
_CONTROL_RE = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]"
)
_TAG_RE = re.compile(r"<[^>]*>")
#: Tags that open or close a block of its own: the text on either side is kept apart
#: ("training</p><p>admin" read "trainingadmin"; a table's cells ran together). A break
#: character goes in front of each, in one pass over the HTML, before it is parsed.
_BLOCK_TAG = re.compile(
    r"<(?=/?(?:p|div|li|dt|dd|h[1-6]|tr|td|th|blockquote|pre|section|article|header|footer"
    r"|figcaption|br|hr)\b)",
    re.IGNORECASE,
)
_BREAK = "\ue000"  # (a private-use character: lxml takes no control character)
#: A run of breaks with the white space around them (Markdown puts a newline between blocks).
_BREAKS = re.compile(rf"\s*{_BREAK}[\s{_BREAK}]*")
#: No space is wanted after these: Chinese punctuation ends the block already (第一段。第二段).
_CLOSING = frozenset("。！？；：，、）」』】》")


def _apart(match: re.Match[str]) -> str:
    text, start, end = match.string, match.start(), match.end()
    if start == 0 or end == len(text):
        return ""
    before = text[start - 1]
    return "" if before in _CLOSING else " "


def plain_text(html: str | None, limit: int | None = None) -> str:
    """The visible text of an HTML fragment: tags dropped, entities decoded, white space
    collapsed, control characters removed; cut at ``limit`` characters (ending in …)."""
    if not html or not html.strip():
        return ""
    if limit:
        html = html[: limit * 8 + 256]  # the text of a longer prefix is cut anyway
    if "<" in html or "&" in html:
        marked = _BLOCK_TAG.sub(_BREAK + "<", html.replace(_BREAK, ""))
        try:
            text = lxml.html.fragment_fromstring(marked, create_parent="div").text_content()
        except (ValueError, lxml.etree.ParserError):
            text = _TAG_RE.sub(" ", marked)
        if _BREAK in text:
            text = _BREAKS.sub(_apart, text)
    else:
        text = html
    text = _SPACE_RE.sub(" ", _CONTROL_RE.sub("", text)).strip()
    if limit and len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text
