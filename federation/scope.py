"""Whose an entry is: the scope its feed id is unique in, and the store key made of both.

Feed ids are only unique within one feed: two CMSs both number their posts ``1``, ``2``.
An entry is therefore stored under ``<scope> <feed id>`` (:func:`entry_key`), the scope being
the registry id of the branch it was fetched from. A lower portal's feed relays entries of
many branches, each naming its original branch in Atom ``<source>`` (JSON Feed
``_tongxin.source``, RSS ``<source url>``). That naming is trusted only from a branch the
registry marks ``portal: true``, and only for branches below it:

- a source naming the feed of a registry branch whose ``parent`` chain reaches the portal is
  that branch's scope (the same entry reached directly and through the portal is one entry);
- a source naming the feed of any other registry branch is a claim the portal may not make:
  the entry is the portal's own;
- any other source is scoped inside the portal (``<portal id>>…``): two portals can never
  claim each other's entries.

From every other branch ``<source>`` is ignored: the entry is the fetching branch's.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from .model import Branch

#: ``Branch.extra`` key: feed address → registry id of the branches below a portal branch.
BELOW = "scope_below"
#: ``Branch.extra`` key: feed addresses of registry branches NOT below a portal branch.
RESERVED = "scope_reserved"
#: ``Branch.extra`` key: this portal's own addresses (site and feeds), on a portal branch.
SELF = "scope_self"
#: Where a portal publishes its feeds, below its address.
_OWN_FEEDS = ("feeds/all.atom.xml", "feeds/all.rss.xml", "feeds/all.json")

_SPACE_RE = re.compile(r"\s")


def entry_key(scope: str, feed_id: str) -> str:
    """The store key of the entry ``feed_id`` of ``scope`` (no white space in the scope, so
    the first space always ends it)."""
    return f"{_SPACE_RE.sub(lambda m: f'%{ord(m.group()):02X}', scope)} {feed_id}"


def origin_scope(
    branch: Branch, origin: dict[str, str] | None
) -> tuple[str, dict[str, str] | None]:
    """``(scope, origin to keep)`` of an entry fetched from ``branch`` naming ``origin``."""
    if not origin or not branch.portal:
        return branch.id, None
    claimed = [origin.get("feed") or "", origin.get("id") or ""]
    below: dict[str, str] = branch.extra.get(BELOW) or {}
    for address in claimed:
        if address and address in below:
            return below[address], origin
    reserved: frozenset[str] = branch.extra.get(RESERVED) or frozenset()
    if any(address and address in reserved for address in claimed):
        return branch.id, None
    return f"{branch.id}>{origin.get('id') or claimed[0]}", origin


def feed_id_of(feed_id: str, origin: dict[str, str] | None) -> str:
    """The original feed id of an entry a trusted portal relays as ``<source id>#<id>``
    (:func:`federation.portal_feeds.public_id`)."""
    prefix = f"{(origin or {}).get('id') or ''}#"
    if origin and len(prefix) > 1 and feed_id.startswith(prefix) and len(feed_id) > len(prefix):
        return feed_id[len(prefix) :]
    return feed_id


def own_addresses(portal_url: str) -> frozenset[str]:
    """This portal's addresses an entry's ``<source>`` would name: its site and its feeds."""
    base = portal_url.strip()
    if not base:
        return frozenset()
    base = base if base.endswith("/") else base + "/"
    return frozenset(_plain(a) for a in (base, *(base + f for f in _OWN_FEEDS)))


def _plain(address: str) -> str:
    return address.strip().rstrip("/").lower()


def names_this_portal(branch: Branch, entry: Any) -> bool:
    """Whether an entry relayed by the portal ``branch`` names this very portal as its
    origin: it went out in our own feed and came back (two portals listing each other)."""
    own: frozenset[str] = branch.extra.get(SELF) or frozenset()
    if not own or not branch.portal:
        return False
    named = (entry.origin_feed_url, entry.origin_branch_url, entry.origin_branch_id)
    return any(value and _plain(value) in own for value in named)


def drop_own_entries(feed: Any, branch: Branch) -> int:
    """Leave out of ``feed`` (a ParsedFeed from the portal ``branch``) the entries naming
    this portal as their origin, noting it once for the health page; how many were left out."""
    kept = [e for e in feed.entries if not names_this_portal(branch, e)]
    dropped = len(feed.entries) - len(kept)
    if dropped:
        feed.entries = kept
        feed.notes.append(("federation.parse.own_entries", {"count": dropped}))
    return dropped


def also_self(branches: Sequence[Branch], portal_url: str) -> None:
    """Record another address of this portal (``federate --siteurl``) on its portal branches."""
    for branch in branches:
        if branch.portal:
            branch.extra[SELF] = (branch.extra.get(SELF) or frozenset()) | own_addresses(portal_url)


def with_scopes(branches: Sequence[Branch], portal_url: str = "") -> list[Branch]:
    """``branches`` with what :func:`origin_scope` needs recorded on each portal branch."""
    by_id = {b.id: b for b in branches}
    own = own_addresses(portal_url)

    def under(branch: Branch, portal: str) -> bool:
        seen: set[str] = set()
        parent = branch.parent
        while parent and parent not in seen:
            if parent == portal:
                return True
            seen.add(parent)
            parent = by_id[parent].parent if parent in by_id else None
        return False

    for branch in branches:
        if not branch.portal:
            continue
        below: dict[str, Any] = {}
        reserved: set[str] = set()
        for other in branches:
            if other.id == branch.id:
                continue
            if under(other, branch.id):
                below[other.feed] = other.id
            else:
                reserved.add(other.feed)
        branch.extra[BELOW] = below
        branch.extra[RESERVED] = frozenset(reserved)
        if own:
            branch.extra[SELF] = own
    return list(branches)
