"""Build one branch site: validate, then run Pelican in-process with our settings.

Validation runs first and stops the build with ``path:line: message`` problems, so a
failed build writes nothing at all. Pelican's content cache (``.tongxin-cache/``) makes a
rebuild with nothing changed skip Markdown parsing; the output folder is emptied before
each build only when an earlier tongxin build made it (a marker file says so), so that
``-o ~/`` can never wipe anything that is not ours.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tongxin import parallel
from tongxin.checknames import is_system_file
from tongxin.config.content import CONTENT_TYPES
from tongxin.frontmatter import shared_reads
from tongxin.i18n import translate
from tongxin.problems import Problem, errors_in
from tongxin.settings import PREVIEW_PAGES, configured_settings, load_site, package_digest
from tongxin.zones import site_zone

#: Written into the output folder after a successful build.
MARKER = ".tongxin-output"


class BuildFailed(Exception):
    """Nothing was published; ``problems`` are ready to print, one per line."""

    def __init__(self, problems: list[Problem] | list[str]) -> None:
        self.problems: list[Problem | str] = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass
class BuildResult:
    output: Path
    entries: int
    seconds: float
    warnings: list[str]
    #: True when nothing had changed since the last build and the output was kept as is
    unchanged: bool = False


def _check_signing_key(language: str) -> None:
    """A malformed signing key fails the build up front, before any unsigned feed is written."""
    from tongxin.signing import KEY_ENV, SigningKeyError, public_key_for

    key = os.environ.get(KEY_ENV, "").strip()
    if key:
        try:
            public_key_for(key)
        except SigningKeyError as error:
            raise BuildFailed([translate(language, "feeds.signing_bad_key", error=error)]) from None


def _signing_state() -> str:
    """Which key (by its public half) the feeds are signed with, for the fingerprint."""
    from tongxin.signing import KEY_ENV, SigningKeyError, public_key_for

    key = os.environ.get(KEY_ENV, "").strip()
    if not key:
        return "unsigned"
    try:
        return "signed:" + public_key_for(key)
    except SigningKeyError:
        return "bad-key"


def input_fingerprint(root: Path, settings: dict[str, Any]) -> str:
    """A hash of everything a build's output depends on.

    Content files (path, size, mtime), the output folder and site URL, the installed
    code, theme and catalogues (:func:`tongxin.settings.package_digest`, by content), git
    HEAD (dates and authors) and today's date in the site's timezone (announcements expire
    by date). Equal fingerprints mean equal output.
    """
    import datetime as dt
    import hashlib

    digest = hashlib.sha256()
    digest.update(json.dumps([settings["OUTPUT_PATH"], settings["SITEURL"]]).encode())
    digest.update(package_digest().encode())
    digest.update(os.environ.get("TONGXIN_DISABLE_PLUGINS", "").encode())
    digest.update(_signing_state().encode())  # adding or rotating the key must re-sign
    for dirpath, dirnames, filenames in os.walk(root / "content"):
        dirnames.sort()
        for name in sorted(filenames):
            path = os.path.join(dirpath, name)
            try:
                stat = os.stat(path)
            except OSError:
                continue  # a dangling link: check reports it
            # surrogateescape: a name that is not UTF-8 (check reports it) must not crash here
            line = f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n"
            digest.update(line.encode("utf-8", "surrogateescape"))
    try:
        import git

        digest.update(git.Repo(root, search_parent_directories=True).head.commit.hexsha.encode())
    except Exception:  # no repository or no commit yet: dates come from mtimes (hashed above)
        digest.update(b"no-git")
    digest.update(dt.datetime.now(site_zone(settings)).date().isoformat().encode())
    return digest.hexdigest()


def _drop_stale_caches(current: Path) -> None:
    """Content caches of other code versions (``pelican-<digest>``) are never read again."""
    import shutil

    for folder in current.parent.glob("pelican-*"):
        if folder != current and folder.is_dir():
            shutil.rmtree(folder, ignore_errors=True)


def _previous_fingerprint(output: Path) -> str | None:
    try:
        return json.loads((output / MARKER).read_text(encoding="utf-8")).get("fingerprint")
    except (OSError, ValueError, AttributeError):
        return None


class _WarningPrinter(logging.Handler):
    """Prints Pelican's and our warnings once each, plainly (errors go to strict_build)."""

    def __init__(self, stream: Any) -> None:
        super().__init__(level=logging.WARNING)
        self.stream = stream
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.ERROR:
            return
        message = record.getMessage()
        if message in self.seen:
            return
        self.seen.append(message)
        if self.stream is not None:
            # ours are printed as tongxin check prints them (in the site's language, 提醒：…
            # where it says so); Pelican's, in English, are marked as warnings
            ours = record.name.split(".")[0] in ("tongxin", "plugins")
            print(message if ours else f"warning: {message}", file=self.stream)


@contextmanager
def _captured_logging(stream: Any) -> Iterator[_WarningPrinter]:
    printer = _WarningPrinter(stream)
    loggers = [logging.getLogger(name) for name in ("pelican", "tongxin")]
    saved = [(lg.level, lg.propagate) for lg in loggers]
    for lg in loggers:
        lg.addHandler(printer)
        lg.setLevel(logging.WARNING)
        # Without a root handler Python would print every record again on its own.
        lg.propagate = False
    try:
        yield printer
    finally:
        for lg, (level, propagate) in zip(loggers, saved, strict=True):
            lg.removeHandler(printer)
            lg.setLevel(level)
            lg.propagate = propagate


@contextmanager
def _progress(enabled: bool, language: str, total: int) -> Iterator[None]:
    """A progress bar on a terminal (reading, then writing); nothing under cron."""
    import pelican.log
    from pelican import signals

    console = pelican.log.console
    quiet = console.quiet
    console.quiet = True  # Pelican's own "Done: …" line; we print our own summary
    if not enabled:
        try:
            yield
        finally:
            console.quiet = quiet
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    progress = Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), transient=True
    )
    reading = progress.add_task(translate(language, "build.reading"), total=total)
    writing = progress.add_task(translate(language, "build.writing"), total=None, visible=False)

    def on_read(_sender: Any, **_kw: Any) -> None:
        progress.advance(reading)

    def on_written(_path: Any, **_kw: Any) -> None:
        progress.update(writing, visible=True)
        progress.advance(writing)

    signals.article_generator_preread.connect(on_read)
    signals.page_generator_preread.connect(on_read)
    signals.content_written.connect(on_written)
    try:
        with progress:
            yield
    finally:
        signals.article_generator_preread.disconnect(on_read)
        signals.page_generator_preread.disconnect(on_read)
        signals.content_written.disconnect(on_written)
        console.quiet = quiet


def _forget_stopped_build() -> None:
    """A build that stopped early (a strict-build error at ``finalized``) must leave nothing
    for the next build in this process to record."""
    incremental = sys.modules.get("tongxin.plugins.incremental")
    if incremental is not None:
        incremental.forget_build()
    parallel.abandon_all()  # work aside that the stopped build will never collect


def _count_sources(content: Path) -> int:
    """The entries a build publishes: Markdown and YAML files of the content folders (not the
    Thumbs.db Windows leaves beside them, which the closing line counted as entries)."""
    return sum(
        1
        for kind in CONTENT_TYPES
        for path in (content / kind).rglob("*")
        if path.suffix.lower() in (".md", ".markdown", ".yaml", ".yml")
        and path.is_file()
        and not path.name.startswith(".")
        and not is_system_file(path.name)
    )


def _prepare_output(output: Path, language: str, printer: _WarningPrinter) -> bool:
    """True when the output folder may be emptied before the build."""
    if not output.exists() or not any(output.iterdir()):
        return True
    if (output / MARKER).exists():
        return True
    printer.emit(
        logging.makeLogRecord(
            {
                "levelno": logging.WARNING,
                "msg": translate(language, "build.output_not_ours", output=output),
            }
        )
    )
    return False


def build_site(
    root: str | Path,
    output: str | Path | None = None,
    siteurl: str | None = None,
    *,
    progress: bool | None = None,
    warnings_to: Any = sys.stderr,
    force: bool = False,
    preview: Collection[str] = (),
) -> BuildResult:
    """Validate and build the branch at ``root``; raise :class:`BuildFailed` on any problem.

    ``progress`` defaults to "stderr is a terminal"; ``warnings_to`` is where warnings are
    printed (``None`` to keep them only in the result). When nothing the output depends on
    has changed since the last successful build (:func:`input_fingerprint`), the output is
    kept as is, unless ``force``. ``preview`` (output-relative paths): write only those pages,
    checked and built from all the content as usual, and nothing else (``tongxin serve`` shows
    the page being edited before the full build).
    """
    from pelican import Pelican

    from tongxin.check import check_branch
    from tongxin.plugins.strict_build import StrictBuildError

    started = time.perf_counter()
    root = Path(root).resolve()
    site = load_site(root)
    language = str(site.get("language") or "zh-CN")
    if not (root / "content").is_dir():
        raise BuildFailed([translate(language, "build.no_content", path=root)])
    _check_signing_key(language)
    settings = configured_settings(root, output, siteurl, checked=True)
    out = Path(settings["OUTPUT_PATH"])
    if out.resolve().is_relative_to(root / "content"):  # -o content: pages would become sources
        raise BuildFailed([translate(language, "build.output_in_content", output=out)])
    fingerprint = input_fingerprint(root, settings)
    if preview:
        settings[PREVIEW_PAGES] = frozenset(preview)
    elif not force and _previous_fingerprint(out) == fingerprint:
        return BuildResult(out, _count_sources(root / "content"), 0.0, [], unchanged=True)

    _drop_stale_caches(Path(settings["CACHE_PATH"]))
    if progress is None:
        progress = sys.stderr.isatty()
    # Validation parses every file; Pelican's readers then take those parses (shared_reads).
    with shared_reads(), _captured_logging(warnings_to) as printer:
        problems = check_branch(root, cache_dir=settings["CACHE_PATH"])
        if errors_in(problems):
            raise BuildFailed(problems)
        for problem in problems:  # warnings: printed, the build goes on
            logging.getLogger("tongxin.check").warning("%s", problem)
        # Our own output is emptied only when there is no record of what the last build
        # wrote; with one, the incremental plugin keeps unchanged pages and removes the
        # ones no longer produced.
        from tongxin.plugins.incremental import manifest_usable

        ours = _prepare_output(out, language, printer)
        settings["DELETE_OUTPUT_DIRECTORY"] = (
            ours and not preview and not ((out / MARKER).exists() and manifest_usable(settings))
        )
        settings["OUTPUT_RETENTION"] = [MARKER, ".git"]
        total = _count_sources(root / "content")
        try:
            with _progress(progress, language, total):
                pelican = Pelican(settings)
                pelican.run()
        except StrictBuildError as error:
            raise BuildFailed(error.problems) from error
        finally:
            _forget_stopped_build()
    out.mkdir(parents=True, exist_ok=True)
    if not preview:  # the full build after a preview records the output
        _record_build(out, settings["SITEURL"], fingerprint)
    return BuildResult(
        output=out,
        entries=total,
        seconds=time.perf_counter() - started,
        warnings=list(printer.seen),
    )


def _record_build(out: Path, siteurl: str, fingerprint: str) -> None:
    record = {"siteurl": siteurl, "built": time.time(), "fingerprint": fingerprint}
    (out / MARKER).write_text(json.dumps(record), encoding="utf-8")


def output_is_current(root: str | Path, output: str | Path, siteurl: str) -> bool:
    """True when ``output`` holds a build of ``root`` for ``siteurl`` newer than every source."""
    output = Path(output)
    marker = output / MARKER
    try:
        info = json.loads(marker.read_text(encoding="utf-8"))
        built = float(info["built"])
    except (OSError, ValueError, KeyError, TypeError):
        return False
    if info.get("siteurl") != siteurl.rstrip("/"):
        return False
    for path in (Path(root) / "content").rglob("*"):
        try:
            if path.stat().st_mtime > built:
                return False
        except OSError:
            return False
    return True
