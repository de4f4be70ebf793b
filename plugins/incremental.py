"""Incremental output: a page whose inputs have not changed is neither rendered nor rewritten.

Rendering the theme is the largest part of a build, and one edited article must not cost
as much as the whole site. Every page Pelican's writer is asked to produce gets a *key*: a
hash of what its template reads (the entry or the listed entries, the navigation, the site,
the theme and the code). ``<cache>/incremental.json`` remembers each output file's key, size
and mtime from the last build; a page with the same key whose file is still there, untouched,
is skipped. Two pages of one build with the same key (the home page's pagination copies,
which the theme renders identically) are rendered once.

Which context values a template reads is declared in :data:`TEMPLATE_INPUTS` for the
shipped theme; any other template (or another theme) is keyed on every value of its context
it can digest, or always rendered when one cannot be digested. Output files from the last
build that this build did not produce (a deleted entry, a vanished tag) are removed, so
``tongxin build`` no longer empties the output folder first. Tests hold a full build and an
incremental rebuild byte-identical (tests/test_incremental_build.py).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections import ChainMap
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pelican import signals
from pelican.contents import Content
from pelican.paginator import Page as PaginatorPage
from pelican.paginator import Paginator
from pelican.urlwrappers import URLWrapper
from pelican.utils import get_relative_path, path_to_url, sanitised_join
from pelican.writers import Writer
from tongxin.plugins.build_state import BuildGenerators, previewing, read_files_manifest

from tongxin.settings import PREVIEW_PAGES, package_digest, theme_path

logger = logging.getLogger(__name__)

MANIFEST = "incremental.json"
#: Bumped when the key recipe changes, so that old manifests are ignored.
KEY_VERSION = "1"

#: Context values each template of the shipped theme reads, besides the navigation
#: (``categories``, ``pages``) and the site globals, which every key includes.
TEMPLATE_INPUTS: dict[str, tuple[str, ...]] = {
    "article.html": ("article",),
    "page.html": ("page",),
    # The home page lists from ``articles`` (all of them) and ignores its paginator:
    # its pagination copies share one key and are rendered once.
    "index.html": ("articles",),
    "tag.html": ("tag", "articles_page", "articles_paginator"),
    "tags.html": ("tags",),
    "archives.html": ("dates",),
    "series.html": ("series_name", "articles"),
}


class Undigestable(Exception):
    """A context value whose content cannot be hashed: the page is always rendered."""


class _Digests:
    """Per-build memo of entry digests (entries are not mutated once written)."""

    def __init__(self) -> None:
        self.listing: dict[int, bytes] = {}
        self.full: dict[int, bytes] = {}
        self.lists: dict[tuple[int, int], tuple[Any, bytes]] = {}
        self.nav: dict[tuple[int, int], bytes] = {}


def _h(*parts: Any) -> bytes:
    digest = hashlib.sha256()
    for part in parts:
        data = part if isinstance(part, bytes) else repr(part).encode("utf-8", "surrogatepass")
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest.digest()


def _simple(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, URLWrapper):
        return (type(value).__name__, value.name, value.slug, value.url)
    if isinstance(value, list | tuple):
        return [_simple(v) for v in value]
    if isinstance(value, dict):
        return sorted((str(k), _simple(v)) for k, v in value.items())
    raise Undigestable(type(value).__name__)


#: What a listing (a card, a link, an archive line) shows of an entry.
_LISTING_ATTRS = (
    "url",
    "save_as",
    "slug",
    "title",
    "date",
    "modified",
    "summary",
    "type",
    "category",
    "tags",
    "author",
    "status",
    "lang",
    "pinned",
    "expired",
    "expires",
    "series",
    "order",
    "branch_name",
    "branch_url",
)


class KeyMaker:
    """Computes page keys for one build."""

    def __init__(self, settings: dict[str, Any]) -> None:
        self.settings = settings
        self.memo = _Digests()
        ours = Path(settings.get("THEME") or "").resolve() == theme_path().resolve()
        self.inputs = TEMPLATE_INPUTS if ours else {}
        globals_ = settings.get("JINJA_GLOBALS") or {}
        self.base = _h(
            KEY_VERSION,
            package_digest(),
            Path(settings.get("THEME") or "").as_posix(),
            _theme_digest(Path(settings.get("THEME") or theme_path())),
            _simple(globals_.get("site")),
            globals_.get("page_lang"),
            getattr(globals_.get("t"), "language", None),
            settings.get("THEME_STATIC_DIR"),
            settings.get("SITEURL"),
            settings.get("DEFAULT_DATE_FORMAT"),
        )

    # --- entries -------------------------------------------------------------------

    def listing(self, entry: Content) -> bytes:
        found = self.memo.listing.get(id(entry))
        if found is None:
            values = [_simple(getattr(entry, name, None)) for name in _LISTING_ATTRS]
            found = self.memo.listing[id(entry)] = _h(type(entry).__name__, values)
        return found

    def full(self, entry: Content) -> bytes:
        found = self.memo.full.get(id(entry))
        if found is None:
            series = [self.listing(e) for e in getattr(entry, "series_entries", None) or []]
            found = self.memo.full[id(entry)] = _h(
                self.listing(entry),
                entry.content,
                _simple(getattr(entry, "attachments", None)),
                _simple(getattr(entry, "quiz", None)),
                _simple(entry.metadata.get("lang")),
                series,
                _simple([t.url for t in getattr(entry, "translations", None) or []]),
            )
        return found

    def many(self, entries: list[Any] | tuple[Any, ...]) -> bytes:
        key = (id(entries), len(entries))
        found = self.memo.lists.get(key)
        if found is None or found[0] is not entries:
            # The memo holds the list itself, so that its id is never reused by another.
            found = self.memo.lists[key] = (entries, _h([self.value(e, True) for e in entries]))
        return found[1]

    # --- any context value ---------------------------------------------------------

    def value(self, value: Any, shallow: bool = False) -> bytes:
        if isinstance(value, Content):
            return self.listing(value) if shallow else self.full(value)
        if isinstance(value, PaginatorPage):
            # A page's list is a new slice each time: digested, never memoised by its id.
            listed = [self.value(e, shallow=True) for e in value.object_list]
            return _h("page", value.number, value.base_name, _h(listed))
        if isinstance(value, Paginator):
            return _h("paginator", value.num_pages, value.count, value.per_page)
        if isinstance(value, list | tuple):
            return self.many(value)
        if isinstance(value, dict):
            return _h(sorted((str(k), self.value(v, True)) for k, v in value.items()))
        return _h(_simple(value))

    def navigation(self, context: Mapping[str, Any]) -> bytes:
        categories = context.get("categories") or []
        pages = context.get("pages") or []
        key = (id(categories), id(pages))
        found = self.memo.nav.get(key)
        if found is None:
            found = self.memo.nav[key] = _h(
                [_simple(c[0] if isinstance(c, tuple) else c) for c in categories],
                [self.listing(p) for p in pages],
            )
        return found

    def page_key(self, template_name: str, context: Mapping[str, Any]) -> str | None:
        """The key of one page, or None when it must be rendered."""
        names = self.inputs.get(template_name)
        if template_name == "category.html" and self.inputs:
            names = ("category", "articles_page", "articles_paginator")
            if getattr(context.get("category"), "slug", None) == "study":
                # The study page lists every series in full and ignores its paginator:
                # its pagination copies share one key.
                names = ("category", "articles", "STUDY_SERIES")
        try:
            if names is None:
                # Unknown template: everything in its context that is not a setting.
                names = tuple(sorted(k for k in context if k not in self.settings))
                if "articles" not in names and "articles" in context:
                    names += ("articles",)
            parts = [(name, self.value(context.get(name))) for name in names]
        except Undigestable as error:
            logger.debug("incremental: %s always rendered (%s)", template_name, error)
            return None
        return _h(
            self.base,
            template_name,
            context.get("SITEURL"),
            self.navigation(context),
            parts,
        ).hex()


_theme_digests: dict[Path, bytes] = {}


def _theme_digest(folder: Path) -> bytes:
    """Every template's bytes: a theme edit re-renders everything (once per process)."""
    found = _theme_digests.get(folder)
    if found is None:
        digest = hashlib.sha256()
        templates = folder / "templates"
        for path in sorted(templates.rglob("*")) if templates.is_dir() else []:
            if path.is_file():
                digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
                digest.update(path.read_bytes())
        found = _theme_digests[folder] = digest.digest()
    return found


# --------------------------------------------------------------------------- manifest


def manifest_path(settings: dict[str, Any]) -> Path | None:
    cache = settings.get("CACHE_PATH")
    return Path(cache) / MANIFEST if cache and settings.get("CACHE_CONTENT") else None


def load_manifest(settings: dict[str, Any]) -> dict[str, list[Any]]:
    """``{output path relative to OUTPUT_PATH: [key, size, mtime_ns]}``; {} if unusable."""
    return read_files_manifest(manifest_path(settings), settings["OUTPUT_PATH"])


def manifest_usable(settings: dict[str, Any]) -> bool:
    """True when the last build left a manifest for this output folder (keep the output)."""
    return bool(load_manifest(settings))


# --------------------------------------------------------------------------- the writer


class _KeyedTemplate:
    """Wraps a Jinja template: ``render`` records the page, and renders the pages of one
    build with equal keys (the home page's pagination copies) once."""

    def __init__(self, template: Any, writer: IncrementalWriter) -> None:
        self.template = template
        self.writer = writer
        self.name = template.name

    def render(self, context: dict[str, Any]) -> str:
        return self.writer.render(self.template, context)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.template, name)


#: One page a ``write_file`` call produces: (path relative to the output, key or None).
PlannedPage = tuple[str, str | None]


class IncrementalWriter(Writer):
    """Pelican's writer, skipping a ``write_file`` call whose every page has the key and the
    file the last build left.

    Only Pelican's public writer API is used: the generators ask :meth:`write_file` for
    pages, and which pages a call produces is known beforehand (one, or one per
    :class:`~pelican.paginator.Paginator` page, paginated as Pelican does). A call whose pages
    all match is not passed on: nothing is rendered and no file is opened. Any other call is
    Pelican's own, with a template that records what it rendered.
    """

    def __init__(self, output_path: str, settings: dict[str, Any]) -> None:
        super().__init__(output_path, settings=settings)
        self.keys = KeyMaker(settings)
        self.previous = load_manifest(settings)
        #: rel path -> key (None: not keyable), for every page this build produced
        self.current: dict[str, str | None] = {}
        #: rel paths rendered (and so written) by this build
        self.fresh: set[str] = set()
        self.planned: dict[str, str | None] = {}
        self.rendered: dict[str, str] = {}
        self.skipped = 0
        self.renders = 0
        self.preview: frozenset[str] | None = (
            frozenset(settings[PREVIEW_PAGES]) if previewing(settings) else None
        )
        _writers.append(self)

    def write_file(
        self, name: Any, template: Any, context: dict[str, Any], *args: Any, **kwargs: Any
    ) -> None:  # type: ignore[override]
        if self.preview is not None:  # a preview build: only its pages, Pelican's own way
            if name and Path(name).as_posix() in self.preview:
                super().write_file(name, template, context, *args, **kwargs)
            return
        if name:
            pages = self._plan(name, template.name, context, *args, **kwargs)
            if self._unchanged(pages):
                self.current.update(pages)
                self.skipped += len(pages)
                return
            self.planned.update(pages)
        super().write_file(name, _KeyedTemplate(template, self), context, *args, **kwargs)

    def _plan(
        self,
        name: str,
        template: str,
        context: dict[str, Any],
        relative_urls: bool = False,
        paginated: dict[str, Any] | None = None,
        template_name: str | None = None,
        override_output: bool = False,
        url: str | None = None,
        **kwargs: Any,
    ) -> list[PlannedPage]:
        """The pages ``write_file`` would write, with their keys: the context Pelican gives
        each (its own copy plus ``kwargs`` and the pagination values our keys read)."""
        if paginated is None:
            paginated = {k: v for k, v in kwargs.items() if k in ("articles", "dates")}
        pages: list[tuple[str, dict[str, Any]]] = [(name, kwargs)]
        if paginated and template_name in self.settings["PAGINATED_TEMPLATES"]:
            per_page = (
                self.settings["PAGINATED_TEMPLATES"][template_name]
                or self.settings["DEFAULT_PAGINATION"]
            )
            paginators = {
                key: Paginator(name, url, value, self.settings, per_page)
                for key, value in paginated.items()
            }
            pages = []
            for number in range(1, next(iter(paginators.values())).num_pages + 1):
                values = dict(kwargs)
                for key, paginator in paginators.items():
                    page = paginator.page(number)
                    values[f"{key}_paginator"], values[f"{key}_page"] = paginator, page
                pages.append((page.save_as, values))
        planned: list[PlannedPage] = []
        for save_as, values in pages:
            local: dict[str, Any] = {"output_file": save_as}
            if relative_urls:
                local["SITEURL"] = path_to_url(get_relative_path(save_as))
            found = self.keys.page_key(template, ChainMap(local, values, context))
            planned.append((Path(save_as).as_posix(), found))
        return planned

    def _unchanged(self, pages: list[PlannedPage]) -> bool:
        """True when every page has its last key and its file is as the last build left it."""
        for rel, key in pages:
            before = self.previous.get(rel)
            if key is None or not before or before[0] != key:
                return False
            if rel in self.current:
                # A second write of one file: Pelican's rules decide (it refuses most).
                return False
            try:
                stat = os.stat(sanitised_join(self.output_path, rel))
            except (OSError, RuntimeError):
                return False
            if [stat.st_size, stat.st_mtime_ns] != before[1:3]:
                return False
        return True

    def render(self, template: Any, context: dict[str, Any]) -> str:
        rel = Path(str(context.get("output_file") or "")).as_posix()
        key = self.planned.pop(rel, None)
        self.current[rel] = key
        self.fresh.add(rel)
        if key is None:
            self.renders += 1
            return template.render(context)
        output = self.rendered.get(key)
        if output is None:
            self.renders += 1
            output = template.render(context)
            if template.name not in ("article.html", "page.html"):
                self.rendered[key] = output  # listing copies (pagination) share it
        return output


_writers: list[IncrementalWriter] = []
_generators = BuildGenerators()


def get_writer(_pelican: Any) -> type[Writer]:
    return IncrementalWriter


def _records(writer: IncrementalWriter, output: Path) -> dict[str, list[Any]]:
    """This build's pages: the last record of each one skipped, a new one of each written."""
    files: dict[str, list[Any]] = {}
    for rel, key in writer.current.items():
        before = writer.previous.get(rel)
        if rel not in writer.fresh and before:
            files[rel] = list(before)
            continue
        try:
            stat = (output / rel).stat()
        except OSError:
            continue
        files[rel] = [key, stat.st_size, stat.st_mtime_ns]
    return files


def finish(pelican: Any) -> None:
    """Record this build's pages; remove the last build's pages this one did not produce."""
    writers, _writers[:] = list(_writers), []
    generators = _generators.take()
    settings = pelican.settings
    path = manifest_path(settings)
    if path is None or not writers or previewing(settings):
        return
    output = Path(settings["OUTPUT_PATH"])
    previous = load_manifest(settings)
    files: dict[str, list[Any]] = {}
    for writer in writers:
        files.update(_records(writer, output))
    produced = set(files)
    for writer in writers:
        produced.update(writer.current)
    for generator in generators:
        for static in getattr(generator, "staticfiles", []) or []:
            if getattr(static, "save_as", None):
                rel = Path(static.save_as).as_posix()
                produced.add(rel)
                files.setdefault(rel, ["static"])
    for rel in sorted(set(previous) - produced):
        _remove(output, rel)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps({"output": str(settings["OUTPUT_PATH"]), "files": files}, ensure_ascii=False),
        encoding="utf-8",
    )
    renders = sum(w.renders for w in writers)
    skipped = sum(w.skipped for w in writers)
    logger.debug("incremental: %d pages rendered, %d unchanged", renders, skipped)


def forget_build() -> None:
    """Forget the writers of a build that stopped before ``finalized`` (the next build must
    not record its pages)."""
    _writers.clear()
    _generators.take()


def _remove(output: Path, rel: str) -> None:
    target = (output / rel).resolve()
    try:
        target.relative_to(output.resolve())
    except ValueError:
        return  # never outside the output folder
    try:
        target.unlink()
    except OSError:
        return
    folder = target.parent
    while folder != output.resolve():
        try:
            folder.rmdir()  # only when empty
        except OSError:
            break
        folder = folder.parent


def register() -> None:
    signals.get_writer.connect(get_writer)
    _generators.connect()
    signals.finalized.connect(finish)
