"""The registry: the portal's identity and the branches it aggregates, read from YAML.

Every problem is reported as ``path:line: message`` (in the registry's language) before anything
is fetched, so an operator fixes a typo instead of wondering why a branch never shows up.
The schema is declared once as data (:data:`PORTAL_FIELDS`, :data:`BRANCH_FIELDS`).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tongxin.i18n import LANGUAGES, normalise_language, translate
from tongxin.problems import Problem
from tongxin.yamlsrc import KeyPath, YamlDocument, YamlSyntaxError, load_yaml

from .model import Branch, Registry

_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


@dataclass(frozen=True)
class Field:
    """One registry key: its kind (``str``, ``url``, ``id``, ``int``, ``list``, ``keys``)."""

    kind: str
    required: bool = False
    choices: tuple[str, ...] = ()
    minimum: int | None = None


PORTAL_FIELDS: dict[str, Field] = {
    "name": Field("str", required=True),
    "url": Field("url", required=True),
    "branches": Field("list", required=True),
    "language": Field("str", choices=LANGUAGES),
    "description": Field("str"),
    "stale_days": Field("int", minimum=1),
    # Per-portal overrides of the screening rules; federation/screen.py validates the inside.
    "screen": Field("mapping"),
}

BRANCH_FIELDS: dict[str, Field] = {
    "id": Field("id", required=True),
    "name": Field("str", required=True),
    "feed": Field("url", required=True),
    "region": Field("str"),
    "parent": Field("str"),
    "public_key": Field("str"),
    "public_keys": Field("keys"),
}


class RegistryError(Exception):
    """The registry cannot be used; ``problems`` say where and why."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def is_http_url(value: Any) -> bool:
    """True for an absolute http(s) URL with a host."""
    if not isinstance(value, str):
        return False
    try:
        parts = urlsplit(value.strip())
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    text = repr(value) if not isinstance(value, str) else f"“{value}”"
    return text if len(text) <= 60 else text[:57] + "…"


class _Checker:
    def __init__(self, path: str, doc: YamlDocument, lang: str) -> None:
        self.path = path
        self.doc = doc
        self.lang = lang
        self.problems: list[Problem] = []

    def t(self, key: str, **values: Any) -> str:
        return translate(self.lang, f"federation.registry.{key}", **values)

    def add(self, where: KeyPath, key: str, **values: Any) -> None:
        message = self.t(key, **values)
        self.problems.append(Problem(self.path, self.doc.line_of(where), message))

    def fields(self, data: dict[str, Any], spec: dict[str, Field], where: KeyPath) -> bool:
        """Check one mapping against its spec; True when every value is usable."""
        ok = True
        for key in data:
            if key not in spec:
                message = self.t("unknown_field", field=key)
                close = difflib.get_close_matches(str(key), list(spec), n=1)
                if close:
                    message += self.t("did_you_mean", suggestion=close[0])
                line = self.doc.line_of(where + (str(key),))
                self.problems.append(Problem(self.path, line, message))
                ok = False
        for name, field in spec.items():
            label = name  # the line already says which branch
            if name not in data or data[name] is None:
                if field.required:
                    self.add(where, "required", field=label)
                    ok = False
                continue
            ok = self.value(data[name], field, where + (name,), label) and ok
        return ok

    def wrong_type(self, where: KeyPath, label: str, kind: str, value: Any) -> bool:
        expected = self.t(f"types.{kind}")
        self.add(where, "expected_type", field=label, expected=expected, found=_describe(value))
        return False

    def value(self, value: Any, field: Field, where: KeyPath, label: str) -> bool:
        kind = field.kind
        if kind in ("str", "url", "id"):
            if not isinstance(value, str):
                return self.wrong_type(where, label, "string", value)
            if not value.strip():
                self.add(where, "empty", field=label)
                return False
            if kind == "url" and not is_http_url(value):
                self.add(where, "url_scheme", field=label, found=_describe(value))
                return False
            if kind == "id" and not _ID_RE.match(value):
                self.add(where, "id_pattern", field=label, found=_describe(value))
                return False
            if field.choices and value not in field.choices:
                choices = ", ".join(field.choices)
                self.add(where, "choice", field=label, expected=choices, found=_describe(value))
                return False
            return True
        if kind == "int":
            if isinstance(value, bool) or not isinstance(value, int):
                return self.wrong_type(where, label, "integer", value)
            if field.minimum is not None and value < field.minimum:
                self.add(where, "min_value", field=label, minimum=field.minimum, found=value)
                return False
            return True
        if kind == "mapping":
            if not isinstance(value, dict):
                return self.wrong_type(where, label, "mapping", value)
            return True
        if kind in ("list", "keys"):
            if not isinstance(value, list):
                return self.wrong_type(where, label, "list", value)
            if kind == "keys":
                ok = True
                for index, item in enumerate(value):
                    item_label = f"{label}[{index}]"
                    ok = self.value(item, Field("str"), where + (index,), item_label) and ok
                return ok
            return True
        raise AssertionError(kind)


def load_registry(path: Path | str) -> Registry:
    """Read and validate a registry file; raise :class:`RegistryError` listing every problem."""
    path = Path(path)
    shown = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        message = translate(None, "federation.registry.unreadable", error=error)
        raise RegistryError([Problem(shown, 1, message)]) from error
    return parse_registry(text, path=path)


def parse_registry(text: str, *, path: Path | str | None = None) -> Registry:
    """Validate registry YAML ``text`` (``path`` names it in messages)."""
    shown = str(path) if path is not None else "registry.yaml"
    try:
        doc = load_yaml(text)
    except YamlSyntaxError as error:
        message = translate(None, "federation.registry.yaml_syntax", detail=error.detail)
        raise RegistryError([Problem(shown, error.line, message)]) from error
    data = doc.data
    lang = "zh-CN"
    if isinstance(data, dict) and isinstance(data.get("language"), str):
        lang = normalise_language(data["language"])
    check = _Checker(shown, doc, lang)
    for key_path, line in doc.duplicates:
        label = ".".join(str(p) for p in key_path)
        check.problems.append(Problem(shown, line, check.t("duplicate_key", field=label)))
    if not isinstance(data, dict):
        check.add((), "not_a_mapping", field=shown, found=_describe(data))
        raise RegistryError(sorted(check.problems))
    portal_ok = check.fields(data, PORTAL_FIELDS, ())
    branches: list[Branch] = []
    raw_branches = data.get("branches")
    if isinstance(raw_branches, list):
        if not raw_branches:
            check.add(("branches",), "no_branches")
        seen_ids: dict[str, int] = {}
        seen_feeds: dict[str, int] = {}
        for index, raw in enumerate(raw_branches):
            where: KeyPath = ("branches", index)
            if not isinstance(raw, dict):
                check.add(where, "not_a_mapping", field=f"branches[{index}]", found=_describe(raw))
                continue
            if not check.fields(raw, BRANCH_FIELDS, where):
                continue
            line = doc.line_of(where)
            branch_id = raw["id"]
            if branch_id in seen_ids:
                check.add(where + ("id",), "duplicate_id", id=branch_id, line=seen_ids[branch_id])
                continue
            seen_ids[branch_id] = doc.line_of(where + ("id",))
            feed = raw["feed"].strip()
            if feed in seen_feeds:
                check.add(where + ("feed",), "duplicate_feed", url=feed, line=seen_feeds[feed])
                continue
            seen_feeds[feed] = line
            if "public_key" in raw and "public_keys" in raw:
                check.add(where + ("public_keys",), "both_keys")
                continue
            keys = raw.get("public_keys") or ([raw["public_key"]] if raw.get("public_key") else [])
            branches.append(
                Branch(
                    id=branch_id,
                    name=raw["name"].strip(),
                    feed=feed,
                    region=(raw.get("region") or None),
                    parent=(raw.get("parent") or None),
                    public_keys=tuple(k.strip() for k in keys),
                )
            )
    if check.problems or not portal_ok:
        raise RegistryError(sorted(set(check.problems)))
    return Registry(
        name=data["name"].strip(),
        url=data["url"].strip(),
        branches=tuple(branches),
        path=Path(path) if path is not None else None,
        language=data.get("language") or "zh-CN",
        description=data.get("description") or "",
        stale_days=data.get("stale_days") or 30,
    )


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
    items = []
    for branch in registry.branches:
        item: dict[str, Any] = {"id": branch.id, "name": branch.name, "feed": branch.feed}
        if branch.region:
            item["region"] = branch.region
        if branch.parent:
            item["parent"] = branch.parent
        if len(branch.public_keys) == 1:
            item["public_key"] = branch.public_keys[0]
        elif branch.public_keys:
            item["public_keys"] = list(branch.public_keys)
        items.append(item)
    data["branches"] = items
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
