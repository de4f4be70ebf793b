"""The shapes an entry takes on its way into and out of the store: the row written for it
(:func:`entry_row`), the listing row read back without its body (:class:`ListingRow`), and
the :class:`Entry` rebuilt from either. Plain data, no database: the ingest workers make rows
with it, the renderer and the index read listing rows by name."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple

from .model import Entry

ENTRY_COLUMNS = (
    "entry_id", "branch_id", "origin_branch_id", "origin_branch_name", "origin_branch_url",
    "origin_feed_url", "url", "title", "summary_html", "content_html", "published", "updated",
    "type", "tags", "author", "pinned", "expires", "quarantine_reason", "feed_id", "attachments",
    "language",
)  # fmt: skip


class ListingRow(NamedTuple):
    """One visible entry as :meth:`Store.listing_rows` reads it: every column but the body
    (``content_html``), plus the stored ``content_hash``. Times are ISO 8601 text as stored,
    ``tags`` JSON text, ``pinned`` 0 or 1."""

    entry_id: str
    branch_id: str
    origin_branch_id: str
    origin_branch_name: str
    origin_branch_url: str
    origin_feed_url: str
    url: str
    title: str
    summary_html: str
    published: str | None
    updated: str | None
    type: str
    tags: str
    author: str
    pinned: int
    expires: str | None
    quarantine_reason: str | None
    feed_id: str
    attachments: str  # JSON list
    language: str
    content_hash: str


#: One entry's values as :meth:`Store.record_fetch` writes them (see :func:`entry_row`).
EntryRow = tuple[Any, ...]


def body_hash(body: bytes) -> str:
    """The hash stored as ``content_hash``: an unchanged 200 body need not be parsed again."""
    return hashlib.sha256(body).hexdigest()


def iso(moment: datetime | None) -> str | None:
    """UTC ISO 8601 with seconds: one format, so text order is time order."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds")


# Columns written per entry, in order; the two times (first_seen, last_seen) come last.
ROW_COLUMNS = (*ENTRY_COLUMNS, "content_hash", "quarantine_rule")
_HASH = ROW_COLUMNS.index("content_hash")
_RULE = ROW_COLUMNS.index("quarantine_rule")


def _iso_fast(moment: datetime | None) -> str | None:
    # iso() for the usual case, a whole-second UTC time as the parser gives it: isoformat
    # alone then writes the same text, without the conversion.
    if moment is not None and moment.tzinfo is UTC and not moment.microsecond:
        return moment.isoformat()
    return iso(moment)


def entry_row(entry: Entry) -> EntryRow:
    """The entry's column values (``ROW_COLUMNS``) exactly as :meth:`Store.record_fetch`
    writes them, its content hash included (the ingest workers make them beside parsing and
    hand them to ``record_fetch(..., rows=)``)."""
    published = _iso_fast(entry.published)
    # Most entries were never updated: the same moment, written once.
    updated = published if entry.updated == entry.published else _iso_fast(entry.updated)
    expires = _iso_fast(entry.expires) if entry.expires is not None else None
    tags = json.dumps(entry.tags, ensure_ascii=False) if entry.tags else "[]"
    attachments = (
        json.dumps(entry.attachments, ensure_ascii=False, sort_keys=True)
        if entry.attachments
        else "[]"
    )
    return (
        entry.entry_id, entry.branch_id, entry.origin_branch_id or entry.branch_id,
        entry.origin_branch_name, entry.origin_branch_url, entry.origin_feed_url, entry.url,
        entry.title, entry.summary_html, entry.content_html, published, updated, entry.type,
        tags, entry.author, int(entry.pinned), expires, entry.quarantine_reason,
        entry.feed_id or entry.entry_id, attachments, entry.language,
        _digest(entry, published, updated, tags, expires, attachments), entry.quarantine_rule,
    )  # fmt: skip


def _digest(
    entry: Entry,
    published: str | None,
    updated: str | None,
    tags: str,
    expires: str | None,
    attachments: str,
) -> str:
    # The same formula as every earlier version, so upgrading rewrites no stored entry
    # (attachments join it only when there are any).
    parts = [
        entry.url, entry.title, entry.summary_html, entry.content_html, published, updated,
        entry.type, tags, entry.author, str(entry.pinned), expires, entry.quarantine_reason,
    ]  # fmt: skip
    if attachments != _NO_TAGS:
        parts.append(attachments)
    if entry.language:
        parts.append("lang:" + entry.language)
    return hashlib.sha256("\x1f".join([p or "" for p in parts]).encode("utf-8")).hexdigest()


def entry_from_row(row: Sequence[Any]) -> Entry:
    """The entry as :func:`entry_row` wrote ``row`` (times to the second, as stored)."""
    entry = entry_from_columns(tuple(row[: len(ENTRY_COLUMNS)]))
    entry.quarantine_rule = row[_RULE]
    return entry


def entry_content_hash(entry: Entry) -> str:
    """The ``content_hash`` :meth:`Store.record_fetch` stores for ``entry`` (the listing rows'
    last column): it changes whenever any stored field but the origin columns does."""
    return str(entry_row(entry)[_HASH])


#: The columns of :meth:`Store.listing_rows`, in order.
LISTING_COLUMNS: tuple[str, ...] = ListingRow._fields
assert LISTING_COLUMNS == (*(c for c in ENTRY_COLUMNS if c != "content_html"), "content_hash")
_NO_TAGS = "[]"


def entry_from_columns(row: tuple[Any, ...]) -> Entry:
    """An :class:`Entry` from the ``ENTRY_COLUMNS`` values, in order (the hot read path)."""
    (entry_id, branch_id, origin_id, origin_name, origin_url, origin_feed, url, title, summary,
     content, published, updated, type_, tags, author, pinned, expires, reason, feed_id,
     attachments, language) = row  # fmt: skip
    from_iso = datetime.fromisoformat
    when = from_iso(published) if published else None
    return Entry(
        entry_id=entry_id,
        branch_id=branch_id,
        url=url,
        title=title,
        origin_branch_id=origin_id,
        origin_branch_name=origin_name,
        origin_branch_url=origin_url,
        origin_feed_url=origin_feed,
        summary_html=summary,
        content_html=content,
        published=when,
        # Most entries were never updated: share the one datetime rather than parse twice.
        updated=when if updated == published else (from_iso(updated) if updated else None),
        type=type_,
        tags=[] if tags == _NO_TAGS else json.loads(tags),
        author=author,
        pinned=bool(pinned),
        expires=from_iso(expires) if expires else None,
        quarantine_reason=reason,
        feed_id=feed_id,
        attachments=[] if attachments == _NO_TAGS else json.loads(attachments),
        language=language,
    )


_CONTENT_AT = ENTRY_COLUMNS.index("content_html")


def entry_from_listing_row(row: ListingRow) -> Entry:
    """An :class:`Entry` from a :meth:`Store.listing_rows` row: everything but the body
    (``content_html`` is empty)."""
    return entry_from_columns((*row[:_CONTENT_AT], "", *row[_CONTENT_AT:-1]))


def listing_summary(rows: Sequence[ListingRow]) -> dict[str, tuple[int, str | None]]:
    """:meth:`Store.branch_summary` from :meth:`Store.listing_rows` already read."""
    counts: dict[str, int] = {}
    newest: dict[str, str | None] = {}
    for row in rows:  # newest first, so the first seen per branch wins
        if row.branch_id in counts:
            counts[row.branch_id] += 1
        else:
            counts[row.branch_id] = 1
            newest[row.branch_id] = row.published or row.updated
    return {key: (count, newest[key]) for key, count in counts.items()}
