"""A static, headless JSON API for apps and mini-programs: ``api/index.json`` + one file per entry.

``api/index.json`` = ``{"site": {name, url, language}, "generated": iso, "entries": [ApiEntry]}``
and ``api/<type>/<slug>.json`` = ApiEntry + ``content_html`` (+ ``quiz`` for study entries),
as docs/internals.md fixes. Unlike the feeds, pages are listed too: an app needs "about" and
"contact" as much as the news.

Output is deterministic so that a rebuild with nothing changed writes identical bytes, and a
file whose bytes are unchanged is not rewritten: keys in a fixed order, UTF-8 text (not
``\\uXXXX`` escapes), entries newest first with the id breaking ties, and ``generated`` is the
newest entry's ``modified`` rather than the wall clock. An API file whose entry has gone
(deleted or turned into a draft) is removed so the API never serves what the site withdrew.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from pelican import signals
from tongxin.plugins.feeds import (
    EMPTY_FEED_UPDATED,
    BranchEntry,
    Site,
    collect_entries,
    site_identity,
    write_if_changed,
)

logger = logging.getLogger(__name__)

API_DIR = "api"


def _api_relative_path(entry: BranchEntry) -> str:
    # Slugs are validated by `tongxin check`; refuse anything that could leave api/ anyway.
    for part in (entry.type, entry.slug):
        if not part or part in (".", "..") or "/" in part or "\\" in part or "\x00" in part:
            raise ValueError(f"cannot write an API file for {entry.url}: bad path part {part!r}")
    return f"{API_DIR}/{entry.type}/{entry.slug}.json"


def api_entry(entry: BranchEntry, site: Site) -> dict[str, Any]:
    """The ApiEntry of docs/internals.md, keys in their documented order."""
    return {
        "id": entry.id,
        "url": entry.url,
        "type": entry.type,
        "title": entry.title,
        "date": entry.date.isoformat(timespec="seconds") if entry.dated else None,
        "modified": entry.modified.isoformat(timespec="seconds") if entry.dated else None,
        "summary": entry.summary_text,
        "tags": list(entry.tags),
        "author": entry.author,
        "pinned": entry.pinned,
        "expires": entry.expires.isoformat() if entry.expires else None,
        "series": entry.series,
        "order": entry.order,
        "api": site.url + quote(_api_relative_path(entry), safe="/"),
    }


def api_detail(entry: BranchEntry, site: Site) -> dict[str, Any]:
    """One entry in full: ApiEntry + ``content_html`` (+ ``quiz`` for study entries)."""
    detail = api_entry(entry, site)
    detail["content_html"] = entry.content_html
    if entry.type == "study":
        detail["quiz"] = _jsonable(entry.quiz)
    return detail


def _jsonable(value: Any) -> Any:
    # Quiz data comes from YAML: make dates and other scalars JSON-safe, keep key order.
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _dump(data: Any) -> bytes:
    return (json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


def write_api(
    output_path: str | os.PathLike[str], site: Site, entries: Sequence[BranchEntry]
) -> list[Path]:
    """Write ``api/index.json`` and every ``api/<type>/<slug>.json``; return the paths written."""
    out = Path(output_path)
    generated = max((e.modified for e in entries), default=EMPTY_FEED_UPDATED)
    index = {
        "site": {"name": site.name, "url": site.url, "language": site.language},
        "generated": generated.isoformat(timespec="seconds"),
        "entries": [api_entry(e, site) for e in entries],
    }
    written: list[Path] = []
    wanted: set[Path] = set()
    folders: set[Path] = set()  # api/<type>/ made once, not once per entry
    for entry in entries:
        path = out / _api_relative_path(entry)
        wanted.add(path)
        if write_if_changed(path, _dump(api_detail(entry, site)), folders):
            written.append(path)
    index_path = out / API_DIR / "index.json"
    if write_if_changed(index_path, _dump(index)):
        written.append(index_path)
    _remove_withdrawn(out / API_DIR, wanted | {index_path})
    return written


def _remove_withdrawn(api_root: Path, wanted: set[Path]) -> None:
    if not api_root.is_dir():
        return
    for path in api_root.glob("*/*.json"):
        if path not in wanted:
            path.unlink()


_generators: list[Any] = []


def _remember_generators(generators: Sequence[Any]) -> None:
    _generators[:] = list(generators)


def _write_after_build(pelican: Any) -> None:
    generators, _generators[:] = list(_generators), []
    site = site_identity(pelican.settings)
    entries = collect_entries(generators, pelican.settings, include_pages=True)
    written = write_api(pelican.output_path, site, entries)
    logger.debug("tongxin api: %d entries, %d files rewritten", len(entries), len(written))


def register() -> None:
    signals.all_generators_finalized.connect(_remember_generators)
    signals.finalized.connect(_write_after_build)
