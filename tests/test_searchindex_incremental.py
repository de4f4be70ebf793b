"""Incremental search index builds: reuse what did not change, and equal a cold build."""

from __future__ import annotations

import random
from pathlib import Path

from tongxin.search import SearchDoc, build_search_index
from tongxin.tokenizer import index_terms

PHRASES = "网络党建 两学一做 乡村振兴 志愿服务 主题教育 组织生活会 疫情防控 Notice COVID-19".split()


def _docs(n: int, seed: int = 3) -> list[SearchDoc]:
    rng = random.Random(seed)
    return [
        SearchDoc(
            id=f"https://b{i % 5}.example.org/news/e{i}/",
            url=f"/news/e{i}/",
            title="".join(rng.choice(PHRASES) for _ in range(2)),
            text="，".join(rng.choice(PHRASES) for _ in range(rng.randint(3, 12))),
            branch=f"第{i % 5}支部",
            type=rng.choice(["news", "study"]),
            date=f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        )
        for i in range(n)
    ]


def _files(out: Path) -> dict[str, bytes]:
    root = out / "search"
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_an_incremental_build_equals_a_cold_build(tmp_path):
    docs = _docs(60)
    cache = tmp_path / "cache"
    build_search_index(docs, tmp_path / "warm", cache_dir=cache, shards=32)
    changed = docs[1:]  # one removed
    changed[5] = SearchDoc(**{**changed[5].__dict__, "text": "改写后的正文：网络党建"})
    changed.append(
        SearchDoc(
            "https://b9.example.org/news/new/",
            "/news/new/",
            "新条目",
            "两学一做",
            "第9支部",
            "news",
            "2026-01-01",
        )
    )
    stats = build_search_index(changed, tmp_path / "warm", cache_dir=cache, shards=32)
    build_search_index(changed, tmp_path / "cold", shards=32)
    assert _files(tmp_path / "warm") == _files(tmp_path / "cold")
    assert stats.tokenized == 2  # the changed entry and the new one
    assert stats.reused > 0


def test_adding_one_entry_rebuilds_only_the_shards_of_its_terms(tmp_path):
    docs = _docs(200)
    cache = tmp_path / "cache"
    first = build_search_index(docs, tmp_path / "out", cache_dir=cache, shards=256)
    assert first.reused == 0
    new = SearchDoc(
        "https://x.example.org/a/", "/a/", "独有标题", "罕见词语", "第1支部", "news", "2025-06-01"
    )
    again = build_search_index([*docs, new], tmp_path / "out", cache_dir=cache, shards=256)
    # its terms as the index keeps them: tokens, and each CJK character alone
    own_terms = set(index_terms(new.title)) | set(index_terms(new.text)) | {"b:第1支部", "t:news"}
    meta_blocks = 1
    assert again.built <= len(own_terms) + meta_blocks
    assert again.reused >= 256 - len(own_terms)
    assert again.tokenized == 1


def test_an_unchanged_rebuild_links_every_file_from_the_cache(tmp_path):
    docs = _docs(30)
    cache = tmp_path / "cache"
    build_search_index(docs, tmp_path / "out", cache_dir=cache)
    before = _files(tmp_path / "out")
    stats = build_search_index(docs, tmp_path / "out", cache_dir=cache)
    assert stats.built == 0 and stats.tokenized == 0
    assert _files(tmp_path / "out") == before
    shard = tmp_path / "out" / "search" / "shards" / "0.json"
    assert shard.stat().st_nlink == 2  # the output file is the cached one (hard link)


def test_the_cache_keeps_only_what_the_last_build_used(tmp_path):
    cache = tmp_path / "cache"
    build_search_index(_docs(30, seed=1), tmp_path / "out", cache_dir=cache, shards=4)
    build_search_index(_docs(30, seed=2), tmp_path / "out", cache_dir=cache, shards=4)
    names = {p.name for p in (cache / "files").iterdir()}
    used = {p.stat().st_ino for p in (tmp_path / "out" / "search").rglob("*.json")}
    assert {p.stat().st_ino for p in (cache / "files").iterdir()} <= used
    assert len(names) == len(list((tmp_path / "out" / "search").glob("[sm]*/*.json")))


def test_new_texts_go_to_a_small_terms_file_until_they_are_many(tmp_path):
    docs = _docs(80)
    cache = tmp_path / "cache"
    build_search_index(docs, tmp_path / "out", cache_dir=cache, shards=8)
    base = (cache / "terms.marshal").read_bytes()
    new = SearchDoc(
        "https://b.example.org/n/", "/n/", "新标题", "新正文", "第1支部", "news", "2025-01-02"
    )
    stats = build_search_index([*docs, new], tmp_path / "out", cache_dir=cache, shards=8)
    assert stats.tokenized == 1
    assert (cache / "terms.marshal").read_bytes() == base  # the big file is not rewritten
    assert (cache / "terms-new.marshal").exists()
    again = build_search_index([*docs, new], tmp_path / "out", cache_dir=cache, shards=8)
    assert again.tokenized == 0  # both files were read
    # many new texts: everything is folded into a fresh base file
    build_search_index(_docs(80, seed=9), tmp_path / "out", cache_dir=cache, shards=8)
    assert not (cache / "terms-new.marshal").exists()


def test_trigrams_come_from_the_cache_and_equal_a_cold_build(tmp_path):
    # bigrams in 40 postings or more are extended: their trigrams are cached by text
    knobs = {"shards": 16, "hot_postings": 20, "extend_postings": 40}
    docs = _docs(80)
    cache = tmp_path / "cache"
    build_search_index(docs, tmp_path / "warm", cache_dir=cache, **knobs)
    base = (cache / "trigrams.marshal").read_bytes()
    new = SearchDoc("https://b.example.org/n/", "/n/", "网络党建新进展", "乡村振兴", "第1支部")
    build_search_index([*docs, new], tmp_path / "warm", cache_dir=cache, **knobs)
    build_search_index([*docs, new], tmp_path / "cold", **knobs)
    assert _files(tmp_path / "warm") == _files(tmp_path / "cold")
    assert (cache / "trigrams.marshal").read_bytes() == base  # the new text's trigrams: aside
    assert (cache / "trigrams-new.marshal").exists()
    # another set of extended bigrams (a higher threshold): no trigram of the old set is kept
    fewer = {**knobs, "extend_postings": 60}
    build_search_index([*docs, new], tmp_path / "warm", cache_dir=cache, **fewer)
    build_search_index([*docs, new], tmp_path / "cold", **fewer)
    assert _files(tmp_path / "warm") == _files(tmp_path / "cold")
    assert (cache / "trigrams.marshal").read_bytes() != base
