"""The portal's HTML pages, each from the theme's Jinja templates: the home page, listings
(types, branches, regions, months), the branches page, archives, health and search.

Listings paginate "bottom-anchored": numbered pages count from the oldest entry and always
hold ``archive_page_size`` entries, so a new entry changes the front page only, never every
page after it. Every page is put with a fingerprint of exactly what it shows.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from markupsafe import Markup

from tongxin.config import ARTICLE_TYPES

from ..health import health_json, sparkline_svg
from ..health_table import badge_counts, generated_text, health_csv, kind_names, page_rows
from ..inspection import portal_summary, thresholds
from ..model import Branch, BranchHealth
from .items import PortalItem, digests
from .versions import VersionWriter

if TYPE_CHECKING:
    from .renderer import PortalRenderer

#: Types with their own listing at the portal root, as on branch sites (``news/``).
KNOWN_TYPES = ARTICLE_TYPES  # the portal lists dated articles only
_UNSAFE = re.compile(r"[\x00-\x1f/\\?#%*:|\"<>]+")


def path_segment(text: str) -> str:
    """A folder name for a region or type: kept as UTF-8, minus what a path cannot hold."""
    return _UNSAFE.sub("-", text).strip(" .-") or "-"


def url_of(relative_dir: str) -> str:
    """The link to a folder written as ``relative_dir/index.html`` (percent-encoded)."""
    return quote(relative_dir.strip("/") + "/", safe="/-._~")


def type_dir(ty: str) -> str:
    return ty if ty in KNOWN_TYPES else f"types/{path_segment(ty)}"


def _type_order(ty: str) -> tuple[int, str]:
    return (KNOWN_TYPES.index(ty) if ty in KNOWN_TYPES else len(KNOWN_TYPES), ty)


def _plain(value: Any) -> Any:
    if hasattr(value, "as_json"):
        return value.as_json()
    if hasattr(value, "__dataclass_fields__"):
        return {k: _plain(getattr(value, k)) for k in value.__dataclass_fields__}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


@dataclass(frozen=True)
class ListingHealth:
    """What a branch's listing shows of its health row (``portal_list.html``)."""

    status: str
    last_entry: str | None


def _local(stamp: str | None, zone: tzinfo) -> str | None:
    """A stored time (ISO, UTC) in the portal's zone: its first ten characters are the day a
    reader of the portal counts (an operator's trial saw 12-06 beside a card of 12-07)."""
    if not stamp:
        return stamp
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return stamp
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(zone).isoformat(timespec="seconds")


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


def write_home(r: PortalRenderer, writer: VersionWriter, items: list[PortalItem]) -> None:
    o = r.options
    branches = r.registry.branches
    pinned = [i for i in items if i.pinned and not i.expired][: o.pinned_limit]
    # Each entry once: a pinned notice is not repeated among the latest, and an expired
    # notice leaves the home page (as on branch homes; its listings still have it).
    shown = {i.entry_id for i in pinned}
    latest = [i for i in items if not i.expired and i.entry_id not in shown][: o.home_size]
    counts = Counter(i.type for i in items)
    regions = Counter(b.region for b in branches if b.region)  # branches per region
    writers = writing_branches(branches, items)
    fp = writer.fingerprint(
        "home",
        digests(pinned),
        "|",
        digests(latest),
        json.dumps(sorted(counts.items())),
        json.dumps(sorted(regions.items())),
        str(len(branches)),
        str(writers),
    )
    writer.put(
        "index.html",
        fp,
        lambda: r.page(
            "portal_index.html",
            # under the sections' h2: the cards' titles are h3
            pinned_cards=[r.card(i, level=3) for i in pinned],
            latest_cards=[r.card(i, level=3) for i in latest],
            type_counts=[
                (ty, counts[ty], url_of(type_dir(ty))) for ty in sorted(counts, key=_type_order)
            ],
            regions=[
                (name, n, url_of(f"regions/{path_segment(name)}"))
                for name, n in sorted(regions.items())
            ],
            branch_count=writers,
            entry_count=len(items),
        ),
    )


def write_listings(
    r: PortalRenderer,
    writer: VersionWriter,
    items: list[PortalItem],
    health: Sequence[BranchHealth],
) -> None:
    """Every listing: by type, by branch, by region and by month."""
    t = r.t
    branches = {b.id: b for b in r.registry.branches}
    health_by_id = {row.id: row for row in health}
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

    for ty in sorted(set(by_type) | set(KNOWN_TYPES)):
        name = t(f"theme.type_{ty}") if ty in KNOWN_TYPES else ty
        write_listing(r, writer, type_dir(ty), by_type.get(ty, []), name, ty, one_type=True)
    for branch in r.registry.branches:
        _branch_listing(r, writer, branch, by_branch.get(branch.id, []), health_by_id)
    for (branch_id, _origin), origin_items in relayed_by_origin(items).items():
        # A lower portal's entries, by the branch below it that wrote them.
        heading = origin_items[0].branch_name
        path = origin_path(branch_id, origin_items[0].origin_id)
        write_listing(r, writer, path, origin_items, heading, "branches")
    for region, region_items in by_region.items():
        write_listing(
            r,
            writer,
            f"regions/{path_segment(region)}",
            region_items,
            t("portal.region_title", region=region),
            "branches",
            region_branches=[b for b in r.registry.branches if b.region == region],
        )
    for month, month_items in by_month.items():
        year, mon = month.split("-")
        heading = t("portal.month_title", year=int(year), month=int(mon))
        write_listing(r, writer, f"archives/{year}/{mon}", month_items, heading, "archives")


def _branch_listing(
    r: PortalRenderer,
    writer: VersionWriter,
    branch: Branch,
    items: list[PortalItem],
    health: dict[str, BranchHealth],
) -> None:
    row = health.get(branch.id)
    write_listing(
        r,
        writer,
        f"branches/{branch.id}",
        items,
        branch.name,
        "branches",
        branch=branch,
        # Only what the page shows: the whole row holds the fetch time, which changes
        # every run and made every branch page's fingerprint change with it.
        branch_health=ListingHealth(row.status, _local(row.last_entry, r.zone)) if row else None,
        status_text=r.t(f"health.status.{row.status}") if row else "",
    )


def write_listing(
    r: PortalRenderer,
    writer: VersionWriter,
    base: str,
    items: Sequence[PortalItem],
    heading: str,
    nav_active: str,
    *,
    one_type: bool = False,
    **extra: Any,
) -> None:
    """One listing's front page and numbered pages (``portal_list.html``). Every listing
    shows the same card of an entry (rendered once per run); on a listing of ``one_type``
    the style sheet hides the cards' type labels."""
    pages = paginate(items, r.options.archive_page_size, r.options.page_size)
    count = len(pages) - 1
    extra_key = json.dumps({k: _plain(v) for k, v in extra.items()}, sort_keys=True, default=str)
    for number, page_items in pages:
        pager = Pager(number, count, base)
        relative = f"{base}/index.html" if number == 0 else f"{base}/page-{number}.html"
        fp = writer.fingerprint(
            "listing",
            heading,
            nav_active,
            str(one_type),
            pager.key(),
            extra_key,
            # Only the front page shows the total, so older pages stay byte-identical.
            str(len(items)) if number == 0 else "",
            digests(page_items),
        )

        def produce(page_items: Sequence[PortalItem] = page_items, pager: Pager = pager) -> str:
            return r.page(
                "portal_list.html",
                heading=heading,
                nav_active=nav_active,
                cards=[r.card(i) for i in page_items],
                one_type=one_type,
                pager=pager,
                total=len(items) if pager.number == 0 else None,
                **extra,
            )

        writer.put(relative, fp, produce)


def relayed_by_origin(items: list[PortalItem]) -> dict[tuple[str, str], list[PortalItem]]:
    """Entries relayed by a lower portal, by (fetching branch, branch that wrote them)."""
    groups: dict[tuple[str, str], list[PortalItem]] = defaultdict(list)
    for item in items:
        if item.origin_id and item.origin_id != item.branch_id:
            groups[(item.branch_id, item.origin_id)].append(item)
    return groups


def origin_path(branch_id: str, origin_id: str) -> str:
    """Where the listing of one branch below the lower portal ``branch_id`` is written."""
    digest = hashlib.blake2b(origin_id.encode(), digest_size=6).hexdigest()
    return f"branches/{branch_id}/from/{digest}"


def writing_branches(branches: Sequence[Branch], items: list[PortalItem]) -> int:
    """How many branches wrote what the portal holds: each registered branch, a lower
    portal counted as the branches below it that wrote its entries (and itself, when it
    publishes entries of its own)."""
    relayed: dict[str, set[str]] = defaultdict(set)
    own: set[str] = set()
    for item in items:
        if item.origin_id and item.origin_id != item.branch_id:
            relayed[item.branch_id].add(item.origin_id)
        else:
            own.add(item.branch_id)
    return sum(len(relayed[b.id]) + (b.id in own) if relayed.get(b.id) else 1 for b in branches)


def write_branches_page(
    r: PortalRenderer,
    writer: VersionWriter,
    items: list[PortalItem],
    health: Sequence[BranchHealth],
) -> None:
    counts = Counter(i.branch_id for i in items)
    below: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for (branch_id, _origin), origin_items in sorted(relayed_by_origin(items).items()):
        below[branch_id].append(
            {
                "name": origin_items[0].branch_name,
                "url": url_of(origin_path(branch_id, origin_items[0].origin_id)),
                "entries": len(origin_items),
            }
        )
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    health_by_id = {row.id: row for row in health}
    for branch in r.registry.branches:
        row = health_by_id.get(branch.id)
        groups[branch.region or ""].append(
            {
                "id": branch.id,
                "name": branch.name,
                "url": url_of(f"branches/{branch.id}"),
                "entries": counts.get(branch.id, 0),
                "status": row.status if row else "error",
                "last_entry": row.last_entry if row else None,
                "below": sorted(below.get(branch.id, []), key=lambda o: o["name"]),
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
        lambda: r.page("portal_branches.html", regions=regions, nav_active="branches"),
    )


def write_archives_page(r: PortalRenderer, writer: VersionWriter, items: list[PortalItem]) -> None:
    months = Counter(i.month for i in items if i.month)
    years: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for month in sorted(months, reverse=True):
        year, mon = month.split("-")
        years[year].append(
            {
                "label": r.t("portal.month_title", year=int(year), month=int(mon)),
                "url": url_of(f"archives/{year}/{mon}"),
                "count": months[month],
            }
        )
    data = [{"year": y, "months": m} for y, m in years.items()]
    fp = writer.fingerprint("archives", json.dumps(data, sort_keys=True))
    writer.put(
        "archives/index.html",
        fp,
        lambda: r.page("portal_archives.html", years=data, nav_active="archives"),
    )


def health_html(r: PortalRenderer, health: Sequence[BranchHealth]) -> str:
    """The health page (``health.html``): one row per branch, failures first, with what an
    inspector would find (federation/health_table.py) and its activity sparkline."""
    rows = page_rows(health, r.registry)
    for shown in rows:
        row = shown["row"]
        shown["status_text"] = r.t(f"health.status.{shown['badge']}")
        shown["fetch_text"] = r.t(f"health.status.{row.status}")
        shown["url"] = url_of(f"branches/{row.id}")
        shown["svg"] = Markup(
            sparkline_svg(row.activity, language=r.language, branch_name=row.name, now=r.now)
        )
    lines = thresholds(r.registry)
    summary = portal_summary(health, lines, r.now) if any(h.inspection for h in health) else None
    return r.page(
        "health.html",
        output_path="health/index.html",
        rows=rows,
        counts=badge_counts(health),
        stale_days=r.registry.stale_days,
        lines=lines,
        kinds_text=r.t("theme.enum_separator").join(
            f"{r.t('theme.type_' + kind)} {days}" for kind, days in lines["kinds"].items() if days
        ),
        generated=r.now,
        generated_text=generated_text(r.now, r.registry),
        portal=summary,
        registry_unusable=bool(r.registry.unusable),
        portal_overdue=kind_names(r.language, summary["overdue_kinds"] if summary else []),
        portal_blank=kind_names(r.language, summary["blank_kinds"] if summary else []),
        nav_active="health",
    )


def write_health(r: PortalRenderer, writer: VersionWriter, health: Sequence[BranchHealth]) -> None:
    """``health/index.html``, ``health.json`` and ``health.csv``."""
    # Times change on every run, so these are always written (they are small); the
    # rows are in the fingerprint too, for two renders at one ``now`` (tests, replays).
    stamp = r.now.isoformat() + json.dumps(_plain(list(health)), default=str)
    stamp += "\x1f".join(r.registry.unusable)
    writer.put(
        "health/index.html", writer.fingerprint("health", stamp), lambda: health_html(r, health)
    )
    writer.put(
        "health.json",
        writer.fingerprint("health.json", stamp),
        lambda: health_json(list(health), generated=r.now, registry=r.registry) + "\n",
    )
    writer.put(
        "health.csv",
        writer.fingerprint("health.csv", stamp),
        lambda: health_csv(health, r.registry, r.now),
    )


def write_search_page(r: PortalRenderer, writer: VersionWriter) -> None:
    """The theme's search page, the same page as on branch sites."""
    name = "search.html"
    writer.put(
        "search/index.html",
        writer.fingerprint("search", name),
        lambda: r.page(name, nav_active="search"),
    )
