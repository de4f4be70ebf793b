"""Theme templates rendered with plain Jinja2 and a fake context, as the portal renders them.

No Pelican here: entries are simple objects carrying only what docs/internals.md ("Theme
context") promises, so a template that leans on a Pelican-only attribute fails these tests.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import jinja2
import pytest
import yaml
from tongxin.theme.helpers import HELPERS

from tongxin.i18n import LANGUAGES, translator

THEME = Path(__file__).resolve().parent.parent / "theme"
TEMPLATES = THEME / "templates"
LOCALE = Path(__file__).resolve().parent.parent / "tongxin" / "locale"
TZ = UTC


def environment(autoescape: bool) -> jinja2.Environment:
    # Pelican's settings (no autoescape, trimmed blocks) or the portal renderer's (autoescape).
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=autoescape,
        trim_blocks=not autoescape,
        lstrip_blocks=not autoescape,
    )
    env.globals["theme_helpers"] = HELPERS  # as both renderers register them
    return env


def entry(**fields: Any) -> SimpleNamespace:
    """An entry with the portal's attributes (internals: "entries-style lists")."""
    base: dict[str, Any] = {
        "title": "标题",
        "url": "news/x/",
        "date": datetime(2026, 3, 5, 10, 0, tzinfo=TZ),
        "modified": None,
        "summary": "<p>摘要</p>",
        "type": "news",
        "tags": [],
        "pinned": False,
        "expired": False,
        "branch_name": None,
        "branch_url": None,
    }
    base.update(fields)
    return SimpleNamespace(**base)


def context(language: str = "zh-CN", **extra: Any) -> dict[str, Any]:
    site = {
        "name": "测试社区党支部",
        "url": "https://test.example/",
        "language": language,
        "description": None,
        "contact": None,
        "nav": [],
        "parent": None,
        "is_portal": False,
    }
    values: dict[str, Any] = {
        "site": site,
        "t": translator(language),
        "SITEURL": "",
        "page_lang": language,
    }
    values.update(extra)
    return values


def render(name: str, autoescape: bool = False, **ctx: Any) -> str:
    return environment(autoescape).get_template(name).render(**ctx)


class Landmarks(HTMLParser):
    """Collects the attributes a reader's assistive technology relies on."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def find(self, tag: str) -> list[dict[str, str | None]]:
        return [a for t, a in self.tags if t == tag]


def parse(html: str) -> Landmarks:
    parser = Landmarks()
    parser.feed(html)
    return parser


def quiz_article(**fields: Any) -> SimpleNamespace:
    quiz = [
        {
            "question": "党的最高理想是什么？",
            "options": ["实现共产主义", "全面建成小康社会"],
            "answer": 0,
            "explanation": "党章总纲。",
        },
        {"question": "哪些是义务？", "options": ["学习", "执行决定", "特权"], "answer": [0, 1]},
    ]
    return entry(type="study", url="study/s1/", content="<p>正文</p>", quiz=quiz, **fields)


# Each template with the least context it is documented to need.
MINIMAL = {
    "index.html": {"entries": []},
    "article.html": {"article": entry(content="<p>正文</p>")},
    "page.html": {"page": SimpleNamespace(title="关于我们", content="<p>简介</p>", slug="about")},
    "category.html": {"category": "news", "articles": [entry()]},
    "tag.html": {"tag": "党建", "articles": [entry()]},
    "tags.html": {"tags": []},
    "categories.html": {"categories": []},
    "archives.html": {"dates": [entry()]},
    "period_archives.html": {
        "dates": [entry()],
        "period": (2026, "March"),
        "period_num": (2026, 3),
    },
    "authors.html": {"authors": []},
    "author.html": {"author": "李明", "articles": [entry()]},
    "series.html": {"series_name": "党章学习", "articles": [entry(type="study", order=1)]},
    "404.html": {},
}


@pytest.mark.parametrize("autoescape", [False, True], ids=["pelican", "portal"])
@pytest.mark.parametrize("name", sorted(MINIMAL))
def test_every_template_renders_without_optional_fields(name: str, autoescape: bool) -> None:
    html = render(name, autoescape, **context(), **MINIMAL[name])
    assert html.lstrip().startswith("<!DOCTYPE html>")
    assert "theme." not in re.sub(r"/theme/", "", html), "an untranslated key leaked"


def test_pelican_needs_every_template_it_renders() -> None:
    needed = {"index", "article", "page", "category", "tag", "tags", "categories"}
    needed |= {"archives", "period_archives", "author", "authors"}
    assert {p.stem for p in TEMPLATES.glob("*.html")} >= needed | {"series", "404", "base"}


@pytest.mark.parametrize("name", sorted(MINIMAL))
def test_every_page_has_landmarks_and_a_skip_link_to_main(name: str) -> None:
    page = parse(render(name, **context(), **MINIMAL[name]))
    first_link = page.find("a")[0]
    assert first_link["href"] == "#main" and first_link.get("class") == "skip-link"
    mains = page.find("main")
    assert len(mains) == 1 and mains[0]["id"] == "main"
    assert page.find("header") and page.find("footer")
    assert any(n.get("aria-label") for n in page.find("nav"))
    assert page.find("meta")[1] == {
        "name": "viewport",
        "content": "width=device-width, initial-scale=1",
    }


@pytest.mark.parametrize("language", LANGUAGES)
def test_html_lang_is_the_site_language(language: str) -> None:
    html = render("index.html", **context(language), entries=[])
    assert f'<html lang="{language}">' in html


def test_html_lang_follows_an_entry_in_another_language() -> None:
    article = entry(content="<p>text</p>", metadata={"lang": "en"})
    assert '<html lang="en">' in render("article.html", **context("zh-CN"), article=article)
    article = entry(content="<p>正文</p>", metadata={"lang": "zh_TW"})
    assert '<html lang="zh-TW">' in render("article.html", **context("zh-CN"), article=article)


@pytest.mark.parametrize(
    ("language", "expected"),
    [("zh-CN", "2026年3月5日"), ("zh-TW", "2026年3月5日"), ("en", "5 March 2026")],
)
def test_dates_are_written_for_the_language(language: str, expected: str) -> None:
    html = render("article.html", **context(language), article=entry(content=""))
    assert f'<time datetime="2026-03-05T10:00:00+00:00">{expected}</time>' in html


@pytest.mark.parametrize(
    ("language", "name"), [("zh-CN", "通知公告"), ("zh-TW", "通知公告"), ("en", "Announcements")]
)
def test_category_page_is_titled_with_the_translated_type(language: str, name: str) -> None:
    html = render("category.html", **context(language), category="announcements", articles=[])
    assert f'<h1 class="page-title">{name}</h1>' in html


def test_type_names_are_translated() -> None:
    assert "要闻" in render("category.html", **context("zh-CN"), category="news", articles=[])
    assert "要聞" in render("category.html", **context("zh-TW"), category="news", articles=[])
    assert "学习园地" in render("category.html", **context("zh-CN"), category="study", articles=[])


def test_home_pins_notices_and_drops_expired_ones() -> None:
    entries = [
        entry(title="置顶通知甲", type="announcements", pinned=True),
        entry(title="普通通知乙", type="announcements"),
        entry(title="过期通知丙", type="announcements", expired=True),
        entry(title="要闻丁", type="news"),
        entry(title="党章一", type="study", series="党章学习", order=1),
    ]
    html = render("index.html", **context(), entries=entries)
    assert "过期通知丙" not in html
    pinned = html.index('id="h-pinned"')
    assert pinned < html.index("置顶通知甲") < html.index('id="h-announcements"')
    assert html.index('id="h-announcements"') < html.index("普通通知乙") < html.index('id="h-news"')
    assert "要闻丁" in html and "党章学习" in html


def test_portal_listing_names_the_branch_of_each_entry() -> None:
    entries = [
        entry(title="来自东江", branch_name="东江社区党支部", branch_url="https://dj.example/")
    ]
    html = render("index.html", True, **context(), entries=entries)
    assert '<a href="https://dj.example/">东江社区党支部</a>' in html
    # Absolute entry URLs from other sites are kept as they are.
    entries = [entry(url="https://dj.example/news/a/", title="甲")]
    assert 'href="https://dj.example/news/a/"' in render("index.html", **context(), entries=entries)


def test_links_are_prefixed_with_siteurl() -> None:
    html = render("index.html", **context(SITEURL="https://x.example/sub"), entries=[entry()])
    assert 'href="https://x.example/sub/news/x/"' in html
    assert 'href="https://x.example/sub/theme/css/site.css"' in html


def test_quiz_without_javascript_shows_answers_in_details() -> None:
    html = render("article.html", **context(), article=quiz_article())
    assert html.count('<details class="quiz-answer">') == 2
    assert "正确答案：A. 实现共产主义" in html
    assert "正确答案：A. 学习；B. 执行决定" in html
    assert 'data-answer="0,1" data-multiple' in html
    assert 'data-label-score="答对 {correct} 题，共 {total} 题。"' in html
    assert "/theme/js/quiz.js" in html


def test_article_without_quiz_loads_no_script() -> None:
    assert "<script" not in render("article.html", **context(), article=entry(content=""))


def test_announcement_lists_its_attachments() -> None:
    article = entry(
        type="announcements",
        content="",
        attachments=[
            {"title": "值班表", "url": "/files/duty.pdf", "file": "duty.pdf"},
            {"title": "上级文件", "url": "https://portal.example/doc"},
        ],
        expires=date(2099, 1, 1),
    )
    html = render("article.html", **context(), article=article)
    assert '<a href="/files/duty.pdf" download>值班表</a>' in html
    assert '<a href="https://portal.example/doc">上级文件</a>' in html
    assert "有效期至 2099年1月1日" in html


def test_series_navigation_from_plugin_attributes() -> None:
    one = entry(title="第一篇", url="study/a/", type="study", series="党章", order=1, content="")
    two = entry(title="第二篇", url="study/b/", type="study", series="党章", order=2, content="")
    for part in (one, two):
        part.series_entries = [one, two]
    html = render("article.html", **context(), article=two)
    assert '<a rel="prev" href="/study/a/">' in html and 'rel="next"' not in html
    assert "第 2 篇，共 2 篇" in html


def test_series_page_lists_parts_in_order() -> None:
    parts = [entry(title="乙篇", order=2), entry(title="甲篇", order=1)]
    html = render("series.html", **context(), series_name="党章学习", articles=parts)
    assert "专题：党章学习" in html and html.index("甲篇") < html.index("乙篇")


def test_site_navigation_marks_the_current_section() -> None:
    ctx = context()
    ctx["site"]["nav"] = [{"title": "要闻", "url": "news/"}, {"title": "关于", "url": "about/"}]
    html = render("category.html", **ctx, category="news", articles=[])
    assert '<a href="/news/" aria-current="page">要闻</a>' in html
    assert '<a href="/about/">关于</a>' in html


def test_footer_shows_contact_and_feeds() -> None:
    ctx = context()
    ctx["site"]["contact"] = {"email": "a@b.org", "phone": "0000 1234", "address": "东江路"}
    ctx["site"]["parent"] = "https://portal.example/"
    html = render("404.html", **ctx)
    assert 'href="mailto:a@b.org"' in html and 'href="tel:00001234"' in html
    assert 'href="/feeds/all.atom.xml"' in html and 'href="https://portal.example/"' in html


def _catalogue(language: str) -> dict[str, Any]:
    return yaml.safe_load((LOCALE / language / "theme.yaml").read_text(encoding="utf-8"))


def test_theme_catalogues_have_the_same_keys_in_every_language() -> None:
    reference = set(_catalogue("zh-CN"))
    for language in LANGUAGES:
        assert set(_catalogue(language)) == reference, language


def test_every_key_the_templates_use_is_in_the_catalogue() -> None:
    used: set[str] = set()
    for path in TEMPLATES.glob("*.html"):
        used |= set(re.findall(r"t\('theme\.([a-z_]+)'", path.read_text(encoding="utf-8")))
    # Built keys: type_<type> and month_<n>.
    used |= {f"type_{t}" for t in ("news", "announcements", "study", "pages")}
    used |= {f"month_{n}" for n in range(1, 13)}
    missing = {key for key in used if not key.endswith("_")} - set(_catalogue("zh-CN"))
    assert not missing


def test_stylesheet_uses_system_fonts_and_has_print_and_focus_styles() -> None:
    css = (THEME / "static" / "css" / "site.css").read_text(encoding="utf-8")
    assert "@font-face" not in css and "@import" not in css and "url(" not in css
    assert "@media print" in css
    assert ":focus-visible" in css and "outline: 3px solid" in css


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_text_colours_meet_wcag_aa_contrast() -> None:
    css = (THEME / "static" / "css" / "site.css").read_text(encoding="utf-8")
    colours = dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-f]{6})", css))
    pairs = [
        ("text", "bg"),
        ("muted", "bg"),
        ("muted", "bg-alt"),
        ("link", "bg"),
        ("link", "bg-alt"),
        ("accent", "bg"),
        ("accent-dark", "accent-soft"),
        ("ok", "bg"),
    ]
    for fg, bg in pairs:
        assert _contrast(colours[fg], colours[bg]) >= 4.5, (fg, bg)
    # White text on the red buttons and badges.
    assert _contrast("#ffffff", colours["accent"]) >= 4.5


@pytest.mark.parametrize(("language", "colon"), [("zh-CN", "："), ("en", ": ")])
def test_labels_end_with_the_languages_colon(language: str, colon: str) -> None:
    """'Author：' and 'Address of this page：' (read aloud, printed) on an English site."""
    article = entry(content="<p>text</p>", author="Li Ming", metadata={})
    html = render("article.html", **context(language), article=article)
    author = translator(language)("theme.author")
    assert f"{author}{colon}Li Ming" in html
    assert translator(language)("theme.print_source") + colon in html
    if language == "en":
        assert "：" not in html
