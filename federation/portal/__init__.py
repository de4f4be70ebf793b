"""The portal: rendered from the store with the branch sites' theme, published atomically.

- :mod:`.items`: what a listing shows of an entry (:class:`PortalItem`) and what a render
  reads (:class:`PortalContent`, from entries or from the store's listing rows).
- :mod:`.pages`: the HTML pages, every one from the theme's Jinja templates.
- :mod:`.machine`: feeds (via :mod:`federation.portal_feeds`), OPML and ``api/index.json``.
- :mod:`.assets`: static files, lunr and the favicon.
- :mod:`.versions`: fingerprint reuse with hard links (:class:`VersionWriter`) and the
  atomic publish (:class:`Publisher`).
- :mod:`.renderer`: :class:`PortalRenderer`, which calls them in turn for one version.
"""

from __future__ import annotations

from .assets import STATIC_DIR, TEMPLATE_DIR, favicon_png, find_lunr, lunr_candidates
from .items import PortalContent, PortalItem, items_from_rows, make_items
from .machine import API_SPANS
from .pages import KNOWN_TYPES, Pager, paginate, path_segment, url_of
from .renderer import PortalRenderer, RenderOptions
from .versions import MANIFEST, Publisher, RenderStats, VersionWriter

__all__ = [
    "API_SPANS",
    "KNOWN_TYPES",
    "MANIFEST",
    "STATIC_DIR",
    "TEMPLATE_DIR",
    "Pager",
    "PortalContent",
    "PortalItem",
    "PortalRenderer",
    "Publisher",
    "RenderOptions",
    "RenderStats",
    "VersionWriter",
    "favicon_png",
    "find_lunr",
    "items_from_rows",
    "lunr_candidates",
    "make_items",
    "paginate",
    "path_segment",
    "url_of",
]
