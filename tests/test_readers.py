"""The readers: YAML front matter Markdown and pure-YAML announcements."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from pelican.settings import DEFAULT_CONFIG
from tongxin.plugins.readers import TongxinMarkdownReader, TongxinYamlReader, entry_slug

from tongxin.frontmatter import ContentError


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "content" / "news").mkdir(parents=True)
    (tmp_path / "content" / "announcements").mkdir()
    (tmp_path / "content" / "files").mkdir()
    (tmp_path / "content" / "files" / "表.txt").write_text("x", encoding="utf-8")
    (tmp_path / "content" / "site.yaml").write_text(
        "name: 测试\nurl: https://t.example/\nlanguage: zh-CN\n", encoding="utf-8"
    )
    return tmp_path


def settings(root: Path) -> dict:
    config = dict(DEFAULT_CONFIG)
    config.update(PATH=str(root / "content"), TONGXIN_ROOT=str(root))
    return config


def test_front_matter_becomes_pelican_metadata(root: Path) -> None:
    path = root / "content/news/Spring-Day.md"
    path.write_text(
        "---\ntitle: 春节活动\ndate: 2026-02-01 09:30\ntags: [春节, 志愿服务]\n"
        "summary: 一句**摘要**\nauthor: 宣传委员\n---\n\n# 正文\n\n段落。\n",
        encoding="utf-8",
    )
    html, meta = TongxinMarkdownReader(settings(root)).read(str(path))
    assert "<h1" in html and "段落" in html
    assert meta["title"] == "春节活动"
    assert meta["date"] == datetime(2026, 2, 1, 9, 30)
    assert [t.name for t in meta["tags"]] == ["春节", "志愿服务"]
    assert meta["summary"] == "<p>一句<strong>摘要</strong></p>"
    assert meta["author"].name == "宣传委员"
    assert meta["slug"] == "spring-day"
    assert meta["type"] == "news"


def test_yaml_announcement_body_is_markdown(root: Path) -> None:
    path = root / "content/announcements/outage.yaml"
    path.write_text(
        "title: 停水通知\npinned: true\nexpires: 2026-12-01\nbody: |\n  明天**停水**。\n",
        encoding="utf-8",
    )
    html, meta = TongxinYamlReader(settings(root)).read(str(path))
    assert "<strong>停水</strong>" in html
    assert meta["pinned"] is True and str(meta["expires"]) == "2026-12-01"


def test_unreadable_file_raises_content_error_with_line(root: Path) -> None:
    path = root / "content/news/bad.md"
    path.write_text("---\ntitle: a\n  bad: [\n---\n", encoding="utf-8")
    with pytest.raises(ContentError) as failure:
        TongxinMarkdownReader(settings(root)).read(str(path))
    assert str(failure.value.problems[0]).startswith("content/news/bad.md:")


def test_relative_links_to_sources_and_files_are_rewritten(root: Path) -> None:
    (root / "content/news/other.md").write_text("---\ntitle: b\n---\n", encoding="utf-8")
    path = root / "content/news/a.md"
    path.write_text(
        "---\ntitle: a\n---\n\n[另一篇](other.md#x) [表](../files/表.txt) [外部](https://e.org/)\n",
        encoding="utf-8",
    )
    html, _ = TongxinMarkdownReader(settings(root)).read(str(path))
    assert 'href="{filename}/news/other.md#x"' in html
    assert 'href="{static}/files/表.txt"' in html
    assert 'href="https://e.org/"' in html


@pytest.mark.parametrize(
    ("meta", "name", "slug"),
    [({}, "Hello.md", "hello"), ({"slug": "x-1"}, "a.md", "x-1"), ({}, "党课.md", "党课")],
)
def test_slug_is_front_matter_or_file_name_never_title(meta: dict, name: str, slug: str) -> None:
    assert entry_slug({"title": "标题", **meta}, name) == slug


def test_an_entry_without_summary_gets_pelicans_words_as_plain_text(root: Path) -> None:
    """Pelican's own cut (SUMMARY_MAX_LENGTH words, a Chinese character counting as one),
    made once when the file is read; headings, links and markup do not reach a card."""
    path = root / "content/news/long.md"
    body = "## 基本情况\n\n" + "社区志愿服务" * 30 + "[链接](https://x.example/) <b>粗</b>\n"
    path.write_text(f"---\ntitle: 长文\ndate: 2026-02-01\n---\n\n{body}", encoding="utf-8")
    html, meta = TongxinMarkdownReader(settings(root)).read(str(path))
    summary = meta["summary"]
    assert summary.startswith("<p>基本情况 社区志愿服务") and summary.endswith("…</p>")
    assert "<h2>" not in summary and "<a" not in summary and "<h2>基本情况</h2>" in html
    # 50 "words": the heading's four characters and 46 of the paragraph's
    assert len(summary.removeprefix("<p>基本情况 ").removesuffix(" …</p>")) == 46


def test_a_short_entry_summary_is_its_whole_text_escaped(root: Path) -> None:
    path = root / "content/news/short.md"
    path.write_text(
        "---\ntitle: Short\nlang: en\n---\n\nFish & chips &lt;b&gt; at *noon*.\n", encoding="utf-8"
    )
    _html, meta = TongxinMarkdownReader(settings(root)).read(str(path))
    assert meta["summary"] == "<p>Fish &amp; chips &lt;b&gt; at noon.</p>"


def test_a_given_summary_is_kept_and_an_empty_body_has_none(root: Path) -> None:
    given = root / "content/news/given.md"
    given.write_text("---\ntitle: 有摘要\nsummary: 自己写的\n---\n\n正文很长。\n", encoding="utf-8")
    empty = root / "content/news/empty.md"
    empty.write_text("---\ntitle: 空\n---\n", encoding="utf-8")
    reader = TongxinMarkdownReader(settings(root))
    assert reader.read(str(given))[1]["summary"] == "<p>自己写的</p>"
    assert "summary" not in reader.read(str(empty))[1]
