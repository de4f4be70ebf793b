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
#: Elements whose content is a block of its own: their text is kept apart from the next
#: block's ("training</p><p>admin" read "trainingadmin"; a table's cells ran together).
_BLOCKS = (
    "p", "div", "li", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "td", "th",
    "blockquote", "pre", "section", "article", "header", "footer", "figcaption", "br", "hr",
)  # fmt: skip
_BREAK = "\ue000"  # (a private-use character: lxml takes no control character)
# No space where the text already breaks: after Chinese punctuation (第一段。第二段), at
# white space, or at either end.
_NEEDLESS_BREAK = re.compile(
    "(?<=[。！？；：，、）」』】》\\s])\ue000+|\ue000+(?=\\s)|^\ue000+|\ue000+$"
)


def plain_text(html: str | None, limit: int | None = None) -> str:
    """The visible text of an HTML fragment: tags dropped, entities decoded, white space
    collapsed, control characters removed; cut at ``limit`` characters (ending in …)."""
    if not html or not html.strip():
        return ""
    if limit:
        html = html[: limit * 8 + 256]  # the text of a longer prefix is cut anyway
    if "<" in html or "&" in html:
        try:
            text = _blocks_apart(lxml.html.fragment_fromstring(html, create_parent="div"))
        except (ValueError, lxml.etree.ParserError):
            text = _TAG_RE.sub(" ", html)
    else:
        text = html
    text = _SPACE_RE.sub(" ", _CONTROL_RE.sub("", text)).strip()
    if limit and len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def _blocks_apart(root: lxml.html.HtmlElement) -> str:
    """The text of ``root`` with a space between blocks (none after a Chinese full stop)."""
    for element in root.iter(*_BLOCKS):
        element.tail = _BREAK + (element.tail or "")
        if element.tag not in ("br", "hr"):
            element.text = _BREAK + (element.text or "")
    text = root.text_content()
    return _NEEDLESS_BREAK.sub("", text).replace(_BREAK, " ") if _BREAK in text else text
