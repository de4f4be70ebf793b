"""plugins/search_index.py: what the Pelican build feeds the index, and lunr.js in the output."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from tongxin.plugins import search_index
from tongxin.plugins.search_index import LunrMissing, copy_lunr, search_docs


def _content(**fields):
    defaults = {
        "title": "网络党建",
        "url": "news/a/",
        "content": "<p>正文 <b>加粗</b></p>",
        "summary": "<p>摘要</p>",
        "status": "published",
        "date": datetime(2026, 3, 1),
        "type": "news",
        "entry_id": "https://b.example.org/news/a/",
        "metadata": {},
    }
    defaults.update(fields)
    return SimpleNamespace(**defaults)


def test_search_docs_take_published_articles_and_pages():
    docs = search_docs(
        [_content(), _content(status="draft", url="news/b/")],
        [_content(url="about/", type=None, title="关于")],
        "https://b.example.org",
        "一支部",
    )
    # links relative to the site's root (DESIGN.md: a branch links its own pages relatively;
    # the search page resolves them against its own address), ids as before
    assert [(d.url, d.type) for d in docs] == [("news/a/", "news"), ("about/", "pages")]
    assert docs[0].text == "正文 加粗" and docs[0].branch == "一支部"
    assert docs[0].id == "https://b.example.org/news/a/"


def test_an_entry_in_another_language_than_the_site_carries_it():
    own, other = _content(lang="zh-CN"), _content(lang="en", url="news/en/", title="AGM")
    docs = search_docs([own, other], [], "", "一支部", "zh-CN")
    assert [d.lang for d in docs] == ["", "en"]  # (the site's own language is not repeated)


def test_urls_are_site_relative_when_siteurl_is_empty():
    (doc,) = search_docs([_content()], [], "", "x")
    assert doc.url == "news/a/"


def test_lunr_is_copied_into_the_theme_folder(tmp_path, monkeypatch):
    modules = tmp_path / "nm"
    (modules / "lunr").mkdir(parents=True)
    (modules / "lunr" / "lunr.min.js").write_text("/* lunr */", "utf-8")
    monkeypatch.setenv("TONGXIN_NODE_MODULES", str(modules))
    target = copy_lunr(tmp_path / "out", None)
    assert target == tmp_path / "out" / "theme" / "js" / "lunr.min.js"
    assert target.read_text("utf-8") == "/* lunr */"


def test_missing_lunr_fails_with_a_clear_message(tmp_path, monkeypatch):
    monkeypatch.delenv("TONGXIN_NODE_MODULES", raising=False)
    monkeypatch.setattr(
        search_index, "node_modules_candidates", lambda root: [tmp_path / "nowhere"]
    )
    with pytest.raises(LunrMissing, match="npm ci") as failure:
        copy_lunr(tmp_path / "out", tmp_path, "en")
    assert str(tmp_path / "nowhere") in str(failure.value)
    with pytest.raises(LunrMissing, match="lunr"):
        copy_lunr(tmp_path / "out", tmp_path, "zh-CN")


def test_node_modules_are_looked_up_in_env_then_checkout_then_branch(tmp_path, monkeypatch):
    monkeypatch.setenv("TONGXIN_NODE_MODULES", str(tmp_path / "env"))
    found = search_index.node_modules_candidates(tmp_path / "branch")
    assert found[0] == tmp_path / "env"
    assert found[1] == Path(search_index.tongxin.__file__).resolve().parents[1] / "node_modules"
    assert found[2] == tmp_path / "branch" / "node_modules"


def test_tags_and_a_written_summary_are_indexed(tmp_path):
    """敬老 as a tag and AGM in the summary: both in the index, the tag in the title field."""
    import json

    from tongxin.search import build_search_index
    from tongxin.tokenizer import term_hash

    tagged = _content(tags=["敬老", "志愿服务"], summary="<p>The AGM papers.</p>")
    (doc,) = search_docs([tagged], [], "", "一支部")
    assert doc.tags == ("敬老", "志愿服务")
    build_search_index([doc], tmp_path)
    manifest = json.loads((tmp_path / "search" / "manifest.json").read_text("utf-8"))

    def posting(term):
        shard = tmp_path / "search" / "shards" / f"{term_hash(term) % manifest['shards']}.json"
        index = dict(json.loads(shard.read_text("utf-8"))["invertedIndex"])
        return index.get(term)

    assert posting("敬老")["title"] and not posting("敬老")["text"]
    assert posting("agm")["text"]
    assert posting("党")["title"]  # one character alone
