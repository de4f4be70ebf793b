"""tongxin.search.format: the shard writer writes what lunr.py's builder serialises (the
library is the reference), with empty field vectors, one shard per term route."""

from __future__ import annotations

import json
import random

import pytest
from lunr.builder import Builder

from tongxin.search.format import ShardWriter, prepare

WORDS = "网络 络党 党建 两学 学一 一做 covid 2026 乡村 振兴 a b c d e f g".split()


def _corpus(seed: int = 1, size: int = 80) -> list[dict[str, str]]:
    rng = random.Random(seed)

    def words(low: int, high: int) -> str:
        return " ".join(rng.choice(WORDS) for _ in range(rng.randint(low, high)))

    return [{"id": f"d{i}", "title": words(1, 4), "text": words(1, 40)} for i in range(size)]


def _positions(text: str) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for i, term in enumerate(text.split()):
        out.setdefault(term, []).append(i)
    return out


def _lunr_py(docs: list[dict[str, str]]) -> str:
    """lunr.py's Builder with an empty pipeline, each token's position kept as metadata,
    serialised as the shards are: without field vectors."""
    builder = Builder()
    builder.ref("id")
    builder.field("title")
    builder.field("text")
    builder.metadata_whitelist = ["index"]
    for doc in docs:
        builder.add(doc)
    index = builder.build().serialize()
    index["fieldVectors"] = []
    return json.dumps(index, ensure_ascii=False, separators=(",", ":"))


def _add(writer: ShardWriter, doc: dict[str, str], shard_of=None, key: int = 0) -> None:
    fields = [prepare(_positions(doc["title"])), prepare(_positions(doc["text"]))]
    writer.add(doc["id"], fields, shard_of, key)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_writer_serialises_what_lunr_py_builds(seed):
    docs = _corpus(seed)
    writer = ShardWriter(["title", "text"], [0], metadata_key="index")
    for doc in docs:
        _add(writer, doc)
    assert writer.serialise(0) == _lunr_py(docs)


def test_one_pass_over_the_documents_writes_every_shard_as_its_own_index():
    docs = _corpus(5, size=60)
    shard_of: dict = {term: i % 3 for i, term in enumerate(sorted(set(WORDS)))}
    shard_of["a"] = (0, 1, 2)  # a split term: its shard depends on the document's key
    writer = ShardWriter(["title", "text"], range(3), metadata_key="index")
    for i, doc in enumerate(docs):
        _add(writer, doc, shard_of, key=i % 3)

    def route(term: str, i: int) -> int:
        found = shard_of[term]
        return found if isinstance(found, int) else found[i % 3]

    for k in range(3):
        alone = ShardWriter(["title", "text"], [0], metadata_key="index")
        for i, doc in enumerate(docs):
            fields = [
                {t: p for t, p in _positions(doc[field]).items() if route(t, i) == k}
                for field in ("title", "text")
            ]
            if any(fields):
                alone.add(doc["id"], [prepare(f) for f in fields])
        assert writer.serialise(k) == alone.serialise(0)


def test_a_made_summary_is_not_indexed_again_before_the_text() -> None:
    """A summary that is the text's head cut with " …" (what the reader makes) adds nothing:
    the text field and the excerpt hold the text once; a written summary comes first."""
    from tongxin.search.model import SearchDoc, body_field, excerpt

    text = "基本情况 群众健康主题党日 建议老人改造网格员走访"
    made = SearchDoc("a", "/a/", "标题", text, "支部", "news", None, "基本情况 群众健康主题 …")
    assert body_field(made) == text
    assert excerpt(made, 200) == text
    written = SearchDoc("b", "/b/", "标题", text, "支部", "news", None, "AGM 年会")
    assert body_field(written) == f"AGM 年会\n{text}"


def test_a_written_summary_keeps_its_full_stop_in_the_excerpt() -> None:
    """A reader's trial: English results read "…how to join The Riverside Tech Workers'
    Union…", two sentences run together (the full stop was dropped with the ellipsis that a
    cut summary ends in)."""
    from tongxin.search.model import SearchDoc, excerpt

    text = "The Riverside Tech Workers' Union was founded in 1998."
    written = SearchDoc("a", "/a/", "About", text, summary="Who we are and how to join.")
    assert excerpt(written, 200) == f"Who we are and how to join. {text}"
    cut = SearchDoc("b", "/b/", "About", text, summary="Who we are and how …")
    assert excerpt(cut, 200) == f"Who we are and how {text}"
