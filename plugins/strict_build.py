"""Fail the build on any content problem, instead of Pelican's "log it and skip the file".

A notice silently missing from a branch site is lost information, so:

1. before Pelican reads anything, :func:`tongxin.check.check_branch` validates the branch
   (skipped when ``tongxin build`` already ran it: setting ``TONGXIN_CHECKED``);
2. while Pelican runs, every ERROR it logs (a file that could not be read, a save_as
   outside the output folder, a plugin that failed to register …) is collected, and the
   build stops with all of them once the content has been read, before anything is written.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pelican import signals
from tongxin.plugins.build_state import beside_pages

from tongxin.frontmatter import ContentError
from tongxin.problems import Problem, errors_in


class StrictBuildError(Exception):
    """The build cannot publish this branch; ``problems`` say why (``path:line: message``)."""

    def __init__(self, problems: Sequence[Problem | str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class _ErrorCollector(logging.Handler):
    """Remembers every ERROR record from Pelican and plugins during one build."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.errors: list[Problem | str] = []

    def emit(self, record: logging.LogRecord) -> None:
        # Pelican logs "Could not process <file>" from inside its except-block without the
        # exception; the exception in flight is the real explanation.
        error = record.exc_info[1] if record.exc_info else sys.exc_info()[1]
        if isinstance(error, ContentError):
            self.errors.extend(p for p in error.problems if p not in self.errors)
            return
        try:
            message = record.getMessage()
        except Exception:  # a malformed log call must not hide the error itself
            message = str(record.msg)
        if error is not None and str(error) and str(error) not in message:
            message = f"{message}: {error}"
        self.errors.append(message)


_collector: _ErrorCollector | None = None
_WATCHED = ("pelican", "tongxin")


def start(pelican: Any) -> None:
    """At ``initialized``: validate the branch, then start collecting errors."""
    global _collector
    stop()
    settings = pelican.settings
    if not settings.get("TONGXIN_CHECKED"):
        from tongxin.check import check_branch

        root = Path(settings.get("TONGXIN_ROOT") or Path(settings["PATH"]).parent)
        # Our settings keep a cache folder per code version; Pelican's default is cwd-relative.
        cache = settings.get("CACHE_PATH") if settings.get("TONGXIN_ROOT") else None
        problems = check_branch(root, cache_dir=cache)
        if errors_in(problems):
            raise StrictBuildError(problems)
    _collector = _ErrorCollector()
    for name in _WATCHED:
        logging.getLogger(name).addHandler(_collector)


def stop() -> None:
    global _collector
    if _collector is not None:
        for name in _WATCHED:
            logging.getLogger(name).removeHandler(_collector)
    _collector = None


def raise_if_errors(_sender: Any = None) -> None:
    """Stop the build if anything went wrong so far."""
    if _collector is not None and _collector.errors:
        errors = list(_collector.errors)
        stop()
        raise StrictBuildError(errors)


def finish(_sender: Any = None) -> None:
    try:
        beside_pages.wait()  # what the work beside the pages logged counts too
        raise_if_errors()
    finally:
        stop()


def register() -> None:
    signals.initialized.connect(start)
    # After all content is read and before any page is written.
    signals.all_generators_finalized.connect(raise_if_errors)
    signals.finalized.connect(finish)
