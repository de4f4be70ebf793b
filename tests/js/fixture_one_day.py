"""Build an index of many entries on one day and as many undated, for the node capacity test.

``python fixture_one_day.py OUT COUNT``: COUNT entries dated 2026-03-01 (one branch, so they
share a day and a branch key: far more than the 1,458 hashes of one (day, key)) and COUNT
undated ones of another branch. Entry ``i``'s title holds the word ``word(i)`` and nothing
else does; its url is ``/d/<i>/`` or ``/u/<i>/``.
"""

import sys
from pathlib import Path

from tongxin.search import SearchDoc, build_search_index


def word(i: int) -> str:
    letters = ""
    while True:
        i, rest = divmod(i, 26)
        letters = "abcdefghijklmnopqrstuvwxyz"[rest] + letters
        if not i:
            return "w" + letters + "0"  # a digit: the stemmer joins none of them


def docs(count: int) -> list[SearchDoc]:
    dated = [
        SearchDoc(
            f"d{i}", f"/d/{i}/", f"{word(i)} 通知", "党建工作", "一支部", "news", "2026-03-01"
        )
        for i in range(count)
    ]
    undated = [
        SearchDoc(f"u{i}", f"/u/{i}/", f"{word(count + i)} 通知", "学习", "二支部", "news", None)
        for i in range(count)
    ]
    return dated + undated


if __name__ == "__main__":
    build_search_index(docs(int(sys.argv[2])), Path(sys.argv[1]))
