"""``tongxin check``: everything wrong with a branch, as ``path:line: message`` problems.

One pass over ``content/``:

* ``site.yaml`` against :data:`tongxin.schema.SITE`;
* every entry under ``content/{news,announcements,study,pages}/`` read by
  :func:`tongxin.frontmatter.read_content_file` (size, binary, encoding, YAML syntax) and
  validated against :data:`tongxin.schema.FRONT_MATTER` (fields, types, dates, unknown
  fields, ``save_as``/``url`` escaping the output folder);
* slugs unique per type (case-insensitively), internal links and attachments that resolve;
* ``content/files/`` (attachments, copied as static): size and symlinks only;
* anything else under ``content/`` is an error: a file the build would not publish must
  not vanish silently. Only dot-files (``.gitkeep``, ``.DS_Store``) are ignored, as Pelican
  ignores them too. There are no warnings: every problem fails the check.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

from tongxin.frontmatter import (
    CONTENT_TYPES,
    MAX_FILE_BYTES,
    ContentError,
    ContentFile,
    branch_language,
    points_outside,
    read_content_file,
    read_text_checked,
    relative_posix,
)
from tongxin.i18n import translate
from tongxin.problems import Problem
from tongxin.schema import FRONT_MATTER, SITE, validate
from tongxin.yamlsrc import YamlDocument, YamlSyntaxError, load_yaml

SOURCE_SUFFIXES = (".md", ".markdown", ".yaml", ".yml")
#: Site paths our build writes besides entries; links into them are not checked here.
GENERATED_PREFIXES = ("feeds", "api", "search", "theme", "tags", "tag", "archives", "series")


@dataclass
class _Entry:
    source: ContentFile
    rel: str
    slug: str
    slug_line: int


class _Checker:
    def __init__(self, root: Path, language: str | None) -> None:
        self.root = Path(root)
        self.content = self.root / "content"
        self.language = language or branch_language(self.root)
        self.problems: list[Problem] = []
        self.entries: list[_Entry] = []
        self.site: dict[str, Any] = {}

    def t(self, key: str, **values: Any) -> str:
        return translate(self.language, f"check.{key}", **values)

    def add(self, rel: str, line: int, key: str, **values: Any) -> None:
        self.problems.append(Problem(rel, line, self.t(key, **values)))

    # --- walking ---------------------------------------------------------------------

    def run(self) -> list[Problem]:
        if self.content.is_symlink() and points_outside(self.content, self.root):
            self.add("content", 1, "symlink_outside", target=os.readlink(self.content))
            return sorted(set(self.problems))
        self.check_site()
        if not self.content.is_dir():
            return sorted(set(self.problems))
        for path in self.walk(self.content):
            self.check_path(path)
        self.check_slugs()
        for entry in self.entries:
            self.check_links(entry)
        return sorted(set(self.problems))

    def walk(self, folder: Path) -> list[Path]:
        """Every non-hidden file under ``folder``, following symlinks that stay inside."""
        found: list[Path] = []
        seen: set[Path] = set()
        stack = [folder]
        while stack:
            current = stack.pop()
            real = current.resolve()
            if real in seen:  # a symlink loop, or two links to one folder
                continue
            seen.add(real)
            try:
                children = sorted(current.iterdir())
            except OSError as error:
                self.add(self.rel(current), 1, "unreadable", error=error.strerror or str(error))
                continue
            for child in children:
                if child.name.startswith("."):
                    continue
                if child.is_symlink() and points_outside(child, self.root):
                    self.add(self.rel(child), 1, "symlink_outside", target=os.readlink(child))
                elif child.is_dir():
                    stack.append(child)
                else:
                    found.append(child)
        return found

    def rel(self, path: Path) -> str:
        return relative_posix(path, self.root)

    def check_path(self, path: Path) -> None:
        parts = PurePosixPath(self.rel(path)).parts
        if parts == ("content", "site.yaml"):
            return
        if len(parts) >= 3 and parts[1] == "files":
            self.check_attachment_file(path)
            return
        try:
            source = read_content_file(path, self.root, self.language)
        except ContentError as error:
            self.problems.extend(error.problems)
            return
        self.check_entry(source)

    def check_attachment_file(self, path: Path) -> None:
        try:
            size = path.stat().st_size
        except OSError as error:  # e.g. a dangling symlink
            self.add(self.rel(path), 1, "unreadable", error=error.strerror or str(error))
            return
        if size > MAX_FILE_BYTES:
            self.add(
                self.rel(path),
                1,
                "too_large",
                size=f"{size / 1048576:.1f}",
                limit=MAX_FILE_BYTES // 1048576,
            )

    # --- site.yaml and entries ----------------------------------------------------------

    def check_site(self) -> None:
        path = self.content / "site.yaml"
        rel = "content/site.yaml"
        if not path.exists() and not path.is_symlink():
            self.add(rel, 1, "site_missing")
            return
        try:
            text = read_text_checked(path, self.root, self.language)
        except ContentError as error:
            self.problems.extend(error.problems)
            return
        try:
            document = load_yaml(text)
        except YamlSyntaxError as error:
            self.add(rel, error.line, "yaml_syntax", detail=error.detail)
            return
        data = document.data if document.data is not None else {}
        self.report_document(rel, document, SITE, data)
        if isinstance(data, dict):
            self.site = data

    def report_document(self, rel: str, document: YamlDocument, schema, data: Any) -> Any:
        for key_path, line in document.duplicates:
            self.add(rel, line, "duplicate_key", field=".".join(map(str, key_path)))
        clean, issues = validate(schema, data, self.language)
        for issue in issues:
            self.problems.append(Problem(rel, document.line_of(issue.path), issue.message))
        return clean

    def check_entry(self, source: ContentFile) -> None:
        rel = self.rel(source.path)
        document = YamlDocument(source.meta, source.locations, source.duplicates)
        self.report_document(rel, document, FRONT_MATTER[source.type], source.meta)
        slug_value = source.meta.get("slug")
        if isinstance(slug_value, str) and slug_value.strip():
            slug, line = slug_value.strip(), source.lines.get("slug", 1)
        else:
            slug, line = source.path.stem.lower(), 1
        self.entries.append(_Entry(source, rel, slug, line))
        self.check_attachments(source, rel)

    def check_attachments(self, source: ContentFile, rel: str) -> None:
        attachments = source.meta.get("attachments")
        if not isinstance(attachments, list):
            return
        for index, item in enumerate(attachments):
            if not isinstance(item, dict) or not isinstance(item.get("file"), str):
                continue
            target = attachment_path(item["file"])
            if target is None or not (self.content / "files" / target).is_file():
                line = source.locations.get(("attachments", index, "file"), 1)
                self.add(rel, line, "missing_attachment", target=item["file"])

    def check_slugs(self) -> None:
        by_key: dict[tuple[str, str], list[_Entry]] = {}
        for entry in self.entries:
            by_key.setdefault((entry.source.type, entry.slug.lower()), []).append(entry)
        for group in by_key.values():
            if len(group) < 2:
                continue
            group.sort(key=lambda e: e.rel)
            for entry in group:
                other = next(e for e in group if e is not entry)
                self.add(
                    entry.rel, entry.slug_line, "duplicate_slug", slug=entry.slug, other=other.rel
                )

    # --- links -----------------------------------------------------------------------

    def site_paths(self) -> set[str]:
        """The site-absolute paths (``/news/slug/``) that entries produce."""
        paths = {"/"} | {f"/{kind}/" for kind in CONTENT_TYPES}
        for entry in self.entries:
            kind = entry.source.type
            paths.add(f"/{entry.slug}/" if kind == "pages" else f"/{kind}/{entry.slug}/")
            for key in ("url", "save_as"):
                custom = entry.source.meta.get(key)
                if isinstance(custom, str) and custom.strip():
                    paths.add(normalise_site_path("/" + custom.strip().lstrip("/")))
        return paths

    @functools.cached_property
    def _site_paths(self) -> set[str]:
        return self.site_paths()

    @functools.cached_property
    def _sources(self) -> set[Path]:
        # Resolving costs a few system calls per entry: only for branches with links.
        return {e.source.path.resolve() for e in self.entries}

    @functools.cached_property
    def _absolute(self) -> dict[str, bool]:
        return {}

    @functools.cached_property
    def _series_paths(self) -> set[str]:
        """``/study/series/<slug>/`` of every series (plugins/content_types.py names them)."""
        from tongxin.plugins.content_types import series_slugs

        names = set()
        for entry in self.entries:
            series = entry.source.meta.get("series") if entry.source.type == "study" else None
            status = entry.source.meta.get("status")
            if series not in (None, "") and status not in ("draft", "hidden"):
                names.add(str(series))
        return {
            normalise_site_path(f"/study/series/{slug}/") for slug in series_slugs(names).values()
        }

    def check_links(self, entry: _Entry) -> None:
        for line, target in markdown_links(entry.source):
            if not self.link_resolves(entry, target):
                key = "missing_attachment" if "files/" in target else "broken_link"
                self.add(entry.rel, line, key, target=target)

    def link_resolves(self, entry: _Entry, target: str) -> bool:
        # Site-absolute links (/news/x/) mean the same from every entry: decide each once.
        if target.startswith("/") or "://" in target:
            known = self._absolute.get(target)
            if known is None:
                known = self._absolute[target] = self._link_resolves(entry, target)
            return known
        return self._link_resolves(entry, target)

    def _link_resolves(self, entry: _Entry, target: str) -> bool:
        folder = entry.source.path.parent
        marker = re.match(r"^(?:\{(\w+)\}|\|(\w+)\|)(.*)$", target)
        if marker:
            kind, rest = marker.group(1) or marker.group(2), marker.group(3)
            if kind not in ("filename", "static", "attach"):
                return True  # {tag}, {category}, {index} … name generated pages
            rest = unquote(rest.split("#")[0].split("?")[0])
            base = self.content if rest.startswith("/") else folder
            candidate = (base / rest.lstrip("/")).resolve()
            if kind == "filename":
                return candidate in self._sources
            return candidate.is_file() and not points_outside(candidate, self.root)
        parts = urlsplit(target)
        if parts.scheme or parts.netloc:
            own = urlsplit(str(self.site.get("url", "")))
            if parts.scheme in ("http", "https") and own.netloc and parts.netloc == own.netloc:
                prefix = own.path.rstrip("/")
                if parts.path.startswith(prefix):
                    return self.site_path_exists(parts.path[len(prefix) :] or "/")
            return True  # external: not ours to check
        path = unquote(parts.path)
        if not path:
            return True  # "#anchor" or "?query" on the same page
        if path.startswith("/"):
            return self.site_path_exists(path)
        # Relative: a source file next to this one (news/other.md, ../files/a.pdf) …
        candidate = (folder / path).resolve()
        if candidate.suffix.lower() in SOURCE_SUFFIXES:
            return candidate in self._sources
        if candidate.is_file() and not points_outside(candidate, self.root):
            return True
        # … or a URL relative to this entry's own page (../other-slug/).
        kind = entry.source.type
        page = f"/{entry.slug}/" if kind == "pages" else f"/{kind}/{entry.slug}/"
        resolved = os.path.normpath(PurePosixPath(page, path).as_posix())
        return self.site_path_exists(resolved)

    def site_path_exists(self, path: str) -> bool:
        path = unquote(path)
        segments = [s for s in path.split("/") if s]
        if segments and segments[0] == "files":
            return (self.content.joinpath(*segments)).is_file()
        if segments and segments[0] in GENERATED_PREFIXES:
            return True
        if segments and "." in segments[-1] and segments[-1] != "index.html":
            return True  # a file we cannot know about (robots.txt, a theme image)
        normalised = normalise_site_path(path)
        if segments[:2] == ["study", "series"]:
            return normalised in self._series_paths
        return normalised in self._site_paths


def normalise_site_path(path: str) -> str:
    """``/news/a``, ``/news/a/index.html`` and ``/news/a/`` are one page."""
    path = re.sub(r"/index\.html?$", "/", path)
    path = path if path.endswith("/") else path + "/"
    return "/" + path.lstrip("/").lower() if path != "/" else "/"


def attachment_path(value: str) -> str | None:
    """The path under ``content/files/`` an attachment names, or None if it escapes."""
    text = value.strip().replace("\\", "/").lstrip("/")
    text = text.removeprefix("files/")
    parts = [p for p in text.split("/") if p not in ("", ".")]
    if not parts or ".." in parts:
        return None
    return "/".join(parts)


_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1")
_INLINE = re.compile(
    r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^)]*\)))?\s*\)"
)
_REFERENCE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)")
_HTML = re.compile(r"""\b(?:href|src)\s*=\s*["']([^"']+)["']""", re.IGNORECASE)


def markdown_links(source: ContentFile) -> list[tuple[int, str]]:
    """(line, target) of every link, image and HTML href/src outside code."""
    offset = source.body_line
    if source.form == "yaml" and "\n" in source.body.rstrip("\n"):
        offset += 1  # a block scalar (body: |) starts on the line after its key
    links: list[tuple[int, str]] = []
    fence: str | None = None
    for index, line in enumerate(source.body.splitlines()):
        opened = _FENCE.match(line)
        if fence:
            if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence):
                fence = None
            continue
        if opened:
            fence = opened.group(1)
            continue
        if "](" not in line and "=" not in line and "]:" not in line:
            continue  # no link can start on this line
        text = _CODE_SPAN.sub(lambda m: " " * len(m.group(0)), line)
        targets = [m.group(1) for m in _INLINE.finditer(text)]
        targets += [m.group(1) for m in _HTML.finditer(text)]
        reference = _REFERENCE.match(text)
        if reference:
            targets.append(reference.group(1))
        links.extend((offset + index, target) for target in targets)
    return links


def check_branch(root: Path, language: str | None = None) -> list[Problem]:
    """Every problem in the branch at ``root``, sorted by path and line.

    ``language`` overrides the site's own (``site.yaml`` ``language``, else zh-CN).
    """
    return _Checker(Path(root), language).run()
