"""Dates and authors from git: ``date`` = the file's first commit, ``modified`` = its last.

Explicit front matter wins. The history is read once per build with one ``git log`` walk
(:mod:`tongxin.gitdates`), cached by HEAD. Without usable history (no repository, or a
shallow CI clone whose first commit is not the file's) every date falls back to the
file's mtime and the build logs ONE warning, not one per file.
"""

from __future__ import annotations

import logging
import os
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pelican import signals
from pelican.contents import Article, Page
from pelican.urlwrappers import Author
from pelican.utils import set_date_tzinfo

from tongxin.gitdates import GitHistory, NoHistory, read_history
from tongxin.i18n import translate

logger = logging.getLogger(__name__)


class _BuildState:
    """What one build knows about git; reset when Pelican starts a build."""

    def __init__(self) -> None:
        self.loaded_for: str | None = None
        self.history: GitHistory | None = None
        self.warned = False


_state = _BuildState()


def reset(_sender: Any = None) -> None:
    global _state
    _state = _BuildState()


def history_for(settings: dict[str, Any]) -> GitHistory | None:
    """This build's git history, read on first use; None (after one warning) if unusable."""
    root = str(settings.get("TONGXIN_ROOT") or Path(settings["PATH"]).parent)
    if _state.loaded_for == root:
        return _state.history
    _state.loaded_for = root
    _state.history = None
    language = settings.get("DEFAULT_LANG")
    try:
        history = read_history(root, settings.get("CACHE_PATH"))
    except NoHistory:
        logger.warning(translate(language, "build.no_git"))
        _state.warned = True
        return None
    if history.shallow:
        logger.warning(translate(language, "build.shallow_clone"))
        _state.warned = True
        return None
    _state.history = history
    return history


def _mtime(path: str, zone: ZoneInfo) -> datetime:
    return datetime.fromtimestamp(os.stat(path).st_mtime, zone)


def apply_git_dates(instance: Any) -> None:
    """Fill ``date``/``modified`` (and ``author``) that front matter left out."""
    if not isinstance(instance, Article | Page) or not instance.source_path:
        return
    meta = instance.metadata
    need_date = "date" not in meta
    need_modified = "modified" not in meta
    # The committer is the machine's git user ("Administrator", a private name): published
    # as the author only when site.yaml says so (author_from_git: true).
    site = instance.settings.get("TONGXIN_SITE") or {}
    need_author = (
        site.get("author_from_git") is True and "author" not in meta and "authors" not in meta
    )
    settings = instance.settings
    history = history_for(settings)
    found = history.lookup(instance.source_path) if history is not None else None
    # Published in api/ so a portal can tell a declared date well before the file existed
    # (a backdated item, which inspections count as a faked date).
    instance.first_commit = found.created if found is not None else None
    if not (need_date or need_modified or need_author):
        return
    zone = instance.timezone
    if found is not None:
        created, modified = found.created, found.modified
    else:
        # Not committed yet (a local preview) or no usable history: the file's mtime.
        try:
            created = modified = _mtime(instance.source_path, zone)
        except OSError:
            return  # not a file on disk (content made in memory): nothing to date it by
    if need_date:
        _set_date(instance, "date", created, zone)
    if need_modified:
        latest = modified
        if not need_date and latest < instance.date:
            latest = instance.date  # an explicit later date must not precede "modified"
        _set_date(instance, "modified", latest, zone)
    if need_author and found is not None and found.author:
        author = Author(found.author, settings)
        instance.author = author
        instance.authors = [author]
        meta["author"] = author


def _set_date(instance: Any, key: str, value: datetime, zone: ZoneInfo) -> None:
    value = set_date_tzinfo(value.astimezone(zone), str(zone))
    setattr(instance, key, value)
    instance.metadata[key] = value
    setattr(instance, f"locale_{key}", value.strftime(instance.date_format))


def register() -> None:
    signals.initialized.connect(reset)
    signals.content_object_init.connect(apply_git_dates)
