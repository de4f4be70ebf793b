"""What the portal lists: one :class:`PortalItem` per stored entry, as the theme sees it.

Items are made from entries already in memory (:func:`make_items`; tests, small portals) or
straight from the store's listing rows (:func:`items_from_rows`; every pipeline run). Each
item has a ``digest`` of everything a listing shows of it: the pages' fingerprints are made
of digests, so an unchanged page is linked from the previous version, not rendered.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from functools import cached_property
from typing import Any

from markupsafe import Markup

from .. import attachments as files
from .. import portal_feeds
from ..model import Entry
from ..sanitise import text_title
from ..store import ListingRow, entry_from_listing_row


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
    #: files attached, as the card lists them: ``{url, name, label, size}`` each
    attachments: list[dict[str, str]]
    #: the entry's language as its feed declares it ("" when it declares none)
    lang: str = ""
    #: the branch that wrote it (``origin_branch_id``): the fetching branch, or one below a
    #: lower portal
    origin_id: str = ""

    @cached_property
    def digest(self) -> str:
        """Stable digest of everything a listing shows of this entry (not Python's hash())."""
        parts = (
            self.entry_id,
            self.title,
            self.url,
            self.date.isoformat() if self.date else "",
            self.modified.isoformat() if self.modified else "",
            self.summary_html,
            self.type,
            "\x1f".join(self.tags),
            "1" if self.pinned else "0",
            "1" if self.expired else "0",
            self.branch_name,
            self.branch_url,
            json.dumps(self.attachments, sort_keys=True) if self.attachments else "",
            self.lang,
            self.origin_id,
        )
        return _blake("\x1e".join(parts))

    @property
    def summary(self) -> Markup:
        # Sanitised by the sanitise stage before it was stored: safe to emit as HTML.
        return Markup(self.summary_html)


def digests(items: Iterable[PortalItem]) -> str:
    """The items' digests in one string, for a fingerprint."""
    return "\x1e".join(item.digest for item in items)


def _blake(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


def _expired(expires: datetime | None, now: datetime) -> bool:
    if expires is None:
        return False
    if expires.tzinfo is None:
        expires = expires.replace(tzinfo=UTC)
    return expires < now


def _local(moment: datetime | None, zone: tzinfo) -> datetime | None:
    if moment is None or zone is UTC:
        return moment
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(zone)


def make_items(entries: Iterable[Entry], now: datetime, zone: tzinfo = UTC) -> list[PortalItem]:
    """Items of ``entries``, their dates (and months) in ``zone``, the registry's."""
    items = []
    for entry in entries:
        date = _local(entry.published or entry.updated, zone)
        items.append(
            PortalItem(
                entry_id=entry.entry_id,
                title=portal_feeds.shown_title(entry),
                url=entry.url,
                date=date,
                modified=_local(entry.updated, zone),
                summary_html=entry.summary_html or "",
                type=entry.type or "news",
                tags=list(entry.tags),
                pinned=bool(entry.pinned),
                expired=_expired(entry.expires, now),
                branch_id=entry.branch_id,
                branch_name=entry.origin_branch_name or entry.branch_id,
                branch_url=entry.origin_branch_url,
                month=f"{date.year:04d}-{date.month:02d}" if date else "",
                attachments=shown_attachments(entry.attachments),
                lang=entry.language,
                origin_id=entry.origin_branch_id or entry.branch_id,
            )
        )
    return items


_LAZY_FIELDS = frozenset(
    ("title", "url", "date", "modified", "summary_html", "tags", "branch_name", "branch_url",
     "attachments")
)  # fmt: skip


def shown_attachments(stored: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Attachments as a card lists them: address, name, file type and size."""
    return [
        {
            "url": str(a.get("url") or ""),
            "name": files.name_of(a),
            "label": files.label(a),
            "size": files.size_text(int(a.get("length") or 0)),
        }
        for a in stored
    ]


def _parse_iso(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


class _RowItem(PortalItem):
    """A :class:`PortalItem` made from a listing row whose display fields (title, dates,
    summary …) are read from the row only when first used: a run with one branch changed
    groups and fingerprints every item but shows only those on the few pages it rewrites."""

    def __getattr__(self, name: str) -> Any:
        # Only called for attributes not set yet: the lazy fields, on first use.
        if name not in _LAZY_FIELDS:
            raise AttributeError(name)
        row: ListingRow = self.__dict__["_row"]
        self.__dict__.update(
            title=row.title or text_title(row.summary_html) or row.url,
            url=row.url,
            date=_local(_parse_iso(row.published or row.updated), self.__dict__["_zone"]),
            modified=_local(_parse_iso(row.updated), self.__dict__["_zone"]),
            summary_html=row.summary_html or "",
            tags=json.loads(row.tags),
            branch_name=row.origin_branch_name or row.branch_id,
            branch_url=row.origin_branch_url,
            attachments=shown_attachments(json.loads(row.attachments))
            if row.attachments != "[]"
            else [],
        )
        return self.__dict__[name]


def _row_item(row: ListingRow, now: datetime, zone: tzinfo = UTC) -> PortalItem | None:
    """The item of one listing row; None for a page (pages are not listed)."""
    type_ = row.type or "news"
    if type_ == "pages":
        return None
    expired = _expired(_parse_iso(row.expires), now)
    stamp = row.published or row.updated
    item = object.__new__(_RowItem)
    item.__dict__ = {
        "_row": row,
        "_zone": zone,
        "entry_id": row.entry_id,
        "lang": row.language,
        "origin_id": row.origin_branch_id or row.branch_id,
        "type": type_,
        "branch_id": row.branch_id,
        "pinned": bool(row.pinned),
        "expired": expired,
        # ISO text's year and month are the parsed date's (stored in UTC); another zone's
        # month needs the date itself.
        "month": _month(stamp, zone),
        # content_hash covers every stored field but the key and the origin columns.
        "digest": _blake(
            "\x1e".join(
                (row.entry_id, row.content_hash, row.branch_id, row.origin_branch_id,
                 row.origin_branch_name, row.origin_branch_url, row.origin_feed_url,
                 "1" if expired else "0")
            )
        ),
    }  # fmt: skip
    return item


def _month(stamp: str | None, zone: tzinfo) -> str:
    if not stamp:
        return ""
    if zone is UTC:
        return stamp[:7]
    local = _local(datetime.fromisoformat(stamp), zone)
    return f"{local.year:04d}-{local.month:02d}" if local else ""


def items_from_rows(
    rows: Iterable[ListingRow], now: datetime, zone: tzinfo = UTC
) -> tuple[list[PortalItem], list[ListingRow]]:
    """Listed items straight from :meth:`Store.listing_rows` (and the rows they came from).

    Without an :class:`Entry` per row, with display fields read lazily (:class:`_RowItem`),
    and with a digest made from the stored ``content_hash``: at 50,000 entries, building and
    hashing every entry was most of what a run with one branch changed cost.
    """
    items: list[PortalItem] = []
    listed: list[ListingRow] = []
    for row in rows:
        item = _row_item(row, now, zone)
        if item is not None:
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
        #: Each entry's key in api/index.json (equal keys, equal JSON).
        self.api_keys = api_keys
        #: The newest ``n`` listed entries, bodies included (the feeds).
        self.with_content = with_content
        #: Whether an item's digest already changes with the entry's body and feed link.
        self.content_in_digest = content_in_digest

    @classmethod
    def from_entries(
        cls, entries: Sequence[Entry], now: datetime, zone: tzinfo = UTC
    ) -> PortalContent:
        listed = [e for e in entries if (e.type or "news") != "pages"]
        return cls(
            make_items(listed, now, zone),
            listed,
            lambda: [portal_feeds.api_entry_key(entry) for entry in listed],
            lambda n: list(listed[:n]),
            content_in_digest=False,
        )

    @classmethod
    def from_rows(
        cls,
        rows: Iterable[ListingRow],
        now: datetime,
        load: Callable[[Sequence[str]], list[Entry]],
        zone: tzinfo = UTC,
    ) -> PortalContent:
        """``load(ids)``: full entries in that order (:meth:`Store.entries_by_id`); dates
        shown in ``zone`` (the registry's)."""
        items, listed = items_from_rows(rows, now, zone)
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

    def __init__(self, rows: list[ListingRow]) -> None:
        self.rows = rows

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [entry_from_listing_row(row) for row in self.rows[index]]
        return entry_from_listing_row(self.rows[index])
