"""The theme's small macros (``theme/templates/_macros.html``) as Python functions.

A Jinja macro call costs tens of microseconds (a new frame, a caller context, argument
binding); a branch site with thousands of entries calls ``href``, ``time`` and ``type_name``
hundreds of thousands of times. Pelican builds put :class:`ThemeHelpers` into the template
globals as ``tx_theme`` (``tongxin.settings``); ``_macros.html`` then binds its names to
these functions instead of defining the macros. Other renderers (the portal, tests with plain
Jinja2) do not define ``tx_theme`` and keep the macros, so the two must produce the same
text: tests/test_template_helpers.py renders every helper both ways and compares.

Only for environments configured as Pelican's (no autoescape, ``trim_blocks``,
``lstrip_blocks``): the macros' whitespace and escaping depend on that configuration.
"""

from __future__ import annotations

from typing import Any

from jinja2 import Undefined, pass_context
from jinja2.runtime import Context
from jinja2.utils import missing

_KNOWN_TYPES = ("news", "announcements", "study", "pages")
_ABSOLUTE = ("http://", "https://", "//", "#", "mailto:")


def _defined(value: Any) -> bool:
    return not isinstance(value, Undefined)


def _attr(context: Context, obj: Any, name: str) -> Any:
    # Jinja's own lookup (attribute, then item), as ``obj.name`` in a template.
    return context.environment.getattr(obj, name)


def _text(value: Any) -> str:
    """What ``{{ value }}`` prints with autoescape off."""
    return "" if isinstance(value, Undefined) else str(value)


def _global(context: Context, name: str, default: Any = "") -> Any:
    """A template global (``SITEURL``, ``t`` …) as the macro sees it; ``default`` if unset."""
    value = context.resolve_or_missing(name)
    return default if value is missing else value


class ThemeHelpers:
    """``tx_theme``: the macros of ``_macros.html``, same output, a fraction of the cost."""

    def __init__(self) -> None:
        #: (language, year, month, day) -> the date in words, for our own translator only
        self._dates: dict[tuple[str, Any, Any, Any], str] = {}
        #: id(parts) -> (parts, SITEURL, each part as a link, each part as this page)
        self._series: dict[int, tuple[Any, str, list[str], list[str]]] = {}

    def __getstate__(self) -> dict[str, Any]:
        # Settings are pickled with Pelican's content cache: the memo is not worth keeping.
        return {}

    def __setstate__(self, _state: dict[str, Any]) -> None:
        self.__init__()

    @pass_context
    def lang_tag(self, context: Context, value: Any, fallback: Any = "zh-CN") -> str:
        v = _text(value or fallback).replace("_", "-").lower()
        if v in ("zh-tw", "zh-hk", "zh-mo") or v.startswith("zh-hant"):
            return "zh-TW"
        if v.startswith("zh"):
            return "zh-CN"
        if v.startswith("en"):
            return "en"
        return _text(fallback)

    @pass_context
    def href(self, context: Context, url: Any) -> str:
        u = _text(url or "")
        if u.startswith(_ABSOLUTE):
            return u
        return f"{_text(_global(context, 'SITEURL'))}/{u.lstrip('/')}"

    @pass_context
    def static(self, context: Context, path: Any) -> str:
        siteurl = _text(_global(context, "SITEURL"))
        folder = _text(_global(context, "THEME_STATIC_DIR", "theme"))
        return f"{siteurl}/{folder}/{_text(path)}"

    @pass_context
    def date_text(self, context: Context, d: Any) -> str:
        if not _defined(d) or not d:
            return ""
        year = _attr(context, d, "year")
        if not _defined(year):
            return _text(d)
        t = _global(context, "t", None)
        month, day = _attr(context, d, "month"), _attr(context, d, "day")
        # Dates repeat across a site's pages: remember each in words, per language, when
        # the translator is tongxin's own (its strings depend on the language alone).
        language = getattr(t, "language", None) if type(t).__name__ == "SiteTranslator" else None
        key = (language, year, month, day)
        if language is not None:
            found = self._dates.get(key)
            if found is not None:
                return found
        month_name = t("theme.month_" + _text(month))
        text = _text(t("theme.date_format", year=year, month=month, day=day, month_name=month_name))
        if language is not None:
            self._dates[key] = text
        return text

    @pass_context
    def time(self, context: Context, d: Any) -> str:
        if not _defined(d) or not d:
            return ""
        isoformat = _attr(context, d, "isoformat")
        stamp = _text(isoformat()) if _defined(isoformat) else _text(d)
        return f'<time datetime="{stamp}">{self.date_text(context, d)}</time>'

    @pass_context
    def entry_type(self, context: Context, entry: Any) -> str:
        kind = _attr(context, entry, "type")
        if _defined(kind) and kind:
            return _text(kind)
        category = _attr(context, entry, "category")
        if _defined(category) and category:
            slug = _attr(context, category, "slug")
            return _text(slug if _defined(slug) else category)
        return ""

    @pass_context
    def type_name(self, context: Context, kind: Any) -> str:
        ty = _text(kind or "")
        if ty in _KNOWN_TYPES:
            return _text(_global(context, "t", None)("theme.type_" + ty))
        return ty

    @pass_context
    def tag_links(self, context: Context, tags: Any) -> str:
        if not tags:
            return ""
        t = _global(context, "t", None)
        parts = [f'<ul class="tag-list" aria-label="{_text(t("theme.tags"))}">']
        for tag in tags:
            url = _attr(context, tag, "url")
            if _defined(url):
                name = _attr(context, tag, "name")
                label = _text(name if _defined(name) else tag)
                parts.append(f'<li><a href="{self.href(context, url)}">{label}</a></li>')
            else:
                parts.append(f"<li><span>{_text(tag)}</span></li>")
        parts.append("</ul>")
        return "".join(parts)

    @pass_context
    def series_contents(self, context: Context, parts: Any, current: Any) -> str:
        """A series' table of contents is on each of its pages: with 100 parts, 100 pages
        rendered 100 items each through the template. Each part's two forms (a link, or
        this page) are made once per series; a page joins them."""
        siteurl = _text(_global(context, "SITEURL"))
        kept = self._series.get(id(parts))
        if kept is None or kept[0] is not parts or kept[1] != siteurl:
            links: list[str] = []
            here: list[str] = []
            for part in parts:
                title = _text(_attr(context, part, "title"))
                href = self.href(context, _attr(context, part, "url"))
                links.append(f'        <li><a href="{href}">{title}</a></li>')
                here.append(f'        <li><span aria-current="page">{title}</span></li>')
            if len(self._series) > 256:  # another build, or a renderer's lists: start over
                self._series.clear()
            kept = self._series[id(parts)] = (parts, siteurl, links, here)
        _parts, _siteurl, links, here = kept
        if isinstance(current, int) and 1 <= current <= len(links):
            return "".join(links[: current - 1] + [here[current - 1]] + links[current:])
        return "".join(links)

    @pass_context
    def absolute(self, context: Context, url: Any) -> str:
        u = _text(url or "")
        if u.startswith(("http://", "https://")):
            return u
        base = _attr(context, _global(context, "site", None), "url")
        return f"{_text(base or '').strip('/')}/{u.lstrip('/')}"
