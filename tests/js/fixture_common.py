"""An index where 党建 is in every entry and a first-screen file (tests/js/first.test.js).
``python fixture_common.py OUT``."""

import sys
from pathlib import Path

from tongxin.search import SearchDoc, build_search_index

DOCS = [
    SearchDoc(
        f"d{i}",
        f"/news/{i}/",
        f"第{i}号 党建工作通知" if i % 7 == 0 else f"第{i}号 工作通知",
        f"各支部要推进网络党建。第{i}条。" + ("两学一做。" if i % 3 == 0 else ""),
        f"{i % 5}支部",
        "news",
        f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}",
    )
    for i in range(120)
]

if __name__ == "__main__":
    build_search_index(DOCS, Path(sys.argv[1]), meta_block=4, hot_postings=20)
