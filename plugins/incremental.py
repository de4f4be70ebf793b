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
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pelican import signals
from pelican.contents import Content
from pelican.paginator import Page as PaginatorPage
from pelican.paginator import Paginator
from pelican.urlwrappers import URLWrapper
from pelican.utils import sanitised_join
from pelican.writers import Writer
from tongxin.plugins.build_state import BuildGenerators, WriteBehind, read_files_manifest

from tongxin.settings import package_digest, theme_path

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


class _Unchanged(str):
    """What a skipped page "renders" to: the lazy file below then writes nothing."""


class _Digests:
    """Per-build memo of entry digests (entries are not mutated once written)."""

    def __init__(self) -> None:
        self.listing: dict[int, bytes] = {}
        self.full: dict[int, bytes] = {}
        self.lists: dict[tuple[int, int], bytes] = {}
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
        if found is None:
            found = self.memo.lists[key] = _h([self.value(e, shallow=True) for e in entries])
        return found

    # --- any context value ---------------------------------------------------------

    def value(self, value: Any, shallow: bool = False) -> bytes:
        if isinstance(value, Content):
            return self.listing(value) if shallow else self.full(value)
        if isinstance(value, PaginatorPage):
            return _h("page", value.number, value.base_name, self.many(value.object_list))
        if isinstance(value, Paginator):
            return _h("paginator", value.num_pages, value.count, value.per_page)
        if isinstance(value, list | tuple):
            return self.many(value)
        if isinstance(value, dict):
            return _h(sorted((str(k), self.value(v, True)) for k, v in value.items()))
        return _h(_simple(value))

    def navigation(self, context: dict[str, Any]) -> bytes:
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

    def page_key(self, template_name: str, context: dict[str, Any]) -> str | None:
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


class _LazyFile:
    """Collects a page; on close, the writer's background thread opens (and truncates) the
    real file and writes it. Nothing is opened for a skipped page.

    Whether Pelican accepts the write is decided here, at once, by its own rules: its
    generators rely on the error to skip a tag or category page with an invalid slug.
    """

    def __init__(self, writer: IncrementalWriter, filename: str, encoding: str, override: bool):
        self.writer, self.filename, self.encoding, self.override = (
            writer,
            filename,
            encoding,
            override,
        )
        self.file: Any = None
        self.parts: list[str] | None = None

    def write(self, data: str) -> int:
        if isinstance(data, _Unchanged):
            return 0
        if self.file is None and self.parts is None:
            self._begin()
        if self.file is not None:
            return self.file.write(data)
        assert self.parts is not None
        self.parts.append(data)
        return len(data)

    def _begin(self) -> None:
        writer, name = self.writer, self.filename
        if name in writer._overridden_files or name in writer._written_files:
            # A second write of one file (rare): Pelican refuses it, skips it or overwrites,
            # in this thread, once the queued writes (the first one among them) are done.
            writer.writes.wait()
            self.file = Writer._open_w(writer, name, self.encoding, self.override)
            return
        # The first write of a file: Pelican's bookkeeping, then open it on the thread.
        if self.override:
            writer._overridden_files.add(name)
        writer._written_files.add(name)
        self.parts = []

    def close(self) -> None:
        if self.file is not None:
            self.file.close()
        elif self.parts:
            text, self.parts = "".join(self.parts), []
            self.writer.writes.submit(
                _write_text, self.filename, self.encoding, text, size=len(text)
            )

    def __enter__(self) -> _LazyFile:
        return self

    def __exit__(self, *_exc: Any) -> None:
        self.close()


def _write_text(filename: str, encoding: str, text: str) -> None:
    # os.open/os.write: what open(filename, "w") does (same mode, truncation, bytes on
    # POSIX), without a file object's fstat, ioctl and lseek per page.
    data = text.encode(encoding)
    handle = os.open(filename, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | _CLOEXEC, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(handle, view) :]
    finally:
        os.close(handle)


_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


def _make_folders(folders: list[str]) -> None:
    for folder in folders:
        try:
            os.makedirs(folder, exist_ok=True)
        except OSError:
            continue  # the page writer's own makedirs reports it


def _entry_folders(output_path: str, generators: list[Any]) -> list[str]:
    """The folders the entries' pages go to (``news/<slug>/``), in the order written."""
    folders: dict[str, None] = {}
    for generator in generators:
        for name in ("articles", "hidden_articles", "pages", "hidden_pages"):
            for entry in getattr(generator, name, None) or []:
                save_as = getattr(entry, "save_as", "")
                if save_as:
                    try:
                        path = sanitised_join(output_path, save_as)
                    except RuntimeError:
                        continue  # Pelican refuses to write it; so do we
                    folders[os.path.dirname(path)] = None
    return list(folders)


class _KeyedTemplate:
    """Wraps a Jinja template: ``render`` skips work whose result is already on disk."""

    def __init__(self, template: Any, writer: IncrementalWriter) -> None:
        self.template = template
        self.writer = writer
        self.name = template.name

    def render(self, context: dict[str, Any]) -> str:
        return self.writer.render(self.template, context)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.template, name)


class IncrementalWriter(Writer):
    """Pelican's writer, skipping pages whose key and file are as the last build left them."""

    def __init__(self, output_path: str, settings: dict[str, Any]) -> None:
        super().__init__(output_path, settings=settings)
        self.keys = KeyMaker(settings)
        self.previous = load_manifest(settings)
        #: rel path -> key, for every page this build produced (rendered or skipped)
        self.current: dict[str, str] = {}
        #: rel paths rendered (and so written) by this build
        self.fresh: list[str] = []
        self.rendered: dict[str, str] = {}
        self.skipped = 0
        self.renders = 0
        self.writes = WriteBehind()
        # One folder per entry, made ahead of the pages by the writing thread itself (the
        # page writer's own makedirs then finds them, or makes one not reached yet), so no
        # render waits on mkdir. One thread creates every folder and page: a second thread
        # would only compete with this one for the same directories and with the renderer
        # for the CPU and the GIL.
        self.writes.submit(_make_folders, _entry_folders(output_path, _generators.peek()), size=1)
        _writers.append(self)

    def wait(self) -> None:
        """Return once every page is on disk; raise the first failed write."""
        self.writes.wait()

    def write_file(self, name: Any, template: Any, context: dict[str, Any], *a: Any, **kw: Any):
        return super().write_file(name, _KeyedTemplate(template, self), context, *a, **kw)

    def _open_w(self, filename: str, encoding: str, override: bool = False) -> Any:
        return _LazyFile(self, filename, encoding, override)

    def render(self, template: Any, context: dict[str, Any]) -> str:
        name = str(context.get("output_file") or "")
        key = self.keys.page_key(template.name, context) if name else None
        if key is None:
            self.renders += 1
            return template.render(context)
        rel = Path(name).as_posix()
        before = self.previous.get(rel)
        if before and before[0] == key and rel not in self.current:
            path = sanitised_join(self.output_path, name)
            try:
                stat = os.stat(path)
            except OSError:
                stat = None
            # The file must still be the one we wrote: same size and mtime.
            if stat is not None and [stat.st_size, stat.st_mtime_ns] == before[1:3]:
                self.current[rel] = key
                self._written_files.add(path)
                self.skipped += 1
                return _Unchanged("")
        self.current[rel] = key
        self.fresh.append(rel)
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


def finish(pelican: Any) -> None:
    """Record this build's pages; remove the last build's pages this one did not produce."""
    writers, _writers[:] = list(_writers), []
    generators = _generators.take()
    for writer in writers:
        writer.wait()  # every page on disk before it is recorded
    settings = pelican.settings
    path = manifest_path(settings)
    if path is None or not writers:
        return
    output = Path(settings["OUTPUT_PATH"])
    previous = load_manifest(settings)
    files: dict[str, list[Any]] = {}
    for writer in writers:
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
    produced = set(files)
    for writer in writers:
        for written in list(writer._written_files):
            if written != os.devnull:
                produced.add(Path(os.path.relpath(written, output)).as_posix())
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


def wait_for_writes() -> None:
    """Let the pages of a build that stopped before ``finalized`` finish writing (and forget
    that build: the next one must not record its pages)."""
    writers, _writers[:] = list(_writers), []
    for writer in writers:
        try:
            writer.wait()
        except Exception:  # the build has failed already; that failure is the one to report
            logger.debug("incremental: a page write failed after the build failed")


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
