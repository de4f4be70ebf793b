"""Branch feeds (plugins/feeds.py): Atom, RSS 2.0 and JSON Feed, parsed back as a portal would."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import feedparser
import pytest
from lxml import etree
from tongxin.plugins.feeds import (
    BranchEntry,
    Site,
    absolutize_html,
    atom_feed,
    json_feed,
    write_feeds,
)

from tongxin.feedwriter import ATOM_NS, TONGXIN_NS, TYPE_SCHEME

try:
    from test_feeds_sitekit import BRANCH, DEFAULT_FILES, SITE_URL, build_site
except ImportError:  # tests/ turned into a package
    from tests.test_feeds_sitekit import BRANCH, DEFAULT_FILES, SITE_URL, build_site

A = f"{{{ATOM_NS}}}"
TX = f"{{{TONGXIN_NS}}}"
CST = timezone(timedelta(hours=8))


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_site(tmp_path_factory.mktemp("branch"), DEFAULT_FILES)


def _atom(site: Path, name: str = "all") -> feedparser.FeedParserDict:
    parsed = feedparser.parse((site / "feeds" / f"{name}.atom.xml").read_bytes())
    assert not parsed.bozo, parsed.get("bozo_exception")
    return parsed


def _by_id(parsed: feedparser.FeedParserDict) -> dict[str, feedparser.FeedParserDict]:
    return {entry.id: entry for entry in parsed.entries}


def test_atom_feed_names_the_branch(site: Path) -> None:
    parsed = _atom(site)
    assert parsed.version == "atom10"
    assert parsed.feed.title == BRANCH
    assert parsed.feed.author_detail.name == BRANCH
    assert parsed.feed.id == SITE_URL + "feeds/all.atom.xml"
    assert parsed.feed.language == "zh-CN"
    self_links = [link.href for link in parsed.feed.links if link.rel == "self"]
    assert self_links == [SITE_URL + "feeds/all.atom.xml"]


def test_atom_entries_are_published_articles_only(site: Path) -> None:
    ids = set(_by_id(_atom(site)))
    assert ids == {
        SITE_URL + "news/spring-festival/",
        SITE_URL + "news/flood-drill/",
        SITE_URL + "announcements/meeting/",
        SITE_URL + "study/lesson-1/",
    }  # no draft, no page


def test_atom_entries_are_newest_first(site: Path) -> None:
    published = [entry.published_parsed for entry in _atom(site).entries]
    assert published == sorted(published, reverse=True)


def test_atom_entry_carries_full_content_with_absolute_links(site: Path) -> None:
    entry = _by_id(_atom(site))[SITE_URL + "news/spring-festival/"]
    content = entry.content[0].value
    assert "FULL-CONTENT-MARKER" in content
    assert "FULL-CONTENT-MARKER" not in entry.summary
    assert f'src="{SITE_URL}files/photo.jpg"' in content  # root-relative image
    assert f'href="{SITE_URL}news/flood-drill/"' in content  # ../ link
    assert f'href="{SITE_URL}news/spring-festival/#schedule"' in content  # fragment
    raw = (site / "feeds" / "all.atom.xml").read_text(encoding="utf-8")
    # feedparser's sanitiser drops srcset, so look at the XML itself.
    assert f"{SITE_URL}files/a.png 1x, {SITE_URL}files/b.png 2x" in raw
    assert 'href="mailto:office@dongjiang.example"' in content  # other schemes untouched
    assert entry.link == SITE_URL + "news/spring-festival/"


def test_atom_dates_come_from_date_and_modified(site: Path) -> None:
    root = etree.parse(str(site / "feeds" / "all.atom.xml")).getroot()
    entry = next(
        e for e in root.iter(A + "entry") if e.findtext(A + "id").endswith("spring-festival/")
    )
    assert entry.findtext(A + "published") == "2024-02-05T09:30:00+08:00"
    assert entry.findtext(A + "updated") == "2024-02-06T18:00:00+08:00"
    assert root.findtext(A + "updated") == "2024-03-01T08:00:00+08:00"  # newest entry


def test_atom_type_and_tags_are_categories(site: Path) -> None:
    entry = _by_id(_atom(site))[SITE_URL + "news/spring-festival/"]
    type_tag = entry.tags[0]
    assert (type_tag.term, type_tag.scheme, type_tag.label) == ("news", TYPE_SCHEME, "要闻")
    assert [t.term for t in entry.tags[1:]] == ["主题党日", "春节"]
    assert entry.author == "李明"


def test_announcement_extensions_in_atom(site: Path) -> None:
    root = etree.parse(str(site / "feeds" / "announcements.atom.xml")).getroot()
    (entry,) = root.findall(A + "entry")
    assert entry.findtext(TX + "type") == "announcements"
    assert entry.findtext(TX + "pinned") == "true"
    assert entry.findtext(TX + "expires") == "2024-03-20"
    cat = entry.find(A + "category")
    assert cat.get("label") == "通知公告"


def test_per_type_feeds_hold_only_their_type(site: Path) -> None:
    news = _atom(site, "news")
    assert {e.id for e in news.entries} == {
        SITE_URL + "news/spring-festival/",
        SITE_URL + "news/flood-drill/",
    }
    assert news.feed.title == f"{BRANCH} · 要闻"
    assert news.feed.id == SITE_URL + "feeds/news.atom.xml"
    study = _atom(site, "study")
    assert [e.id for e in study.entries] == [SITE_URL + "study/lesson-1/"]


def test_empty_type_still_gets_a_valid_feed(tmp_path: Path) -> None:
    files = {"news/flood-drill.md": DEFAULT_FILES["news/flood-drill.md"]}
    out = build_site(tmp_path, files)
    parsed = _atom(out, "study")
    assert parsed.version == "atom10" and parsed.entries == []
    assert parsed.feed.title == f"{BRANCH} · 学习园地"


def test_atom_structure_is_valid(site: Path) -> None:
    """RFC 4287 rules a portal's parser depends on, checked on the XML itself."""
    for path in (site / "feeds").glob("*.atom.xml"):
        root = etree.parse(str(path)).getroot()
        assert root.tag == A + "feed"
        for name in ("id", "title", "updated"):
            assert len(root.findall(A + name)) == 1, (path, name)
        assert root.find(A + "author/" + A + "name") is not None
        ids = []
        for entry in root.findall(A + "entry"):
            for name in ("id", "title", "updated", "published", "content"):
                assert len(entry.findall(A + name)) == 1, (path, name)
            for stamp in ("updated", "published"):
                datetime.fromisoformat(entry.findtext(A + stamp))  # RFC 3339 with offset
                assert entry.findtext(A + stamp)[-6] in "+-"
            (alternate,) = [
                link for link in entry.findall(A + "link") if link.get("rel") == "alternate"
            ]
            assert alternate.get("href").startswith(SITE_URL)
            ids.append(entry.findtext(A + "id"))
        assert len(ids) == len(set(ids))


def test_rss_feed_is_rss2_with_full_content(site: Path) -> None:
    parsed = feedparser.parse((site / "feeds" / "all.rss.xml").read_bytes())
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "rss20"
    assert parsed.feed.title == BRANCH
    entry = next(e for e in parsed.entries if e.link.endswith("spring-festival/"))
    assert entry.id == SITE_URL + "news/spring-festival/"
    assert 'isPermaLink="true"' in (site / "feeds" / "all.rss.xml").read_text(encoding="utf-8")
    assert "FULL-CONTENT-MARKER" in entry.content[0].value
    assert "FULL-CONTENT-MARKER" not in entry.summary
    assert entry.published_parsed[:5] == (2024, 2, 5, 1, 30)  # 09:30 +08:00 in UTC
    assert entry.tags[0].term == "news" and entry.tags[0].scheme == TYPE_SCHEME
    assert entry.author == "李明"


def test_json_feed_is_valid_json_feed_1_1(site: Path) -> None:
    feed = json.loads((site / "feeds" / "all.json").read_text(encoding="utf-8"))
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["title"] == BRANCH
    assert feed["authors"] == [{"name": BRANCH, "url": SITE_URL}]
    assert feed["home_page_url"] == SITE_URL
    assert feed["feed_url"] == SITE_URL + "feeds/all.json"
    assert len(feed["items"]) == 4
    for item in feed["items"]:
        for key in ("id", "url", "content_html", "date_published"):
            assert item[key], key
        assert item["url"].startswith(SITE_URL)
        datetime.fromisoformat(item["date_published"])
        # Extensions must start with an underscore (JSON Feed 1.1, "Extensions").
        assert all(k in _JSON_FEED_ITEM_KEYS or k.startswith("_") for k in item)
    meeting = next(i for i in feed["items"] if i["id"].endswith("meeting/"))
    assert meeting["_tongxin"] == {
        "type": "announcements",
        "pinned": True,
        "expires": "2024-03-20",
        "series": None,
        "order": None,
    }
    lesson = next(i for i in feed["items"] if i["id"].endswith("lesson-1/"))
    assert lesson["_tongxin"]["series"] == "党章学习" and lesson["_tongxin"]["order"] == 1


_JSON_FEED_ITEM_KEYS = {
    "id", "url", "external_url", "title", "content_html", "content_text", "summary",
    "image", "banner_image", "date_published", "date_modified", "authors", "tags",
    "language", "attachments",
}  # fmt: skip


def test_entry_ids_survive_a_new_title_and_date(tmp_path: Path) -> None:
    files = dict(DEFAULT_FILES)
    out = build_site(tmp_path, files)
    before = set(_by_id(_atom(out)))
    files["news/spring-festival.md"] = (
        files["news/spring-festival.md"]
        .replace("春节主题党日活动", "春节主题党日活动（更新）")
        .replace("Date: 2024-02-05 09:30", "Date: 2024-02-04 08:00")
    )
    out = build_site(tmp_path, files)
    after = _by_id(_atom(out))
    assert set(after) == before
    assert after[SITE_URL + "news/spring-festival/"].title == "春节主题党日活动（更新）"


def test_rebuild_with_nothing_changed_leaves_feeds_untouched(tmp_path: Path) -> None:
    out = build_site(tmp_path, DEFAULT_FILES)
    feeds = sorted((out / "feeds").iterdir())
    first = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in feeds}
    time.sleep(0.01)
    build_site(tmp_path)
    assert sorted((out / "feeds").iterdir()) == feeds
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in feeds} == first


def test_feeds_use_siteurl_for_links_but_keep_entry_ids(tmp_path: Path) -> None:
    # A local preview serves the site elsewhere; the entry ids must not move with it.
    out = build_site(tmp_path, DEFAULT_FILES, settings={"SITEURL": "http://127.0.0.1:8001"})
    entry = _by_id(_atom(out))[SITE_URL + "news/spring-festival/"]
    assert entry.link == "http://127.0.0.1:8001/news/spring-festival/"


def test_absolutize_html_keeps_text_and_other_schemes() -> None:
    base = "https://b.example/news/x/"
    html = (
        '<p>write href="a.html" in text</p><a href="../y/">y</a>'
        '<a href="//cdn.example/z">z</a><a href="tel:123">t</a><a href="#top">top</a>'
        '<img src=\'pic.png\' alt="p"><video poster="/p.jpg"></video>'
    )
    out = absolutize_html(html, base)
    assert 'write href="a.html" in text' in out
    assert 'href="https://b.example/news/y/"' in out
    assert 'href="https://cdn.example/z"' in out
    assert 'href="tel:123"' in out
    assert 'href="https://b.example/news/x/#top"' in out
    assert "src='https://b.example/news/x/pic.png'" in out
    assert 'poster="https://b.example/p.jpg"' in out


def _entry(n: int) -> BranchEntry:
    moment = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(hours=n)
    body = "<p>" + "社区新闻正文。" * 60 + f'<img src="/files/{n}.jpg"></p>'
    return BranchEntry(
        id=f"https://b.example/news/n{n}/", url=f"https://b.example/news/n{n}/",
        type=("news", "announcements", "study")[n % 3], slug=f"n{n}", title=f"新闻 {n}",
        date=moment, modified=moment, dated=True, summary_html="<p>摘要</p>",
        summary_text="摘要", content_html=body, tags=("标签",), author=None, lang=None,
        pinned=n % 7 == 0, expires=None, series=None, order=None, quiz=None,
    )  # fmt: skip


def test_two_thousand_entries_make_valid_feeds_quickly(tmp_path: Path) -> None:
    entries = [_entry(n) for n in range(2000)]
    site = Site(name=BRANCH, url="https://b.example/", language="zh-CN")
    start = time.perf_counter()
    write_feeds(tmp_path, site, entries)
    elapsed = time.perf_counter() - start
    parsed = feedparser.parse((tmp_path / "feeds" / "all.atom.xml").read_bytes())
    assert len(parsed.entries) == 2000 and not parsed.bozo
    assert len(json.loads((tmp_path / "feeds" / "all.json").read_bytes())["items"]) == 2000
    assert elapsed < 10, elapsed  # measured ~0.3 s; generous for slow CI


def test_invalid_xml_characters_do_not_break_the_feed() -> None:
    bad = _entry(1)
    bad = BranchEntry(**{**bad.__dict__, "title": "坏\x0b标题", "content_html": "<p>a\x01b</p>"})
    site = Site(name=BRANCH, url="https://b.example/", language="zh-CN")
    data = atom_feed(site, [bad], "https://b.example/feeds/all.atom.xml", BRANCH, site.url)
    assert feedparser.parse(data).entries[0].title == "坏标题"
    assert json.loads(json_feed(site, [bad], "u"))["items"][0]["id"] == bad.id
