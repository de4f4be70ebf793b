"""What the screen reads in an entry's raw HTML: its text, its links, and what is hidden.

One walk over the parsed fragment (lxml) collects the visible text with block breaks, the
links made absolute, and the text and links a reader cannot see (inline styles, the ``hidden``
attribute, classes and ids a ``<style>`` block hides). Used by :mod:`federation.screen`.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urljoin, urlsplit

from lxml import etree

#: Raw HTML beyond this is not looked at (the sanitiser cuts there too).
HTML_LIMIT = 512 * 1024


class HidingLimits(Protocol):
    """The two screening rules that say when CSS hides text (:class:`ScreenRules` has them)."""

    @property
    def tiny_font_px(self) -> float: ...

    @property
    def offscreen_px(self) -> float: ...


_BLOCK_TAGS = frozenset(
    {
        "address", "article", "aside", "blockquote", "br", "caption", "dd", "details", "dialog",
        "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3",
        "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section",
        "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
    }
)  # fmt: skip
_INVISIBLE_TAGS = frozenset({"script", "style", "template", "noscript", "head", "title"})
#: A block boundary in extracted text; keyword runs never cross it.
BREAK = "\n\u2029\n"


@dataclass
class HtmlFacts:
    """What one pass over a raw HTML fragment found."""

    text: str = ""
    links: list[str] = field(default_factory=list)
    hidden_text: str = ""
    hidden_links: list[str] = field(default_factory=list)
    hidden_how: list[str] = field(default_factory=list)
    #: what a crawler reads besides the text: ``alt`` and ``title`` attributes, link hosts
    attributes: list[str] = field(default_factory=list)


_FULL_HTML_RE = re.compile(r"^\s*<(?:html|!doctype)", re.I)
_PARSERS = threading.local()


def _parse_fragment(markup: str) -> etree._Element | None:
    """The fragment's elements under a new ``<div>``, as ``lxml.html.fragment_fromstring(...,
    create_parent="div")`` builds it, but with plain elements: lxml.html's element classes
    cost a class lookup per element, a third of the screen's time on ordinary entries."""
    parser = getattr(_PARSERS, "html", None)
    if parser is None:  # one per thread: an lxml parser is not to be shared between threads
        parser = _PARSERS.html = etree.HTMLParser()
    markup = markup[:HTML_LIMIT]
    if not _FULL_HTML_RE.match(markup):
        markup = f"<html><body>{markup}</body></html>"
    try:
        document = etree.fromstring(markup, parser)
    except (etree.ParserError, ValueError, TypeError):
        return None
    if document is None:
        return None
    root = etree.Element("div")
    for body in document.iterchildren("body"):
        if body.text and body.text.strip():
            root.text = body.text
        root.extend(body)
        break
    return root


def _declarations(style: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for part in style.split(";"):
        name, _, value = part.partition(":")
        name = name.strip().lower()
        if name and value:
            found[name] = re.sub(r"\s*!important\s*$", "", value.strip().lower())
    return found


_LENGTH_RE = re.compile(r"^(-?[0-9]*\.?[0-9]+)\s*(px|pt|em|rem|%|vw|vh|cm|mm|in)?$")
_WHITE = {"#fff", "#ffffff", "white", "rgb(255,255,255)", "rgba(255,255,255,1)", "#fefefe"}


def _length_px(value: str) -> float | None:
    """A CSS length in CSS pixels (em/rem/% against a 16px font); None when not a length."""
    match = _LENGTH_RE.match(value.strip())
    if not match:
        return None
    number = float(match.group(1))
    unit = match.group(2) or "px"
    scale = {"px": 1, "pt": 4 / 3, "em": 16, "rem": 16, "%": 0.16, "vw": 10, "vh": 7,
             "cm": 37.8, "mm": 3.78, "in": 96}  # fmt: skip
    return number * scale[unit]


def _colour(value: str) -> str:
    return re.sub(r"\s+", "", value.lower())


def _hiding(
    decls: Mapping[str, str], rules: HidingLimits, inherited_background: bool
) -> str | None:
    """The CSS trick by which declarations ``decls`` hide their element, if any."""
    if decls.get("display", "").startswith("none"):
        return "display:none"
    if decls.get("visibility", "").split(" ")[0] in ("hidden", "collapse"):
        return "visibility:hidden"
    opacity = decls.get("opacity")
    if opacity is not None:
        try:
            if float(opacity.rstrip("%")) / (100 if opacity.endswith("%") else 1) < 0.1:
                return "opacity:0"
        except ValueError:
            pass
    how = _hiding_by_size(decls, rules)
    if how:
        return how
    transform = decls.get("transform", "").replace(" ", "")
    if "scale(0" in transform or "scalex(0" in transform or "scaley(0" in transform:
        return "transform:scale(0)"
    if re.search(r"translate[xy3d]*\(-?\d{4,}", transform):
        return "transform:translate"
    clip = decls.get("clip", "").replace(" ", "") + decls.get("clip-path", "").replace(" ", "")
    if clip.startswith(("rect(0", "rect(1px,1px", "inset(50%", "inset(100%", "circle(0")):
        return "clip"
    colour = decls.get("color")
    if colour and _colour(colour) in ("transparent", "rgba(0,0,0,0)", "#0000", "#00000000"):
        return f"color:{colour}"
    if colour:
        background = decls.get("background-color") or decls.get("background")
        if background and _colour(background).split(" ")[0] == _colour(colour):
            return f"color:{colour};background:{background}"
        if not background and not inherited_background and _colour(colour) in _WHITE:
            return f"color:{colour}"
    return None


def _hiding_by_size(decls: Mapping[str, str], rules: HidingLimits) -> str | None:
    """A tiny font, a box of no size with its overflow hidden, or off-screen positioning."""
    size = decls.get("font-size")
    if size is not None:
        px = _length_px(size)
        if px is not None and px < rules.tiny_font_px:
            return f"font-size:{size}"
    overflow_hidden = decls.get("overflow", "").startswith("hidden")
    for name in ("height", "max-height", "width", "max-width"):
        px = _length_px(decls.get(name, "x"))
        if px is not None and px <= 0 and overflow_hidden:
            return f"{name}:0;overflow:hidden"
    for name in ("left", "top", "right", "text-indent", "margin-left", "margin-top"):
        px = _length_px(decls.get(name, "x"))
        if px is not None and px <= -rules.offscreen_px:
            return f"{name}:{decls[name]}"
    return None


_CSS_RULE_RE = re.compile(r"([^{}]+)\{([^{}]*)\}")
_SIMPLE_SELECTOR_RE = re.compile(r"^[a-z0-9]*([.#])([\w-]+)$", re.I)


def _hidden_selectors(root: etree._Element, rules: HidingLimits) -> dict[str, str]:
    """Classes (``.x``) and ids (``#x``) that a ``<style>`` block in the fragment hides."""
    hidden: dict[str, str] = {}
    for style in root.iter("style"):
        css = re.sub(r"/\*.*?\*/", "", style.text or "", flags=re.S)
        for selectors, body in _CSS_RULE_RE.findall(css[:HTML_LIMIT]):
            how = _hiding(_declarations(body), rules, inherited_background=True)
            if not how:
                continue
            for selector in selectors.split(","):
                match = _SIMPLE_SELECTOR_RE.match(selector.strip())
                if match:
                    hidden[match.group(1) + match.group(2)] = how
    return hidden


_NO_DECLS: dict[str, str] = {}


def read_html(markup: str, rules: HidingLimits, base_url: str = "") -> HtmlFacts:
    """Text (with block breaks), links, and hidden text of a raw HTML fragment."""
    facts = HtmlFacts()
    if not markup:
        return facts
    if "<" not in markup and "&" not in markup:
        facts.text = markup
        return facts
    root = _parse_fragment(markup)
    if root is None:
        facts.text = markup
        return facts
    if "js_content" in markup:  # (a string test: most entries are not WeChat's)
        _show_wechat_body(root)
    text, hidden = _walk(root, rules, base_url, facts)
    facts.text = "".join(text)
    if hidden:
        facts.hidden_text = re.sub(r"\s+", " ", "".join(hidden)).strip()
    return facts


def _walk(
    root: etree._Element, rules: HidingLimits, base_url: str, facts: HtmlFacts
) -> tuple[list[str], list[str]]:
    """The visible and the hidden text pieces under ``root``; links and how text is hidden go
    into ``facts``."""
    by_selector = _hidden_selectors(root, rules)
    text: list[str] = []
    hidden: list[str] = []
    # Iterative walk (no recursion limit on hostile nesting). An "open" item visits an element;
    # its "close" item, pushed first so it pops after the children, ends a block and emits the
    # element's tail in the *parent's* visibility.
    stack: list[tuple[bool, Any, str | None, bool]] = [(True, root, None, False)]
    while stack:
        opening, node, hidden_by, background = stack.pop()
        tag = node.tag.lower() if isinstance(node.tag, str) else ""
        if not opening:
            if tag in _BLOCK_TAGS:
                text.append(BREAK)
            if node.tail:
                (hidden if hidden_by else text).append(node.tail)
            continue
        stack.append((False, node, hidden_by, background))
        if not tag or tag in _INVISIBLE_TAGS:
            continue  # comments, scripts, styles: no visible text (their tail is handled)
        attrib = node.attrib
        # Most elements carry no attribute at all: nothing can hide them but their ancestors.
        decls = _declarations(attrib["style"]) if "style" in attrib else _NO_DECLS
        here = background or bool(decls.get("background-color") or decls.get("background"))
        how = hidden_by
        if how is None and attrib:
            how = _element_hiding(attrib, decls, rules, background, by_selector)
            if how and how not in facts.hidden_how:
                facts.hidden_how.append(how)
        if tag in _BLOCK_TAGS:
            text.append(BREAK)
        if attrib:
            _read_attributes(tag, attrib, base_url, how, facts)
        if node.text:
            (hidden if how else text).append(node.text)
        for child in reversed(list(node)):
            stack.append((True, child, how, here))
    return text, hidden


#: Embedded players: their address becomes a link on the portal (sanitise.media_links).
_PLAYERS = frozenset({"iframe", "embed", "video", "audio", "source"})


def _read_attributes(
    tag: str, attrib: Any, base_url: str, how: str | None, facts: HtmlFacts
) -> None:
    """What a crawler reads in attributes: ``alt``, ``title``, and a link's address and host."""
    for name in ("alt", "title"):
        if attrib.get(name):
            facts.attributes.append(attrib[name])
    target = attrib.get("href") if tag == "a" else None
    if tag in _PLAYERS:  # the sanitiser puts a link to what it plays in its place
        target = attrib.get("src") or attrib.get("data-src")
    if target:
        href = _absolute(target, base_url)
        if href:
            facts.links.append(href)
            facts.attributes.append(urlsplit(href).hostname or "")
            if how:
                facts.hidden_links.append(href)


def _element_hiding(
    attrib: Any,
    decls: Mapping[str, str],
    rules: HidingLimits,
    background: bool,
    by_selector: Mapping[str, str],
) -> str | None:
    """How an element's own attributes (``hidden``, its style, its classes or id) hide it."""
    how = None
    if "hidden" in attrib:
        how = "hidden"
    elif attrib.get("color") and _colour(attrib["color"]) in _WHITE | {"transparent"}:
        how = f"color={attrib['color']}"  # <font color="#fff">
    elif decls:
        how = _hiding(decls, rules, background)
    if by_selector:
        for name in (attrib.get("class") or "").split():
            how = how or by_selector.get("." + name)
        if attrib.get("id"):
            how = how or by_selector.get("#" + attrib["id"])
    return how


_VISIBILITY_RE = re.compile(r"visibility\s*:\s*hidden\s*;?", re.I)
#: Share of the entry's text a WeChat body wrapper holds to count as the whole article.
_WHOLE_ARTICLE = 0.8


def _show_wechat_body(root: etree._Element) -> None:
    """Drop ``visibility: hidden`` from a WeChat article's body wrapper that holds the article.

    A WeChat page ships its text in ``<div class="rich_media_content" id="js_content"
    style="visibility: hidden;">`` and its script shows it; bridges that copy that div whole
    would have every article held as hidden text. Only a wrapper holding most of the text
    is shown: hidden text inside an article is still hidden text.
    """
    for node in root.iterfind(".//div[@id='js_content']"):
        style = node.get("style") or ""
        if not _VISIBILITY_RE.search(style):
            continue
        total = len(re.sub(r"\s+", "", "".join(root.itertext())))
        inside = len(re.sub(r"\s+", "", "".join(node.itertext())))
        if total and inside >= _WHOLE_ARTICLE * total:
            node.set("style", _VISIBILITY_RE.sub("", style))


def _absolute(href: str, base_url: str) -> str:
    """``href`` as an absolute http(s) address, or "" for any other kind of link."""
    try:
        url = urljoin(base_url, href.strip()) if base_url else href.strip()
        parts = urlsplit(url)
    except ValueError:
        return ""
    return url if parts.scheme in ("http", "https") and parts.hostname else ""


@dataclass(frozen=True)
class DefaultLimits:
    """The default hiding thresholds (``screen_rules.yaml``'s), for the sanitiser."""

    tiny_font_px: float = 4.0
    offscreen_px: float = 500.0


_HIDING_HINT_RE = re.compile(r"style|hidden|color\s*=", re.I)


def drop_hidden(markup: str, rules: HidingLimits = DefaultLimits()) -> str:
    """``markup`` without the elements a reader cannot see (by the same tests as the screen).

    The sanitiser strips ``style`` attributes, so text hidden by them would be *shown* on the
    portal: it is removed first. Markup with no hint of hiding is returned unchanged.
    """
    if not _HIDING_HINT_RE.search(markup):
        return markup
    root = _parse_fragment(markup)
    if root is None:
        return markup
    if "js_content" in markup:
        _show_wechat_body(root)
    by_selector = _hidden_selectors(root, rules)
    doomed = []
    for node in root.iter():
        if node is root or not isinstance(node.tag, str):
            continue
        attrib = node.attrib
        if not attrib:
            continue
        decls = _declarations(attrib["style"]) if "style" in attrib else _NO_DECLS
        if _element_hiding(attrib, decls, rules, False, by_selector):
            doomed.append(node)
    if not doomed:
        return markup
    for node in doomed:
        parent = node.getparent()
        if parent is None:
            continue
        tail = node.tail or ""
        previous = node.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
        parent.remove(node)
    inner = [root.text or ""] + [
        etree.tostring(child, encoding=str, method="html") for child in root
    ]
    return "".join(inner)
