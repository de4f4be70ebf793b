"""An index for what readers type (tests/js/reader.test.js): tags, summaries, one character,
symbols in terms, several words. ``python fixture_reader.py OUT``."""

import sys
from pathlib import Path

from tongxin.search import SearchDoc, build_search_index

DOCS = [
    # the tag alone says 敬老
    SearchDoc(
        "t1",
        "/news/visit/",
        "重阳节走访慰问老党员",
        "支部书记带队走访了辖区内的老党员。",
        "一支部",
        "news",
        "2025-10-11",
        tags=("敬老", "志愿服务"),
        region="东城区",
    ),
    # 敬老 in the body only: ranked after the tagged one
    SearchDoc(
        "t2",
        "/news/body/",
        "社区活动简报",
        "本月开展读书会、敬老院慰问等活动。",
        "二支部",
        "news",
        "2025-11-02",
        region="西城区",
    ),
    # the written summary alone says AGM
    SearchDoc(
        "s1",
        "/announcements/meeting/",
        "Annual meeting of members",
        "Members meet in the hall.",
        "一支部",
        "announcements",
        "2026-03-01",
        summary="The AGM agenda and papers.",
    ),
    SearchDoc(
        "p1",
        "/news/plus/",
        "互联网+政务服务",
        "推进互联网+政务服务，一网通办。",
        "一支部",
        "news",
        "2026-02-01",
        region="东城区",
    ),
    SearchDoc(
        "p2",
        "/news/net/",
        "互联网党建",
        "用好互联网开展党建工作。",
        "二支部",
        "study",
        "2024-06-01",
        region="西城区",
    ),
    SearchDoc("c1", "/news/tw/", "黨課", "本支部開展黨課學習。", "二支部", "study", "2024-03-05"),
    SearchDoc(
        "v1",
        "/news/volunteer/",
        "志愿服务队成立",
        "志愿服务队今天成立。",
        "一支部",
        "news",
        "2026-01-20",
        region="东城区",
    ),
]

# 第3期: one character, a number, one character; the building's 3 is not it
DOCS.append(
    SearchDoc("n1", "/news/issue3/", "简报第3期", "本期简报。", "一支部", "news", "2025-04-01")
)
DOCS.append(
    SearchDoc("n2", "/news/block3/", "垃圾分类", "3号楼试点。", "一支部", "news", "2025-04-02")
)
DOCS.append(
    SearchDoc("n3", "/news/year/", "2026年度计划", "全年安排。", "一支部", "news", "2025-04-03")
)

# one token between two runs (会+): 委会 and 民主 two positions apart, yet not 委会民主
DOCS.append(SearchDoc("g1", "/news/gap/", "居委会+民主评议", "", "二支部", "news", "2023-01-05"))

# one says email, the other E-mail: a reader types either
DOCS.append(
    SearchDoc(
        "m1",
        "/news/email/",
        "Contact",
        "Send an email to the secretary.",
        "一支部",
        "news",
        "2025-02-01",
    )
)
DOCS.append(
    SearchDoc(
        "m2",
        "/news/e-mail/",
        "Office hours",
        "E-mail the office first.",
        "一支部",
        "news",
        "2025-02-02",
    )
)

# tiny fragments: 元, a 3, 第 and 期 apart, words of a URL, script
DOCS.append(
    SearchDoc(
        "f1", "/news/grant/", "Branch news", "发放补贴3000元。", "一支部", "news", "2025-03-01"
    )
)
DOCS.append(
    SearchDoc(
        "f2", "/news/yuan/", "补贴标准", "每户500元，2025年起。", "二支部", "news", "2025-03-02"
    )
)
DOCS.append(
    SearchDoc("f3", "/news/apart3/", "第二季度", "3号楼本期完工。", "二支部", "news", "2025-03-03")
)
DOCS.append(
    SearchDoc(
        "f4", "/news/play/", "The play", "The script of the play.", "一支部", "news", "2025-03-04"
    )
)

# an amount written with a thousands separator (full-width comma, as WPS writes it)
DOCS.append(
    SearchDoc(
        "f5", "/news/grouped/", "慰问金", "每户发放12，000元。", "二支部", "news", "2025-03-05"
    )
)

if __name__ == "__main__":
    build_search_index(DOCS, Path(sys.argv[1]), meta_block=2)
