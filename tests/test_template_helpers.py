"""tx_theme (tongxin/templatehelpers.py) prints exactly what the _macros.html macros print.

Pelican builds bind the macros' names to the Python helpers; the portal and plain Jinja2 keep
the macros. Every helper is rendered both ways, in an environment configured as Pelican's,
over the inputs templates pass (entries with and without attributes, dates, URLs, tags).
"""

from __future__ import annotations

import pickle
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import jinja2
import pytest

from tongxin.settings import SiteTranslator
from tongxin.templatehelpers import ThemeHelpers

TEMPLATES = Path(__file__).resolve().parent.parent / "theme" / "templates"


def pelican_environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)), trim_blocks=True, lstrip_blocks=True
    )


def both(expression: str, language: str = "zh-CN", **values: Any) -> tuple[str, str]:
    """``expression`` (using ``m``) rendered with the macros and with the helpers."""
    env = pelican_environment()
    source = "{% import '_macros.html' as m with context %}[{{ " + expression + " }}]"
    context: dict[str, Any] = {
        "t": SiteTranslator(language),
        "SITEURL": "https://branch.example",
        "site": {"url": "https://branch.example/", "language": language},
        **values,
    }
    macros = env.from_string(source).render(context)
    helpers = env.from_string(source).render({**context, "tx_theme": ThemeHelpers()})
    return macros, helpers


class Tag:
    def __init__(self, name: str, url: str) -> None:
        self.name, self.url = name, url

    def __str__(self) -> str:
        return self.name


ENTRIES = [
    SimpleNamespace(type="news"),
    SimpleNamespace(type="", category=SimpleNamespace(slug="study")),
    SimpleNamespace(category="announcements"),
    SimpleNamespace(),
    {"type": "pages"},
]
DATES = [
    datetime(2026, 3, 5, 9, 30, tzinfo=UTC),
    date(2025, 12, 31),
    "2026年春",
    None,
    "",
]
URLS = ["news/a/", "/news/a/", "https://x.example/a", "//cdn.example/a", "#top", "mailto:a@b", ""]


@pytest.mark.parametrize("language", ["zh-CN", "zh-TW", "en"])
@pytest.mark.parametrize("value", DATES)
def test_dates_and_times_print_as_the_macros_do(language: str, value: Any) -> None:
    for expression in ("m.date_text(d)", "m.time(d)"):
        macros, helpers = both(expression, language, d=value)
        assert helpers == macros


def test_date_of_an_undefined_value_prints_nothing_either_way() -> None:
    macros, helpers = both("m.time(entry.date) ~ m.date_text(entry.expires)", entry=object())
    assert helpers == macros == "[]"


@pytest.mark.parametrize("url", URLS)
def test_links_print_as_the_macros_do(url: str) -> None:
    for expression in ("m.href(u)", "m.absolute(u)", "m.static(u)"):
        macros, helpers = both(expression, u=url)
        assert helpers == macros, expression


def test_links_without_siteurl_print_as_the_macros_do() -> None:
    env = pelican_environment()
    source = (
        "{% import '_macros.html' as m with context %}"
        "{{ m.href('news/a/') }}|{{ m.static('css/site.css') }}"
    )
    plain = env.from_string(source).render()
    fast = env.from_string(source).render(tx_theme=ThemeHelpers())
    assert fast == plain == "/news/a/|/theme/css/site.css"


@pytest.mark.parametrize("entry", ENTRIES)
def test_entry_type_and_type_name_print_as_the_macros_do(entry: Any) -> None:
    macros, helpers = both("m.entry_type(e) ~ '|' ~ m.type_name(m.entry_type(e)|trim)", e=entry)
    assert helpers == macros


@pytest.mark.parametrize("kind", ["news", "announcements", "study", "pages", "other", None])
def test_type_names_in_every_language(kind: str | None) -> None:
    for language in ("zh-CN", "zh-TW", "en"):
        macros, helpers = both("m.type_name(k)", language, k=kind)
        assert helpers == macros


@pytest.mark.parametrize(
    "value,fallback",
    [("zh", "zh-CN"), ("zh_TW", "zh-CN"), ("zh-Hant-HK", "en"), ("en-GB", "zh-CN"),
     ("fr", "en"), (None, "zh-TW"), ("", "zh-CN")],
)  # fmt: skip
def test_language_tags_print_as_the_macros_do(value: str | None, fallback: str) -> None:
    macros, helpers = both("m.lang_tag(v, f)", v=value, f=fallback)
    assert helpers == macros
    macros, helpers = both("m.lang_tag(v)", v=value)
    assert helpers == macros


@pytest.mark.parametrize(
    "tags",
    [[], None, [Tag("党建", "tags/%E5%85%9A%E5%BB%BA/"), Tag("学习", "https://x/t/")], ["plain"]],
)
def test_tag_links_print_as_the_macros_do(tags: Any) -> None:
    macros, helpers = both("m.tag_links(tags)", tags=tags)
    assert helpers == macros


def test_helpers_survive_pickling_with_the_settings() -> None:
    # Pelican's content cache pickles objects holding the settings (and so JINJA_GLOBALS).
    helpers = pickle.loads(pickle.dumps(ThemeHelpers()))
    macros, fast = both("m.time(d)", d=date(2026, 1, 2))
    env = pelican_environment()
    source = "{% import '_macros.html' as m with context %}[{{ m.time(d) }}]"
    again = env.from_string(source).render(t=SiteTranslator("zh-CN"), d=date(2026, 1, 2),
                                           tx_theme=helpers)  # fmt: skip
    assert again == fast == macros


SERIES = [
    SimpleNamespace(title="第一讲", url="study/a/"),
    SimpleNamespace(title="第二讲 <b>", url="https://x.example/b"),
    {"title": "第三讲", "url": "/study/c/"},
]


@pytest.mark.parametrize("current", [0, 1, 2, 3, 4, None])
def test_series_contents_print_as_the_macro_does(current: Any) -> None:
    macros, helpers = both("m.series_contents(parts, current)", parts=SERIES, current=current)
    assert helpers == macros and "第三讲" in macros
    if current in (1, 2, 3):
        assert helpers.count('aria-current="page"') == 1


def test_series_contents_of_one_series_serve_every_page_of_it() -> None:
    """Made once per series, then joined per page: each page marks its own part."""
    env = pelican_environment()
    source = "{% import '_macros.html' as m with context %}{{ m.series_contents(parts, i) }}"
    helpers = ThemeHelpers()
    pages = [
        env.from_string(source).render(
            t=SiteTranslator("zh-CN"), SITEURL="", tx_theme=helpers, parts=SERIES, i=i
        )
        for i in (1, 2, 3)
    ]
    assert len(helpers._series) == 1
    titles = ["第一讲", "第二讲 <b>", "第三讲"]
    for i, page in enumerate(pages):
        assert page.count('aria-current="page"') == 1
        assert f'<span aria-current="page">{titles[i]}</span>' in page
    # Another SITEURL (another build in this process): the links are made again.
    other = env.from_string(source).render(
        t=SiteTranslator("zh-CN"), SITEURL="https://b.example", tx_theme=helpers, parts=SERIES, i=1
    )
    assert 'href="https://b.example/study/c/"' in other
