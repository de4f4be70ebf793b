"""The shapes that flow between the federation's stages.

registry → fetch → parse → sanitise → screen → store → render: each stage takes and returns
these plain dataclasses, so every stage can be run and tested alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

#: Branch statuses shown on the health page and in health.json.
STATUSES = ("ok", "stale", "error", "gone", "quarantined")


@dataclass(frozen=True)
class Branch:
    """One branch (or lower portal) the portal aggregates, as the registry lists it."""

    id: str
    name: str
    feed: str
    region: str | None = None
    parent: str | None = None
    public_keys: tuple[str, ...] = ()
    #: the registry's ``timezone``: the zone of dates the feed writes without one
    timezone: str = "Asia/Shanghai"
    #: a lower portal: its ``<source>`` names the original branch of the entries it relays
    #: (see :mod:`federation.scope`)
    portal: bool = False
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def requires_signature(self) -> bool:
        return bool(self.public_keys)


@dataclass(frozen=True)
class SetAside:
    """A branch entry of the registry left out of this run for a mistake of its own: the
    health page still lists it, with the mistake (its stored entries stay published)."""

    id: str  # as written ("" when missing)
    name: str
    problem: str  # ``path:line: message``, each problem of the entry


@dataclass(frozen=True)
class Registry:
    """The portal's identity and the branches it aggregates."""

    name: str
    url: str
    branches: tuple[Branch, ...]
    path: Path | None = None
    language: str = "zh-CN"
    description: str = ""
    stale_days: int = 30
    #: CIDRs and host names outbound requests may reach besides public addresses
    allow_networks: tuple[str, ...] = ()
    #: stored entries kept per branch (a branch's own ``max_entries`` wins)
    max_entries_per_branch: int = 5000
    #: a branch's retraction of more than this percent of its stored entries waits for the
    #: operator (federation/retractions.py)
    retract_hold_percent: int = 50
    #: inspection thresholds (federation/inspection.py DEFAULTS), as the registry gives them
    inspection: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    #: the zone of dates a feed writes without one, and of every date the portal shows
    timezone: str = "Asia/Shanghai"
    #: branch entries left out for a mistake of their own (``load_registry_skipping``)
    set_aside: tuple[SetAside, ...] = ()
    #: the registry file's problems (``name:line: message``) when it could not be used and
    #: this is the last registry the portal ran with (``load_registry_or_last_good``)
    unusable: tuple[str, ...] = ()


@dataclass
class FetchResult:
    """What one conditional GET of one branch's feed produced."""

    branch_id: str
    url: str
    final_url: str | None = None
    status: int | None = None
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    error: str | None = None
    permanent_redirect: str | None = None
    retry_after: float | None = None
    not_modified: bool = False
    elapsed: float = 0.0
    signature: bytes | None = None
    #: set (ISO 8601 UTC) when the fetch was skipped because of an earlier Retry-After
    skipped_until: str | None = None
    #: the operator's detail of ``error`` (addresses, ports, the peer's words): log and CLI
    #: only, never the public health page
    detail: str | None = None
    #: the sequence inside a verified sequenced signature (tongxin.signing), else None
    signed_seq: int | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.body is not None


@dataclass
class Entry:
    """One normalised feed entry, whatever format it arrived in.

    ``origin_*`` name the branch that first published the entry: the fetching branch itself,
    or, when the feed is a lower portal's, the branch its Atom ``<source>`` names.
    """

    entry_id: str  # the store key: ``<scope> <feed id>`` (federation.scope.entry_key)
    branch_id: str
    url: str
    title: str
    #: the feed's own id (Atom id / RSS guid / JSON Feed id, else the link); ``entry_id``
    #: when empty (entries made by hand in tests)
    feed_id: str = ""
    #: files attached (RSS enclosure, Atom rel=enclosure, JSON Feed attachments,
    #: media:content): ``{"url", "type", "length", "title"}`` each
    attachments: list[dict[str, Any]] = field(default_factory=list)
    #: the language the feed declares for the entry (``xml:lang``, RSS ``<language>``,
    #: JSON Feed ``language``); "" when it declares none
    language: str = ""
    origin_branch_id: str = ""
    origin_branch_name: str = ""
    origin_branch_url: str = ""
    origin_feed_url: str = ""
    summary_html: str = ""
    content_html: str = ""
    published: datetime | None = None
    updated: datetime | None = None
    type: str = "news"
    tags: list[str] = field(default_factory=list)
    author: str = ""
    pinned: bool = False
    expires: datetime | None = None
    quarantine_reason: str | None = None  # why the screen held it, evidence quoted (operator)
    #: the rules it tripped, comma-separated (``terms:gambling,hidden_links``): public-safe
    quarantine_rule: str | None = None
    #: the base of relative URLs in the entry's HTML when the feed sets one (Atom
    #: ``xml:base``); else the entry's link is (not stored)
    base: str = field(default="", compare=False)

    @property
    def public_id(self) -> str:
        """The id the portal's own feeds give the entry: the feed's own, so an upper portal
        reaching it both directly and through this one sees one entry."""
        return self.feed_id or self.entry_id


@dataclass
class ParsedFeed:
    """A feed turned into entries plus what the feed says about itself."""

    title: str = ""
    link: str = ""
    entries: list[Entry] = field(default_factory=list)
    format: str = ""  # atom, rss, json, feedparser
    #: what the health page says of a feed that was read (a date clamped to the fetch), as
    #: catalogue keys and their values: translated in the portal's language when recorded
    notes: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    #: when the body was fetched: entry dates further ahead are clamped to it
    fetched: datetime | None = None


@dataclass
class BranchHealth:
    """One row of health.json."""

    id: str
    name: str
    status: str
    http_status: int | None
    last_success: str | None
    last_entry: str | None
    entries: int
    error: str | None
    region: str | None = None
    feed: str = ""
    activity: list[int] = field(default_factory=list)  # entries per month, oldest first, 12 months
    #: what an inspector would find (federation/inspection.py :func:`assess`), when measured
    inspection: dict[str, Any] | None = None

    def as_json(self) -> dict[str, Any]:
        extra = {"inspection": self.inspection} if self.inspection is not None else {}
        return {
            "id": self.id,
            "status": self.status,
            "http_status": self.http_status,
            "last_success": self.last_success,
            "last_entry": self.last_entry,
            "entries": self.entries,
            "error": self.error,
            **extra,
        }
