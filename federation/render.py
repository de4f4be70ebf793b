"""Render the portal from the store, with the branch sites' theme, and publish it atomically.

Two halves:

- :func:`render_portal` writes every page, feed and JSON file of one portal version into a
  fresh folder. Each output file has a *fingerprint* (a digest of exactly what goes into it);
  a file whose fingerprint matches the previous version's is hard-linked from that version
  instead of rendered again, so a run where one branch changed renders a handful of pages,
  not fifty thousand entries. Listings paginate "bottom-anchored": numbered pages count from
  the oldest entry and always hold ``page_size`` entries, so a new entry changes the front
  page only, never every page after it.
- :class:`Publisher` owns the output path: ``OUT`` is a symlink to a version folder beside it;
  a new version is swapped in with ``os.replace`` of a new symlink (atomic on POSIX), so a
  reader sees the old portal or the new one, never half of one.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
import os
import re
import shutil
import struct
import subprocess
import time
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from operator import attrgetter
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from markupsafe import Markup

from tongxin.forked import ForkedTask, can_fork
from tongxin.i18n import normalise_language, translate, translator

from . import portal_feeds
from .health import health_json, sparkline_svg, status_counts
from .model import Branch, BranchHealth, Entry, Registry
from .portal_feeds import PortalSite
from .store import LISTING_COLUMNS, entry_from_listing_row

THEME_DIR = Path(__file__).resolve().parent.parent / "theme"
try:  # the installed package name is authoritative (editable or wheel install)
    import tongxin.theme as _theme  # type: ignore[import-not-found]

    THEME_DIR = Path(_theme.__file__).resolve().parent
except ImportError:  # pragma: no cover - only when run from a bare checkout
    pass
TEMPLATE_DIR = THEME_DIR / "templates"
STATIC_DIR = THEME_DIR / "static"
#: Types with their own listing at the portal root, as on branch sites (``news/``).
KNOWN_TYPES = ("news", "announcements", "study")
MANIFEST = ".tongxin-manifest.json"
#: Where each entry's JSON sits in the version's api/index.json, a line ``key start end`` per
#: entry (:func:`portal_feeds.api_index_spans`), so the next version copies unchanged entries.
API_SPANS = ".tongxin-api-spans.txt"
_ABSOLUTE = re.compile(r"^https?://")
_PLACEHOLDER = re.compile("\ue000(.)\ue001")
_PAGE_PLACEHOLDER = re.compile("\ue000([a-zA-Z][0-9]*)\ue001")
#: A listing with at least this many numbered pages fills them from skeletons.
SKELETON_MIN_PAGES = 4

logger = logging.getLogger(__name__)


def _format_string(parts: list[str]) -> str:
    """``str.format_map`` source from a skeleton split on its placeholders (literal, key,
    literal …): one C call fills a card, where joining the parts in Python cost 2 s a run."""
    return "".join(
        "{" + part + "}" if i % 2 else part.replace("{", "{{").replace("}", "}}")
        for i, part in enumerate(parts)
    )


def _card_shape(item: PortalItem) -> tuple[Any, ...] | None:
    """What of an item decides its card's skeleton; None: render its card for real."""
    if not _ABSOLUTE.match(item.url) or (item.branch_url and not _ABSOLUTE.match(item.branch_url)):
        return None
    return (
        item.type,
        item.pinned,
        item.expired,
        item.date.month if item.date else 0,
        bool(item.branch_name),
        bool(item.branch_url),
        bool(item.summary_html),
    )


def _escape(text: str) -> str:
    """``markupsafe.escape`` as a plain ``str``: the same five entities, without a Markup
    object per call (120,000 of them cost 0.3 s a run). Skeleton cards are still checked
    against the template's own escaping."""
    return (
        text.replace("&", "&amp;")
        .replace(">", "&gt;")
        .replace("<", "&lt;")
        .replace("'", "&#39;")
        .replace('"', "&#34;")
    )


#: :func:`_escape` of values many items share (a branch's name and address).
_escape_shared = functools.lru_cache(maxsize=4096)(_escape)
#: ``Markup(text)`` of a ``str``, without Markup.__new__'s check for ``__html__`` (C-level).
_markup: Callable[[str], Markup] = functools.partial(str.__new__, Markup)


def _ph(key: str) -> str:
    """A placeholder no feed text can contain (private-use characters, untouched by escaping)."""
    return f"\ue000{key}\ue001"


@dataclass
class _Placeholder:
    title: str
    url: str
    date: Any
    modified: Any
    summary: Markup
    type: str
    tags: list[str]
    pinned: bool
    expired: bool
    branch_name: str
    branch_url: str


@dataclass
class _PagerPlaceholder:
    """Stands in for a :class:`Pager` in a numbered page's skeleton (number and links)."""

    number: str | int
    older: str | None
    newer: str | None


class _SliceablePlaceholder(str):
    """A placeholder whose slices are a placeholder of their own (``last_entry[:10]``)."""

    def __new__(cls, key: str) -> _SliceablePlaceholder:
        return super().__new__(cls, _ph(key))

    def __getitem__(self, index: Any) -> str:
        if isinstance(index, slice):
            return _ph(str(self)[1].upper())
        return str.__getitem__(self, index)


class _PlaceholderDate:
    """Stands in for a date in a skeleton card: the month is real (month names), the rest not."""

    def __init__(self, month: int) -> None:
        self.year = _ph("Y")
        self.month = month
        self.day = _ph("D")

    def isoformat(self, *args: Any, **kwargs: Any) -> str:
        return _ph("I")


#: An item's digest (C-level attribute access: fingerprints read 200,000 of them a run).
_DIGEST = attrgetter("digest")
_UNSAFE = re.compile(r"[\x00-\x1f/\\?#%*:|\"<>]+")


# --------------------------------------------------------------------------- items


@dataclass
class PortalItem:
    """One entry as the theme's listing templates see it (docs/internals.md "Theme context")."""

    entry_id: str
    title: str
    url: str
    date: datetime | None
    modified: datetime | None
    summary_html: str
    type: str
    tags: list[str]
    pinned: bool
    expired: bool
    branch_id: str
    branch_name: str
    branch_url: str
    month: str  # YYYY-MM of publication ("" without a date)

    @cached_property
    def digest(self) -> str:
        """Stable digest of everything a listing shows of this entry (not Python's hash())."""
        parts = (
            self.entry_id,
            self.title,
            self.url,
            self.date.isoformat() if self.date else "",
            # Most entries were never modified (the store shares one datetime): no second isoformat.
            "="
            if self.modified is self.date
            else self.modified.isoformat()
            if self.modified
            else "",
            self.summary_html,
            self.type,
            "\x1f".join(self.tags),
            "1" if self.pinned else "0",
            "1" if self.expired else "0",
            self.branch_name,
            self.branch_url,
        )
        return hashlib.blake2b("\x1e".join(parts).encode(), digest_size=12).hexdigest()

    @cached_property
    def summary(self) -> Markup:
        # Sanitised by the sanitise stage before it was stored: safe to emit as HTML. Made
        # on demand: a Markup per item cost 0.2 s for 50,000 entries, most never shown.
        return Markup(self.summary_html)

    @property
    def card_values(self) -> dict[str, str]:
        """The placeholder values of a skeleton card (computed once for both card kinds)."""
        # Cached by hand: functools.cached_property takes a lock on every read (Python 3.11).
        values = self.__dict__.get("_card_values")
        if values is None:
            date = self.date
            values = self.__dict__["_card_values"] = {
                "T": _escape(self.title),
                "U": _escape(self.url),
                "B": _escape_shared(self.branch_url),
                "N": _escape_shared(self.branch_name),
                "S": self.summary_html,
                "I": _escape(date.isoformat()) if date else "",
                "Y": str(date.year) if date else "",
                "D": str(date.day) if date else "",
            }
        return values


def api_key(item: PortalItem, entry: Entry) -> str:
    """A digest of everything :func:`portal_feeds.api_entry` reads of ``entry``: the listing
    digest (already computed for every item) plus what the API shows and a listing does not.
    Cheaper than :func:`portal_feeds.api_entry_key`, which hashes every field again."""
    parts = (
        item.digest,
        entry.title,
        entry.type,
        "" if entry.published is not None else "-",  # item.date falls back to updated
        entry.author or "",
        str(entry.expires) if entry.expires else "",
        repr(entry.pinned),
        entry.origin_branch_id,
        entry.branch_id,
        entry.origin_branch_name,
        entry.origin_feed_url,
    )
    return hashlib.blake2b("\x1e".join(parts).encode(), digest_size=12).hexdigest()


def make_items(entries: Iterable[Entry], now: datetime) -> list[PortalItem]:
    items = []
    for entry in entries:
        date = entry.published or entry.updated
        expires = entry.expires
        if expires is not None and expires.tzinfo is None:
            expires = expires.replace(tzinfo=UTC)
        items.append(
            PortalItem(
                entry_id=entry.entry_id,
                title=entry.title or entry.url,
                url=entry.url,
                date=date,
                modified=entry.updated,
                # Sanitised by the sanitise stage before it was stored: safe to emit as HTML.
                summary_html=entry.summary_html or "",
                type=entry.type or "news",
                tags=list(entry.tags),
                pinned=bool(entry.pinned),
                expired=bool(expires and expires < now),
                branch_id=entry.branch_id,
                branch_name=entry.origin_branch_name or entry.branch_id,
                branch_url=entry.origin_branch_url,
                month=f"{date.year:04d}-{date.month:02d}" if date else "",  # strftime: slow
            )
        )
    return items


# items_from_rows and _RowItem unpack listing rows in this order.
assert LISTING_COLUMNS == (
    "entry_id", "branch_id", "origin_branch_id", "origin_branch_name", "origin_branch_url",
    "origin_feed_url", "url", "title", "summary_html", "published", "updated", "type", "tags",
    "author", "pinned", "expires", "quarantine_reason", "content_hash",
)  # fmt: skip


class _RowItem(PortalItem):
    """A :class:`PortalItem` made from a listing row whose display fields (title, dates,
    summary …) are read from the row only when first used: a run with one branch changed
    groups and fingerprints every item but shows only those on the few pages it rewrites."""

    def __getattr__(self, name: str) -> Any:
        # Only called for attributes not set yet: the lazy fields, on first use.
        if name not in _LAZY_FIELDS:
            raise AttributeError(name)
        (_id, branch_id, _origin_id, origin_name, origin_url, _feed, url, title, summary,
         published, updated, _type, tags, *_rest) = self.__dict__["_row"]  # fmt: skip
        stamp = published or updated
        date = datetime.fromisoformat(stamp) if stamp else None
        self.__dict__.update(
            title=title or url,
            url=url,
            date=date,
            modified=date if updated == stamp else _parse_iso(updated),
            summary_html=summary or "",
            tags=[] if tags == "[]" else json.loads(tags),
            branch_name=origin_name or branch_id,
            branch_url=origin_url,
        )
        return self.__dict__[name]


_LAZY_FIELDS = frozenset(
    ("title", "url", "date", "modified", "summary_html", "tags", "branch_name", "branch_url")
)


def _parse_iso(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def items_from_rows(
    rows: Iterable[tuple[Any, ...]], now: datetime
) -> tuple[list[PortalItem], list[tuple[Any, ...]]]:
    """Listed items straight from :meth:`Store.listing_rows` (and the rows they came from).

    The same items as :func:`make_items` of the same entries, without an :class:`Entry` per
    row, with display fields read lazily (:class:`_RowItem`), and with a digest made from the
    stored ``content_hash`` instead of hashing every field again: at 50,000 entries this was
    most of what a run with one branch changed cost.
    """
    blake = hashlib.blake2b
    new = object.__new__
    items: list[PortalItem] = []
    listed: list[tuple[Any, ...]] = []
    for row in rows:
        (entry_id, branch_id, origin_id, origin_name, origin_url, origin_feed, _url, _title,
         _summary, published, updated, type_, _tags, _author, pinned, expires, _reason,
         content_hash) = row  # fmt: skip
        type_ = type_ or "news"
        if type_ == "pages":
            continue
        expired = False
        if expires:
            moment = datetime.fromisoformat(expires)
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            expired = moment < now
        stamp = published or updated
        item = new(_RowItem)
        item.__dict__ = {
            "_row": row,
            "entry_id": entry_id,
            "type": type_,
            "branch_id": branch_id,
            "pinned": bool(pinned),
            "expired": expired,
            # ISO text's year and month are the parsed date's (the offset is kept as written).
            "month": stamp[:7] if stamp else "",
            # content_hash covers every stored field but the key and the origin columns.
            "digest": blake(
                "\x1e".join(
                    (entry_id, content_hash, branch_id, origin_id, origin_name, origin_url,
                     origin_feed, "1" if expired else "0")
                ).encode(),
                digest_size=12,
            ).hexdigest(),
        }  # fmt: skip
        items.append(item)
        listed.append(row)
    return items, listed


class PortalContent:
    """What one render reads: the listed items, newest first, and the entries behind them.

    :meth:`from_entries` wraps entries already in memory (tests, small portals);
    :meth:`from_rows` wraps :meth:`Store.listing_rows` and loads bodies only for the feeds.
    """

    def __init__(
        self,
        items: list[PortalItem],
        entries: Sequence[Entry],
        api_keys: Callable[[], list[str]],
        with_content: Callable[[int], list[Entry]],
        content_in_digest: bool,
    ) -> None:
        self.items = items
        #: The listed entries, for the API (only read for entries not reused; may lack bodies).
        self.entries = entries
        self.api_keys = api_keys
        #: The newest ``n`` listed entries, bodies included (the feeds).
        self.with_content = with_content
        #: Whether an item's digest already changes with the entry's body and feed link.
        self.content_in_digest = content_in_digest

    @classmethod
    def from_entries(cls, entries: Sequence[Entry], now: datetime) -> PortalContent:
        listed = [e for e in entries if (e.type or "news") != "pages"]
        items = make_items(listed, now)
        return cls(
            items,
            listed,
            lambda: [api_key(item, entry) for item, entry in zip(items, listed, strict=True)],
            lambda n: list(listed[:n]),
            content_in_digest=False,
        )

    @classmethod
    def from_rows(
        cls,
        rows: Iterable[tuple[Any, ...]],
        now: datetime,
        load: Callable[[Sequence[str]], list[Entry]],
    ) -> PortalContent:
        """``load(ids)``: full entries in that order (:meth:`Store.entries_by_id`)."""
        items, listed = items_from_rows(rows, now)
        return cls(
            items,
            _RowEntries(listed),
            # The digest covers everything the API shows (content_hash plus the origin).
            lambda: [item.digest for item in items],
            lambda n: load([item.entry_id for item in items[:n]]),
            content_in_digest=True,
        )


class _RowEntries(Sequence[Entry]):
    """Entries (without bodies) made from listing rows only when one is asked for."""

    def __init__(self, rows: list[tuple[Any, ...]]) -> None:
        self.rows = rows

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [entry_from_listing_row(row) for row in self.rows[index]]
        return entry_from_listing_row(self.rows[index])


def path_segment(text: str) -> str:
    """A folder name for a region or type: kept as UTF-8, minus what a path cannot hold."""
    return _UNSAFE.sub("-", text).strip(" .-") or "-"


def url_of(relative_dir: str) -> str:
    """The link to a folder written as ``relative_dir/index.html`` (percent-encoded)."""
    return quote(relative_dir.strip("/") + "/", safe="/-._~")


@dataclass(frozen=True)
class ListingHealth:
    """What a branch's listing shows of its health row (``portal_list.html``)."""

    status: str
    last_entry: str | None


# --------------------------------------------------------------------------- output folder


@dataclass
class RenderStats:
    written: int = 0
    reused: int = 0
    seconds: float = 0.0
    pages: list[str] = field(default_factory=list)


class VersionWriter:
    """Writes one portal version; reuses (hard-links) files whose fingerprint is unchanged."""

    def __init__(self, root: Path, previous: Path | None, salt: str) -> None:
        self.root = root
        self.previous = previous
        self.salt = salt
        self.manifest: dict[str, str] = {}
        self.old: dict[str, str] = {}
        self.stats = RenderStats()
        self._dirs: set[Path] = set()
        if previous is not None:
            try:
                self.old = json.loads((previous / MANIFEST).read_text(encoding="utf-8"))
            except (OSError, ValueError):
                self.old = {}

    def sibling(self) -> VersionWriter:
        """A writer of the same version with its own manifest and counts (a child process)."""
        twin = VersionWriter(self.root, None, self.salt)
        twin.previous, twin.old = self.previous, self.old
        return twin

    def merge(self, manifest: dict[str, str], written: int, reused: int, pages: list[str]) -> None:
        self.manifest.update(manifest)
        self.stats.written += written
        self.stats.reused += reused
        self.stats.pages.extend(pages)

    def fingerprint(self, *parts: str) -> str:
        h = hashlib.blake2b(self.salt.encode(), digest_size=16)
        if parts:  # one update of the joined parts hashes the same bytes as one per part
            h.update(("\x1e" + "\x1e".join(parts)).encode())
        return h.hexdigest()

    def _mkdir(self, folder: Path) -> None:
        if folder not in self._dirs:
            folder.mkdir(parents=True, exist_ok=True)
            self._dirs.add(folder)

    def put(self, relative: str, fingerprint: str, produce: Callable[[], str | bytes]) -> None:
        """Write ``relative`` unless the previous version has it with the same fingerprint."""
        target = self.root / relative
        self._mkdir(target.parent)
        self.manifest[relative] = fingerprint
        if self.previous is not None and self.old.get(relative) == fingerprint:
            try:
                os.link(self.previous / relative, target)
                self.stats.reused += 1
                return
            except OSError:
                pass  # gone or another filesystem: render it after all
        data = produce()
        # Threads writing in the background were tried: on a busy 2-core machine each handoff
        # of the GIL waits for the switch interval, and the render took twice as long.
        _write_new(target, data.encode("utf-8") if isinstance(data, str) else data)
        self.stats.written += 1
        self.stats.pages.append(relative)

    def copy_file(self, path: Path, relative: str) -> None:
        """A static asset: fingerprinted by size and mtime, so an unchanged one is linked."""
        info = path.stat()
        self.put(
            relative,
            self.fingerprint("static", str(info.st_size), str(info.st_mtime_ns)),
            path.read_bytes,
        )

    def copy_tree(self, source: Path, prefix: str) -> None:
        if not source.is_dir():
            return
        for path in sorted(source.rglob("*")):
            if path.is_file():
                self.copy_file(path, f"{prefix}/{path.relative_to(source).as_posix()}")

    def finish(self) -> None:
        (self.root / MANIFEST).write_text(json.dumps(self.manifest), encoding="utf-8")


def _write_new(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` as a new file: a file already there may be a hard link
    into an older version (the search index links its own), and writing through it would
    change that version under its readers."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(target, flags, 0o666)
    except FileExistsError:
        os.unlink(target)
        fd = os.open(target, flags, 0o666)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


class _Share:
    """Files of one version written by a forked child (:func:`_fork_share`)."""

    def __init__(self, task: ForkedTask) -> None:
        self.task = task

    def join(self, writer: VersionWriter) -> bool:
        """Wait for the child; merge its manifest into ``writer``. False: it failed (a child
        that died without an answer has had its share written here instead)."""
        try:
            result = self.task.result()
        except Exception as error:  # noqa: BLE001 - the parent renders the share instead
            logger.debug("render: forked share failed: %s", error)
            return False
        writer.merge(result["manifest"], result["written"], result["reused"], result["pages"])
        return True

    def abandon(self) -> None:
        self.task.abandon()


def _bytecode_cache(cache_dir: Path | None) -> jinja2.BytecodeCache | None:
    """Jinja's own cache of compiled templates (keyed by each template's source) in
    ``cache_dir/jinja``, or None when there is no folder to keep it in."""
    if cache_dir is None:
        return None
    folder = Path(cache_dir) / "jinja"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None  # a read-only place: compile as before
    return jinja2.FileSystemBytecodeCache(str(folder))


def _fill_checked(
    skeletons: dict[Any, Any],
    shape: Any,
    form: str,
    checks: list[int],
    values: dict[str, str],
    real: Callable[[], str],
) -> str | None:
    """A page from its skeleton. The first uses of a skeleton are compared with the template's
    own output (``real``): a mismatch, or a placeholder the skeleton should not hold, retires
    the skeleton (the template's page is returned, or None to render it)."""
    try:
        text = form.format_map(values)
    except (KeyError, ValueError):
        skeletons[shape] = False
        return None
    if checks[0] > 0:
        checks[0] -= 1
        page = real()
        if text != page:
            skeletons[shape] = False
            return page
    return text


def second_core_idle(window: CpuWindow | None = None) -> bool:
    """Whether a second process would get a core of its own. On a machine already busy
    (other jobs), the child's duplicated work (cards both halves show) made a render slower,
    not faster, so it forks only while a core is free: measured over ``window`` when given
    (see :class:`CpuWindow`), else judged from the load average, which still counts this
    run's own busy fetch, or the last run's, for a minute."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        return False
    if cores < 2:
        return False
    spare = window.spare_cores() if window is not None else None
    if spare is not None:
        return spare >= SPARE_CORE
    try:
        return os.getloadavg()[0] <= cores - 1
    except OSError:
        return False


#: Cores left free by other jobs, beyond this process's one, that make a second render
#: process pay (on average over a :class:`CpuWindow`).
SPARE_CORE = 0.6
_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _cpu_ticks() -> tuple[int, int] | None:
    """(idle, all) clock ticks the machine's processors spent since boot (Linux)."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            values = [int(v) for v in stat.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    if len(values) < 5:
        return None
    return values[3] + values[4], sum(values)  # idle + iowait


def _own_cpu() -> float:
    """CPU seconds of this process, all its threads."""
    return time.process_time()


class CpuWindow:
    """How busy other jobs keep the machine from now until :meth:`spare_cores` is asked.
    The pipeline opens one while it reads the store, before it starts any child process:
    the machine's busy time, less this process's own, is other jobs'."""

    def __init__(self) -> None:
        self.start = _cpu_ticks()
        self.own = _own_cpu()

    def spare_cores(self) -> float | None:
        """Cores neither this process (one) nor other jobs used, on average over the
        window; None when it cannot tell (no ``/proc/stat``, or a window under 20 ticks)."""
        end = _cpu_ticks()
        if self.start is None or end is None:
            return None
        ticks = end[1] - self.start[1]
        if ticks < 20:
            return None
        cpus = os.cpu_count() or 1
        seconds = ticks / _TICKS / cpus
        others = max(0.0, (ticks - (end[0] - self.start[0])) / _TICKS - (_own_cpu() - self.own))
        return cpus - 1 - others / seconds


def _fork_share(writer: VersionWriter, job: Callable[[VersionWriter], None]) -> _Share | None:
    """Run ``job`` with a sibling writer in a forked child; None where fork is not possible.

    The child inherits the items and the renderer (nothing is pickled), reads nothing from the
    store, writes its files, and sends back only its manifest and counts. If it fails, the
    parent renders its share after all (``put`` replaces what the child left half done).
    """
    if not can_fork():
        return None

    def run() -> dict[str, Any]:
        sub = writer.sibling()
        job(sub)
        return {
            "manifest": sub.manifest,
            "written": sub.stats.written,
            "reused": sub.stats.reused,
            "pages": sub.stats.pages,
        }

    return _Share(ForkedTask(run, name="tongxin-render-share"))


# --------------------------------------------------------------------------- pagination


@dataclass
class Pager:
    """Bottom-anchored pages: ``number`` 0 is the front page, others count from the oldest."""

    number: int
    count: int  # numbered pages (excluding the front page)
    base: str  # folder of the listing, e.g. "news"

    def href(self, number: int) -> str:
        if number == 0:
            return url_of(self.base)
        # A file, not a folder per page: every folder costs a mkdir in every version.
        return url_of(self.base) + f"page-{number}.html"

    @property
    def older(self) -> str | None:
        if self.number == 0:
            return self.href(self.count) if self.count else None
        return self.href(self.number - 1) if self.number > 1 else None

    @property
    def newer(self) -> str | None:
        if self.number == 0:
            return None
        return self.href(0 if self.number == self.count else self.number + 1)

    def key(self) -> str:
        """What of the pager shows on this page: only its neighbours, so adding a numbered
        page changes the front page and the previous newest page, not all of them."""
        return f"{self.base}|{self.number}|{self.older}|{self.newer}"


def paginate(
    items: Sequence[PortalItem], size: int, front_size: int | None = None
) -> list[tuple[int, Sequence[PortalItem]]]:
    """(page number, items) pairs; the front page (0) holds ``front_size`` (default ``size``)
    to ``front_size + size - 1`` entries.

    Numbered pages hold exactly ``size`` entries counted from the oldest, so adding entries
    at the top leaves every numbered page as it was.
    """
    n = len(items)
    least = size if front_size is None else front_size
    older = max(0, (n - least) // size)
    front = n - older * size
    pages: list[tuple[int, Sequence[PortalItem]]] = [(0, items[:front])]
    for number in range(older, 0, -1):
        end = n - (number - 1) * size
        pages.append((number, items[end - size : end]))
    return pages


# --------------------------------------------------------------------------- renderer


@dataclass
class RenderOptions:
    #: entries on a listing's front page, at least (up to page_size + archive_page_size - 1)
    page_size: int = 50
    #: entries on each numbered (older) page: every page is a file to create in every new
    #: version, and file creation dominates the render on a busy disk (1000 branches × 50
    #: entries: ~4000 pages at 50 a page, ~2500 at 100)
    archive_page_size: int = 100
    home_size: int = 30
    feed_limit: int = 500
    pinned_limit: int = 10
    #: From this many listed entries on, branch and region listings are written by a forked
    #: second process while this one writes the rest (0: never fork).
    fork_min_items: int = 5000


class PortalRenderer:
    """Renders one portal version from stored entries and the health report."""

    def __init__(
        self,
        registry: Registry,
        *,
        options: RenderOptions | None = None,
        now: datetime | None = None,
        template_dir: Path = TEMPLATE_DIR,
        cache_dir: Path | None = None,
    ) -> None:
        """``cache_dir``: a folder kept between runs for compiled templates (compiling the
        theme's templates took ~0.3 s of every run)."""
        self.registry = registry
        self.options = options or RenderOptions()
        #: Whether a second render process would get a core of its own, when the caller
        #: measured it (``second_core_idle(CpuWindow)``); None: judge from the load average.
        self.spare_core: bool | None = None
        self.now = now or datetime.now(UTC)
        self.language = normalise_language(registry.language)
        self.site = PortalSite.from_registry(registry)
        self.t = translator(self.language)
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(template_dir)),
            autoescape=jinja2.select_autoescape(["html", "xml"], default_for_string=True),
            trim_blocks=False,
            lstrip_blocks=False,
            bytecode_cache=_bytecode_cache(cache_dir),
        )
        self.site_url = self.site.url.rstrip("/")
        self.site_context: dict[str, Any] = {
            "name": registry.name,
            "url": self.site.url,
            "language": self.language,
            "description": registry.description,
            "contact": {},
            "nav": self._nav(),
            "parent": None,
            "is_portal": True,
        }
        self.env.globals.update(
            site=self.site_context,
            t=self.t,
            SITEURL=self.site_url,
            page_lang=self.language,
            THEME_STATIC_DIR="theme",
        )
        self._cards: dict[tuple[str, bool], Markup] = {}
        self._skeletons: dict[tuple[Any, ...], Any] = {}
        self._fronts: dict[tuple[Any, ...], Any] = {}
        # Anything that changes every page's bytes: templates, language, identity.
        digest = hashlib.blake2b(digest_size=16)
        for path in sorted(template_dir.glob("*.html")):
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
        digest.update(json.dumps(self.site_context, sort_keys=True, default=str).encode())
        digest.update(json.dumps(self.options.__dict__, sort_keys=True).encode())
        self.salt = digest.hexdigest()

    def _nav(self) -> list[dict[str, str]]:
        nav = [{"title": self.t(f"theme.type_{ty}"), "url": f"{ty}/"} for ty in KNOWN_TYPES]
        nav.append({"title": self.t("portal.branches"), "url": "branches/"})
        nav.append({"title": self.t("portal.archives"), "url": "archives/"})
        nav.append({"title": self.t("portal.health"), "url": "health/"})
        return nav

    # -- helpers

    def card(self, item: PortalItem, show_type: bool) -> Markup:
        """One entry's card, rendered once per run however many listings show it."""
        key = (item.entry_id, show_type)
        card = self._cards.get(key)
        if card is None:
            card = self._fast_card(item, show_type)
            if card is None:
                card = self._slow_card(item, show_type)
            self._cards[key] = card
        return card

    def _slow_card(self, item: Any, show_type: bool) -> Markup:
        template = self.env.get_template("_entry_card.html")
        return Markup(template.render(entry=item, show_type=show_type, card_level=2).strip())

    def _fast_card(self, item: PortalItem, show_type: bool) -> Markup | None:
        """The card from a per-*shape* skeleton with the item's values filled in.

        Rendering _entry_card.html costs ~100 µs (macros imported per include); fifty thousand
        entries would spend seconds there. Cards of one shape (type, flags, month, which
        optional parts exist) differ only in their values, so the theme's template is
        rendered once per shape with placeholder values and the placeholders are replaced.
        Each shape is checked against a real rendering of its first items first; a shape
        whose skeleton does not reproduce it (a template doing more than print the values)
        falls back to real rendering, so a theme change can never make cards wrong.
        """
        # The item's part of the shape, worked out once for both card kinds.
        tail = item.__dict__.get("_card_shape", 0)
        if tail == 0:
            tail = item.__dict__["_card_shape"] = _card_shape(item)
        if tail is None:
            return None
        shape = (show_type, tail)
        skeleton = self._skeletons.get(shape)
        if skeleton is None:
            skeleton = self._skeletons[shape] = self._skeleton(item, show_type)
        if not isinstance(skeleton, tuple):  # False: this shape is rendered for real
            return None
        form, checks = skeleton
        text = form.format_map(item.card_values)
        if checks[0] > 0:
            checks[0] -= 1
            if text != self._slow_card(item, show_type):
                self._skeletons[shape] = False
                return None
        return _markup(text)

    def _skeleton(self, item: PortalItem, show_type: bool) -> tuple[str, list[int]] | bool:
        placeholder = _Placeholder(
            title=_ph("T"),
            url="https://" + _ph("U"),
            date=_PlaceholderDate(item.date.month) if item.date else None,
            modified=None,
            summary=Markup(_ph("S")) if item.summary else Markup(""),
            type=item.type,
            tags=[],
            pinned=item.pinned,
            expired=item.expired,
            branch_name=_ph("N") if item.branch_name else "",
            branch_url="https://" + _ph("B") if item.branch_url else "",
        )
        text = str(self._slow_card(placeholder, show_type))
        for key in ("U", "B"):
            text = text.replace("https://" + _ph(key), _ph(key))
        parts = _PLACEHOLDER.split(text)
        if any(key not in "TUBNSIYD" for key in parts[1::2]):
            return False
        # verify the first three cards of each shape against the template
        return _format_string(parts), [3]

    def page(self, template: str, **context: Any) -> str:
        return self.env.get_template(template).render(**context)

    # -- the whole portal

    def render(
        self,
        entries: Sequence[Entry] | PortalContent,
        health: Sequence[BranchHealth],
        out: Path,
        previous: Path | None = None,
    ) -> RenderStats:
        """Write one portal version of ``entries`` (or of a :class:`PortalContent`, as the
        pipeline passes) into ``out``, linking unchanged files from ``previous``."""
        if not isinstance(entries, PortalContent):
            entries = PortalContent.from_entries(entries, self.now)
        return self.render_content(entries, health, out, previous)

    def render_content(
        self,
        content: PortalContent,
        health: Sequence[BranchHealth],
        out: Path,
        previous: Path | None = None,
    ) -> RenderStats:
        """Write one portal version into ``out``, linking unchanged files from ``previous``."""
        started = time.perf_counter()
        writer = VersionWriter(out, previous, self.salt)
        items = content.items
        by_id = {b.id: b for b in self.registry.branches}
        health_by_id = {row.id: row for row in health}

        share = api_share = None
        fork_min = self.options.fork_min_items

        def branch_side(sub: VersionWriter) -> None:
            """The branch and region listings, the branches page and the health page."""
            self._listings(sub, items, by_id, health_by_id, part="branches")
            self._branches_page(sub, items, health)
            self._health(sub, health)

        if fork_min and len(items) >= fork_min:
            # api/index.json (every entry, ~0.5 s at 50k even when one changed) in a child:
            # no work is duplicated, so it pays even on a busy machine.
            api_share = _fork_share(writer, lambda sub: self._api_files(sub, content))
        spare = self.spare_core if self.spare_core is not None else second_core_idle()
        if fork_min and len(items) >= fork_min and spare:
            # The branch side in a child process: on two cores the render takes ~60%.
            share = _fork_share(writer, branch_side)
        try:
            self._home(writer, items)
            self._listings(writer, items, by_id, health_by_id, part="rest" if share else "all")
            if share is None:
                self._branches_page(writer, items, health)
            self._archives_page(writer, items)
            if share is None:
                self._health(writer, health)
            self._search_page(writer)
            self._machine_files(writer, content)
            if api_share is None:
                self._api_files(writer, content)
            self._static_files(writer)
        except BaseException:
            for child in (share, api_share):
                if child is not None:
                    child.abandon()
            raise
        if api_share is not None and not api_share.join(writer):
            logger.warning("render: the API process failed; writing api/index.json here")
            self._api_files(writer, content)
        if share is not None and not share.join(writer):
            logger.warning("render: the second process failed; rendering its listings here")
            branch_side(writer)
        writer.finish()
        writer.stats.seconds = time.perf_counter() - started
        return writer.stats

    def _home(self, writer: VersionWriter, items: list[PortalItem]) -> None:
        o = self.options
        pinned = [i for i in items if i.pinned and not i.expired][: o.pinned_limit]
        latest = items[: o.home_size]
        counts = Counter(i.type for i in items)
        regions = Counter(
            b.region for b in self.registry.branches if b.region
        )  # branches per region
        fp = writer.fingerprint(
            "home",
            *map(_DIGEST, pinned),
            "|",
            *map(_DIGEST, latest),
            json.dumps(sorted(counts.items())),
            json.dumps(sorted(regions.items())),
            str(len(self.registry.branches)),
        )
        writer.put(
            "index.html",
            fp,
            lambda: self.page(
                "portal_index.html",
                pinned_cards=[self.card(i, True) for i in pinned],
                latest_cards=[self.card(i, True) for i in latest],
                type_counts=[
                    (ty, counts[ty], url_of(self._type_dir(ty)))
                    for ty in sorted(counts, key=_type_order)
                ],
                regions=[
                    (name, n, url_of(f"regions/{path_segment(name)}"))
                    for name, n in sorted(regions.items())
                ],
                branch_count=len(self.registry.branches),
                entry_count=len(items),
            ),
        )

    @staticmethod
    def _type_dir(ty: str) -> str:
        return ty if ty in KNOWN_TYPES else f"types/{path_segment(ty)}"

    def _listings(
        self,
        writer: VersionWriter,
        items: list[PortalItem],
        branches: dict[str, Any],
        health: dict[str, BranchHealth],
        part: str = "all",
    ) -> None:
        """Every listing; ``part`` "branches" (branch and region listings) or "rest" (type and
        month listings) for one of two processes (:func:`_fork_share`)."""
        t = self.t
        by_type: dict[str, list[PortalItem]] = defaultdict(list)
        by_branch: dict[str, list[PortalItem]] = defaultdict(list)
        by_region: dict[str, list[PortalItem]] = defaultdict(list)
        by_month: dict[str, list[PortalItem]] = defaultdict(list)
        for item in items:
            by_type[item.type].append(item)
            by_branch[item.branch_id].append(item)
            branch = branches.get(item.branch_id)
            if branch is not None and branch.region:
                by_region[branch.region].append(item)
            if item.month:
                by_month[item.month].append(item)

        own_branches = part in ("all", "branches")
        own_rest = part in ("all", "rest")
        for ty in sorted(set(by_type) | set(KNOWN_TYPES)) if own_rest else ():
            name = self.t(f"theme.type_{ty}") if ty in KNOWN_TYPES else ty
            self._listing(
                writer,
                self._type_dir(ty),
                by_type.get(ty, []),
                heading=name,
                nav_active=ty,
                show_type=False,
            )
        for branch in self.registry.branches if own_branches else ():
            row = health.get(branch.id)
            self._listing(
                writer,
                f"branches/{branch.id}",
                by_branch.get(branch.id, []),
                heading=branch.name,
                nav_active="branches",
                show_type=True,
                branch=branch,
                # Only what the page shows: the whole row holds the fetch time, which changes
                # every run and made every branch page's fingerprint change with it.
                branch_health=ListingHealth(row.status, row.last_entry) if row else None,
                status_text=t(f"health.status.{row.status}") if row else "",
            )
        for region, region_items in by_region.items() if own_branches else ():
            self._listing(
                writer,
                f"regions/{path_segment(region)}",
                region_items,
                heading=t("portal.region_title", region=region),
                nav_active="branches",
                show_type=True,
                region_branches=[b for b in self.registry.branches if b.region == region],
            )
        for month, month_items in by_month.items() if own_rest else ():
            year, mon = month.split("-")
            self._listing(
                writer,
                f"archives/{year}/{mon}",
                month_items,
                heading=t("portal.month_title", year=int(year), month=int(mon)),
                nav_active="archives",
                show_type=True,
            )

    def _listing(
        self,
        writer: VersionWriter,
        base: str,
        items: Sequence[PortalItem],
        *,
        heading: str,
        nav_active: str,
        show_type: bool,
        **extra: Any,
    ) -> None:
        pages = paginate(items, self.options.archive_page_size, self.options.page_size)
        count = len(pages) - 1
        # Numbered pages of one listing differ only in their number, links and cards: with
        # many of them, the page template is rendered once per shape (skeleton) and filled.
        skeletons: dict[tuple[bool, bool, int], Any] | None = (
            {} if count >= SKELETON_MIN_PAGES else None
        )
        extra_key = json.dumps(
            {k: _plain(v) for k, v in extra.items()}, sort_keys=True, default=str
        )
        for number, page_items in pages:
            pager = Pager(number, count, base)
            relative = f"{base}/index.html" if number == 0 else f"{base}/page-{number}.html"
            fp = writer.fingerprint(
                "listing",
                heading,
                nav_active,
                str(show_type),
                pager.key(),
                extra_key,
                # Only the front page shows the total, so older pages stay byte-identical.
                str(len(items)) if number == 0 else "",
                "\x1e".join(map(_DIGEST, page_items)),
            )

            def produce(page_items: Sequence[PortalItem] = page_items, pager: Pager = pager) -> str:
                cards = [self.card(i, show_type) for i in page_items]
                if not pager.number and "branch" in extra:
                    text = self._branch_front(pager, cards, heading, nav_active, extra, len(items))
                    if text is not None:
                        return text
                if skeletons is not None and pager.number:
                    text = self._from_skeleton(skeletons, pager, cards, heading, nav_active, extra)
                    if text is not None:
                        return text
                return self.page(
                    "portal_list.html",
                    heading=heading,
                    nav_active=nav_active,
                    cards=cards,
                    pager=pager,
                    total=len(items) if pager.number == 0 else None,
                    **extra,
                )

            writer.put(relative, fp, produce)

    def _branch_front(
        self,
        pager: Pager,
        cards: list[Markup],
        heading: str,
        nav_active: str,
        extra: dict[str, Any],
        total: int,
    ) -> str | None:
        """A branch's front page from a skeleton shared by every branch page of its shape,
        or None (render it). A thousand branch pages cost a thousand template renders
        (~0.7 ms each, more than all their cards); as for numbered pages, the template is
        rendered once per shape with placeholders and checked against a real rendering."""
        branch, health = extra.get("branch"), extra.get("branch_health")
        if (
            set(extra) != {"branch", "branch_health", "status_text"}
            or not isinstance(branch, Branch)
            or not (health is None or isinstance(health, ListingHealth))
        ):
            return None
        shape = (
            "branch",
            pager.count > 0,
            health is None,
            health is None or health.last_entry is None,
            not branch.region,
            len(cards),
        )
        skeleton = self._fronts.get(shape)
        if skeleton is None:
            stand_in = Branch(
                id=_ph("i"),
                name=_ph("h"),
                feed=_ph("f"),
                region=_ph("r") if branch.region else branch.region,
            )
            health_in = (
                None
                if health is None
                else ListingHealth(
                    _ph("s"), None if health.last_entry is None else _SliceablePlaceholder("l")
                )
            )
            try:
                text = self.page(
                    "portal_list.html",
                    heading=_ph("h"),
                    nav_active=nav_active,
                    cards=[Markup(_ph(f"c{i}")) for i in range(len(cards))],
                    pager=_PagerPlaceholder(
                        number=0, older=_ph("o") if pager.count else None, newer=None
                    ),
                    total=_ph("t"),
                    branch=stand_in,
                    branch_health=health_in,
                    status_text=_ph("x"),
                )
            except Exception:  # noqa: BLE001 - a template wanting more than it is given
                text = None
            skeleton = self._fronts[shape] = (
                (_format_string(_PAGE_PLACEHOLDER.split(text)), [1]) if text is not None else False
            )
        if not isinstance(skeleton, tuple):
            return None
        form, checks = skeleton
        last = health.last_entry if health is not None and health.last_entry else ""
        values: dict[str, str] = {
            "h": _escape(heading),
            "i": _escape(branch.id),
            "f": _escape(branch.feed),
            "r": _escape(branch.region or ""),
            "s": _escape(health.status) if health is not None else "",
            "l": _escape(last),
            "L": _escape(last[:10]),
            "x": _escape(str(extra.get("status_text", ""))),
            "t": str(total),
            "o": _escape(pager.older or ""),
        }
        values.update((f"c{i}", card) for i, card in enumerate(cards))
        return _fill_checked(
            self._fronts,
            shape,
            form,
            checks,
            values,
            lambda: self.page(
                "portal_list.html",
                heading=heading,
                nav_active=nav_active,
                cards=cards,
                pager=pager,
                total=total,
                **extra,
            ),
        )

    def _from_skeleton(
        self,
        skeletons: dict[tuple[bool, bool, int], Any],
        pager: Pager,
        cards: list[Markup],
        heading: str,
        nav_active: str,
        extra: dict[str, Any],
    ) -> str | None:
        """A numbered listing page filled into its shape's skeleton, or None (render it).

        As for cards: the template is rendered once per shape with placeholders for the page
        number, the neighbours' numbers and the cards; the first page of each shape is checked
        against a real rendering, and a shape that does not reproduce it is rendered for real.
        """
        number, count = pager.number, pager.count
        shape = (number > 1, number < count, len(cards))
        skeleton = skeletons.get(shape)
        base = url_of(pager.base)
        if skeleton is None:
            stand_in = _PagerPlaceholder(
                number=_ph("n"),
                older=f"{base}page-{_ph('o')}.html" if number > 1 else None,
                newer=f"{base}page-{_ph('w')}.html" if number < count else base,
            )
            try:
                text = self.page(
                    "portal_list.html",
                    heading=heading,
                    nav_active=nav_active,
                    cards=[Markup(_ph(f"c{i}")) for i in range(len(cards))],
                    pager=stand_in,
                    total=None,
                    **extra,
                )
            except Exception:  # noqa: BLE001 - a template wanting more than a pager shows
                text = None
            skeleton = skeletons[shape] = (
                (_format_string(_PAGE_PLACEHOLDER.split(text)), [1]) if text is not None else False
            )
        if skeleton is False or isinstance(skeleton, bool):
            return None
        form, checks = skeleton
        values = {"n": str(number), "o": str(number - 1), "w": str(number + 1)}
        values.update((f"c{i}", card) for i, card in enumerate(cards))
        return _fill_checked(
            skeletons,
            shape,
            form,
            checks,
            values,
            lambda: self.page(
                "portal_list.html",
                heading=heading,
                nav_active=nav_active,
                cards=cards,
                pager=pager,
                total=None,
                **extra,
            ),
        )

    def _branches_page(
        self, writer: VersionWriter, items: list[PortalItem], health: Sequence[BranchHealth]
    ) -> None:
        counts = Counter(i.branch_id for i in items)
        groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
        health_by_id = {row.id: row for row in health}
        for branch in self.registry.branches:
            row = health_by_id.get(branch.id)
            groups[branch.region or ""].append(
                {
                    "id": branch.id,
                    "name": branch.name,
                    "url": url_of(f"branches/{branch.id}"),
                    "entries": counts.get(branch.id, 0),
                    "status": row.status if row else "error",
                    "last_entry": row.last_entry if row else None,
                }
            )
        regions = [
            {
                "name": region,
                "url": url_of(f"regions/{path_segment(region)}") if region else None,
                "branches": rows,
            }
            for region, rows in sorted(groups.items(), key=lambda kv: (kv[0] == "", kv[0]))
        ]
        fp = writer.fingerprint("branches", json.dumps(regions, sort_keys=True, default=str))
        writer.put(
            "branches/index.html",
            fp,
            lambda: self.page("portal_branches.html", regions=regions, nav_active="branches"),
        )

    def _archives_page(self, writer: VersionWriter, items: list[PortalItem]) -> None:
        months = Counter(i.month for i in items if i.month)
        years: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for month in sorted(months, reverse=True):
            year, mon = month.split("-")
            years[year].append(
                {
                    "label": self.t("portal.month_title", year=int(year), month=int(mon)),
                    "url": url_of(f"archives/{year}/{mon}"),
                    "count": months[month],
                }
            )
        data = [{"year": y, "months": m} for y, m in years.items()]
        fp = writer.fingerprint("archives", json.dumps(data, sort_keys=True))
        writer.put(
            "archives/index.html",
            fp,
            lambda: self.page("portal_archives.html", years=data, nav_active="archives"),
        )

    def health_html(self, health: Sequence[BranchHealth]) -> str:
        rows = [
            {
                "row": row,
                "status_text": self.t(f"health.status.{row.status}"),
                "url": url_of(f"branches/{row.id}"),
                "svg": Markup(
                    sparkline_svg(
                        row.activity, language=self.language, branch_name=row.name, now=self.now
                    )
                ),
            }
            for row in health
        ]
        return self.page(
            "health.html",
            rows=rows,
            counts=status_counts(list(health)),
            stale_days=self.registry.stale_days,
            generated=self.now,
            nav_active="health",
            # The same few column labels on each of 1000s of rows: looked up once each.
            t=_MemoTranslator(self.t),
        )

    def health_json(self, health: Sequence[BranchHealth]) -> str:
        return health_json(list(health), generated=self.now) + "\n"

    def _health(self, writer: VersionWriter, health: Sequence[BranchHealth]) -> None:
        # Times change on every run, so these two are always written (they are small); the
        # rows are in the fingerprint too, for two renders at one ``now`` (tests, replays).
        stamp = self.now.isoformat() + json.dumps(_plain(list(health)), default=str)
        writer.put(
            "health/index.html",
            writer.fingerprint("health", stamp),
            lambda: self.health_html(health),
        )
        writer.put(
            "health.json",
            writer.fingerprint("health.json", stamp),
            lambda: self.health_json(health),
        )

    def _search_page(self, writer: VersionWriter) -> None:
        # The theme's search page when it has one (same page as branch sites), else ours.
        name = "search.html"
        writer.put(
            "search/index.html",
            writer.fingerprint("search", name),
            lambda: self.page(name, nav_active="search"),
        )

    def _static_files(self, writer: VersionWriter) -> None:
        """Every asset a branch build ships: theme/static/**, lunr.min.js and a favicon.

        ``search/t2s.json`` comes with the search index (:mod:`federation.index`).
        """
        writer.copy_tree(STATIC_DIR, "theme")
        lunr = find_lunr(self.language)
        if lunr is not None:
            writer.copy_file(lunr, "theme/js/lunr.min.js")
        # Browsers ask for /favicon.ico on every site; without one each first page view
        # logs a 404. The icon is the project's concentric circles (同心圆).
        icon = favicon_png()
        writer.put("favicon.ico", writer.fingerprint("favicon", icon.hex()), lambda: icon)

    def _machine_files(self, writer: VersionWriter, content: PortalContent) -> None:
        site = self.site
        items = content.items
        count = min(self.options.feed_limit, len(items))
        feed_fp = writer.fingerprint("feed", "\x1e".join(map(_DIGEST, items[:count])))
        newest: list[Entry] = []

        def feed_entries() -> list[Entry]:
            # Bodies are read for these few hundred entries only, and only when a feed changed.
            if not newest:
                newest.extend(content.with_content(count))
            return newest

        if not content.content_in_digest:
            # A listing digest does not cover full content; add it for the feeds.
            digest = hashlib.blake2b(digest_size=16)
            for entry in feed_entries():
                digest.update(entry.content_html.encode())
                digest.update(entry.origin_feed_url.encode())
            feed_fp = writer.fingerprint(feed_fp, digest.hexdigest())
        writer.put(
            "feeds/all.atom.xml", feed_fp, lambda: portal_feeds.atom_feed(site, feed_entries())
        )
        writer.put(
            "feeds/all.rss.xml", feed_fp, lambda: portal_feeds.rss_feed(site, feed_entries())
        )
        writer.put("feeds/all.json", feed_fp, lambda: portal_feeds.json_feed(site, feed_entries()))
        try:
            from .opml import export_opml

            opml = export_opml(self.registry)
            # Drop the creation date from the fingerprint: it changes every run.
            stable = re.sub(r"<dateCreated>.*?</dateCreated>", "", opml)
            writer.put("feeds/branches.opml", writer.fingerprint("opml", stable), lambda: opml)
        except ImportError:  # pragma: no cover - OPML support is optional
            pass

    def _api_files(self, writer: VersionWriter, content: PortalContent) -> None:
        """``api/index.json`` (every entry's metadata, from the listing rows) and its spans."""
        site = self.site
        items = content.items
        all_fp = writer.fingerprint("api", "\x1e".join(map(_DIGEST, items)))
        spans: list[portal_feeds.Span] = []

        def api_index() -> bytes:
            # Serialising 50,000 entries took 1.6 s when one branch changed: the entries the
            # previous index holds unchanged are copied from it instead (see API_SPANS).
            data, found = portal_feeds.api_index_spans(
                site,
                content.entries,
                self.now,
                _previous_api_entries(writer.previous),
                keys=content.api_keys(),
            )
            spans[:] = found
            return data

        def api_spans() -> bytes:
            if not spans:
                api_index()  # the index itself was linked from a version without spans
            return "".join(f"{key} {start} {end}\n" for key, start, end in spans).encode()

        writer.put("api/index.json", all_fp, api_index)
        writer.put(API_SPANS, all_fp, api_spans)


def _previous_api_entries(previous: Path | None) -> portal_feeds.PreviousApiIndex | None:
    """The previous version's api/index.json with its spans (see :data:`API_SPANS`)."""
    if previous is None:
        return None
    try:
        return portal_feeds.PreviousApiIndex.parse(
            (previous / "api" / "index.json").read_bytes(),
            (previous / API_SPANS).read_text(encoding="ascii"),
        )
    except (OSError, ValueError, TypeError):
        return None  # an older version without spans, or a damaged one: serialise afresh


def lunr_candidates() -> list[Path]:
    """The folders the search plugin looks for lunr in (``node_modules_candidates(None)`` of
    ``tongxin.plugins.search_index``: ``TONGXIN_NODE_MODULES``, then this checkout's), named
    here because importing the plugin imports Pelican: 0.6 s of every run that renders.
    tests/test_render_store.py holds the two lists equal."""
    import tongxin

    found = []
    if os.environ.get("TONGXIN_NODE_MODULES"):
        found.append(Path(os.environ["TONGXIN_NODE_MODULES"]))
    found.append(Path(tongxin.__file__).resolve().parents[1] / "node_modules")
    return found


def find_lunr(language: str | None = None) -> Path | None:
    """``lunr.min.js`` where the branch build finds it (the search plugin's candidates).

    Missing lunr does not stop a portal from publishing (every page but search works); it is
    logged with the search plugin's own message saying how to install it.
    """
    candidates = lunr_candidates()
    for folder in candidates:
        source = folder / "lunr" / "lunr.min.js"
        if source.is_file():
            return source
    logger.warning(
        translate(language, "search.lunr_missing", where=", ".join(str(c) for c in candidates))
    )
    return None


@functools.cache
def favicon_png(size: int = 32) -> bytes:
    """Three concentric circles in the theme's accent red, as PNG bytes.

    Drawn here rather than shipped as a binary file: a few lines of code, reviewable in a diff.
    Browsers accept PNG data served as ``/favicon.ico``.
    """
    centre = size / 2
    unit = size / 32
    # (outer radius, inner radius) of each ring, in 32-pixel units; the last is the dot.
    rings = ((16, 13), (10, 7), (4, 0))
    samples = [(i + 0.5) / 4 for i in range(4)]  # 4x4 samples a pixel: smooth edges
    rows = []
    for y in range(size):
        row = bytearray(b"\0")  # PNG filter type 0 for this scanline
        for x in range(size):
            covered = 0
            for sy in samples:
                for sx in samples:
                    r = ((x + sx - centre) ** 2 + (y + sy - centre) ** 2) ** 0.5 / unit
                    covered += any(inner <= r < outer for outer, inner in rings)
            row += bytes((0xA4, 0x16, 0x1A, round(255 * covered / 16)))
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + chunk(b"IEND", b"")
    )


def _plain(value: Any) -> Any:
    if hasattr(value, "as_json"):
        return value.as_json()
    if hasattr(value, "__dataclass_fields__"):
        return {k: _plain(getattr(value, k)) for k in value.__dataclass_fields__}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _type_order(ty: str) -> tuple[int, str]:
    return (KNOWN_TYPES.index(ty) if ty in KNOWN_TYPES else len(KNOWN_TYPES), ty)


# --------------------------------------------------------------------------- publishing


class Publisher:
    """``OUT`` as a symlink to the current version in a hidden sibling folder.

    Layout: ``OUT -> .OUT.versions/<version>``. A new version is written to
    ``<version>.tmp``, renamed, then ``OUT`` is replaced by a new symlink in one
    ``os.replace``. The previous version stays until the swap has happened, then versions
    older than the last ``keep`` are removed.
    """

    def __init__(self, out: Path, keep: int = 2) -> None:
        self.out = Path(os.path.abspath(out))
        self.versions = self.out.parent / f".{self.out.name}.versions"
        self.keep = keep

    def current(self) -> Path | None:
        """The published version folder, if ``OUT`` is ours and complete."""
        if self.out.is_symlink():
            target = Path(os.path.realpath(self.out))
            if target.is_dir() and (target / MANIFEST).exists():
                return target
        return None

    def exists(self) -> bool:
        return self.current() is not None or (self.out.is_dir() and any(self.out.iterdir()))

    def new_version(self, label: str) -> Path:
        self.versions.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        folder = self.versions / f"{stamp}-{label}.tmp"
        folder.mkdir()
        return folder

    def publish(self, folder: Path) -> Path:
        final = folder.with_name(folder.name.removesuffix(".tmp"))
        os.rename(folder, final)
        link_tmp = self.out.parent / f".{self.out.name}.swap-{os.getpid()}"
        if link_tmp.is_symlink() or link_tmp.exists():
            link_tmp.unlink()
        # Relative target: the pair OUT + versions can be moved or mounted elsewhere.
        os.symlink(os.path.relpath(final, self.out.parent), link_tmp)
        if self.out.is_dir() and not self.out.is_symlink():
            # First run over a plain folder (an older layout or a hand-made one): move it
            # into the versions folder. The only non-atomic moment, once per installation.
            os.rename(self.out, self.versions / f"{folder.name.removesuffix('.tmp')}-legacy")
        os.replace(link_tmp, self.out)
        self.clean(final)
        return final

    def discard(self, folder: Path) -> None:
        shutil.rmtree(folder, ignore_errors=True)

    def clean(self, current: Path) -> None:
        """Remove unfinished folders and all but the newest ``keep`` versions."""
        if not self.versions.is_dir():
            return
        done = sorted(
            (p for p in self.versions.iterdir() if p.is_dir() and not p.name.endswith(".tmp")),
            key=lambda p: p.name,
        )
        keep = set(done[-self.keep :]) | {current}
        doomed = []
        for path in self.versions.iterdir():
            if path in keep:
                continue
            if path.name.endswith(".tmp") and _younger_than(path, 3600):
                continue  # perhaps another writer's, guarded by the lock anyway
            doomed.append(path)
        self._remove(doomed)

    def _remove(self, paths: list[Path]) -> None:
        """Move ``paths`` into ``.OUT.trash`` (one rename each) and delete that folder in a
        background process: a version is thousands of hard links, and unlinking them took
        seconds to tens of seconds on a busy disk, all of it after the new portal was live."""
        trash = self.out.parent / f".{self.out.name}.trash"
        if not paths and not trash.exists():
            return
        with contextlib.suppress(OSError):
            trash.mkdir(exist_ok=True)
        for n, path in enumerate(paths):
            try:
                os.rename(path, trash / f"{path.name}.{os.getpid()}.{n}")
            except OSError:
                shutil.rmtree(path, ignore_errors=True)
        rm = shutil.which("rm")
        try:
            if rm is None:
                raise OSError("no rm")
            # Its own session: a cron run ends without waiting; the next run's clean takes
            # over whatever is left.
            subprocess.Popen(  # noqa: S603 - a fixed program on our own folder
                [rm, "-rf", "--", str(trash)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        except OSError:
            shutil.rmtree(trash, ignore_errors=True)

    def replace_file(self, relative: str, data: str | bytes) -> None:
        """Rewrite one file of the current version in place, atomically (health refresh)."""
        current = self.current()
        if current is None:
            raise FileNotFoundError(self.out)
        target = current / relative
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        tmp.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        # A new inode: a hard-linked copy in an older version keeps its own bytes.
        os.replace(tmp, target)


class _MemoTranslator:
    """A page's translator that looks each plain string (no fields) up once."""

    def __init__(self, t: Callable[..., str]) -> None:
        self.t = t
        self.memo: dict[str, str] = {}

    def __call__(self, key: str, **values: Any) -> str:
        if values:
            return self.t(key, **values)
        text = self.memo.get(key)
        if text is None:
            text = self.memo[key] = self.t(key)
        return text


def _younger_than(path: Path, seconds: float) -> bool:
    try:
        return time.time() - path.stat().st_mtime < seconds
    except OSError:
        return False
