"""What is made of a feed body that is not well-formed XML.

- A bare ``&`` (``R&D``, a link's ``?a=1&b=2`` from a PHP template) is the one mistake that
  can be undone exactly: escaped outside CDATA sections, the body is read as the site meant it
  (a lenient reader makes ``R&D`` into ``R&D;``), and the health page names the line to fix.
- A body cut short (a generator that stopped writing, a proxy's size limit) does not end with
  its root's end tag. The lenient reader returns the entry the cut fell in with part of its
  text, which, stored, would replace the whole text stored before: that entry is left out,
  the whole ones before it are kept, and the health page says where the feed stops. A body
  cut in its only entry is refused like a failed download (:data:`CUT_OFF`).
- Any other error the lenient reader reads past is noted with its line.
"""

from __future__ import annotations

import logging
import re
from typing import Any
from xml.sax import SAXParseException

#: The error key of a body cut in its only entry (nothing whole to keep).
CUT_OFF = "federation.parse.cut_off"

#: A bare ``&``, or the opening of a section whose ``&`` are literal (CDATA, a comment).
_AMPERSAND_OR_SECTION = re.compile(
    rb"<!\[CDATA\[|<!--|&(?!(?:[A-Za-z][\w.-]*|#[0-9]+|#[xX][0-9A-Fa-f]+);)"
)
_SECTION_END = {b"<![CDATA[": b"]]>", b"<!--": b"-->"}
#: A feed's end: the root's end tag (Atom, RSS, RDF), then only blanks and comments.
_WHOLE_END = re.compile(r"</(?:[\w.-]+:)?(?:feed|rss|RDF)\s*>(?:\s|<!--.*?-->)*\Z", re.S | re.I)
_ITEM_START = re.compile(r"<(?:[\w.-]+:)?(?:item|entry)[\s>/]", re.I)
_ITEM_END = re.compile(r"</(?:[\w.-]+:)?(?:item|entry)\s*>", re.I)


def escape_bare_ampersands(body: bytes) -> bytes:
    """``body`` (UTF-8) with each ``&`` that starts no entity or character reference written
    ``&amp;``; CDATA sections and comments are left as they are."""
    out, start = [], 0
    # Each section is skipped by one find() for its end: linear, however many are unclosed
    # (a pattern matching a whole section scanned to the end for each unclosed one).
    for match in _AMPERSAND_OR_SECTION.finditer(body):
        if match.start() < start:
            continue  # inside a section skipped below
        opening = match.group()
        if opening == b"&":
            out += [body[start : match.start()], b"&amp;"]
            start = match.end()
            continue
        end = body.find(_SECTION_END[opening], match.end())
        if end == -1:
            break  # an unclosed section runs to the end: nothing more to escape
        out.append(body[start : end + len(_SECTION_END[opening])])
        start = end + len(_SECTION_END[opening])
    out.append(body[start:])
    return b"".join(out)


def ampersand_note(line: int) -> tuple[str, dict[str, Any]]:
    return ("federation.parse.bare_ampersand", {"line": line})


def decoded(body: bytes, encoding: str | None) -> str:
    """``body`` as text, in the encoding the lenient reader found (UTF-16, EBCDIC…), for
    finding where it ends."""
    try:
        return body.decode(encoding or "utf-8", errors="replace")
    except LookupError:
        return body.decode("utf-8", errors="replace")


def cut_short(text: str) -> bool:
    """Whether the feed ``text`` stops before its root's end tag."""
    return _WHOLE_END.search(text[-4096:]) is None


def last_line(text: str) -> int:
    return text.rstrip().count("\n") + 1


def keep_whole_entries(body: bytes, result: Any) -> tuple[str, bool]:
    """``body`` as text, and whether it was cut short; the entry the cut fell in is dropped
    from ``result.entries`` (feedparser's reading of ``body``)."""
    text = decoded(body, result.get("encoding"))
    cut = cut_short(text)
    if cut:
        drop_cut_entry(text, result.entries)
    return text, cut


def drop_cut_entry(text: str, entries: list[Any]) -> None:
    """Leave out the last of ``entries`` (read leniently from ``text``, cut short) when the
    cut fell inside it: an item opens after the last item's end tag."""
    ends = list(_ITEM_END.finditer(text))
    tail = text[ends[-1].end() :] if ends else text
    if entries and _ITEM_START.search(tail):
        entries.pop()


logger = logging.getLogger(__name__)

#: expat's messages (what feedparser's SAX reading reports) the health note names in words
_XML_ERRORS = {
    "not well-formed (invalid token)": "federation.parse.repaired_token",
    "undefined entity": "federation.parse.repaired_entity",
    "mismatched tag": "federation.parse.repaired_tag",
}


def lenient_notes(text: str, problem: object, cut: bool) -> list[tuple[str, dict[str, Any]]]:
    """The health notes of a body read leniently: what broke (unless it is the cut), where it
    was cut."""
    notes: list[tuple[str, dict[str, Any]]] = []
    if isinstance(problem, SAXParseException):
        line = problem.getLineNumber() or 1
        if not (cut and line >= last_line(text)):  # an error at the end is the cut itself
            # the parser's English goes to the operator's log, the health page says it in words
            message = problem.getMessage()
            logger.info("feed XML repaired at line %s: %s", line, message)
            key = _XML_ERRORS.get(message, "federation.parse.repaired")
            notes.append((key, {"line": line}))
    if cut:
        notes.append(("federation.parse.cut_short", {"line": last_line(text)}))
    return notes
