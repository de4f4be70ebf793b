"""The theme's helpers (theme/helpers.py) as templates call them, in both renderers' settings:
Pelican's (no autoescape, trimmed blocks: titles are already HTML) and the portal's
(autoescape: every foreign string is escaped)."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import jinja2
import pytest
from tongxin.theme.helpers import HELPERS

from tongxin.i18n import translator

PELICAN, PORTAL = False, True


def render(source: str, autoescape: bool, **context: object) -> str:
    env = jinja2.Environment(
        loader=jinja2.DictLoader({"_macros.html": MACROS, "page.html": source}),
        autoescape=autoescape,
        trim_blocks=not autoescape,
        lstrip_blocks=not autoescape,
    )
    env.globals.update(theme_helpers=HELPERS, t=translator("zh-CN"), SITEURL="https://s.example")
    return env.get_template("page.html").render(**context)


def _macros() -> str:
    from pathlib import Path

    return (Path(__file__).resolve().parents[1] / "theme/templates/_macros.html").read_text()


MACROS = _macros()
IMPORT = "{% import '_macros.html' as m %}"


@pytest.mark.parametrize("autoescape", [PELICAN, PORTAL])
def test_links_get_the_site_address_and_absolute_ones_stay(autoescape: bool) -> None:
    page = IMPORT + "{{ m.href('news/a/') }}|{{ m.href('https://x.example/') }}|{{ m.href('') }}"
    assert (
        render(page, autoescape)
        == "https://s.example/news/a/|https://x.example/|https://s.example/"
    )


def test_the_portal_escapes_what_a_feed_wrote_and_pelican_keeps_its_html() -> None:
    tags = [SimpleNamespace(name="<b>党建</b>", url="tag/x/")]
    page = IMPORT + "{{ m.tag_links(tags) }}"
    portal = render(page, PORTAL, tags=tags)
    assert "&lt;b&gt;党建&lt;/b&gt;" in portal and "<b>" not in portal
    assert "\n<li>" in portal  # the line breaks the template would keep without trim_blocks
    pelican = render(page, PELICAN, tags=tags)
    assert '<li><a href="https://s.example/tag/x/"><b>党建</b></a></li></ul>' in pelican
    assert "\n" not in pelican


@pytest.mark.parametrize("autoescape", [PELICAN, PORTAL])
def test_dates_in_words_inside_a_time_element(autoescape: bool) -> None:
    when = datetime(2026, 3, 5, 10, 0, tzinfo=UTC)
    out = render(
        IMPORT + "{{ m.time(d) }}|{{ m.time(none) }}|{{ m.date_text('昨天') }}", autoescape, d=when
    )
    assert out == '<time datetime="2026-03-05T10:00:00+00:00">2026年3月5日</time>||昨天'


@pytest.mark.parametrize("autoescape", [PELICAN, PORTAL])
def test_type_names_and_a_series_with_this_page_marked(autoescape: bool) -> None:
    parts = [
        SimpleNamespace(title="一", url="study/1/"),
        SimpleNamespace(title="二", url="study/2/"),
    ]
    out = render(
        IMPORT + "{{ m.type_name('study') }}{{ m.series_contents(parts, 2) }}",
        autoescape,
        parts=parts,
    )
    assert out.startswith("学习园地")
    assert '<li><a href="https://s.example/study/1/">一</a></li>' in out
    assert '<li><span aria-current="page">二</span></li>' in out


def test_pagination_links_both_ways_only_when_there_is_more_than_one_page() -> None:
    class Page:
        number = 2

        def __init__(self, url: str) -> None:
            self.url = url

        def has_previous(self) -> bool:
            return True

        def has_next(self) -> bool:
            return True

        def previous_page_number(self) -> int:
            return 1

        def next_page_number(self) -> int:
            return 3

    paginator = SimpleNamespace(num_pages=3, page=lambda n: Page(f"p{n}/"))
    out = render(
        IMPORT + "{{ m.pagination(paginator, page) }}",
        PELICAN,
        paginator=paginator,
        page=Page("p2/"),
    )
    assert (
        'rel="prev" href="https://s.example/p1/"' in out
        and 'rel="next" href="https://s.example/p3/"' in out
    )
    single = SimpleNamespace(num_pages=1)
    assert render(IMPORT + "{{ m.pagination(p, page) }}", PELICAN, p=single, page=Page("x")) == ""
