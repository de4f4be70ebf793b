"""The registry: the portal's identity and the branches it aggregates, read from YAML.

Every problem is reported as ``path:line: message`` (in the registry's language) before anything
is fetched, so an operator fixes a typo instead of wondering why a branch never shows up.
The schema is :data:`tongxin.config.registry.REGISTRY`; this module adds the checks across
branches (an id or a feed listed twice) and builds the :class:`Registry`.
"""

from __future__ import annotations

import os
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from tongxin.config.options import (
    is_http_url,
    message,
    parse_document,
    texts_as_written,
    validate,
)
from tongxin.config.registry import REGISTRY
from tongxin.i18n import normalise_language
from tongxin.problems import Problem
from tongxin.yamlsrc import YamlDocument

from .capping import DEFAULT_MAX_ENTRIES
from .columns import CUSTOM, custom_pairs
from .model import Branch, Registry, SetAside
from .retractions import DEFAULT_HOLD_PERCENT
from .scope import with_scopes

__all__ = ["RegistryError", "dump_registry", "is_http_url", "load_registry", "parse_registry"]


class RegistryError(Exception):
    """The registry cannot be used; ``problems`` say where and why."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


_LANGUAGE_RE = re.compile(rb"^language:\s*['\"]?([A-Za-z-]+)", re.MULTILINE)


def read_registry_text(path: Path) -> str:
    """The registry file's text; a file that is not UTF-8 (saved as GBK by Notepad or WPS)
    is a problem naming the line and how to save it again, in the language it declares."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        problem = Problem(str(path), 1, message(None, "registry.unreadable", error=error))
        raise RegistryError([problem]) from error
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        declared = _LANGUAGE_RE.search(raw)
        language = normalise_language(declared.group(1).decode()) if declared else None
        line = raw.count(b"\n", 0, error.start) + 1
        try:
            raw.decode("gb18030")
            key = "registry.not_utf8_gbk"
        except UnicodeDecodeError:
            key = "registry.not_utf8"
        raise RegistryError([Problem(str(path), line, message(language, key))]) from error


def load_registry(path: Path | str) -> Registry:
    """Read and validate a registry file; raise :class:`RegistryError` listing every problem."""
    path = Path(path)
    text = read_registry_text(path)
    return parse_registry(text, path=path)


def load_registry_skipping(
    path: Path | str, text: str | None = None
) -> tuple[Registry, list[Problem], int]:
    """Like :func:`load_registry`, but a branch entry with a problem of its own (a typo, a
    bad URL, an id listed twice) is left out and reported instead of stopping the portal.
    Raises :class:`RegistryError` only when the portal's own fields are wrong or no branch
    is usable. Returns the registry, the problems and how many entries were left out.
    ``text``: the registry's text, when not read from ``path`` (which names it in messages)."""
    path = Path(path)
    if text is None:
        text = read_registry_text(path)
    skipped: list[Problem] = []
    registry = parse_registry(text, path=path, skipped=skipped)
    doc = parse_document(text, str(path), "zh-CN")
    listed = (
        doc.data.get("branches")
        if not isinstance(doc, Problem) and isinstance(doc.data, dict)
        else []
    )
    left_out = len(listed) - len(registry.branches) if isinstance(listed, list) else 0
    return registry, skipped, left_out


def parse_registry(
    text: str, *, path: Path | str | None = None, skipped: list[Problem] | None = None
) -> Registry:
    """Validate registry YAML ``text`` (``path`` names it in messages).

    ``skipped``: when given, problems that belong to one branch entry go there and the entry
    is left out; the others still raise."""
    shown = str(path) if path is not None else "registry.yaml"
    doc = parse_document(text, shown, "zh-CN")
    if isinstance(doc, Problem):
        raise RegistryError([doc])
    data = doc.data
    lang = "zh-CN"
    if isinstance(data, dict) and isinstance(data.get("language"), str):
        lang = normalise_language(data["language"])
    problems = [
        Problem(shown, line, message(lang, "duplicate_key", field=".".join(map(str, key_path))))
        for key_path, line in doc.duplicates
        if len(key_path) > 1
    ]
    # A portal field written twice (a second "branches:" pasted from the docs: YAML keeps the
    # last list, the first branches vanished) makes the whole file unusable.
    wide = [
        Problem(shown, line, message(lang, "duplicate_key", field=str(key_path[0])))
        for key_path, line in doc.duplicates
        if len(key_path) == 1
    ]
    data = texts_as_written(REGISTRY, data, doc.plain)  # name: 2024 is the text 2024
    _, issues = validate(REGISTRY, data, lang)
    problems += [Problem(shown, doc.line_of(issue.path), issue.message) for issue in issues]
    # Branches with problems of their own are left out of the checks across branches.
    bad = {issue.path[1] for issue in issues if issue.path[:1] == ("branches",) and issue.path[1:]}
    listed = data.get("branches") if isinstance(data, dict) else None
    usable = [
        (index, raw)
        for index, raw in enumerate(listed if isinstance(listed, list) else [])
        if index not in bad and isinstance(raw, dict)
    ]
    branches, across = _branches(usable, doc, shown, lang)
    zone = data.get("timezone") if isinstance(data, dict) else None
    if isinstance(zone, str) and zone:
        branches = [replace(b, timezone=zone) for b in branches]
    columns = custom_pairs(data.get("types")) if isinstance(data, dict) else ()
    for branch in branches:
        if columns:
            branch.extra[CUSTOM] = columns
    problems += across
    set_aside: tuple[SetAside, ...] = ()
    if skipped is not None and problems:
        problems = _set_aside(problems, skipped, doc, listed, bool(branches))
        set_aside = _set_aside_entries(skipped, doc, listed)
    if problems or wide:
        raise RegistryError(sorted(set(problems + wide)))
    return Registry(
        name=data["name"].strip(),
        url=data["url"].strip(),
        branches=tuple(with_scopes(branches, data["url"].strip())),
        path=Path(path) if path is not None else None,
        language=data.get("language") or "zh-CN",
        description=data.get("description") or "",
        stale_days=data.get("stale_days") or 30,
        allow_networks=tuple(str(n).strip() for n in data.get("allow_networks") or ()),
        max_entries_per_branch=data.get("max_entries_per_branch") or DEFAULT_MAX_ENTRIES,
        retract_hold_percent=data.get("retract_hold_percent") or DEFAULT_HOLD_PERCENT,
        inspection=dict(data.get("inspection") or {}),
        timezone=data.get("timezone") or "Asia/Shanghai",
        set_aside=set_aside,
    )


def _set_aside(
    problems: list[Problem], skipped: list[Problem], doc: YamlDocument, listed: Any, usable: bool
) -> list[Problem]:
    """Move the problems that lie inside one branch entry to ``skipped``; return the rest
    (all of them when no branch is usable: a portal of nothing is not worth publishing)."""
    spans = _branch_spans(doc, listed, doc.data if isinstance(doc.data, dict) else {})
    portal_wide = [p for p in problems if not any(a <= p.line < b for a, b in spans)]
    if portal_wide or not usable:
        return problems
    skipped.extend(sorted(set(problems)))
    return []


def _set_aside_entries(
    skipped: list[Problem], doc: YamlDocument, listed: Any
) -> tuple[SetAside, ...]:
    """The branch entries ``skipped`` lie in, each with its problems."""
    spans = _branch_spans(doc, listed, doc.data if isinstance(doc.data, dict) else {})
    found: dict[int, list[str]] = {}
    for problem in skipped:
        for index, (first, end) in enumerate(spans):
            if first <= problem.line < end:  # the file's name, not its place on the server
                where = f"{Path(problem.path).name}:{problem.line}"
                found.setdefault(index, []).append(f"{where}: {problem.message}")
    entries = []
    for index, texts in sorted(found.items()):
        raw = listed[index] if isinstance(listed[index], dict) else {}
        branch_id, name = (raw.get(key) for key in ("id", "name"))
        entries.append(
            SetAside(
                branch_id.strip() if isinstance(branch_id, str) else "",
                name.strip() if isinstance(name, str) else "",
                "; ".join(texts),
            )
        )
    return tuple(entries)


def _branch_spans(doc: YamlDocument, listed: Any, data: dict[str, Any]) -> list[tuple[int, int]]:
    """The line range [first, next entry's first) of each branch entry (the last one ends
    at the next top-level key, if any follows the list)."""
    if not isinstance(listed, list) or not listed:
        return []
    starts = [doc.line_of(("branches", index)) for index in range(len(listed))]
    after = [doc.line_of((key,)) for key in data if doc.line_of((key,)) > starts[-1]]
    ends = starts[1:] + [min(after, default=10**9)]
    return list(zip(starts, ends, strict=True))


def _branches(
    listed: list[tuple[int, dict[str, Any]]], doc: YamlDocument, shown: str, lang: str
) -> tuple[list[Branch], list[Problem]]:
    """The branches, and the problems of an id or a feed listed twice."""
    problems: list[Problem] = []
    seen_ids: dict[str, int] = {}
    seen_feeds: dict[str, int] = {}
    branches: list[Branch] = []
    for index, raw in listed:
        branch_id, feed = raw["id"], raw["feed"].strip()
        if branch_id in seen_ids:
            text = message(lang, "registry.duplicate_id", id=branch_id, line=seen_ids[branch_id])
            problems.append(Problem(shown, doc.line_of(("branches", index, "id")), text))
            continue
        seen_ids[branch_id] = doc.line_of(("branches", index, "id"))
        if feed in seen_feeds:
            text = message(lang, "registry.duplicate_feed", url=feed, line=seen_feeds[feed])
            problems.append(Problem(shown, doc.line_of(("branches", index, "feed")), text))
            continue
        seen_feeds[feed] = doc.line_of(("branches", index))
        keys = raw.get("public_keys") or ([raw["public_key"]] if raw.get("public_key") else [])
        branches.append(
            Branch(
                id=branch_id,
                name=raw["name"].strip(),
                feed=feed,
                region=(raw.get("region") or None),
                parent=(raw.get("parent") or None),
                public_keys=tuple(k.strip() for k in keys),
                extra={
                    key: raw[key].strip() if isinstance(raw[key], str) else raw[key]
                    for key in ("max_entries", "health")
                    if raw.get(key)
                },
                portal=raw.get("portal") is True,
            )
        )
    return branches, problems


def dump_registry(registry: Registry) -> str:
    """Registry YAML text for ``registry`` (used by OPML import and tests)."""
    import yaml

    data: dict[str, Any] = {"name": registry.name, "url": registry.url}
    if registry.language != "zh-CN":
        data["language"] = registry.language
    if registry.description:
        data["description"] = registry.description
    if registry.stale_days != 30:
        data["stale_days"] = registry.stale_days
    if registry.inspection:
        data["inspection"] = registry.inspection
    if registry.timezone != "Asia/Shanghai":
        data["timezone"] = registry.timezone
    items = []
    for branch in registry.branches:
        item: dict[str, Any] = {"id": branch.id, "name": branch.name, "feed": branch.feed}
        if branch.region:
            item["region"] = branch.region
        if branch.parent:
            item["parent"] = branch.parent
        if branch.extra.get("health"):
            item["health"] = branch.extra["health"]
        if branch.portal:
            item["portal"] = True
        if len(branch.public_keys) == 1:
            item["public_key"] = branch.public_keys[0]
        elif branch.public_keys:
            item["public_keys"] = list(branch.public_keys)
        items.append(item)
    data["branches"] = items
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)


def last_good_path(db: Path) -> Path:
    """Where the portal keeps the last registry it ran with: beside its store."""
    return db.with_name(db.name + ".registry.yaml")


def load_registry_or_last_good(
    path: Path | str, db: Path
) -> tuple[Registry, list[Problem], int, list[Problem]]:
    """:func:`load_registry_skipping`; when the file cannot be used at all (a syntax error, a
    wrong portal field, no usable branch), the last registry this portal ran with instead, as
    nginx keeps its last good configuration: one typo no longer stops every branch's updates.
    Returns the registry, the skipped entries' problems, how many were left out, and the
    problems of the file (empty when it was used). The copy is refreshed from a usable file;
    with none, :class:`RegistryError` is raised."""
    path, copy = Path(path), last_good_path(db)
    try:
        text = read_registry_text(path)
        loaded = load_registry_skipping(path, text)
    except RegistryError as error:
        registry = _last_good(copy)
        if registry is None:
            raise
        kept = tuple(str(Problem(path.name, p.line, p.message)) for p in error.problems)
        return replace(registry, path=path, unusable=kept), [], 0, list(error.problems)
    if not loaded[1]:  # only a file without a mistake is kept as the last good one
        data = text.encode("utf-8")
        if not copy.is_file() or copy.read_bytes() != data:
            db.parent.mkdir(parents=True, exist_ok=True)
            temporary = copy.with_name(copy.name + ".tmp")
            temporary.write_bytes(data)
            os.replace(temporary, copy)
    return (*loaded, [])


def _last_good(copy: Path) -> Registry | None:
    """The registry of the last run (kept without a mistake); None when there is none or it
    cannot be read (a copy someone edited is no fallback)."""
    try:
        return load_registry(copy)
    except RegistryError:
        return None
