"""Content types: folder = type = category; URLs, ids and per-type attributes."""

from __future__ import annotations

from datetime import date, datetime
from types import SimpleNamespace

from pelican.contents import Article, Page
from pelican.settings import DEFAULT_CONFIG
from tongxin.plugins.content_types import (
    apply_type,
    entry_path,
    normalise_attachments,
    order_series,
)


def make(kind: str, slug: str, cls: type = Article, **meta: object) -> Article:
    settings = dict(DEFAULT_CONFIG)
    settings.update(
        PATH="/b/content",
        SITEURL="http://127.0.0.1:8000",
        TONGXIN_SITE={"url": "https://b.example/"},
        TIMEZONE="Asia/Shanghai",
    )
    metadata = {"title": "t", "date": datetime(2026, 1, 1), "slug": slug, "type": kind, **meta}
    item = cls("body", metadata=metadata, settings=settings, source_path=f"/b/content/{kind}/x.md")
    apply_type(item)
    return item


def test_article_url_save_as_and_entry_id() -> None:
    item = make("news", "spring")
    assert (item.url, item.save_as) == ("news/spring/", "news/spring/index.html")
    assert item.category.name == "news" and item.type == "news"
    # The id follows site.yaml's url, not a preview's SITEURL.
    assert item.entry_id == "https://b.example/news/spring/"


def test_page_url_has_no_type_prefix() -> None:
    page = make("pages", "about", cls=Page)
    assert (page.url, page.save_as) == ("about/", "about/index.html")


def test_non_ascii_slug_is_percent_encoded_in_url_only() -> None:
    item = make("news", "党课")
    assert item.url == "news/%E5%85%9A%E8%AF%BE/"
    assert item.save_as == "news/党课/index.html"
    assert entry_path("pages", "关于") == "%E5%85%B3%E4%BA%8E/"


def test_draft_is_not_written_anywhere() -> None:
    assert make("news", "d", status="draft").save_as == ""


def test_expired_announcement_keeps_its_url() -> None:
    old = make("announcements", "old", expires=date(2000, 1, 1), pinned=True)
    assert old.expired is True and old.pinned is True
    assert old.url == "announcements/old/"
    assert make("announcements", "new", expires=date(2999, 1, 1)).expired is False
    assert make("news", "n").expires is None and make("news", "n").pinned is False


def test_attachments_get_urls() -> None:
    items = normalise_attachments(
        [{"title": "表", "file": "files/回执.txt"}, {"title": "外", "url": "https://e.org/a"}]
    )
    # site-relative: the page links it relative to itself (a staging copy's own files)
    assert items[0]["url"] == "files/%E5%9B%9E%E6%89%A7.txt"
    assert items[1]["url"] == "https://e.org/a"


def test_study_series_are_ordered_by_order_then_date() -> None:
    parts = [
        make("study", "c", series="党章", order=3),
        make("study", "a", series="党章", order=1),
        make("study", "loose", series="党章"),
        make("study", "b", series="党章", order=2),
        make("study", "other", series="条例", order=1),
    ]
    generator = SimpleNamespace(articles=parts, context={})
    order_series(generator)
    first = generator.context["STUDY_SERIES"]
    names = {s["name"]: [a.slug for a in s["entries"]] for s in first}
    assert names["党章"] == ["a", "b", "c", "loose"]
    assert parts[1].series_next is parts[3] and parts[1].series_previous is None
