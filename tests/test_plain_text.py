"""tongxin.text.plain_text: the one helper for summaries, search text, titles and excerpts.

Blocks are kept apart: "training</p><p>admin" read "trainingadmin" on portal cards, in the
portal's feeds and API, and a table's cells ran together (序号姓名1张伟), so the search also
found words that were never written (a CJK run across a heading and its paragraph)."""

from __future__ import annotations

import pytest

from tongxin.text import plain_text


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<p>winter safety training</p><p>admin</p>", "winter safety training admin"),
        ("<table><tr><td>序号</td><td>姓名</td></tr><tr><td>1</td><td>张伟</td></tr></table>",
         "序号 姓名 1 张伟"),
        ("<h2>基本情况</h2><p>社区开展活动</p>", "基本情况 社区开展活动"),
        ("第一行<br>第二行", "第一行 第二行"),
        # no space where Chinese punctuation already ends the block, none inside a block
        ("<p>第一段。</p><p>第二段</p>", "第一段。第二段"),
        ("<p>a <b>bold</b> word, <a href='x'>linked</a></p>", "a bold word, linked"),
        ("<div><p>x &amp; y</p></div>", "x & y"),
        ("plain text", "plain text"),
    ],
)  # fmt: skip
def test_blocks_are_kept_apart(html: str, text: str) -> None:
    assert plain_text(html) == text


def test_a_limit_cuts_with_an_ellipsis() -> None:
    assert plain_text("<h2>基本情况</h2><p>社区开展活动</p>", 8) == "基本情况 社区…"


def test_no_space_after_chinese_punctuation_when_blocks_are_on_their_own_lines() -> None:
    """Markdown writes each block on its own line: the summary read 各位夥伴好： 115年度 (a
    trial's zh-TW reader); the space goes only where no punctuation parts the blocks."""
    html = "<p>各位夥伴好：</p>\n<p>115年度活動。</p>\n\n<h2>報名</h2>\n"
    html += "<p>training</p>\n<p>admin</p>"
    assert plain_text(html) == "各位夥伴好：115年度活動。報名 training admin"
