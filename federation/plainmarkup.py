"""Plain markup, read without a parser: the text, the links and the sanitised form at once.

Nearly every entry a branch publishes is a few paragraphs, lists, links and emphasis, with no
attribute but ``href``. For such markup both HTML readers of the ingest do predictable work:
the screen's DOM walk (:mod:`federation.screen`) can only find text with block breaks and the
links, and the sanitiser (nh3, :mod:`federation.sanitise`) can only write the same tags back,
lower-cased, with the text re-escaped and ``rel`` added to each link. One tokenizer pass does
both in a fraction of the time, without building a tree.

:func:`read` accepts only markup whose tree an HTML parser builds exactly as written (known
tags, properly nested, nothing it would auto-close or restructure) and returns None for
anything else, which then takes the parsers. ``Plain.html`` is set only when every tag is one
the sanitiser keeps and every attribute is a link's absolute http(s) address; otherwise the
sanitiser runs as usual. ``tests/test_screen_fastpath.py`` checks the text and links against
the DOM walk, and ``tests/test_plainmarkup.py`` the HTML against nh3, byte for byte.

The sanitiser and the screen read the same raw fragment of an entry one after the other; the
second read of that very string object is answered from the first (see :func:`read`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Marks a block boundary in extracted text; keyword runs never cross it.
BREAK = "\n\u2029\n"
#: One entry's HTML; a bigger one is a mistake or an attack (the sanitiser cuts it there).
HTML_LIMIT = 512 * 1024

#: libxml2 and html5ever may drop or replace control and non-characters, which could join
#: "sty" and "le" or change the text: never plain.
_UNSAFE_CHAR_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]")
_TAG_SPLIT_RE = re.compile(r"(<[^<>]*>)")
_TAG_RE = re.compile(
    r"<(/?)([a-zA-Z][a-zA-Z0-9]*)((?:[ \t\n]+[a-zA-Z_][-a-zA-Z0-9_]*=(?:\"[^\"]*\"|'[^']*'))*)"
    r"[ \t\n]*(/?)>"
)
_TEXT_ENTITY_RE = re.compile(r"&(amp|lt|gt|quot|apos|nbsp|#[0-9]{1,5}|#[xX][0-9a-fA-F]{1,4});")
_ATTR_RE = re.compile(r"[ \t\n]+([a-zA-Z_][-a-zA-Z0-9_]*)=(?:\"([^\"]*)\"|'([^']*)')")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'", "nbsp": "\xa0"}
INLINE_TAGS = frozenset(
    {"a", "abbr", "b", "cite", "code", "del", "dfn", "em", "i", "ins", "kbd", "q", "s",
     "samp", "small", "span", "strong", "sub", "sup", "u", "var"}
)  # fmt: skip
#: Blocks that may hold other blocks; p and headings hold inline content only.
CONTAINER_TAGS = frozenset({"div", "blockquote", "li", "ul", "ol"})
PHRASE_BLOCK_TAGS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6"})
VOID_TAGS = {"br": True, "hr": True, "img": False}  # → is it a block (text break)?
#: The tags :attr:`Plain.html` may hold: all of the above that the sanitiser keeps (it drops
#: dfn, samp and var, keeping their text; an img needs attributes the fast path leaves to it).
#: ``federation.sanitise`` checks at import that it keeps every one of them.
SERIALISED_TAGS = (INLINE_TAGS | CONTAINER_TAGS | PHRASE_BLOCK_TAGS | {"br", "hr"}) - {
    "dfn", "samp", "var",
}  # fmt: skip
#: An absolute http(s) address written back as it is: ASCII, no quotes, spaces, controls,
#: backslashes or user info, a host of letters, digits, dots and hyphens.
_LINK_RE = re.compile(
    r"https?://[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:[/?#][-A-Za-z0-9._~%!$&'()*+,;=:/?#@]*)?"
)
LINK_REL = "nofollow noopener"

#: The common attribute-less tags, looked up instead of matched: (closing, name, slash,
#: the tag as written back).
_SIMPLE_TAGS = {
    f"<{close}{name}{end}>": (close, name, end.strip(), f"<{close}{name}>")
    for name in (*INLINE_TAGS, *CONTAINER_TAGS, *PHRASE_BLOCK_TAGS, *VOID_TAGS)
    for close, end in (("", ""), ("/", ""), ("", "/"), ("", " /"))
}
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\xa0": "&nbsp;"})
_ATTRIBUTE_ESCAPES = str.maketrans({"&": "&amp;", '"': "&quot;", "\xa0": "&nbsp;"})


@dataclass(slots=True)
class Plain:
    """What plain markup holds."""

    #: The text, with :data:`BREAK` around blocks, as the screen's DOM walk extracts it.
    text: str
    #: Each link's ``href`` as written (entities decoded; possibly relative or empty).
    hrefs: list[str]
    #: The markup as the sanitiser writes it, or None when it must decide itself.
    html: str | None


class _NotPlain(Exception):
    """The markup needs a parser."""


def _entity(match: re.Match[str]) -> str:
    name = match.group(1)
    if name[0] != "#":
        return _ENTITIES[name]
    code = int(name[2:], 16) if name[1] in "xX" else int(name[1:])
    # Only code points every HTML parser maps to themselves (no NUL, C1 remapping, surrogates).
    if code in (9, 10) or 0x20 <= code < 0x7F or 0xA0 <= code < 0xD800 or 0xE000 <= code < 0xFDD0:
        return chr(code)
    if 0xFDF0 <= code < 0xFFFE:
        return chr(code)
    raise _NotPlain


def _href(attributes: str) -> tuple[str | None, bool]:
    """The ``href`` among ``attributes`` (None: there is none), and whether it is alone."""
    found = None
    pairs = _ATTR_RE.findall(attributes)
    for name, double, single in pairs:
        if name.lower() == "href":
            if found is not None:
                raise _NotPlain  # duplicate attribute: leave it to the parser's rules
            found = double if double or not single else single
    if found and "&" in found:
        if "&" in found.replace("&amp;", ""):
            raise _NotPlain
        found = found.replace("&amp;", "&")
    return found, len(pairs) == 1


# The fragments read lately, by identity: the ingest sanitises a feed's entries, then screens
# them, and both read the same raw strings; an equal string of another entry is another object
# and is read again. Bounded by count and size (a feed's worth).
_recent: dict[int, tuple[str, Plain | None]] = {}
_RECENT_MAX = 1024
_RECENT_BYTES = 8 * 1024 * 1024
_recent_bytes = 0


def read(markup: str) -> Plain | None:
    """:class:`Plain` for plain markup; None when it needs a parser."""
    global _recent_bytes
    kept = _recent.get(id(markup))
    if kept is not None and kept[0] is markup:
        return kept[1]
    plain = _read(markup)
    if len(_recent) >= _RECENT_MAX or _recent_bytes > _RECENT_BYTES:
        _recent.clear()
        _recent_bytes = 0
    _recent[id(markup)] = (markup, plain)  # holds the string, so its id is not reused
    _recent_bytes += len(markup)
    return plain


def _read(markup: str) -> Plain | None:
    if len(markup) > HTML_LIMIT or _UNSAFE_CHAR_RE.search(markup):
        return None
    text: list[str] = [BREAK]
    out: list[str] = []  # the sanitised form, while ``serialised``
    serialised = True
    hrefs: list[str] = []
    stack: list[str] = []
    leading = True
    is_text = False
    try:
        # Pieces alternate: text, tag, text … (a tag is "<…>" with no "<" or ">" inside).
        for piece in _TAG_SPLIT_RE.split(markup):
            is_text = not is_text
            if is_text:
                if not piece:
                    continue
                if "<" in piece:
                    return None  # a stray "<" (or a tag split by one): not plain
                raw = piece
                if "&" in piece:
                    if piece.count("&") != len(_TEXT_ENTITY_RE.findall(piece)):
                        return None  # a bare "&" or an entity we do not decode here
                    piece = _TEXT_ENTITY_RE.sub(_entity, piece)
                if stack and stack[-1] in ("ul", "ol") and piece.strip(" \t\n"):
                    return None  # text between list items
                text.append(piece)
                if serialised:
                    plain_text = "&" not in raw and ">" not in raw and "\xa0" not in raw
                    out.append(raw if plain_text else piece.translate(_ESCAPES))
                continue
            simple = _SIMPLE_TAGS.get(piece)
            if simple is not None:
                closing, name, slash, written = simple
                attributes = ""
            else:
                written = ""
                match = _TAG_RE.fullmatch(piece)
                if match is None:
                    return None  # a comment, a declaration, an unquoted attribute …
                closing, name, attributes, slash = match.groups()
                # Only a tag can hide anything (a style or hidden attribute; a <style> block
                # is no known tag): text never can, so the prose need not be searched.
                # Parsers lowercase ASCII names; more folding only declines more.
                lowered = piece.lower()
                if "style" in lowered or "hidden" in lowered:
                    return None
            tag = name.lower()
            if leading:
                leading = False
                if not "".join(text[1:]).strip():
                    del text[1:]  # the walk keeps the body's leading text only when not blank
            if closing:
                if slash or attributes or not stack or stack[-1] != tag:
                    return None
                stack.pop()
                if tag not in INLINE_TAGS:
                    text.append(BREAK)
                out.append(written or f"</{tag}>")
                continue
            parent = stack[-1] if stack else "body"
            if tag in VOID_TAGS:
                if parent in ("ul", "ol"):
                    return None
                if tag == "hr" and parent not in CONTAINER_TAGS and parent != "body":
                    return None  # an hr closes an open p
                if VOID_TAGS[tag]:
                    text.append(BREAK + BREAK)
                if attributes or tag not in SERIALISED_TAGS:
                    serialised = False
                out.append(f"<{tag}>")  # "<br/>" is written "<br>"
                continue
            if slash:
                return None  # "<p/>" opens a p in HTML: leave it to the parser
            if tag in INLINE_TAGS:
                if parent in ("ul", "ol") or (tag == "a" and "a" in stack):
                    return None
                if tag == "a":
                    href, alone = _href(attributes)
                    if href:
                        hrefs.append(href)
                    # Written back only when the link is the one attribute, and absolute.
                    if serialised and alone and href and _LINK_RE.fullmatch(href):
                        value = href.translate(_ATTRIBUTE_ESCAPES)
                        out.append(f'<a href="{value}" rel="{LINK_REL}">')
                        stack.append(tag)
                        continue
                    serialised = False
            elif tag == "li":
                if parent not in ("ul", "ol"):
                    return None
                text.append(BREAK)
            elif tag in CONTAINER_TAGS or tag in PHRASE_BLOCK_TAGS:
                if parent in ("ul", "ol") or not CONTAINER_TAGS.issuperset(stack):
                    return None
                text.append(BREAK)
            else:
                return None
            if attributes or tag not in SERIALISED_TAGS:
                serialised = False
            out.append(written or f"<{tag}>")
            stack.append(tag)
    except _NotPlain:
        return None
    if stack:
        return None
    if leading and not "".join(text[1:]).strip():
        del text[1:]
    text.append(BREAK)
    return Plain("".join(text), hrefs, "".join(out) if serialised else None)
