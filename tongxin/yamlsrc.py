"""Safe YAML loading that remembers on which line every key and list item stands.

Editors need "line 7: ..." rather than "somewhere in this file", so loading goes through
PyYAML's node graph (which carries marks) before constructing plain Python objects.
Only PyYAML's *safe* constructors run: no Python object tags, no code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import yaml

from tongxin.yamlhelp import Diagnosis, diagnose

#: A location key: the path of keys and list indexes from the document root,
#: e.g. ``("quiz", 0, "answer")``. The root itself is ``()``.
KeyPath = tuple[str | int, ...]


class YamlSyntaxError(Exception):
    """The text is not YAML that the safe loader accepts; ``line`` is 1-based."""

    def __init__(self, line: int, detail: str, diagnosis: Diagnosis | None = None) -> None:
        super().__init__(f"line {line}: {detail}")
        #: the line to fix: the diagnosed mistake's, else where the parser stopped
        self.line = diagnosis.line if diagnosis else line
        self.detail = detail
        #: the mistake in words (:mod:`tongxin.yamlhelp`), when recognised
        self.diagnosis = diagnosis

    def message(self, language: str | None) -> str:
        """The mistake explained in ``language`` (catalogue section ``config``)."""
        from tongxin.i18n import translate

        if self.diagnosis is not None:
            key = f"config.{self.diagnosis.key}"
            return translate(language, key, **self.diagnosis.values)
        return translate(language, "config.yaml_syntax", detail=self.detail)


class ImpossibleDate(ValueError):
    """Looks like a date but names a day that does not exist (2026-02-30)."""


@dataclass
class YamlDocument:
    """Plain data plus where each part of it was written."""

    data: Any
    lines: dict[KeyPath, int] = field(default_factory=dict)
    #: keys written twice in one mapping (YAML keeps the last silently; we do not)
    duplicates: list[tuple[KeyPath, int]] = field(default_factory=list)
    #: the text of each unquoted scalar as written (0755 is the number 493 to YAML: a message
    #: quoting the value tells the editor to quote 0755)
    plain: dict[KeyPath, str] = field(default_factory=dict)

    def line_of(self, path: KeyPath, default: int | None = None) -> int:
        """The line of ``path``, else of its nearest written ancestor."""
        probe = tuple(path)
        while probe:
            if probe in self.lines:
                return self.lines[probe]
            probe = probe[:-1]
        return self.lines.get((), default if default is not None else 1)


_DATE_RE = re.compile(
    # 2026-03-01, 2026/3/1, 2026.03.01, 2026年3月1日 (as editors type them in Chinese)
    r"^(\d{4})(?:[-/.]|[ \t]*年[ \t]*)(\d{1,2})(?:[-/.]|[ \t]*月[ \t]*)(\d{1,2})(?:[ \t]*日)?"
    r"(?:(?:[Tt]|[ \t]+)(\d{1,2})[:：](\d{2})(?:[:：](\d{2})(?:\.(\d{1,6})\d*)?)?)?"
    r"[ \t]*(Z|z|[+-]\d{2}(?::?\d{2})?)?$"
)


#: A Minguo (ROC) year as Taiwan writes dates, 民國115年 (2026): the year plus this.
ROC_OFFSET = 1911
_ROC_YEAR = re.compile(r"^民[國国][ \t]*(\d{1,3})[ \t]*年")


def parse_date_text(text: str) -> date | datetime | None:
    """Parse the date forms editors write (``2026-03-01``, ``2026-03-01 09:30``, ISO 8601,
    ``2026/3/1``, ``2026.03.01``, ``2026年3月1日 9:30``, ``民國115年3月1日``).

    Returns ``None`` when ``text`` does not look like a date at all and raises
    :class:`ImpossibleDate` when it does but the day cannot exist.
    """
    text = _ROC_YEAR.sub(lambda m: f"{int(m[1]) + ROC_OFFSET}年", text.strip(), count=1)
    match = _DATE_RE.match(text)
    if not match:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        if hour is None:
            if zone:
                return None
            return date(int(year), int(month), int(day))
        micro = int((fraction or "0").ljust(6, "0"))
        tzinfo = None
        if zone:
            if zone in ("Z", "z"):
                tzinfo = UTC
            else:
                sign = -1 if zone[0] == "-" else 1
                digits = zone[1:].replace(":", "")
                offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:] or 0))
                tzinfo = timezone(sign * offset)
        return datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second or 0), micro, tzinfo
        )
    except ValueError as error:
        raise ImpossibleDate(str(error)) from error


class _Constructor(yaml.constructor.SafeConstructor):
    def construct_yaml_timestamp(self, node: yaml.Node) -> Any:
        # PyYAML raises on 2026-02-30; keep the text so the schema can say which field
        # holds an impossible date instead of failing the whole file as "bad YAML".
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:
            return self.construct_scalar(node)


_Constructor.add_constructor("tag:yaml.org,2002:timestamp", _Constructor.construct_yaml_timestamp)


class _Loader(
    yaml.reader.Reader,
    yaml.scanner.Scanner,
    yaml.parser.Parser,
    yaml.composer.Composer,
    _Constructor,
    yaml.resolver.Resolver,
):
    def __init__(self, stream: str) -> None:
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)
        yaml.composer.Composer.__init__(self)
        _Constructor.__init__(self)
        yaml.resolver.Resolver.__init__(self)


if yaml.__with_libyaml__:
    # libyaml parses ~10x faster and its nodes carry the same marks; constructing stays ours.
    class _CLoader(yaml.cyaml.CParser, _Constructor, yaml.resolver.Resolver):
        def __init__(self, stream: str) -> None:
            yaml.cyaml.CParser.__init__(self, stream)
            _Constructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)

    _LOADER: type = _CLoader
else:  # pragma: no cover - depends on how PyYAML was built
    _LOADER = _Loader


def _error_line(error: yaml.YAMLError, text: str, first_line: int) -> int:
    problem = getattr(error, "problem_mark", None)
    context = getattr(error, "context_mark", None)
    mark = problem or context
    # An unclosed bracket or quote is noticed lines later (or at the end of the text); the
    # line where it was opened is the one the editor has to fix. For block structures the
    # context is merely "the mapping that started on line 1": the problem's line is better.
    context_text = getattr(error, "context", None) or ""
    if problem is not None and context is not None:
        unclosed = "flow" in context_text or "quoted" in context_text
        if unclosed or not text[problem.index :].strip():
            mark = context
    return first_line + (mark.line if mark is not None else 0)


def _error_detail(error: yaml.YAMLError) -> str:
    parts = [getattr(error, "context", None), getattr(error, "problem", None)]
    text = ", ".join(p for p in parts if p)
    return text or str(error).splitlines()[0]


def load_yaml(text: str, first_line: int = 1) -> YamlDocument:
    """Load one YAML document safely, recording 1-based lines counted from ``first_line``.

    ``first_line`` lets front matter report lines of the whole Markdown file.
    Raises :class:`YamlSyntaxError` for anything the safe loader rejects.
    """
    loader = _LOADER(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return YamlDocument(None, {(): first_line})
        document = YamlDocument(None, {(): first_line + node.start_mark.line})
        # Record lines before constructing: merge keys (<<) rewrite the node graph.
        _record(node, (), first_line, document, set())
        document.data = loader.construct_document(node)
        return document
    except yaml.YAMLError as error:
        line, detail = _error_line(error, text, first_line), _error_detail(error)
        raise YamlSyntaxError(line, detail, diagnose(text, first_line, line, detail)) from error
    except (TypeError, ValueError, RecursionError) as error:
        # e.g. a list used as a mapping key (unhashable) or absurd nesting
        raise YamlSyntaxError(first_line, str(error)) from error
    finally:
        loader.dispose()


def _record(
    node: yaml.Node, path: KeyPath, first_line: int, document: YamlDocument, seen: set[int]
) -> None:
    # Aliases make the node graph a DAG (or worse, "billion laughs"): visit each node once.
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        keys_here: set[Any] = set()
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                continue
            key = key_node.value
            if key == "<<" and key_node.tag == "tag:yaml.org,2002:merge":
                continue
            line = first_line + key_node.start_mark.line
            if key in keys_here:
                document.duplicates.append((path + (key,), line))
            keys_here.add(key)
            document.lines.setdefault(path + (key,), line)
            _record(value_node, path + (key,), first_line, document, seen)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            document.lines.setdefault(path + (index,), first_line + item.start_mark.line)
            _record(item, path + (index,), first_line, document, seen)
    elif isinstance(node, yaml.ScalarNode) and not node.style:
        document.plain.setdefault(path, node.value)
