"""Build an index whose commonest bigrams are extended, for the node trigram test, and the
ground truth of its queries.

``python fixture_trigrams.py OUT``: ``OUT/search`` is the index (hot and extension thresholds
low, so that a few hundred entries have trigrams, as a big portal does); ``OUT/queries.json``
holds ``[[query, [url…]]…]``: every entry whose title or text holds each word of the query
as a substring after NFKC and Traditional→Simplified folding (OpenCC), the search's contract.
"""

import json
import random
import sys
from pathlib import Path

import opencc

from tongxin.search import SearchDoc, build_search_index
from tongxin.tokenizer import is_cjk, normalise

PHRASES = """网络党建 两学一做 主题党日 组织生活会 乡村振兴 志愿服务 社区治理 党风廉政建设
理论学习中心组 专题研讨 红色教育基地 数字化转型 为人民服务 支部书记 发展党员 入党积极分子
学习贯彻 二十大精神 基层党组织 党员干部 走访慰问 结对帮扶""".split()
VERBS = "召开 开展 举办 组织 推进 加强 深化 落实".split()
GLUE = ["", "", "", "的", "和", "，", "。", " ", "、", "2026年"]
_S2T = opencc.OpenCC("s2t")


def text(rng: random.Random, words: int) -> str:
    out = rng.choice(VERBS)
    for _ in range(words):
        out += rng.choice(PHRASES) + rng.choice(GLUE)
    return out


def docs() -> list[SearchDoc]:
    rng = random.Random(13)
    out = []
    for i in range(240):
        title, body = text(rng, 2), text(rng, rng.randint(3, 9))
        if rng.random() < 0.3:
            title, body = _S2T.convert(title), _S2T.convert(body)
        out.append(
            SearchDoc(
                f"e{i}",
                f"/e/{i}/",
                title,
                body,
                f"第{i % 5}支部",
                "news",
                f"20{20 + i % 6}-{1 + i % 12:02d}-{1 + i % 28:02d}",
            )
        )
    return out


def queries(collection: list[SearchDoc]) -> list[list]:
    rng = random.Random(5)
    texts = [normalise(f"{d.title}\n{d.text}").lower() for d in collection]
    runs = [r for t in texts for r in "".join(c if is_cjk(c) else " " for c in t).split()]
    asked = ["网络党建", "組織生活會", "党建工作", "理论学习中心组", "党日 乡村振兴"]
    while len(asked) < 80:
        run = rng.choice(runs)
        size = rng.randint(2, 7)
        if len(run) >= size:
            at = rng.randint(0, len(run) - size)
            word = run[at : at + size]
            asked.append(_S2T.convert(word) if rng.random() < 0.3 else word)
    out = []
    for query in asked:
        words = [normalise(w).lower() for w in query.split()]
        hits = [d.url for d, t in zip(collection, texts, strict=True) if all(w in t for w in words)]
        out.append([query, sorted(hits)])
    return out


if __name__ == "__main__":
    target = Path(sys.argv[1])
    collection = docs()
    build_search_index(collection, target, hot_postings=20, extend_postings=40)
    (target / "queries.json").write_text(json.dumps(queries(collection), ensure_ascii=False))
