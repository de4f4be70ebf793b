"""The screen's view of links: a host's registrable domain, trusted domains, and what a branch
linked to before (its history), read once per branch from the store."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import urlsplit

from .model import Branch, Entry


class ScreenStore(Protocol):
    """What screening reads from :class:`federation.store.Store` (tests may fake it)."""

    def entries(
        self, *, branch_id: str | None = None, include_quarantined: bool = False
    ) -> list[Entry]: ...


_SECOND_LEVEL = {"com", "net", "org", "gov", "edu", "ac", "co", "mil"}


@functools.lru_cache(maxsize=8192)
def site_domain(url_or_host: str) -> str:
    """The registrable part of a host: ``news.example.com.cn`` → ``example.com.cn``."""
    host = url_or_host
    if "/" in url_or_host:
        try:
            host = urlsplit(url_or_host).hostname or ""
        except ValueError:
            return ""
    host = host.lower().strip(".")
    if not host or re.fullmatch(r"[0-9.]+|\[?[0-9a-f:]+\]?", host):
        return host  # an IP address is its own domain
    labels = host.split(".")
    if len(labels) >= 3 and labels[-2] in _SECOND_LEVEL and len(labels[-1]) == 2:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def is_trusted(host_or_url: str, trusted_domains: Sequence[str]) -> bool:
    """Whether the host is one of ``trusted_domains`` or below one."""
    host = host_or_url
    if "/" in host_or_url:
        try:
            host = urlsplit(host_or_url).hostname or ""
        except ValueError:
            return False
    host = host.lower().strip(".")
    return any(host == d or host.endswith("." + d) for d in trusted_domains)


_HREF_RE = re.compile(r"""href=["'](https?://[^"'\s>]+)""", re.I)


@dataclass
class History:
    """What the store knows about one branch, as far as screening cares."""

    stored: dict[str, Entry] = field(default_factory=dict)
    domains: set[str] = field(default_factory=set)
    published_count: int = 0


def branch_history(branch: Branch, store: ScreenStore | None) -> History:
    """The branch's stored entries and every domain they (or it) ever linked to."""
    history = History()
    history.domains.add(site_domain(branch.feed))
    if store is None:
        return history
    for entry in store.entries(branch_id=branch.id, include_quarantined=True):
        history.stored[entry.entry_id] = entry
        if entry.quarantine_reason:
            continue  # a held entry's links are not history yet
        history.published_count += 1
        history.domains.add(site_domain(entry.url))
        for html_text in (entry.summary_html, entry.content_html):
            for href in _HREF_RE.findall(html_text or ""):
                history.domains.add(site_domain(href))
    history.domains.discard("")
    return history
