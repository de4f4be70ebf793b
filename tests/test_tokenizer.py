"""The Python tokenizer against the shared vectors (tests/js/ checks the JavaScript one)."""

import json
from pathlib import Path

import pytest

from tongxin.tokenizer import index_terms, query_joins, term_hash, tokenize, tokenize_query

VECTORS = json.loads((Path(__file__).parent / "vectors" / "tokenizer.json").read_text("utf-8"))


@pytest.mark.parametrize("case", VECTORS["tokenize"], ids=lambda c: c["input"] or "<empty>")
def test_tokenize_matches_shared_vectors(case):
    assert tokenize(case["input"]) == case["tokens"]


@pytest.mark.parametrize("case", VECTORS["query"], ids=lambda c: c["input"])
def test_query_words_match_shared_vectors(case):
    assert tokenize_query(case["input"]) == case["words"]


@pytest.mark.parametrize("case", VECTORS["query_joins"], ids=lambda c: c["input"])
def test_query_joins_match_shared_vectors(case):
    assert [[list(join) for join in word] for word in query_joins(case["input"])] == case["joins"]


@pytest.mark.parametrize("case", VECTORS["term_hash"], ids=lambda c: c["term"] or "<empty>")
def test_term_hash_matches_shared_vectors(case):
    assert term_hash(case["term"]) == case["hash"]


def test_cjk_run_becomes_overlapping_bigrams():
    assert tokenize("互联网") == ["互联", "联网"]


def test_a_symbol_after_a_term_is_part_of_it():
    assert tokenize("互联网+") == ["互联", "联网", "网+"]
    assert tokenize("互联网＋政务") == ["互联", "联网", "网+", "政务"]
    assert tokenize("C++ 与 C#") == ["c", "c++", "与", "c", "c#"]
    assert tokenize("互联网 + 政务") == ["互联", "联网", "政务"]


def test_the_index_keeps_each_cjk_character_alone_too():
    terms = index_terms("党建 党")
    assert terms["党建"] == [0]
    assert terms["党"] == [0, 1]
    assert terms["建"] == [1]
    assert "互联网" not in index_terms("互联网+") and index_terms("互联网+")["网+"] == [2]


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
    """tokenize() splits CJK runs with a regex; the rules say: per character, CJK or word or gap,
    and symbols right after a run add the run's last character (CJK) or word, with them."""
    import random
    import unicodedata

    from tongxin.tokenizer import is_cjk, is_symbol, normalise

    def kind_of(char: str) -> bool | None:
        if is_cjk(char):
            return True
        return False if unicodedata.category(char)[0] in "LNM" else None

    def by_characters(text: str) -> list[str]:
        out: list[str] = []
        kind, run = None, ""
        chars = normalise(text) + " "
        for i, char in enumerate(chars):
            current = kind_of(char)
            if current != kind and run:
                if kind:
                    out.extend(
                        [run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)]
                    )
                elif kind is False:
                    out.append(run.lower())
                end = i
                while is_symbol(chars[end]):
                    end += 1
                if end > i:
                    out.append((run[-1] if kind else run.lower()) + chars[i:end])
                run = ""
            kind = current
            if current is not None:
                run += char
        return out

    rng = random.Random(9)
    alphabet = "网络黨建々〇かカ한字𠀀ÅéＡ１2x_-+＋#$。， \u0301\t"
    for _ in range(800):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        assert tokenize(text) == by_characters(text), text


def test_a_hyphenated_word_is_indexed_written_as_one_too() -> None:
    """E-mail is e and mail (a query e-mail matches them side by side) and email where it
    begins; numbers and dates joined by hyphens are not words (covid-19, 2026-03-05)."""
    from tongxin.tokenizer import index_terms

    terms = index_terms("Please E-mail the well-being office about covid-19 on 2026-03-05")
    assert terms["email"] == terms["e"] == [1]
    assert terms["wellb"] == terms["well"] == [4]
    assert "covid19" not in terms and "20260305" not in terms
