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


def plain_text(html: str | None, limit: int | None = None) -> str:
    """The visible text of an HTML fragment: tags dropped, entities decoded, white space
    collapsed, control characters removed; cut at ``limit`` characters (ending in …)."""
    if not html or not html.strip():
        return ""
    if limit:
        html = html[: limit * 8 + 256]  # the text of a longer prefix is cut anyway
    if "<" in html or "&" in html:
        try:
            text = lxml.html.fragment_fromstring(html, create_parent="div").text_content()
        except (ValueError, lxml.etree.ParserError):
            text = _TAG_RE.sub(" ", html)
    else:
        text = html
    text = _SPACE_RE.sub(" ", _CONTROL_RE.sub("", text)).strip()
    if limit and len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text
