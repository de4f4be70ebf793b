"""tongxin.searchindex: the files the search page reads, and the lunr.js round trip."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tongxin.searchindex import SearchDoc, build_search_index
from tongxin.tokenizer import term_hash

ROOT = Path(__file__).resolve().parents[1]

DOCS = [
    SearchDoc("1", "/news/old/", "旧闻", "网络党建起步", "一支部", "news", "2020-01-01"),
    SearchDoc("2", "/news/new/", "新闻", "網絡黨建深化", "二支部", "news", "2026-02-01"),
    SearchDoc("3", "/study/mid/", "学习", "两学一做", "一支部", "study", "2024-06-30"),
]


def _read(path: Path):
    return json.loads(path.read_text("utf-8"))


def test_manifest_lists_facets_and_year_ranges_newest_first(tmp_path):
    stats = build_search_index(DOCS, tmp_path, shards=4)
    manifest = _read(tmp_path / "search" / "manifest.json")
    assert manifest["shards"] == stats.shards == 4
    assert manifest["docs"] == 3
    assert manifest["branches"] == ["一支部", "二支部"]
    assert manifest["types"] == ["news", "study"]
    # documents are numbered newest first: 2026 is 0, 2024 is 1, 2020 is 2
    assert manifest["years"] == {"2026": [0, 0], "2024": [1, 1], "2020": [2, 2]}


def test_each_term_lives_only_in_its_hash_shard(tmp_path):
    build_search_index(DOCS, tmp_path, shards=8)
    for k in range(8):
        shard = _read(tmp_path / "search" / "shards" / f"{k}.json")
        for term, _posting in shard["invertedIndex"]:
            assert term_hash(term) % 8 == k


def test_postings_keep_positions_and_the_pipeline_is_empty(tmp_path):
    build_search_index(DOCS, tmp_path, shards=1)
    shard = _read(tmp_path / "search" / "shards" / "0.json")
    assert shard["pipeline"] == []  # no trimmer/stemmer/stop words: CJK tokens survive
    postings = dict(shard["invertedIndex"])
    # 網絡黨建 was folded: 络党 is the second bigram of document 0's text
    assert postings["络党"]["text"] == {"0": {"p": [1]}, "2": {"p": [1]}}
    assert "網絡" not in postings


def test_metadata_is_split_into_blocks(tmp_path):
    build_search_index(DOCS, tmp_path, meta_block=2, shards=1)
    first = _read(tmp_path / "search" / "meta" / "0.json")
    second = _read(tmp_path / "search" / "meta" / "1.json")
    assert [row[0] for row in first] == ["/news/new/", "/study/mid/"]
    assert [row[0] for row in second] == ["/news/old/"]
    assert first[0][4] == "2026-02-01"


def test_rebuild_removes_stale_shards(tmp_path):
    build_search_index(DOCS, tmp_path, shards=8)
    build_search_index(DOCS, tmp_path, shards=2)
    assert sorted(p.name for p in (tmp_path / "search" / "shards").iterdir()) == [
        "0.json",
        "1.json",
    ]


def test_browser_table_is_written_next_to_the_index(tmp_path):
    build_search_index(DOCS, tmp_path)
    assert _read(tmp_path / "search" / "t2s.json")["網"] == "网"


@pytest.mark.skipif(shutil.which("node") is None, reason="node is needed for lunr.js")
def test_lunr_js_queries_what_lunr_py_built():
    # tests/js/ holds the node side: the shared tokenizer vectors and the index round trip.
    result = subprocess.run(
        ["node", "--test", str(ROOT / "tests" / "js")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def test_a_site_without_entries_still_gets_a_loadable_index(tmp_path):
    stats = build_search_index([], tmp_path)
    assert stats.docs == 0
    assert _read(tmp_path / "search" / "manifest.json")["docs"] == 0
    assert _read(tmp_path / "search" / "shards" / "0.json")["invertedIndex"] == []
