"""The headless JSON API (plugins/json_api.py): api/index.json and api/<type>/<slug>.json."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

try:
    from test_feeds_sitekit import BRANCH, DEFAULT_FILES, SITE_URL, build_site
except ImportError:  # tests/ turned into a package
    from tests.test_feeds_sitekit import BRANCH, DEFAULT_FILES, SITE_URL, build_site

API_ENTRY_KEYS = [
    "id", "url", "type", "title", "date", "modified", "summary", "tags", "author",
    "pinned", "expires", "series", "order", "api", "first_commit",
]  # fmt: skip


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_site(tmp_path_factory.mktemp("branch"), DEFAULT_FILES)


def _index(site: Path) -> dict:
    return json.loads((site / "api" / "index.json").read_text(encoding="utf-8"))


def _local(site: Path, url: str) -> Path:
    assert url.startswith(SITE_URL)
    return site / url[len(SITE_URL) :]


def test_index_names_the_site_and_lists_published_entries_and_pages(site: Path) -> None:
    index = _index(site)
    assert list(index) == ["site", "generated", "entries"]
    assert index["site"] == {"name": BRANCH, "url": SITE_URL, "language": "zh-CN"}
    ids = [e["id"] for e in index["entries"]]
    assert ids == [
        SITE_URL + "announcements/meeting/",
        SITE_URL + "news/spring-festival/",
        SITE_URL + "study/lesson-1/",
        SITE_URL + "news/flood-drill/",
        SITE_URL + "about/",
    ]  # newest first, pages (undated) last, draft absent


def test_index_entries_have_the_documented_keys_in_order(site: Path) -> None:
    for entry in _index(site)["entries"]:
        assert list(entry) == API_ENTRY_KEYS


def test_index_entry_values(site: Path) -> None:
    entries = {e["id"]: e for e in _index(site)["entries"]}
    news = entries[SITE_URL + "news/spring-festival/"]
    assert news["url"] == SITE_URL + "news/spring-festival/"
    assert news["type"] == "news"
    assert news["date"] == "2024-02-05T09:30:00+08:00"
    assert news["modified"] == "2024-02-06T18:00:00+08:00"
    assert news["summary"] == "支部开展春节主题党日，走访慰问困难党员。"  # plain text
    assert news["tags"] == ["主题党日", "春节"]
    assert news["author"] == "李明"
    assert news["api"] == SITE_URL + "api/news/spring-festival.json"
    notice = entries[SITE_URL + "announcements/meeting/"]
    assert (notice["pinned"], notice["expires"]) == (True, "2024-03-20")
    lesson = entries[SITE_URL + "study/lesson-1/"]
    assert (lesson["series"], lesson["order"]) == ("党章学习", 1)
    about = entries[SITE_URL + "about/"]
    assert about["type"] == "pages" and about["date"] is None


def test_generated_is_the_newest_change_not_the_clock(site: Path) -> None:
    assert _index(site)["generated"] == "2024-03-01T08:00:00+08:00"


def test_every_entry_has_its_detail_file(site: Path) -> None:
    for entry in _index(site)["entries"]:
        detail = json.loads(_local(site, entry["api"]).read_text(encoding="utf-8"))
        assert {k: detail[k] for k in API_ENTRY_KEYS} == entry
        assert list(detail)[: len(API_ENTRY_KEYS)] == API_ENTRY_KEYS
        assert detail["content_html"]


def test_detail_has_full_content_with_absolute_links(site: Path) -> None:
    detail = json.loads((site / "api/news/spring-festival.json").read_text(encoding="utf-8"))
    assert "FULL-CONTENT-MARKER" in detail["content_html"]
    assert f'src="{SITE_URL}files/photo.jpg"' in detail["content_html"]
    assert "quiz" not in detail


def test_study_detail_carries_the_quiz(site: Path) -> None:
    detail = json.loads((site / "api/study/lesson-1.json").read_text(encoding="utf-8"))
    assert detail["quiz"] == [
        {"question": "党的最高理想是什么？", "options": ["共产主义", "小康"], "answer": 0}
    ]


def test_api_is_utf8_not_escaped(site: Path) -> None:
    raw = (site / "api" / "index.json").read_bytes()
    assert "东江社区党支部".encode() in raw
    assert b"\\u" not in raw


def test_rebuild_with_nothing_changed_writes_identical_files_untouched(tmp_path: Path) -> None:
    out = build_site(tmp_path, DEFAULT_FILES)
    files = sorted((out / "api").rglob("*.json"))
    first = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in files}
    time.sleep(0.01)
    build_site(tmp_path)
    assert sorted((out / "api").rglob("*.json")) == files
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in files} == first


def test_withdrawn_entry_leaves_the_api(tmp_path: Path) -> None:
    files = dict(DEFAULT_FILES)
    out = build_site(tmp_path, files)
    assert (out / "api/news/flood-drill.json").exists()
    files["news/flood-drill.md"] = files["news/flood-drill.md"].replace(
        "Tags: 防汛", "Tags: 防汛\nStatus: draft"
    )
    build_site(tmp_path, files)
    assert not (out / "api/news/flood-drill.json").exists()
    assert SITE_URL + "news/flood-drill/" not in {e["id"] for e in _index(out)["entries"]}


def test_non_ascii_slug_gets_an_encoded_api_url(tmp_path: Path) -> None:
    out = build_site(
        tmp_path,
        {"news/东江.md": "Title: 东江新闻\nDate: 2024-01-01 10:00\nSlug: 东江\n\n正文。\n"},
    )
    (entry,) = _index(out)["entries"]
    assert entry["api"] == SITE_URL + "api/news/%E4%B8%9C%E6%B1%9F.json"
    assert (out / "api" / "news" / "东江.json").is_file()


def test_slug_that_would_escape_the_api_folder_is_refused() -> None:
    from datetime import UTC, datetime

    from tongxin.plugins.feeds import BranchEntry, Site
    from tongxin.plugins.json_api import api_entry

    moment = datetime(2024, 1, 1, tzinfo=UTC)
    entry = BranchEntry(
        id="x", url="x", type="news", slug="..", title="t", date=moment, modified=moment,
        dated=True, summary_html="", summary_text="", content_html="", tags=(), author=None,
        lang=None, pinned=False, expires=None, series=None, order=None, quiz=None,
    )  # fmt: skip
    with pytest.raises(ValueError, match="bad path part"):
        api_entry(entry, Site(name="b", url="https://b.example/", language="zh-CN"))


def _entries(*titles: str) -> list:
    from datetime import UTC, datetime

    from tongxin.plugins.feeds import BranchEntry

    moment = datetime(2024, 1, 1, tzinfo=UTC)
    return [
        BranchEntry(
            id=f"https://b.example/news/n{i}/",
            url=f"https://b.example/news/n{i}/",
            type="news",
            slug=f"n{i}",
            title=title,
            date=moment,
            modified=moment,
            dated=True,
            summary_html="",
            summary_text="",
            content_html=f"<p>{title}</p>",
            tags=(),
            author=None,
            lang=None,
            pinned=False,
            expires=None,
            series=None,
            order=None,
            quiz=None,
        )  # fmt: skip
        for i, title in enumerate(titles)
    ]


def test_cached_rebuild_neither_reads_nor_writes_unchanged_api_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tongxin.plugins import json_api
    from tongxin.plugins.feeds import Site

    site = Site(name="b", url="https://b.example/", language="zh-CN")
    out, cache = tmp_path / "out", tmp_path / "cache"
    json_api.write_api(out, site, _entries("一", "二", "三"), cache_dir=cache)
    compared: list[Path] = []
    real = json_api.write_if_changed

    def counting(path: Path, data: bytes, *args: object) -> bool:
        compared.append(path)
        return real(path, data, *args)

    monkeypatch.setattr(json_api, "write_if_changed", counting)
    written = json_api.write_api(out, site, _entries("一", "改", "三"), cache_dir=cache)
    # The changed entry and the index (which lists its title); nothing else is even read.
    assert written == compared == [out / "api/news/n1.json", out / "api/index.json"]
    assert json.loads((out / "api/news/n1.json").read_text(encoding="utf-8"))["title"] == "改"
    # A file changed behind the build's back (other size) is written again.
    (out / "api/news/n2.json").write_text("{}", encoding="utf-8")
    compared.clear()
    json_api.write_api(out, site, _entries("一", "改", "三"), cache_dir=cache)
    assert compared == [out / "api/news/n2.json"]
    assert json.loads((out / "api/news/n2.json").read_text(encoding="utf-8"))["title"] == "三"
    # Without the cache the output is the same bytes.
    fresh = tmp_path / "fresh"
    json_api.write_api(fresh, site, _entries("一", "改", "三"))
    assert {p.name: p.read_bytes() for p in (fresh / "api").rglob("*.json")} == {
        p.name: p.read_bytes() for p in (out / "api").rglob("*.json")
    }
