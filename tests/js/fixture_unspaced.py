"""An index for queries typed without spaces (tests/js/unspaced.test.js): the shapes a tester
found (45 briefings 党建工作第N期简报, a 主题党日 notice, an entry on 组织生活会, 互联网 and
党建 written apart). ``python fixture_unspaced.py OUT``."""

import sys
from pathlib import Path

from tongxin.search import SearchDoc, build_search_index

DOCS = [
    SearchDoc(
        f"b{i}",
        f"/news/brief-{i}/",
        f"党建工作第{i}期简报",
        f"本期简报汇总各支部第{i}期工作情况。",
        "一支部",
        "news",
        f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}",
    )
    for i in range(1, 46)
]
DOCS += [
    SearchDoc(
        "n1",
        "/announcements/day/",
        "关于开展本月主题党日活动的通知",
        "各支部于本月最后一个周五开展主题党日活动。",
        "机关党委",
        "announcements",
        "2026-03-01",
    ),
    SearchDoc(
        "s1",
        "/study/meeting/",
        "党章学习（一）：总纲",
        "请各位党员结合自身工作谈体会，在下次组织生活会上交流。",
        "二支部",
        "study",
        "2026-02-01",
    ),
    SearchDoc(
        "s2",
        "/study/life/",
        "社区生活服务",
        "社区为居民提供生活服务。",
        "二支部",
        "study",
        "2026-02-02",
    ),
    SearchDoc(
        "p1",
        "/news/net/",
        "用好互联网",
        "支部用好互联网，推进党建工作。",
        "二支部",
        "news",
        "2026-01-05",
    ),
    SearchDoc(
        "p2",
        "/news/plus/",
        "互联网+党建",
        "互联网+党建的新做法。",
        "二支部",
        "news",
        "2026-01-06",
    ),
]

if __name__ == "__main__":
    build_search_index(DOCS, Path(sys.argv[1]), meta_block=8)
