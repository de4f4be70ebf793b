import json
from pathlib import Path

import pytest

from tongxin import fold as fold_module
from tongxin.fold import fold, load_table

VECTORS = json.loads((Path(__file__).parent / "vectors" / "tokenizer.json").read_text("utf-8"))


@pytest.mark.parametrize("case", VECTORS["fold"], ids=lambda c: c["input"])
def test_fold_matches_shared_vectors(case):
    assert fold(case["input"]) == case["output"]


def test_fold_maps_one_character_to_one_character():
    table = load_table()
    assert len(table) > 2500  # OpenCC's TSCharacters holds thousands of pairs
    assert all(len(k) == 1 and len(v) == 1 for k, v in table.items())


def test_fold_is_idempotent():
    table = load_table()
    assert all(table.get(v, v) == v for v in table.values())


def test_regional_variants_fold_with_the_standard_traditional_form():
    assert fold("綫") == fold("線") == "线"


def test_table_is_cached_as_a_generated_file(tmp_path):
    load_table.cache_clear()
    try:
        table = load_table(tmp_path)
        cached = list(tmp_path.glob("t2s-*.json"))
        assert len(cached) == 1
        assert json.loads(cached[0].read_text("utf-8")) == dict(table)
    finally:
        load_table.cache_clear()


def test_js_table_is_compact_json(tmp_path):
    size = fold_module.write_js_table(tmp_path / "t2s.json")
    text = (tmp_path / "t2s.json").read_text("utf-8")
    assert len(text.encode()) == size
    assert ": " not in text and json.loads(text)["黨"] == "党"


def test_characters_opencc_converts_only_inside_words_are_folded_too() -> None:
    """A reader's trial: 了解 did not find a Taiwan branch's 瞭解 (OpenCC leaves 瞭 alone, as
    in 瞭望, and converts it inside 瞭解). Index and query fold alike, so 瞭望 still finds 瞭望."""
    from tongxin.fold import fold
    from tongxin.tokenizer import tokenize

    assert fold("瞭解冬季用藥、隨著、憑藉、甦醒") == "了解冬季用药、随着、凭借、苏醒"
    assert tokenize("了解需求") == tokenize("瞭解需求")
    assert tokenize("瞭望台") == tokenize("了望台")
