"""Text and HTML as feeds carry them, made into the HTML the sanitise stage cleans.

- Atom text constructs (RFC 4287 §3.1): ``text`` is escaped, ``html`` passed on, ``xhtml``
  serialised whatever prefix the XHTML namespace has (``<xh:div>`` keeps its markup), and
  content of any other media type is base64 (§4.1.3.3): decoded, then read as HTML or text.
- C1 control characters (U+0080–U+009F) stand for the Windows-1252 characters of the same
  bytes (’ “ ” … €), as browsers read ISO-8859-1 and ``&#146;`` and as feedparser does.
- HTML escaped twice (Typecho's Atom summary is ``<![CDATA[`` around ``htmlspecialchars`` of
  the excerpt: ``&lt;p&gt;…``) is unescaped once more when it holds no markup and opens with
  an escaped tag, so a card does not show ``<p>`` as text.
- WeChat-to-RSS bridges publish ``<img data-src="…">`` (lazy loading) without ``src``: the
  image is kept by moving ``data-src`` to ``src``.
"""

from __future__ import annotations

import base64
import binascii
import html
import re

from lxml import etree

XHTML_NS = "http://www.w3.org/1999/xhtml"
_XHTML = f"{{{XHTML_NS}}}"
_XMLNS_RE = re.compile(r'\sxmlns(:\w+)?="[^"]*"')


def atom_text(element: etree._Element | None) -> str:
    """An Atom text construct as HTML."""
    if element is None:
        return ""
    kind = (element.get("type") or "text").strip().lower()
    if kind in ("xhtml", "application/xhtml+xml"):
        return _xhtml(element)
    text = element.text or "" if not len(element) else "".join(element.itertext())
    if kind in ("html", "text/html"):
        return escaped_once(text.strip())
    if kind == "text" or kind.startswith("text/"):
        return html.escape(text.strip(), quote=False)
    if element.get("mode") == "base64" or not (kind.endswith("/xml") or kind.endswith("+xml")):
        return _base64(text, kind)
    return html.escape(text.strip(), quote=False)


def rss_html(element: etree._Element | None) -> str:
    """An RSS ``description`` or ``content:encoded`` as HTML: its text (escaped HTML, or
    CDATA), or markup written into it unescaped (``<description><p><img …></p>``), kept as
    markup as feedparser keeps it: its text alone would lose every link and image."""
    if element is None:
        return ""
    if not len(element):
        return escaped_once((element.text or "").strip(" \t\r\n"))  # not a trailing U+0085
    return _xhtml(element)


#: HTML that opens with an escaped tag of the elements an excerpt starts with
_ESCAPED_OPENING = re.compile(
    r"\s*&lt;(?:p|div|span|section|strong|b|em|h[1-6]|blockquote|ul|ol|table|img|br|a)"
    r"(?:\s[^&]*)?/?&gt;",
    re.IGNORECASE,
)


def escaped_once(markup: str) -> str:
    """``markup``, unescaped once more when it was escaped twice: no tag, and it opens with
    an escaped one (``&lt;p&gt;12月6日…``). Text that merely mentions a tag after other
    words (``如何使用 &lt;div&gt; 标签``) stays as it is; so does an empty value (feedparser
    gives None for a summary a mangled feed leaves without text)."""
    if not markup or "<" in markup or not _ESCAPED_OPENING.match(markup):
        return markup
    return html.unescape(markup)


def _xhtml(element: etree._Element) -> str:
    div = element.find(f"{_XHTML}div")
    holder = div if div is not None else element
    for node in holder.iter():
        # <xh:p> and <p xmlns="…xhtml"> alike become <p>: HTML knows no namespaces.
        if isinstance(node.tag, str) and node.tag.startswith(_XHTML):
            node.tag = node.tag[len(_XHTML) :]
    parts = [html.escape(holder.text or "", quote=False)]
    for child in holder:
        etree.cleanup_namespaces(child)
        # as HTML: an XML <iframe/> or <div/> would swallow what follows it in a browser
        parts.append(etree.tostring(child, method="html", encoding="unicode", with_tail=True))
    return _XMLNS_RE.sub("", "".join(parts)).strip()


def _base64(text: str, kind: str) -> str:
    try:
        data = base64.b64decode("".join(text.split()), validate=True)
        decoded = data.decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return ""  # a binary payload (an image, a PDF) is no text to show
    return decoded.strip() if "html" in kind else html.escape(decoded.strip(), quote=False)


_IMG_RE = re.compile(r"<img\b[^>]*>", re.I)
_DATA_SRC_RE = re.compile(r"""\sdata-(?:src|original|lazy-src)\s*=\s*("[^"]*"|'[^']*')""", re.I)
_SRC_RE = re.compile(r"""\ssrc\s*=\s*("[^"]*"|'[^']*')""", re.I)


def lazy_images(fragment: str) -> str:
    """``fragment`` with every lazy ``<img>`` given its ``data-src`` as ``src``."""
    if "data-" not in fragment:
        return fragment
    return _IMG_RE.sub(_unlazy, fragment)


def _unlazy(match: re.Match[str]) -> str:
    tag = match.group(0)
    lazy = _DATA_SRC_RE.search(tag)
    if lazy is None:
        return tag
    src = _SRC_RE.search(tag)
    value = src.group(1)[1:-1].strip() if src else ""
    if value and not value.startswith("data:"):
        return tag  # a real src already (a placeholder data: URI is not one)
    if src:
        tag = tag[: src.start()] + tag[src.end() :]
    return f"{tag[:4]} src={lazy.group(1)}{tag[4:]}"


_C1_RE = re.compile("[\x80-\x9f]")
_C1 = {}
for _byte in range(0x80, 0xA0):
    try:
        _C1[_byte] = bytes([_byte]).decode("cp1252")
    except UnicodeDecodeError:
        pass  # 81, 8D, 8F, 90, 9D: no character in Windows-1252 either


def windows_1252(text: str | None) -> str:
    """``text`` with its C1 control characters read as Windows-1252 (``don\x92t`` → don’t)."""
    if not text:
        return text or ""  # feedparser leaves some fields None
    return text.translate(_C1) if _C1_RE.search(text) else text


_EMAIL_NAME = re.compile(r"[^\s@()<>]+@[^\s@()<>]+\s*\(([^()]*)\)")
_NAME_EMAIL = re.compile(r"([^<>]*?)\s*<[^\s@<>]+@[^\s@<>]+>")
_EMAIL = re.compile(r"[^\s@()<>]+@[^\s@()<>]+\.[^\s@()<>]+")


def person_name(text: str) -> str:
    """An RSS author as a name: RSS 2.0's ``<author>`` is an e-mail address, which Joomla,
    Blogger and others write ``webmaster@site.example (宣传部)``: the name in brackets (or
    before ``<address>``); a bare address is no name to publish."""
    text = text.strip()
    if "@" not in text:
        return text
    for pattern in (_EMAIL_NAME, _NAME_EMAIL):
        match = pattern.fullmatch(text)
        if match:
            return match.group(1).strip()
    return "" if _EMAIL.fullmatch(text) else text
