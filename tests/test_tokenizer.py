"""The Python tokenizer against the shared vectors (tests/js/ checks the JavaScript one)."""

import json
from pathlib import Path

import pytest

from tongxin.tokenizer import term_hash, tokenize, tokenize_query

VECTORS = json.loads((Path(__file__).parent / "vectors" / "tokenizer.json").read_text("utf-8"))


@pytest.mark.parametrize("case", VECTORS["tokenize"], ids=lambda c: c["input"] or "<empty>")
def test_tokenize_matches_shared_vectors(case):
    assert tokenize(case["input"]) == case["tokens"]


@pytest.mark.parametrize("case", VECTORS["query"], ids=lambda c: c["input"])
def test_query_words_match_shared_vectors(case):
    assert tokenize_query(case["input"]) == case["words"]


@pytest.mark.parametrize("case", VECTORS["term_hash"], ids=lambda c: c["term"] or "<empty>")
def test_term_hash_matches_shared_vectors(case):
    assert term_hash(case["term"]) == case["hash"]


def test_cjk_run_becomes_overlapping_bigrams():
    assert tokenize("互联网+") == ["互联", "联网"]


def test_digits_are_kept_apart_from_chinese():
    assert tokenize("2026年") == ["2026", "年"]


def test_traditional_and_simplified_give_the_same_tokens():
    assert tokenize("網絡黨建") == tokenize("网络党建") == ["网络", "络党", "党建"]


def test_every_substring_of_a_run_is_a_chain_of_its_bigrams():
    text = "学习贯彻党的二十大精神"
    tokens = tokenize(text)
    for start in range(len(text) - 1):
        for end in range(start + 2, len(text) + 1):
            query = tokenize(text[start:end])
            assert tokens[start : start + len(query)] == query


def test_the_fast_path_splits_like_the_character_rules():
    """tokenize() splits CJK runs with a regex; the rules say: per character, CJK or word or gap."""
    import random

    from tongxin.tokenizer import _kind, normalise

    def by_characters(text: str) -> list[str]:
        out: list[str] = []
        kind, run = None, ""
        for char in normalise(text) + " ":
            current = _kind(char)
            if current != kind and run:
                if kind:
                    out.extend(
                        [run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)]
                    )
                elif kind is False:
                    out.append(run.lower())
                run = ""
            kind = current
            if current is not None:
                run += char
        return out

    rng = random.Random(9)
    alphabet = "网络黨建々〇かカ한字𠀀ÅéＡ１2x_-+。， \u0301\t"
    for _ in range(500):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        assert tokenize(text) == by_characters(text), text
