"""Build the same collection twice for the node delta test: cold, and as base + delta.

``python fixture_delta.py OUT``: ``OUT/cold/search`` is a cold build of the changed collection;
``OUT/delta/search`` the original collection's cold build (the base) plus a delta holding the
added and edited documents, with the deleted and superseded ones dead. Small split, hot and
extension thresholds make the base use parts, hot-term files and trigrams, as a portal's does.
"""

import sys
from pathlib import Path

from tongxin.search import SearchDoc, build_delta_index, build_search_index

BRANCHES = ["一支部", "二支部", "三支部", "四支部"]
TEXTS = [
    "加强网络党建工作，用好互联网+平台。",
    "本支部網絡黨建工作取得新進展，兩學一做常態化。",
    "深入开展两学一做学习教育，2026年全面推进。",
    "网络与党建分开讲：本文不含那个连续词。",
    "主题党日活动：学习贯彻党的二十大精神。",
    "Open source 开源 software 软件 2025 plan.",
]


def collection(edited: bool) -> list[SearchDoc]:
    docs = []
    for i in range(120):
        if edited and i % 40 == 7:
            continue  # deleted
        text = TEXTS[i % len(TEXTS)] + f" 第{i}号。"
        title = f"{BRANCHES[i % 4]}通知{i}" + (" 网络党建" if i % 5 == 0 else "")
        if edited and i in (3, 50, 51):
            text = "改写后：網絡黨建与两学一做。" + text  # edited
        docs.append(
            SearchDoc(
                f"id{i}",
                f"/e/{i}/",
                title,
                text,
                BRANCHES[i % 4],
                ("news", "study", "announcements")[i % 3],
                f"{2023 + i % 4}-{1 + i % 12:02d}-{1 + i % 27:02d}",
            )
        )
    if edited:
        for i in range(120, 124):
            docs.append(
                SearchDoc(
                    f"id{i}",
                    f"/e/{i}/",
                    f"新增网络党建{i}",
                    "新加入的条目：兩學一做，开源软件。",
                    "五支部",
                    "news",
                    "2026-06-01",
                )
            )
    return docs


def main(out: Path) -> None:
    knobs = {"shards": 4, "split_postings": 40, "hot_postings": 30, "extend_postings": 30}
    base = build_search_index(collection(False), out / "base", **knobs)
    build_search_index(collection(True), out / "cold", **knobs)
    old = {d.id: d for d in collection(False)}
    new = collection(True)
    changed = [d for d in new if old.get(d.id) != d]
    current = {d.id: d for d in new}
    removed = [i for i in old if i not in current]
    live = [(d.branch, d.type, str(d.date)) for d in new]
    build_delta_index(
        out / "base" / "search",
        out / "delta",
        changed,
        removed,
        base.refs,
        live,
        lambda ids: [current[i] for i in ids],
        max_share=1.0,
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]))
