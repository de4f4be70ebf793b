"""tongxin.search: the files the search page reads, and the lunr.js round trip."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tongxin.search import SearchDoc, build_search_index
from tongxin.search.refs import assign_refs, base_ref, day_number, part_key, ref_number
from tongxin.tokenizer import term_hash

ROOT = Path(__file__).resolve().parents[1]

DOCS = [
    SearchDoc("1", "/news/old/", "旧闻", "网络党建起步", "一支部", "news", "2020-01-01"),
    SearchDoc("2", "/news/new/", "新闻", "網絡黨建深化", "二支部", "news", "2026-02-01"),
    SearchDoc("3", "/study/mid/", "学习", "两学一做", "一支部", "study", "2024-06-30"),
]


def _day36(iso: str) -> str:
    n, out = day_number(iso), ""
    for _ in range(3):
        n, r = divmod(n, 36)
        out = "0123456789abcdefghijklmnopqrstuvwxyz"[r] + out
    return out


def _read(path: Path):
    return json.loads(path.read_text("utf-8"))


def _refs(tmp_path: Path) -> dict[str, str]:
    """url -> ref, read back from the meta blocks."""
    out = {}
    for block in (tmp_path / "search" / "meta").glob("*.json"):
        for ref, row in _read(block).items():
            out[row[0]] = ref
    return out


def test_manifest_lists_facets_and_year_ranges_of_numbers(tmp_path):
    stats = build_search_index(DOCS, tmp_path, shards=4)
    manifest = _read(tmp_path / "search" / "manifest.json")
    assert manifest["shards"] == stats.shards == 4
    assert manifest["docs"] == 3
    assert manifest["branches"] == ["一支部", "二支部"]
    assert manifest["types"] == ["news", "study"]
    assert list(manifest["years"]) == ["2026", "2024", "2020"]
    numbers = {url: ref_number(ref) for url, ref in _refs(tmp_path).items()}
    for url, year in (("/news/new/", "2026"), ("/study/mid/", "2024"), ("/news/old/", "2020")):
        low, high = manifest["years"][year]
        assert low <= numbers[url] <= high
    # a bigger number is a later date: "newest first" is a sort by number
    assert numbers["/news/new/"] > numbers["/study/mid/"] > numbers["/news/old/"]


def test_refs_depend_only_on_date_and_id():
    days = [day_number("2026-02-01"), day_number("2026-02-01"), 0]
    refs = assign_refs(days, ["a", "b", "c"])
    assert all(len(r) == 6 for r in refs)
    assert refs[0][:3] == refs[1][:3] == _day36("2026-02-01")
    # adding entries (even on the same day) leaves the others' refs alone
    more = assign_refs([days[0], *days, day_number("2027-01-01")], ["z", "a", "b", "c", "y"])
    assert more[1:4] == refs


def _colliding_ids(day: int, key: int) -> list[str]:
    """Two ids of one base (day and hash) in a branch (birthday: a few dozen tries)."""
    seen: dict[str, str] = {}
    for i in range(100_000):
        doc_id = f"id{i}"
        base = base_ref(day, doc_id, key)
        if base in seen:
            return [seen[base], doc_id]
        seen[base] = doc_id
    raise AssertionError("no collision found")


def test_colliding_ids_on_one_day_get_a_suffix_in_order_of_id():
    day = day_number("2025-05-05")
    pair = _colliding_ids(day, part_key(""))
    refs = assign_refs([day, day], pair)
    first, second = sorted(pair)
    by_id = dict(zip(pair, refs, strict=True))
    assert by_id[second] == by_id[first] + ".1"
    assert ref_number(by_id[second]) == ref_number(by_id[first])  # parseInt stops at the dot
    assert assign_refs([day, day], pair[::-1]) == refs[::-1]  # not order-dependent


def test_any_number_of_documents_fit_on_one_day():
    day = day_number("2026-03-01")
    refs = assign_refs([day] * 20_000, [f"e{i}" for i in range(20_000)])
    assert len(set(refs)) == 20_000
    assert {r[:3] for r in refs} == {_day36("2026-03-01")}


def test_each_term_lives_only_in_its_hash_shard(tmp_path):
    build_search_index(DOCS, tmp_path, shards=8)
    for k in range(8):
        shard = _read(tmp_path / "search" / "shards" / f"{k}.json")
        for term, _posting in shard["invertedIndex"]:
            assert term_hash(term) % 8 == k


def test_postings_keep_positions_and_the_pipeline_is_empty(tmp_path):
    build_search_index(DOCS, tmp_path, shards=1)
    refs = _refs(tmp_path)
    shard = _read(tmp_path / "search" / "shards" / "0.json")
    assert shard["pipeline"] == []  # no trimmer/stemmer/stop words: CJK tokens survive
    postings = dict(shard["invertedIndex"])
    # 網絡黨建 was folded: 络党 is the second bigram of both texts
    assert postings["络党"]["text"] == {
        refs["/news/new/"]: {"p": [1]},
        refs["/news/old/"]: {"p": [1]},
    }
    assert "網絡" not in postings
    assert set(postings["b:一支部"]["f"]) == {refs["/news/old/"], refs["/study/mid/"]}
    assert set(postings["t:study"]["f"]) == {refs["/study/mid/"]}


def test_metadata_blocks_are_keyed_by_ref(tmp_path):
    build_search_index(DOCS, tmp_path, meta_block=2, shards=1)
    manifest = _read(tmp_path / "search" / "manifest.json")
    refs = _refs(tmp_path)
    assert sorted(refs) == ["/news/new/", "/news/old/", "/study/mid/"]
    for url, ref in refs.items():
        block = _read(
            tmp_path / "search" / "meta" / f"{ref_number(ref) // manifest['metaWidth']}.json"
        )
        assert block[ref][0] == url
    row = _read(
        tmp_path
        / "search"
        / "meta"
        / f"{ref_number(refs['/news/new/']) // manifest['metaWidth']}.json"
    )
    assert row[refs["/news/new/"]][2:5] == ["二支部", "news", "2026-02-01"]


def test_rebuild_removes_stale_shards(tmp_path):
    build_search_index(DOCS, tmp_path, shards=8)
    build_search_index(DOCS, tmp_path, shards=2)
    assert sorted(p.name for p in (tmp_path / "search" / "shards").iterdir()) == [
        "0.json",
        "1.json",
    ]


def test_browser_table_is_written_next_to_the_index_as_pairs(tmp_path):
    from tongxin.fold import load_table

    build_search_index(DOCS, tmp_path)
    pairs = _read(tmp_path / "search" / "t2s.json")  # "TSTS…", one code point each
    assert "網网" in pairs
    assert dict(zip(pairs[::2], pairs[1::2], strict=True)) == dict(load_table())


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
