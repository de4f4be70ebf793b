"""Content types from folders, stable URLs and entry ids, and the per-type attributes.

The folder under ``content/`` is the type (news, announcements, study, pages) and Pelican's
category, so category pages and feeds are per type. URLs come from the slug (the file name
unless front matter names one), never from the title, so retitling keeps the URL and the
entry id. See docs/internals.md, "Branch content" and "What templates … can rely on".
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from pelican import signals
from pelican.contents import Article, Page
from pelican.urlwrappers import Category

from tongxin.config import attachment_path, series_slugs
from tongxin.config.content import CONTENT_TYPES, unlettered
from tongxin.zones import site_zone


def type_of(instance: Article | Page) -> str:
    """The content type: the reader's ``type``, else the first folder under ``content/``."""
    kind = instance.metadata.get("type")
    if kind in CONTENT_TYPES:
        return kind
    path = Path(instance.source_path or "")
    try:
        first = path.relative_to(instance.settings["PATH"]).parts[0]
    except (ValueError, IndexError):
        first = ""
    return first if first in CONTENT_TYPES else ("pages" if isinstance(instance, Page) else "news")


def entry_path(kind: str, slug: str) -> str:
    """The URL path (no leading slash, percent-encoded) of an entry: ``news/slug/``."""
    path = f"{slug}/" if kind == "pages" else f"{kind}/{slug}/"
    return quote(path, safe="/-_.~")


def entry_save_as(kind: str, slug: str) -> str:
    """Where an entry's page is written, relative to the output folder (UTF-8 kept)."""
    return f"{slug}/index.html" if kind == "pages" else f"{kind}/{slug}/index.html"


def site_base(settings: dict[str, Any]) -> str:
    """The site's canonical URL with a trailing slash.

    ``site.yaml``'s ``url`` wins over ``SITEURL``: a local preview overrides SITEURL, and
    entry ids must not change with it.
    """
    site = settings.get("TONGXIN_SITE") or {}
    url = str(site.get("url") or settings.get("SITEURL") or "")
    return url.rstrip("/") + "/"


def build_day(settings: dict[str, Any]) -> date:
    """Today in the site's timezone: what "expired" is measured against."""
    return datetime.now(site_zone(settings)).date()


def normalise_attachments(value: Any) -> list[dict[str, str]]:
    """``[{title, file}|{title, url}]`` → ``[{title, url, file?}]`` with usable URLs: a file's
    is site-relative (``files/…``: the page links it relative to itself, as every other link,
    so a copy served from another address downloads its own files, not the live site's)."""
    items: list[dict[str, str]] = []
    if not isinstance(value, list):
        return items
    for item in value:
        if not isinstance(item, dict) or not item.get("title"):
            continue
        entry = {"title": str(item["title"])}
        if isinstance(item.get("file"), str):
            target = attachment_path(item["file"])
            if target is None:
                continue
            entry["file"] = target
            entry["url"] = f"files/{quote(target)}"
        elif isinstance(item.get("url"), str):
            entry["url"] = item["url"]
        else:
            continue
        items.append(entry)
    return items


def as_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return None


def apply_type(instance: Any) -> None:
    """Set type, category, url/save_as, entry id and the per-type attributes."""
    if not isinstance(instance, Article | Page):
        return
    settings = instance.settings
    meta = instance.metadata
    kind = type_of(instance)
    instance.type = kind
    meta["type"] = kind
    if kind != "pages":
        instance.category = Category(kind, settings)
        meta["category"] = instance.category

    slug = getattr(instance, "slug", None) or Path(instance.source_path or "x").stem.lower()
    instance.slug = slug
    if getattr(instance, "status", "") == "draft":
        # A draft is not published anywhere, not even under drafts/: branch sites are public.
        instance.override_url = ""
        instance.override_save_as = ""
    else:
        if "url" not in meta:
            instance.override_url = entry_path(kind, slug)
        if "save_as" not in meta:
            instance.override_save_as = entry_save_as(kind, slug)
    instance.entry_id = site_base(settings) + entry_path(kind, slug)

    instance.pinned = bool(meta.get("pinned", False))
    instance.expires = as_date(meta.get("expires"))
    instance.expired = instance.expires is not None and instance.expires < build_day(settings)
    instance.attachments = normalise_attachments(meta.get("attachments"))
    series = meta.get("series")
    instance.series = str(series) if series not in (None, "") else None
    order = meta.get("order")
    instance.order = order if isinstance(order, int) and not isinstance(order, bool) else None
    quiz = meta.get("quiz")
    instance.quiz = (
        [_options_unlettered(q) for q in quiz] if isinstance(quiz, list) and quiz else None
    )


def _options_unlettered(question: Any) -> Any:
    if isinstance(question, dict) and isinstance(question.get("options"), list):
        return {**question, "options": unlettered(question["options"])}
    return question


def _series_key(article: Article) -> tuple[int, int, Any]:
    # Explicit order first; unordered parts follow, oldest first, as they were published.
    order = article.order
    return (0 if order is not None else 1, order or 0, article.date)


def order_series(generator: Any) -> None:
    """Group study materials into series, ordered; expose them to templates.

    Each study article gets ``series_entries`` (its series, in order) plus
    ``series_previous``/``series_next`` and ``series_url``; the context gets
    ``STUDY_SERIES``: a list of ``{"name", "entries", "latest", "slug", "url", "save_as"}``,
    the most recently updated series first.
    """
    groups: dict[str, list[Article]] = {}
    for article in generator.articles:
        if getattr(article, "type", None) == "study" and getattr(article, "series", None):
            groups.setdefault(article.series, []).append(article)
    series_list = []
    for name, entries in groups.items():
        entries.sort(key=_series_key)
        for index, article in enumerate(entries):
            article.series_entries = entries
            # 1-based place in the series: the theme need not search the list for it.
            article.series_index = index + 1
            article.series_previous = entries[index - 1] if index > 0 else None
            article.series_next = entries[index + 1] if index + 1 < len(entries) else None
        latest = max(getattr(a, "modified", None) or a.date for a in entries)
        series_list.append({"name": name, "entries": entries, "latest": latest})
    slugs = series_slugs(groups, getattr(generator, "settings", None) or {})
    for series in series_list:
        slug = slugs[series["name"]]
        series["slug"] = slug
        series["save_as"] = f"study/series/{slug}/index.html"
        series["url"] = quote(f"study/series/{slug}/", safe="/-_.~")
        for article in series["entries"]:
            article.series_url = series["url"]
    series_list.sort(key=lambda s: s["latest"], reverse=True)
    for article in generator.articles:
        if not hasattr(article, "series_entries"):
            article.series_entries = []
            article.series_index = None
            article.series_previous = None
            article.series_next = None
            article.series_url = None
    generator.context["STUDY_SERIES"] = series_list


def write_series_pages(generator: Any, writer: Any) -> None:
    """``study/series/<slug>/index.html`` for every series, with the theme's ``series.html``."""
    series_list = generator.context.get("STUDY_SERIES") or []
    if not series_list:
        return
    template = generator.get_template("series")
    for series in series_list:
        writer.write_file(
            series["save_as"],
            template,
            generator.context,
            series_name=series["name"],
            articles=series["entries"],
            url=series["url"],
            template_name="series",
        )


def register() -> None:
    signals.content_object_init.connect(apply_type)
    signals.article_generator_finalized.connect(order_series)
    signals.article_writer_finalized.connect(write_series_pages)
