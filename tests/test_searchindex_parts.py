"""Hot buckets written as parts, and every shard file equal to the reference lunr writer
(without field vectors: the search page scores from the postings)."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

from tongxin.search import FIELDS, SearchDoc, build_search_index
from tongxin.search.format import ShardWriter, prepare
from tongxin.search.refs import PART_KEYS, ref_number
from tongxin.tokenizer import is_cjk, stem, term_hash, tokenize

PHRASES = "网络党建 两学一做 乡村振兴 志愿服务 主题教育 组织生活会 疫情防控 Notice COVID-19".split()


def _docs(n: int, seed: int = 5, branches: int = 7) -> list[SearchDoc]:
    rng = random.Random(seed)
    return [
        SearchDoc(
            id=f"https://b{i % branches}.example.org/news/e{i}/",
            url=f"/news/e{i}/",
            title="".join(rng.choice(PHRASES) for _ in range(2)),
            text="，".join(rng.choice(PHRASES) for _ in range(rng.randint(3, 12))),
            branch=f"第{i % branches}支部",
            type=rng.choice(["news", "study"]),
            date=f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        )
        for i in range(n)
    ]


def _base36(number: int) -> str:
    digits = ""
    for _ in range(7):
        number, rest = divmod(number, 36)
        digits = "0123456789abcdefghijklmnopqrstuvwxyz"[rest] + digits
    return digits


def _read(path: Path):
    return json.loads(path.read_text("utf-8"))


def _refs(out: Path) -> dict[str, str]:
    """url -> ref, from the meta blocks."""
    refs = {}
    for block in (out / "search" / "meta").glob("*.json"):
        for ref, row in _read(block).items():
            refs[row[0]] = ref
    return refs


def _positions(text: str, extended: frozenset[str] = frozenset()) -> dict[str, list[int]]:
    # the tokens at their positions; after the bigrams of each CJK run, each of its
    # characters at its own (terms in order of first appearance, as the builder numbers them);
    # after them all, the trigrams of two bigrams of a run, one of them extended, at the
    # first's position
    out: dict[str, list[int]] = {}
    trigrams: dict[str, list[int]] = {}
    tokens = tokenize(text)
    run: list[tuple[int, str]] = []

    def flush() -> None:
        for at, char in [*((i, t[0]) for i, t in run), (run[-1][0] + 1, run[-1][1][1])]:
            if at not in out.setdefault(char, []):
                out[char].append(at)
        for (at, one), (_next, two) in zip(run, run[1:], strict=False):
            if one in extended or two in extended:
                trigrams.setdefault(one + two[1], []).append(at)
        run.clear()

    for i, term in enumerate(tokens):
        cjk = len(term) == 2 and all(is_cjk(c) for c in term)
        if run and not (cjk and run[-1][0] == i - 1 and run[-1][1][1] == term[0]):
            flush()
        out.setdefault(term, []).append(i)
        if cjk:
            run.append((i, term))
    if run:
        flush()
    # words of letters joined by hyphens, written as one, where the first begins
    for match in re.finditer(r"[a-z0-9]+(?:-[a-z0-9]+)+", text.lower()):
        parts = match.group().split("-")
        if all(re.search("[a-z]", part) for part in parts):
            at = len(tokenize(text[: match.start()]))
            where = out.setdefault(stem("".join(parts)), [])
            if at not in where:
                where.append(at)
    return {term: sorted(where) for term, where in [*out.items(), *trigrams.items()]}


def _expected_shards(docs: list[SearchDoc], out: Path) -> dict[str, bytes]:
    """Each shard file as a one-shard writer makes it from its own documents."""
    manifest = _read(out / "search" / "manifest.json")
    shards, parts = manifest["shards"], {int(k): v for k, v in manifest["parts"].items()}
    hot = {term: code & 63 for term, code in manifest["hot"].items()}  # parts (no flags)
    extended = frozenset(term for term, code in manifest["hot"].items() if code & 128)
    refs = _refs(out)
    rows = sorted(((refs[d.url], d) for d in docs), reverse=True)  # newest first, as built
    keys = [ref_number(ref) % PART_KEYS for ref, _ in rows]
    by_name: dict[str, list] = {}
    for (ref, doc), key in zip(rows, keys, strict=True):
        fields = {
            "title": _positions(doc.title, extended),
            "text": _positions(doc.text, extended),
            "f": {f"b:{doc.branch}": [0], f"t:{doc.type}": [1]},
        }
        split: dict[str, dict[str, dict[str, list[int]]]] = {}
        for field, terms in fields.items():
            for term, where in terms.items():
                if term in hot:  # a file of its own, named by the term's hash
                    h = f"h{_base36(term_hash(term))}"
                    name = f"{h}-{key % hot[term]}" if hot[term] else h
                else:
                    k = term_hash(term) % shards
                    name = f"{k}-{key % parts[k]}" if k in parts else str(k)
                split.setdefault(name, {}).setdefault(field, {})[term] = where
        for name, by_field in split.items():
            by_name.setdefault(name, []).append((ref, by_field))
    expected = {}
    for name, members in by_name.items():
        alone = ShardWriter(FIELDS, [0])  # one shard: what lunr.py builds (test_search_format)
        for ref, by_field in members:
            alone.add(ref, [prepare(by_field.get(field) or {}) for field in FIELDS])
        expected[f"{name}.json"] = alone.serialise(0).encode("utf-8")
    return expected


def test_every_shard_file_equals_the_reference_writer_on_its_own_documents(tmp_path):
    docs = _docs(120)
    build_search_index(docs, tmp_path, shards=8, split_postings=150)
    expected = _expected_shards(docs, tmp_path)
    written = {p.name: p.read_bytes() for p in (tmp_path / "search" / "shards").iterdir()}
    assert any("-" in name for name in written)  # some buckets were split
    assert {n: written[n] for n in expected} == expected
    # the rest are parts with no document of their key: empty lunr indexes
    for name in set(written) - set(expected):
        assert _read(tmp_path / "search" / "shards" / name)["invertedIndex"] == []


def test_a_hot_bucket_is_split_by_the_branch_key_of_each_ref(tmp_path):
    docs = _docs(150)
    build_search_index(docs, tmp_path, shards=4, split_postings=200)
    manifest = _read(tmp_path / "search" / "manifest.json")
    assert manifest["parts"]  # bucket -> number of parts (a power of two)
    for k, count in manifest["parts"].items():
        assert count & (count - 1) == 0 and 2 <= count <= PART_KEYS
        assert not (tmp_path / "search" / "shards" / f"{k}.json").exists()
        for part in range(count):
            index = _read(tmp_path / "search" / "shards" / f"{k}-{part}.json")
            for _term, posting in index["invertedIndex"]:
                for field in FIELDS:
                    assert all(ref_number(ref) % count == part for ref in posting[field])
    # one branch, one key: all of a branch's entries sit in the same part of a bucket
    by_branch: dict[str, set[int]] = {}
    refs = _refs(tmp_path)
    for doc in docs:
        by_branch.setdefault(doc.branch, set()).add(ref_number(refs[doc.url]) % PART_KEYS)
    assert all(len(keys) == 1 for keys in by_branch.values())


def test_a_split_build_with_the_cache_equals_a_cold_build_and_touches_one_part(tmp_path):
    docs = _docs(150)
    cache = tmp_path / "cache"
    first = build_search_index(
        docs, tmp_path / "warm", cache_dir=cache, shards=4, split_postings=200
    )
    # one branch rewrites its entries
    changed = [
        SearchDoc(**{**d.__dict__, "text": d.text + "，网络党建"}) if d.branch == "第3支部" else d
        for d in docs
    ]
    again = build_search_index(
        changed, tmp_path / "warm", cache_dir=cache, shards=4, split_postings=200
    )
    build_search_index(changed, tmp_path / "cold", shards=4, split_postings=200)

    def files(out: Path) -> dict[str, bytes]:
        root = out / "search"
        return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}

    assert files(tmp_path / "warm") == files(tmp_path / "cold")
    manifest = _read(tmp_path / "cold" / "search" / "manifest.json")
    split_files = sum(manifest["parts"].values())
    # a split bucket rebuilds only the part of the changed branch
    assert again.built < first.built - split_files // 2


def test_a_frequent_term_has_files_of_its_own_equal_to_the_reference_writer(tmp_path):
    docs = _docs(120)
    build_search_index(docs, tmp_path, shards=8, split_postings=60, hot_postings=40)
    manifest = _read(tmp_path / "search" / "manifest.json")
    parts = [code & 63 for code in manifest["hot"].values()]
    assert any(parts) and not all(parts)  # split and whole
    # (f…: first-screen files of the commonest terms, not lunr indexes)
    written = {
        p.name: p.read_bytes()
        for p in (tmp_path / "search" / "shards").iterdir()
        if not p.name.startswith("f")
    }
    expected = _expected_shards(docs, tmp_path)
    assert any(name.startswith("h") for name in expected)
    assert {n: written[n] for n in expected} == expected
    # no bucket holds a hot term: a query for one downloads that term's postings only
    for name, data in written.items():
        terms = {t for t, _ in json.loads(data)["invertedIndex"]}
        if not name.startswith("h"):
            assert not terms & set(manifest["hot"]), name


def test_a_term_turning_frequent_with_the_cache_equals_a_cold_build(tmp_path):
    docs = _docs(150)
    cache = tmp_path / "cache"
    options = {"shards": 4, "split_postings": 200, "hot_postings": 60}
    build_search_index(docs, tmp_path / "warm", cache_dir=cache, **options)
    hot_before = _read(tmp_path / "warm" / "search" / "manifest.json")["hot"]
    # entries of four branches gain a term that crosses the threshold
    changed = [
        SearchDoc(**{**d.__dict__, "text": d.text + "，垃圾分类"})
        if d.branch in ("第1支部", "第2支部", "第3支部", "第4支部")
        else d
        for d in docs
    ]
    build_search_index(changed, tmp_path / "warm", cache_dir=cache, **options)
    build_search_index(changed, tmp_path / "cold", **options)

    def files(out: Path) -> dict[str, bytes]:
        root = out / "search"
        return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}

    assert "垃圾" in _read(tmp_path / "cold" / "search" / "manifest.json")["hot"]
    assert "垃圾" not in hot_before
    assert files(tmp_path / "warm") == files(tmp_path / "cold")


def test_trigrams_of_extended_bigrams_equal_the_reference_writer(tmp_path):
    # bigrams in 96 postings or more (those of 乡村振兴 and 组织生活会) are extended: their
    # trigrams are terms too; the other common ones (网络党建: 87) are hot, not extended
    docs = _docs(120)
    options = {"shards": 8, "split_postings": 150, "hot_postings": 40, "extend_postings": 96}
    build_search_index(docs, tmp_path, **options)
    manifest = _read(tmp_path / "search" / "manifest.json")
    extended = {term for term, code in manifest["hot"].items() if code & 128}
    assert extended == {"乡村", "村振", "振兴", "组织", "织生", "生活", "活会"}
    assert {"网络", "党建", "两学"} <= set(manifest["hot"])
    written = {p.name: p.read_bytes() for p in (tmp_path / "search" / "shards").iterdir()}
    expected = _expected_shards(docs, tmp_path)
    assert {n: written[n] for n in expected} == expected
    lunr_files = [json.loads(data) for name, data in written.items() if not name.startswith("f")]
    terms = {term for data in lunr_files for term, _posting in data["invertedIndex"]}
    assert {"乡村振", "村振兴", "组织生", "织生活", "生活会"} <= terms
    assert "网络党" not in terms and "两学一" not in terms
    # a trigram is indexed where its field says it (not across 服务，网络) and only there
    by_ref = {ref: doc for doc in docs for url, ref in _refs(tmp_path).items() if url == doc.url}
    trigrams = 0
    for data in lunr_files:
        for term, posting in data["invertedIndex"]:
            if len(term) != 3 or not all(map(is_cjk, term)):
                continue
            assert term[:2] in extended or term[1:] in extended, term
            for field in ("title", "text"):
                for ref in posting[field]:
                    trigrams += 1
                    assert term in getattr(by_ref[ref], field), (term, field, ref)
    assert trigrams > 500


def test_a_trigram_sits_at_its_first_bigram_in_the_same_run():
    from tongxin.tokenizer import index_terms, trigram_terms

    text = "互联网+平台：C++ 與網絡黨建2026年度网络，党建工作𠀀𠀁网络"
    common = {"网络", "党建", "联网"}
    trigrams = trigram_terms(text, common)
    bigrams = index_terms(text)
    # folded first (與網絡黨建: 与网络党建); 年度网 and 建工作 hold no extended bigram
    expected = {"互联网", "与网络", "网络党", "络党建", "度网络", "党建工", "𠀁网络"}
    assert set(trigrams) == expected
    for term, where in trigrams.items():
        assert len(term) == 3
        for at in where:  # ab at p and bc at p + 1: one run, read from the tokens' positions
            assert at in bigrams[term[:2]] and at + 1 in bigrams[term[1:]], (term, at)
    # a run ending at a digit, a comma or a symbol has no trigram across it
    assert not {"建20", "络，党", "网+平"} & set(trigrams)
