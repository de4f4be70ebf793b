"""One portal version from the store's items and the health report, with the branch sites'
theme: :class:`PortalRenderer` holds the Jinja environment and the run's salt, and calls the
page, machine-file and asset writers in turn with one :class:`VersionWriter`."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup
from tongxin.theme.helpers import HELPERS

from tongxin.i18n import normalise_language, translator
from tongxin.zones import zone

from ..health import health_json
from ..health_table import health_csv
from ..model import BranchHealth, Entry, Registry
from ..portal_feeds import PortalSite
from . import machine, pages
from .assets import TEMPLATE_DIR, write_static
from .items import PortalContent, PortalItem
from .pages import KNOWN_TYPES
from .versions import RenderStats, VersionWriter


@dataclass
class RenderOptions:
    #: entries on a listing's front page, at least (up to page_size + archive_page_size - 1)
    page_size: int = 50
    #: entries on each numbered (older) page: every page is a file to create in every new
    #: version (1000 branches × 50 entries: ~4000 pages at 50 a page, ~2500 at 100)
    archive_page_size: int = 100
    home_size: int = 30
    feed_limit: int = 500
    pinned_limit: int = 10


#: Stands for a card's way up to the root (private-use characters: never in any text).
_ROOT_STAND_IN = "\ue000root\ue000"


def root_prefix(relative: str) -> str:
    """The relative way up from file ``relative`` to the site's root: ``.`` or ``../..``."""
    depth = relative.strip("/").count("/")
    return "/".join([".."] * depth) if depth else "."


def _bytecode_cache(cache_dir: Path | None) -> jinja2.BytecodeCache | None:
    """Jinja's own cache of compiled templates (keyed by each template's source) in
    ``cache_dir/jinja``, or None when there is no folder to keep it in."""
    if cache_dir is None:
        return None
    folder = Path(cache_dir) / "jinja"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None  # a read-only place: compile every run
    return jinja2.FileSystemBytecodeCache(str(folder))


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
        """``cache_dir``: a folder kept between runs for compiled templates."""
        self.registry = registry
        self.options = options or RenderOptions()
        self.now = now or datetime.now(UTC)
        self.language = normalise_language(registry.language)
        self.site = PortalSite.from_registry(registry)
        self.t = translator(self.language)
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(template_dir)),
            autoescape=jinja2.select_autoescape(["html", "xml"], default_for_string=True),
            bytecode_cache=_bytecode_cache(cache_dir),
            # one run renders with the templates it started with: no stat per get_template
            auto_reload=False,
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
            # every date shown is in it (a portal page's day equals its branch page's)
            "timezone": registry.timezone,
        }
        self.zone = zone(registry.timezone)
        self.env.globals.update(
            site=self.site_context,
            t=self.t,
            SITEURL=self.site_url,
            page_lang=self.language,
            THEME_STATIC_DIR="theme",
            theme_helpers=HELPERS,
        )
        #: Each entry's card, by (entry id, heading level, link prefix): one entry
        #: shows in up to five listings, at up to three depths.
        self._cards: dict[tuple[str, int], str] = {}
        self._writer: VersionWriter | None = None
        self.salt = self._salt(template_dir)

    def _salt(self, template_dir: Path) -> str:
        """A digest of what changes every page's bytes: templates, language, identity."""
        digest = hashlib.blake2b(digest_size=16)
        digest.update(b"links: relative\0")  # pages made with absolute links are not reused
        for path in sorted(template_dir.glob("*.html")):
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
        digest.update(json.dumps(self.site_context, sort_keys=True, default=str).encode())
        digest.update(json.dumps(self.options.__dict__, sort_keys=True).encode())
        return digest.hexdigest()

    def _nav(self) -> list[dict[str, str]]:
        nav = [{"title": self.t(f"theme.type_{ty}"), "url": f"{ty}/"} for ty in KNOWN_TYPES]
        nav.append({"title": self.t("portal.branches"), "url": "branches/"})
        nav.append({"title": self.t("portal.archives"), "url": "archives/"})
        nav.append({"title": self.t("portal.health"), "url": "health/"})
        return nav

    def card(self, item: PortalItem, level: int = 2) -> Markup:
        """One entry's card (``_entry_card.html``, with its type label), rendered once per run
        however many listings show it, at whatever depth; ``level``: its title's heading
        level (2 under a page's h1, 3 under a section's h2)."""
        key = (item.entry_id, level)
        card = self._cards.get(key)
        if card is None:
            # rendered with a stand-in for the way up to the root, put in per listing page
            template = self.env.get_template("_entry_card.html")
            text = template.render(
                entry=item, show_type=True, card_level=level, SITEURL=_ROOT_STAND_IN
            )
            card = self._cards[key] = text.strip()
        return Markup(card.replace(_ROOT_STAND_IN, self._current_prefix()))

    def page(self, template: str, output_path: str | None = None, **context: Any) -> str:
        """A page; its links to the portal's own pages and assets are relative to where it is
        written (``output_path``, else the file the writer is producing), so the portal works
        from any origin. Feeds, canonical links and api/ keep absolute URLs."""
        prefix = root_prefix(output_path) if output_path else self._current_prefix()
        return self.env.get_template(template).render(SITEURL=prefix, **context)

    def _current_prefix(self) -> str:
        return root_prefix(getattr(self._writer, "current", None) or "index.html")

    def render(
        self,
        entries: Sequence[Entry] | PortalContent,
        health: Sequence[BranchHealth],
        out: Path,
        previous: Path | None = None,
    ) -> RenderStats:
        """Write one portal version of ``entries`` (or of a :class:`PortalContent`, as the
        pipeline passes) into ``out``, linking unchanged files from ``previous``."""
        started = time.perf_counter()
        content = (
            entries
            if isinstance(entries, PortalContent)
            else PortalContent.from_entries(entries, self.now, self.zone)
        )
        writer = VersionWriter(out, previous, self.salt)
        self._writer = writer
        items = content.items
        pages.write_home(self, writer, items)
        pages.write_listings(self, writer, items, health)
        pages.write_branches_page(self, writer, items, health)
        pages.write_archives_page(self, writer, items)
        pages.write_health(self, writer, health)
        pages.write_search_page(self, writer)
        machine.write_feeds(writer, self.site, content, self.options.feed_limit)
        machine.write_opml(writer, self.registry)
        machine.write_api(writer, self.site, content, self.now)
        write_static(writer, self.language)
        writer.finish()
        writer.stats.seconds = time.perf_counter() - started
        return writer.stats

    def health_html(self, health: Sequence[BranchHealth]) -> str:
        """The health page alone (a run with nothing new refreshes only health)."""
        return pages.health_html(self, health)

    def health_csv(self, health: Sequence[BranchHealth]) -> str:
        return health_csv(health, self.registry, self.now)

    def health_json(self, health: Sequence[BranchHealth]) -> str:
        return health_json(list(health), generated=self.now, registry=self.registry) + "\n"
