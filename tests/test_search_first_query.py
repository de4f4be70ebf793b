"""What a first query downloads from a small index (issue 13: ≤ 40 kB gzip on slow 3G, page
and scripts included): the fold table's parts and the shards a query's terms fall in stay
small, and the page's preload asks for the parts the build writes."""

from __future__ import annotations

import gzip
import json
import random
import re
from pathlib import Path

from tongxin.fold import load_table
from tongxin.search import SearchDoc, build_search_index
from tongxin.search.extras import T2S_PARTS
from tongxin.tokenizer import term_hash, tokenize

ROOT = Path(__file__).resolve().parent.parent


def _gz(path: Path) -> int:
    return len(gzip.compress(path.read_bytes(), 6))


def _docs(n: int) -> list[SearchDoc]:
    """Entries of about 300 characters drawn from the OpenCC table's Traditional characters
    (text the team did not write), in runs of 2-6 as words are."""
    rng = random.Random(13)
    chars = sorted(load_table())
    docs = []
    for i in range(n):
        runs = ["".join(rng.choice(chars) for _ in range(rng.randint(2, 6))) for _ in range(70)]
        docs.append(
            SearchDoc(
                f"d{i}",
                f"/e/{i}/",
                "".join(runs[:2]),
                "，".join(runs[2:]),
                f"第{i % 7}支部",
                "news",
                f"202{i % 6}-0{1 + i % 9}-1{i % 10}",
            )
        )
    return docs


def test_the_preload_asks_for_the_fold_parts_the_build_writes(tmp_path: Path):
    build_search_index(_docs(5), tmp_path)
    search = tmp_path / "search"
    assert json.loads((search / "manifest.json").read_text("utf-8"))["t2sParts"] == T2S_PARTS
    assert len(list((search / "t2s").glob("*.json"))) == T2S_PARTS
    preload = (ROOT / "theme" / "static" / "js" / "search-preload.js").read_text("utf-8")
    assert re.findall(r"codePointAt\(0\) % (\d+)", preload) == [str(T2S_PARTS)]


def test_each_fold_part_costs_a_query_character_a_few_hundred_bytes(tmp_path: Path):
    build_search_index(_docs(5), tmp_path)
    sizes = [_gz(p) for p in (tmp_path / "search" / "t2s").glob("*.json")]
    # 64 parts were about 700 bytes each: a seven-character query paid 5 kB for them
    assert max(sizes) <= 400, max(sizes)


def test_a_small_index_has_small_shards_so_a_long_query_fetches_little(tmp_path: Path):
    docs = _docs(25)  # about the demo portal's 13,000 postings
    stats = build_search_index(docs, tmp_path)
    assert 10_000 <= stats.postings <= 16_000, stats.postings
    search = tmp_path / "search"
    shards = json.loads((search / "manifest.json").read_text("utf-8"))["shards"]
    assert shards >= 128  # 32 before: 2.4 kB gzip a bucket
    # a six-bigram query typed from an entry: its shard files, compressed
    query = docs[17].text[40:47]
    files = {search / "shards" / f"{term_hash(t) % shards}.json" for t in tokenize(query)}
    assert len(files) >= 3
    total = sum(_gz(f) for f in files)
    assert total <= 1600 * len(files), total
