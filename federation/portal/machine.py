"""The portal's machine-readable files: feeds (written by :mod:`federation.portal_feeds`),
the branches' OPML, and ``api/index.json``."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from pathlib import Path

from .. import portal_feeds
from ..model import Entry, Registry
from ..opml import export_opml
from ..portal_feeds import PortalSite
from .items import PortalContent, digests
from .versions import VersionWriter

#: Where each entry's JSON sits in the version's api/index.json, a line ``key start end`` per
#: entry (:func:`portal_feeds.api_index_spans`), so the next version copies unchanged entries.
API_SPANS = ".tongxin-api-spans.txt"


def write_feeds(
    writer: VersionWriter, site: PortalSite, content: PortalContent, limit: int
) -> None:
    """``feeds/all.{atom.xml,rss.xml,json}`` of the newest ``limit`` entries."""
    count = min(limit, len(content.items))
    feed_fp = writer.fingerprint("feed", digests(content.items[:count]))
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
    writer.put("feeds/all.atom.xml", feed_fp, lambda: portal_feeds.atom_feed(site, feed_entries()))
    writer.put("feeds/all.rss.xml", feed_fp, lambda: portal_feeds.rss_feed(site, feed_entries()))
    writer.put("feeds/all.json", feed_fp, lambda: portal_feeds.json_feed(site, feed_entries()))


def write_opml(writer: VersionWriter, registry: Registry) -> None:
    """``feeds/branches.opml``: every branch's feed, for feed readers and other portals."""
    opml = export_opml(registry)
    # Drop the creation date from the fingerprint: it changes every run.
    stable = re.sub(r"<dateCreated>.*?</dateCreated>", "", opml)
    writer.put("feeds/branches.opml", writer.fingerprint("opml", stable), lambda: opml)


def write_api(
    writer: VersionWriter, site: PortalSite, content: PortalContent, now: datetime
) -> None:
    """``api/index.json`` (every entry's metadata, from the listing rows) and its spans."""
    all_fp = writer.fingerprint("api", digests(content.items))
    spans: list[portal_feeds.Span] = []

    def api_index() -> bytes:
        # The entries the previous index holds unchanged are copied from it (see API_SPANS).
        data, found = portal_feeds.api_index_spans(
            site,
            content.entries,
            now,
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
