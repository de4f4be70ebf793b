"""The theme's helpers: links, dates, type names, tag lists, a series' contents, pagination.

One implementation, in Python, for both renderers: Pelican builds (``JINJA_GLOBALS``, set by
``tongxin.settings``) and the portal (its environment's globals) register :data:`HELPERS` as
the template global ``theme_helpers``; ``_macros.html`` binds the short names templates use
(``{% import '_macros.html' as m %}``, then ``m.href(url)``). A Jinja macro call costs tens of
microseconds and a 2,000-article site makes hundreds of thousands of them; a module imported
without context is also evaluated once per environment instead of once per page.

Each helper reads ``SITEURL``, ``t`` and ``site`` from the calling template's context, escapes
what it prints when that template autoescapes (the portal) and not otherwise (Pelican, where
titles are already HTML), and follows the environment's ``trim_blocks`` for the line breaks
a template would have kept.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from jinja2 import Undefined, pass_context
from jinja2.runtime import Context
from jinja2.utils import missing
from markupsafe import Markup, escape

from tongxin.config import CONTENT_TYPES

_ABSOLUTE = ("http://", "https://", "//", "#", "mailto:")


def _defined(value: Any) -> bool:
    return not isinstance(value, Undefined)


def _text(value: Any) -> str:
    return "" if isinstance(value, Undefined) else str(value)


def _attr(context: Context, obj: Any, name: str) -> Any:
    # Jinja's own lookup (attribute, then item), as ``obj.name`` in a template.
    return context.environment.getattr(obj, name)


def _global(context: Context, name: str, default: Any = "") -> Any:
    value = context.resolve_or_missing(name)
    return default if value is missing else value


def _esc(context: Context, value: Any) -> str:
    """``{{ value }}`` as the calling template prints it."""
    if isinstance(value, Undefined):
        return ""
    return str(escape(value)) if context.eval_ctx.autoescape else str(value)


def _out(context: Context, text: str) -> str:
    return Markup(text) if context.eval_ctx.autoescape else text


def _newline(context: Context) -> str:
    """The line break after a block tag: kept unless the environment trims it."""
    return "" if context.environment.trim_blocks else "\n"


@pass_context
def lang_tag(context: Context, value: Any, fallback: Any = "zh-CN") -> str:
    """The exact BCP 47 tag for ``<html lang>``: zh-CN, zh-TW or en."""
    v = _text(value or fallback).replace("_", "-").lower()
    if v in ("zh-tw", "zh-hk", "zh-mo") or v.startswith("zh-hant"):
        return "zh-TW"
    if v.startswith("zh"):
        return "zh-CN"
    if v.startswith("en"):
        return "en"
    return _out(context, _esc(context, fallback))


def _href(context: Context, url: Any) -> str:
    u = _text(url or "")
    if not u.startswith(_ABSOLUTE):
        u = f"{_text(_global(context, 'SITEURL'))}/{u.lstrip('/')}"
    return _esc(context, u)


@pass_context
def href(context: Context, url: Any) -> str:
    """A link target: absolute URLs stay, site-relative ones get ``SITEURL`` in front."""
    return _out(context, _href(context, url))


@pass_context
def static(context: Context, path: Any) -> str:
    """Where the theme's static files are, in Pelican and portal output alike."""
    siteurl = _text(_global(context, "SITEURL"))
    folder = _text(_global(context, "THEME_STATIC_DIR", "theme"))
    return _out(context, _esc(context, f"{siteurl}/{folder}/{_text(path)}"))


def _date_text(context: Context, d: Any) -> str:
    if not _defined(d) or not d:
        return ""
    year = _attr(context, d, "year")
    if not _defined(year):
        return _esc(context, d)
    t = _global(context, "t", None)
    month, day = _attr(context, d, "month"), _attr(context, d, "day")
    month_name = t("theme.month_" + _text(month))
    return _esc(
        context, t("theme.date_format", year=year, month=month, day=day, month_name=month_name)
    )


@pass_context
def date_text(context: Context, d: Any) -> str:
    """A date in the page language: 2026年3月5日 / 5 March 2026. Strings pass through."""
    return _out(context, _date_text(context, d))


@pass_context
def time(context: Context, d: Any) -> str:
    """``<time datetime="…">`` around :func:`date_text`."""
    if not _defined(d) or not d:
        return ""
    isoformat = _attr(context, d, "isoformat")
    stamp = _esc(context, isoformat() if _defined(isoformat) else d)
    return _out(context, f'<time datetime="{stamp}">{_date_text(context, d)}</time>')


@pass_context
def entry_type(context: Context, entry: Any) -> str:
    """The content type of an entry: the plugin's ``type``, else Pelican's category."""
    kind = _attr(context, entry, "type")
    if _defined(kind) and kind:
        return _out(context, _esc(context, kind))
    category = _attr(context, entry, "category")
    if _defined(category) and category:
        slug = _attr(context, category, "slug")
        return _out(context, _esc(context, slug if _defined(slug) else category))
    return ""


@pass_context
def type_name(context: Context, kind: Any) -> str:
    """要闻 / 通知公告 / 学习园地, or the raw name for a type we do not know."""
    ty = _text(kind or "")
    if ty in CONTENT_TYPES:
        return _out(context, _esc(context, _global(context, "t", None)("theme.type_" + ty)))
    return _out(context, _esc(context, ty))


@pass_context
def tag_links(context: Context, tags: Any) -> str:
    """The tags as a list of links (or of names, for tags without a page)."""
    if not tags:
        return ""
    nl, t = _newline(context), _global(context, "t", None)
    parts = [f'<ul class="tag-list" aria-label="{_esc(context, t("theme.tags"))}">']
    for tag in tags:
        url = _attr(context, tag, "url")
        if _defined(url):
            name = _attr(context, tag, "name")
            label = _esc(context, name if _defined(name) else tag)
            parts.append(f'{nl}<li><a href="{_href(context, url)}">{label}</a></li>')
        else:
            parts.append(f"{nl}<li><span>{_esc(context, tag)}</span></li>")
    parts.append(f"{nl}</ul>")
    return _out(context, "".join(parts))


@pass_context
def series_contents(context: Context, parts: Any, current: Any) -> str:
    """The items of a series' table of contents, ``current`` (1-based) marked as this page."""
    nl = _newline(context)
    items = []
    for index, part in enumerate(parts, start=1):
        title = _esc(context, _attr(context, part, "title"))
        if index == current:
            items.append(f'{nl}        <li><span aria-current="page">{title}</span></li>')
        else:
            link = _href(context, _attr(context, part, "url"))
            items.append(f'{nl}        <li><a href="{link}">{title}</a></li>')
    return _out(context, "".join(items))


@pass_context
def absolute(context: Context, url: Any) -> str:
    """An absolute URL (for print and sharing): ``site.url`` in front of site paths."""
    u = _text(url or "")
    if not u.startswith(("http://", "https://")):
        base = _attr(context, _global(context, "site", None), "url")
        u = f"{_text(base or '').strip('/')}/{u.lstrip('/')}"
    return _out(context, _esc(context, u))


@pass_context
def pagination(context: Context, paginator: Any, page: Any) -> str:
    """Pelican's paginator, when the page has one with more than one page."""
    if not _defined(paginator) or not _defined(page) or not paginator:
        return ""
    if not paginator.num_pages > 1:
        return ""
    nl, t = _newline(context), _global(context, "t", None)
    html = [f'<nav class="pagination" aria-label="{_esc(context, t("theme.pagination"))}">']
    if page.has_previous():
        link = _href(context, paginator.page(page.previous_page_number()).url)
        html.append(f'<a rel="prev" href="{link}">← {_esc(context, t("theme.newer"))}</a>')
    label = t("theme.page_of", current=page.number, total=paginator.num_pages)
    html.append(f"{nl}<span>{_esc(context, label)}</span>")
    if page.has_next():
        link = _href(context, paginator.page(page.next_page_number()).url)
        html.append(f'<a rel="next" href="{link}">{_esc(context, t("theme.older"))} →</a>')
    html.append(f"{nl}</nav>")
    return _out(context, "".join(html))


#: The template global ``theme_helpers``.
HELPERS = SimpleNamespace(
    lang_tag=lang_tag,
    href=href,
    static=static,
    date_text=date_text,
    time=time,
    entry_type=entry_type,
    type_name=type_name,
    tag_links=tag_links,
    series_contents=series_contents,
    absolute=absolute,
    pagination=pagination,
)
