"""YAML mistakes editors make, explained in words at the line to fix.

PyYAML's own text ("while scanning a plain scalar, found a tab character …", "mapping values
are not allowed here") means nothing to a branch editor, and for some mistakes it names a
later line than the one to fix (a full-width colon after a field name is noticed on the
next line). :func:`diagnose` looks at the source around the error and names the mistake:
a tab used to indent, a full-width ``：`` after a field name, an ASCII ``:`` inside a
value, quotes that do not pair up, a backslash inside double quotes, a list's unclosed
``[``, a field indented under one that has its value, a field name with no colon after it
(``title 社区活动``) or no space after its colon (``title:社区活动``), a field out of line with
the fields beside it, a value opening with ``[`` (``title: [公告] …``), a `` #`` inside a list.
:func:`dropped_comment` names the `` #…`` YAML cut off a title as a comment (the file
parses). :func:`invisible` names a full-width, no-break or zero-width space pasted
from Word or WPS where YAML needs a space or nothing (the file parses, wrongly, so it runs
before the parser too), and a control character. Anything else keeps the parser's detail.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

#: ``title：…``: a field name followed by a full-width colon (YAML sees one long text).
_FULLWIDTH_KEY = re.compile(r"^\s*(?:-\s+)?([A-Za-z_][\w-]*)\s*：")
#: ``title 社区活动``: a field name, a space and a value, no colon (YAML sees one long text).
_NO_COLON = re.compile(r"^(\s*)(?:-\s+)?([A-Za-z_][\w-]*)[ \t]+([^:：#\s][^:：]*)$")
#: ``title:社区活动``: no space after the colon (YAML sees one text, ``title:社区活动``).
_NO_SPACE = re.compile(r"^\s*(?:-\s+)?([A-Za-z_][\w-]*):([^\s/].*)$")
#: ``title: …`` (or ``- question: …`` in a list): the field and its value.
_KEY_VALUE = re.compile(r"^\s*(?:-\s+)?([A-Za-z_][\w-]*)\s*:[ \t]+(.*)$")


#: Characters Word, WPS and web pages paste that look like a space, or like nothing: YAML
#: takes none of them as a space (the catalogue key of each kind).
_INVISIBLE = {
    "\u3000": "yaml_invisible_fullwidth_space",
    "\u00a0": "yaml_invisible_nbsp",
    "\u2007": "yaml_invisible_nbsp",
    "\u202f": "yaml_invisible_nbsp",
    "\u200b": "yaml_invisible_zero_width",
    "\u200c": "yaml_invisible_zero_width",
    "\u200d": "yaml_invisible_zero_width",
    "\u2060": "yaml_invisible_zero_width",
    "\ufeff": "yaml_invisible_zero_width",
}
#: Never text in a field: a vertical tab, a form feed, Unicode's line and paragraph separators.
_CONTROL = {"\x0b", "\x0c", "\u2028", "\u2029"}
LOOKS_BLANK = "".join(_INVISIBLE) + " \t"
#: Where a look-alike space breaks the structure: the indentation, a list's dash, a field
#: name's colon (before or after it).
_STRUCTURE = re.compile(
    rf"^[{LOOKS_BLANK}]*(?:-[{LOOKS_BLANK}]+)?(?:[A-Za-z_][\w-]*[{LOOKS_BLANK}]*:[{LOOKS_BLANK}]*)?"
)


@dataclass(frozen=True)
class Diagnosis:
    """Which line to fix, the catalogue key (section ``config``) and its fields."""

    line: int
    key: str
    values: dict[str, Any] = field(default_factory=dict)


def invisible(text: str, first_line: int) -> Diagnosis | None:
    """The first line where a character that looks like a space (a full-width space, a
    no-break space) or like nothing (a zero-width space) stands where YAML needs a space or
    nothing, or that holds a control character: YAML's own message named none of them."""
    for index, line in enumerate(text.split("\n")):  # (splitlines() splits at a \x0b too)
        control = next((c for c in line if c in _CONTROL), None)
        if control is not None:
            return Diagnosis(first_line + index, "yaml_invisible_control", {"code": _code(control)})
        head = _STRUCTURE.match(line)
        found = next((c for c in head[0] if c in _INVISIBLE), None) if head else None
        if found is not None:
            return Diagnosis(first_line + index, _INVISIBLE[found], {"code": _code(found)})
    return None


def _code(char: str) -> str:
    return f"U+{ord(char):04X}"


def fullwidth_colon(text: str, first_line: int) -> Diagnosis | None:
    """The first line whose field name is followed by ``：`` instead of ``:``."""
    for index, line in enumerate(text.splitlines()):
        match = _FULLWIDTH_KEY.match(line)
        if match:
            return Diagnosis(first_line + index, "yaml_fullwidth_colon", {"field": match[1]})
    return None


def in_one_text(text: str, first_line: int) -> Diagnosis | None:
    """Why YAML read ``text`` (meant as fields) as one text: a full-width colon, a field with
    no space after its colon, or no colon at all."""
    found = fullwidth_colon(text, first_line)
    for index, line in enumerate(text.splitlines()):
        found = (
            found or _no_space(line, first_line + index) or _missing_colon(line, first_line + index)
        )
    return found


def _tab_indent(lines: list[str], first_line: int) -> Diagnosis | None:
    for index, line in enumerate(lines):
        stripped = line.lstrip(" \t-")
        indent = line[: len(line) - len(stripped)]
        if "\t" in indent or re.match(r"^[\w-]+:\t", stripped):
            return Diagnosis(first_line + index, "yaml_tab")
    return None


def _quotes(line: str, number: int) -> Diagnosis | None:
    match = _KEY_VALUE.match(line)
    if not match or match[2][:1] not in ("'", '"'):
        return None
    quote, value = match[2][0], match[2].rstrip()
    closing = value.find(quote, 1)
    if quote == "'":
        while closing != -1 and value[closing + 1 : closing + 2] == "'":
            closing = value.find(quote, closing + 2)  # '' is an escaped quote
    rest = value[closing + 1 :].strip() if closing != -1 else ""
    if closing == -1 or (rest and not rest.startswith("#")):
        return Diagnosis(number, "yaml_quotes", {"field": match[1]})
    return None


def _colon_in_value(line: str, number: int) -> Diagnosis | None:
    match = _KEY_VALUE.match(line)
    if match and re.search(r":(\s|$)", match[2]):
        return Diagnosis(number, "yaml_colon_in_value", {"field": match[1]})
    return None


def _escape(line: str, number: int) -> Diagnosis | None:
    """``title: "关于\\下发通知"``: a backslash inside double quotes (Windows paths too)."""
    match = _KEY_VALUE.match(line)
    if not match or not match[2].startswith('"') or "\\" not in match[2]:
        return None
    inner = match[2].strip()[1:-1] if match[2].strip().endswith('"') else match[2][1:]
    fixed = "'" + inner.replace("'", "''") + "'"
    return Diagnosis(number, "yaml_escape", {"field": match[1], "fixed": f"{match[1]}: {fixed}"})


def _indent_of(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _no_colon(lines: list[str], index: int, number: int) -> Diagnosis | None:
    """``title 社区活动`` at the indentation of fields (not a value's next line)."""
    indent = _indent_of(lines[index])
    fields = [line for line in lines if _KEY_VALUE.match(line) or line.rstrip().endswith(":")]
    if not any(_indent_of(line) == indent for line in fields):
        return None
    return _missing_colon(lines[index], number)


def _missing_colon(line: str, number: int) -> Diagnosis | None:
    match = _NO_COLON.match(line)
    if not match:
        return None
    fixed = f"{match[2]}: {match[3].strip()}"
    return Diagnosis(number, "yaml_missing_colon", {"field": match[2], "fixed": fixed})


def _no_space(line: str, number: int) -> Diagnosis | None:
    match = _NO_SPACE.match(line)
    if not match:
        return None
    fixed = f"{match[1]}: {match[2].strip()}"
    return Diagnosis(number, "yaml_no_space", {"field": match[1], "fixed": fixed})


def _unclosed_bracket(lines: list[str], first_line: int, error_line: int) -> Diagnosis | None:
    """``tags: [a, b`` (no ``]``): the parser stops lines later, at the next field."""
    for index in range(min(error_line - first_line, len(lines) - 1), -1, -1):
        match = _KEY_VALUE.match(lines[index])
        if match and match[2].count("[") > match[2].count("]"):
            return Diagnosis(first_line + index, "yaml_unclosed_bracket", {"field": match[1]})
    return None


def _indent(lines: list[str], first_line: int, error_line: int) -> Diagnosis | None:
    """``  summary: …`` indented under ``title: a``, which already has its value."""
    index = error_line - first_line
    if not 0 < index < len(lines):
        return None
    line, before = lines[index], lines[index - 1]
    match, above = _KEY_VALUE.match(line), _KEY_VALUE.match(before)
    indent = len(line) - len(line.lstrip(" "))
    if match and above and indent > len(before) - len(before.lstrip(" ")):
        return Diagnosis(error_line, "yaml_indent", {"field": match[1]})
    return None


def _special_start(lines: list[str], first_line: int, error_line: int) -> Diagnosis | None:
    """``title: *重要*通知`` (Markdown bold), ``tags: &x``, ``@…``: YAML's own symbols."""
    for index in range(min(error_line - first_line, len(lines) - 1), -1, -1):
        match = _KEY_VALUE.match(lines[index])
        if match and match[2][:1] in _SPECIAL:
            return _starts_special(match, first_line + index)
    return None


def _starts_special(match: re.Match[str], line: int) -> Diagnosis:
    """A value opening with a character YAML reads as its own, told to be quoted."""
    values = {"field": match[1], "char": match[2][0], "fixed": _quoted(match)}
    return Diagnosis(line, "yaml_special_start", values)


def _quoted(match: re.Match[str]) -> str:
    """``field: "value"`` of a :data:`_KEY_VALUE` match (its own ``"`` written as “)."""
    return f'{match[1]}: "{match[2].strip().replace(chr(34), "“")}"'


#: The parser's words for a line indented unlike the fields beside it.
_OUT_OF_LINE = ("expected <block end>", "expected '-' indicator", "did not find expected key")
#: Characters YAML reserves at the start of a plain value.
_SPECIAL = ("*", "&", "@", "`", "%")


def _bracket_start(lines: list[str], first_line: int, error_line: int) -> Diagnosis | None:
    """``title: [公告] 志愿者大会延期``: a value opening with ``[`` or ``{`` is a list or a
    mapping to YAML, and the words after its bracket are then out of place."""
    index = error_line - first_line
    match = _KEY_VALUE.match(lines[index]) if 0 <= index < len(lines) else None
    if not match or match[2][:1] not in "[{":
        return None
    close = match[2].find("]" if match[2][0] == "[" else "}")
    if close < 0 or not match[2][close + 1 :].strip():
        return None
    return _starts_special(match, error_line)


def _hash_in_list(lines: list[str], first_line: int, error_line: int) -> Diagnosis | None:
    """``tags: [志工 #培训]``: `` #`` starts a comment even inside a list, which then never
    closes. Each item holding a # is to be quoted."""
    for index in range(min(error_line - first_line, len(lines) - 1), -1, -1):
        match = _KEY_VALUE.match(lines[index])
        if match and match[2].startswith("[") and re.search(r"\s#", match[2]):
            inside = match[2].strip().removeprefix("[").removesuffix("]")
            items = [item.strip() for item in inside.split(",")]
            quoted = [f'"{item}"' if "#" in item else item for item in items]
            fixed = f"{match[1]}: [{', '.join(quoted)}]"
            return Diagnosis(
                first_line + index, "yaml_hash_in_list", {"field": match[1], "fixed": fixed}
            )
    return None


#: Fields whose value is text a reader sees: a `` #`` in them is more likely meant than a comment.
_TEXT_FIELDS = frozenset({"title", "summary", "author", "description", "question", "explanation"})
#: A plain (unquoted) value and the comment YAML cuts off it: `` #`` and what follows.
_COMMENTED = re.compile(r"^([^\"'\[{|>&*!%@`][^#]*?)\s+(#.*)$")


def dropped_comment(text: str, first_line: int) -> Diagnosis | None:
    """``title: 第2场说明会 #志愿者培训``: the file parses, and YAML silently drops `` #…`` as
    a comment, so the page's title is cut short. Named in text fields, with the quoted form."""
    for index, line in enumerate(text.splitlines()):
        match = _KEY_VALUE.match(line)
        found = _COMMENTED.match(match[2]) if match and match[1] in _TEXT_FIELDS else None
        if match and found:
            values = {"field": match[1], "kept": found[1].strip(), "dropped": found[2].strip()}
            values["fixed"] = _quoted(match)
            return Diagnosis(first_line + index, "yaml_comment_dropped", values)
    return None


def _by_detail(lines: list[str], first_line: int, error_line: int, detail: str) -> Diagnosis | None:
    """Mistakes the parser's own words point at (after the line-based ones)."""
    index = error_line - first_line
    if "unknown escape character" in detail and 0 <= index < len(lines):
        return _escape(lines[index], error_line)
    if "flow sequence" in detail or "expected ',' or ']'" in detail:
        return _hash_in_list(lines, first_line, error_line) or _unclosed_bracket(
            lines, first_line, error_line
        )
    if any(words in detail for words in _OUT_OF_LINE):
        found = _bracket_start(lines, first_line, error_line)
        if found is not None:
            return found
    if "mapping values are not allowed" in detail:
        return _indent(lines, first_line, error_line)
    if "alias" in detail or "anchor" in detail or "cannot start any token" in detail:
        return _special_start(lines, first_line, error_line)
    if any(words in detail for words in _OUT_OF_LINE):
        return Diagnosis(error_line, "yaml_align")
    return None


def diagnose(text: str, first_line: int, error_line: int, detail: str) -> Diagnosis | None:
    """Name the mistake behind a YAML syntax error reported at ``error_line`` (1-based
    lines of the whole file; ``text`` starts at ``first_line``), or None if unknown."""
    lines = text.splitlines()
    found = invisible(text, first_line) or fullwidth_colon(text, first_line)
    if found is not None:
        return found
    if "\t" in text:  # a tab in indentation is always an error in YAML
        found = _tab_indent(lines, first_line)
        if found is not None:
            return found
    # The error's own line, then the line before it (an unclosed quote or a value's
    # colon is often noticed one line late).
    for number in (error_line, error_line - 1):
        index = number - first_line
        if not 0 <= index < len(lines):
            continue
        found = _quotes(lines[index], number)
        if found is None and "mapping values are not allowed" in detail:
            found = _colon_in_value(lines[index], number)
        found = found or _no_colon(lines, index, number) or _no_space(lines[index], number)
        if found is not None:
            return found
    return _by_detail(lines, first_line, error_line, detail)
