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

import hashlib
import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from pelican import signals
from tongxin.plugins.build_state import beside_pages, previewing, read_files_manifest
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
        "first_commit": entry.first_commit.isoformat(timespec="seconds")
        if entry.first_commit
        else None,
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


#: In the build cache: what the last build wrote to each API file (digest, size, mtime).
MANIFEST = "api-files.json"


def _digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def write_api(
    output_path: str | os.PathLike[str],
    site: Site,
    entries: Sequence[BranchEntry],
    cache_dir: str | os.PathLike[str] | None = None,
) -> list[Path]:
    """Write ``api/index.json`` and every ``api/<type>/<slug>.json``; return the paths written.

    With ``cache_dir`` (kept between builds), a file whose new bytes are those the last
    build wrote, and which is still as that build left it (size and mtime), is neither read
    back for comparison nor written: a rebuild after one edit touches one file, not all.
    """
    out = Path(output_path)
    manifest_path = Path(cache_dir) / MANIFEST if cache_dir else None
    before = read_files_manifest(manifest_path, out)
    after: dict[str, list[Any]] = {}
    generated = max((e.modified for e in entries), default=EMPTY_FEED_UPDATED)
    index = {
        "site": {"name": site.name, "url": site.url, "language": site.language},
        "generated": generated.isoformat(timespec="seconds"),
        "entries": [api_entry(e, site) for e in entries],
    }
    written: list[Path] = []
    wanted: set[Path] = set()
    folders: set[Path] = set()  # api/<type>/ made once, not once per entry

    def put(rel: str, data: bytes) -> None:
        path = out / rel
        wanted.add(path)
        digest = _digest(data)
        known = before.get(rel)
        if known and known[0] == digest:
            try:
                stat = os.stat(path)
            except OSError:
                stat = None
            if stat is not None and [stat.st_size, stat.st_mtime_ns] == known[1:3]:
                after[rel] = known
                return
        if write_if_changed(path, data, folders):
            written.append(path)
        if manifest_path is not None:
            stat = os.stat(path)
            after[rel] = [digest, stat.st_size, stat.st_mtime_ns]

    for entry in entries:
        put(_api_relative_path(entry), _dump(api_detail(entry, site)))
    put(f"{API_DIR}/index.json", _dump(index))
    _remove_withdrawn(out / API_DIR, wanted)
    if manifest_path is not None and after != before:
        try:
            manifest_path.parent.mkdir(parents=True, exist_ok=True)
            tmp = manifest_path.with_name(f".{MANIFEST}.tmp")
            tmp.write_text(json.dumps({"output": str(out), "files": after}), encoding="utf-8")
            os.replace(tmp, manifest_path)
        except OSError:
            pass  # no cache: the next build compares file contents instead
    return written


def _remove_withdrawn(api_root: Path, wanted: set[Path]) -> None:
    if not api_root.is_dir():
        return
    for path in api_root.glob("*/*.json"):
        if path not in wanted:
            path.unlink()


def queue_api(generators: Any) -> None:
    """On ``all_generators_finalized``: the API is a job beside the page writing
    (:data:`~tongxin.plugins.build_state.beside_pages`)."""
    generators = list(generators)
    if generators and not previewing(generators[0].settings):
        first = generators[0]
        beside_pages.add("api", write_build_api, first.output_path, generators, first.settings)


def write_build_api(output_path: str, generators: list[Any], settings: dict[str, Any]) -> int:
    """Write the API of a build; how many files were rewritten."""
    entries = collect_entries(generators, settings, include_pages=True)
    # Our settings keep a cache folder per site; Pelican's default one is cwd-relative.
    cache = settings.get("CACHE_PATH") if settings.get("TONGXIN_ROOT") else None
    return len(write_api(output_path, site_identity(settings), entries, cache))


def api_done(_pelican: Any) -> None:
    """On ``finalized``: the API job's outcome (its error is the build's)."""
    logger.debug("tongxin api: %s files rewritten", beside_pages.result("api"))


def register() -> None:
    beside_pages.connect()
    signals.all_generators_finalized.connect(queue_api)
    signals.finalized.connect(api_done)
