"""A blog's "continue reading" link, which is navigation, not text: WordPress themes end an
excerpt or a post cut at <!--more--> with one (Twenty Seventeen: ``Continue reading<span
class="screen-reader-text"> "title"</span>``, 继续阅读 in zh_CN; core: ``class="more-link"``;
underscores: ``Continue reading title <span class="meta-nav">&rarr;</span>``), and RSS
excerpts with ``[&#8230;]``. Search indexes and shows an entry's text without them."""

from __future__ import annotations

import re

_PHRASES = (
    "继续阅读",
    "繼續閱讀",
    "阅读全文",
    "閱讀全文",
    "阅读更多",
    "閱讀更多",
    "查看全文",
    "continue reading",
    "read more",
)
# What may follow the link: white space, closing tags, the excerpt's […].
_TAIL = r"(?:\s|&nbsp;|&#160;|</(?:p|div|span)>|\[(?:…|&#8230;|&hellip;)\])*\Z"
_LINK = re.compile(
    r"<a\b(?P<attrs>[^>]*)>(?P<text>(?:(?!</a>).)*)</a>(?=" + _TAIL + ")",
    re.IGNORECASE | re.DOTALL,
)
_OPEN = re.compile(r"<a\b", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")
_ELLIPSIS = re.compile(r"\s*\[(?:…|&#8230;|&hellip;)\](?=" + _TAIL + ")", re.IGNORECASE)


def _is_more_link(match: re.Match[str]) -> bool:
    if re.search(r"""class\s*=\s*["'][^"']*\bmore-link\b""", match.group("attrs"), re.IGNORECASE):
        return True
    text = " ".join(_TAG.sub(" ", match.group("text")).split()).lower()
    return text.startswith(_PHRASES)


def without_more_link(fragment: str) -> str:
    """``fragment`` without its closing "continue reading" link and its excerpt's […]."""
    if not fragment:
        return fragment
    # Only the last link can close the text: one match tried there keeps this linear (trying
    # every <a, each scanning to its </a>, took 24 s on 8,000 unclosed ones).
    opens = [m.start() for m in _OPEN.finditer(fragment)]
    match = _LINK.match(fragment, opens[-1]) if opens else None
    if match and _is_more_link(match):
        fragment = fragment[: match.start()] + fragment[match.end() :]
    return _ELLIPSIS.sub("", fragment)
