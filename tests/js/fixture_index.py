"""Build a small search index for the node round-trip test.

``python fixture_index.py OUT [SHARDS] [SPLIT] [HOT]``: SPLIT is the postings above which a
bucket is written as parts (1: every bucket of two postings or more); HOT the postings from
which a term has files of its own.
"""

import sys
from pathlib import Path

from tongxin.search import SearchDoc, build_search_index

DOCS = [
    SearchDoc(
        "a",
        "/news/a/",
        "加强网络党建工作",
        "各支部要推进网络党建，用好互联网+平台。",
        "一支部",
        "news",
        "2026-03-01",
    ),
    SearchDoc(
        "b",
        "/news/b/",
        "網絡黨建新進展",
        "本支部網絡黨建工作取得新進展，兩學一做常態化。",
        "二支部",
        "news",
        "2025-07-01",
    ),
    SearchDoc(
        "c",
        "/study/c/",
        "两学一做学习教育",
        "深入开展两学一做学习教育，2026年全面推进。",
        "一支部",
        "study",
        "2024-05-01",
    ),
    SearchDoc(
        "d",
        "/news/d/",
        "网络安全周",
        "网络与党建分开讲：本文不含那个连续词。",
        "二支部",
        "news",
        "2023-01-01",
    ),
    SearchDoc(
        "e",
        "/announcements/e/",
        "Notice: COVID-19 vaccination",
        "Vaccination for all members, 疫苗接种通知。",
        "一支部",
        "announcements",
        "2026-01-15",
    ),
]

if __name__ == "__main__":
    build_search_index(
        DOCS,
        Path(sys.argv[1]),
        meta_block=2,
        shards=int(sys.argv[2]) if len(sys.argv) > 2 else None,
        **({"split_postings": int(sys.argv[3])} if len(sys.argv) > 3 else {}),
        **({"hot_postings": int(sys.argv[4])} if len(sys.argv) > 4 else {}),
    )
