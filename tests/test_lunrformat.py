"""tongxin.lunrformat against lunr.py's own Builder: same serialised index, same lunr.js answers."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from pathlib import Path

import pytest
from lunr.builder import Builder

from tongxin.lunrformat import ShardWriter, build_lunr_index, prepare, serialise_lunr_index

ROOT = Path(__file__).resolve().parents[1]
WORDS = "网络 络党 党建 两学 学一 一做 covid 2026 乡村 振兴 a b c d e f g".split()
QUERIES = [
    "网络",
    "党建 网络",
    "+党建 +网络",
    "title:covid",
    "text:a text:b",
    "2026 振兴",
    "g",
    "无",
]


def _corpus(seed: int = 1, size: int = 80) -> list[dict[str, str]]:
    rng = random.Random(seed)

    def words(low: int, high: int) -> str:
        return " ".join(rng.choice(WORDS) for _ in range(rng.randint(low, high)))

    return [{"id": f"d{i}", "title": words(1, 4), "text": words(1, 40)} for i in range(size)]


def _reference(docs: list[dict[str, str]]) -> dict:
    """lunr.py's Builder with an empty pipeline, keeping each token's index as metadata."""
    builder = Builder()
    builder.ref("id")
    builder.field("title")
    builder.field("text")
    builder.metadata_whitelist = ["index"]
    for doc in docs:
        builder.add(doc)
    return builder.build().serialize()


def _fast(docs: list[dict[str, str]]) -> dict:
    def positions(text: str) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        for i, term in enumerate(text.split()):
            out.setdefault(term, []).append(i)
        return out

    return build_lunr_index(
        ((d["id"], {"title": positions(d["title"]), "text": positions(d["text"])}) for d in docs),
        ["title", "text"],
        metadata_key="index",
    )


def _dump(index: dict) -> str:
    return json.dumps(index, ensure_ascii=False, separators=(",", ":"))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_fast_writer_serialises_exactly_what_lunr_py_builds(seed):
    docs = _corpus(seed)
    assert _dump(_fast(docs)) == _dump(_reference(docs))


def _positions(text: str) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for i, term in enumerate(text.split()):
        out.setdefault(term, []).append(i)
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_string_writer_is_byte_identical_to_lunr_py(seed):
    docs = _corpus(seed)
    fast = serialise_lunr_index(
        [(d["id"], {"title": _positions(d["title"]), "text": _positions(d["text"])}) for d in docs],
        ["title", "text"],
        metadata_key="index",
    )
    assert fast == _dump(_reference(docs))


def test_one_pass_over_the_documents_writes_every_shard_as_its_own_index():
    docs = _corpus(5, size=60)
    shard_of = {term: i % 3 for i, term in enumerate(sorted(set(WORDS)))}
    # a split term: its shard depends on the document's key
    shard_of["a"] = (0, 1, 2)
    writer = ShardWriter(["title", "text"], {0: 500, 1: 500, 2: 500})
    for i, d in enumerate(docs):
        fields = [prepare(_positions(d["title"])), prepare(_positions(d["text"]))]
        writer.add(d["id"], fields, shard_of, key=i % 3)
    for k in range(3):

        def mine(terms: dict[str, list[int]], i: int, k: int = k) -> dict[str, list[int]]:
            return {
                t: p
                for t, p in terms.items()
                if (shard_of[t] if isinstance(shard_of[t], int) else shard_of[t][i % 3]) == k
            }

        members = []
        for i, d in enumerate(docs):
            by_field = {
                "title": mine(_positions(d["title"]), i),
                "text": mine(_positions(d["text"]), i),
            }
            if any(by_field.values()):
                members.append((d["id"], by_field))
        expected = build_lunr_index(members, ["title", "text"], document_count=500)
        assert writer.serialise(k) == _dump(expected)


def test_collection_size_can_be_given_for_a_shard():
    docs = _corpus(size=10)
    small = _fast(docs)
    as_shard = build_lunr_index(
        [(d["id"], {"text": {w: [0] for w in d["text"].split()}}) for d in docs],
        ["title", "text"],
        document_count=1000,
    )
    assert as_shard["fields"] == small["fields"]
    # a term found in a few of 1000 documents weighs more than in a few of 10
    first = dict(small["fieldVectors"])["text/d0"][1]
    assert dict(as_shard["fieldVectors"])["text/d0"][1] > first
    assert "title/d0" not in dict(as_shard["fieldVectors"])  # empty fields get no vector


@pytest.mark.skipif(shutil.which("node") is None, reason="node is needed for lunr.js")
def test_lunr_js_answers_the_same_from_both_indexes(tmp_path):
    docs = _corpus(4)
    (tmp_path / "ref.json").write_text(_dump(_reference(docs)), "utf-8")
    (tmp_path / "fast.json").write_text(_dump(_fast(docs)), "utf-8")
    script = """
const lunr = require(process.argv[1]);
const fs = require("fs");
const out = {};
for (const name of ["ref", "fast"]) {
  const idx = lunr.Index.load(JSON.parse(fs.readFileSync(process.argv[2] + "/" + name + ".json")));
  out[name] = JSON.parse(process.argv[3]).map((q) =>
    idx.search(q).map((r) => [r.ref, r.score, Object.keys(r.matchData.metadata).sort()]));
}
process.stdout.write(JSON.stringify(out));
"""
    result = subprocess.run(
        [
            "node",
            "-e",
            script,
            str(ROOT / "node_modules" / "lunr"),
            str(tmp_path),
            json.dumps(QUERIES),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    answers = json.loads(result.stdout)
    assert answers["fast"] == answers["ref"]
    assert all(answers["fast"][i] for i in range(len(QUERIES) - 1))  # the queries do match
    assert answers["fast"][-1] == []


def test_a_writer_without_vectors_writes_the_same_postings_and_no_field_vectors():
    docs = _corpus(seed=4, size=40)
    shard_of = {term: i % 2 for i, term in enumerate(sorted(set(WORDS)))}
    full = ShardWriter(["title", "text"], {0: 100, 1: 100})
    lean = ShardWriter(["title", "text"], {0: 100, 1: 100}, vectors=False)
    for d in docs:
        for writer in (full, lean):
            fields = [prepare(_positions(d["title"])), prepare(_positions(d["text"]))]
            writer.add(d["id"], fields, shard_of)
    for k in range(2):
        expected = json.loads(full.serialise(k))
        assert expected["fieldVectors"]
        expected["fieldVectors"] = []
        assert lean.serialise(k) == _dump(expected)
