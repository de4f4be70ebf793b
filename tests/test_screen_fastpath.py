"""The screen's DOM-free fast path reads plain markup exactly as the DOM walk does.

`screen._read_plain` skips parsing for markup that cannot hide anything; these tests pin that,
on every hostile vector, every clean near-miss, the benchmark's entries and a set of tricky
snippets, it either declines (None) or returns the very facts `screen._read_dom` finds — so
the verdict cannot differ — and that it does not decline ordinary content.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from tongxin.federation import screen
from tongxin.federation.screen import ScreenRules, _read_dom, _read_plain, read_html

HOSTILE = Path(__file__).parent / "hostile"
BASE = "http://nanhu.example/news/a/"
PARAGRAPH = "各党支部：为深入学习贯彻党的二十大精神，进一步加强基层党组织建设，经研究决定。"

TRICKY = [
    "<p>甲</p><p>乙</p>丙<b>丁</b>",
    "<p>a</p>\n<p>b</p>\n",
    "  \n<p>lead blank</p>",
    " lead text <p>x</p> trail ",
    "\n\u3000\n<p>ideographic space lead</p>",
    "<ul>\n<li>one</li>\n<li>two <a href='/x'>x</a></li>\n</ul>",
    "<ol><li>a<ul><li>b</li></ul></li></ol>",
    "<div><p>a</p><blockquote><p>q</p></blockquote></div><hr><br>x<br/>y",
    "<p>a<br>b<img src='x.png' alt='alt text'>c</p>",
    "<p>Tom &amp; Jerry &lt;3 &nbsp; &#20013;&#x6587; &quot;q&quot; &apos;</p>",
    "<p>&#0; &#128; &#xD800;</p>",
    "<p>bare & ampersand</p>",
    "<p>a < b</p>",
    '<p><a href="https://e.example/?a=1&amp;b=2">q</a><a href="/rel">r</a><a href="">e</a></p>',
    '<p><a href="javascript:x()">js</a><a href="mailto:a@b.example">m</a></p>',
    '<a href="/one" HREF="/two">dup</a>',
    "<p>open paragraph<p>implicitly closed",
    "<p>block <div>inside</div> paragraph</p>",
    "<b>bold <p>para</p></b>",
    "<a href='/a'>outer <a href='/b'>inner</a></a>",
    "<p/>self-closed p<p>x</p>",
    "<ul>text in list<li>x</li></ul>",
    "<ul><b>bold in list</b></ul>",
    "<li>orphan item</li>",
    "<h2>Title</h2><p>text</p><h3>sub<p>x</p></h3>",
    "<p>unclosed <b>bold</p>",
    "<p>comment <!-- c --> after</p>",
    "<P>Upper <A HREF='/u'>case</A></P>",
    "<p>\r\nwindows\r\n</p>",
    "<p>\x0cform feed</p>",
    "<table><tr><td>cell</td></tr></table>",
    "<pre>\nfirst line</pre>",
    "<p>" + "x" * 10 + "</p>",
    "<p>tab\tand\nnewline</p>",
    "<span>a</span> <span>b</span>",
    "<p>text</p>   ",
    "<div>\n  <p>indented</p>\n</div>\n",
    "<p>x</p></p>",
    "</b>stray close",
    "<hr/><p>after rule</p>",
    "<p>a<hr>b</p>",
    "<img src=x><p>unquoted attribute</p>",
]


def _samples() -> list[str]:
    markups = list(TRICKY)
    for name in ("spam.yaml", "clean.yaml"):
        for item in yaml.safe_load((HOSTILE / name).read_text("utf-8")):
            markups += [item.get("content", ""), item.get("summary", ""), item["title"]]
    xss = yaml.safe_load((HOSTILE / "xss.yaml").read_text("utf-8"))
    markups += [v.replace("{js}", "window.x=1") for v in xss["html"]]
    markups += [f'<p><a href="{v.replace("{js}", "x()")}">u</a></p>' for v in xss["url"]]
    body = f'<p>{PARAGRAPH * 4} 第1条。</p><p><a href="http://127.0.0.1:1/b1/">链接</a></p>'
    markups += [body, f"<p>{PARAGRAPH}</p>"]
    return [m for m in markups if m]


@pytest.fixture(scope="module")
def rules() -> ScreenRules:
    return ScreenRules.load(language="en")


@pytest.mark.parametrize("markup", _samples())
def test_fast_path_reads_plain_markup_as_the_dom_walk_does(markup: str, rules: ScreenRules):
    plain = _read_plain(markup, BASE)
    if plain is not None:
        assert plain == _read_dom(markup, rules, BASE)


def test_markup_that_can_hide_text_takes_the_dom_walk():
    for markup in (
        '<p>a<span style="display:none">spam spam spam spam</span></p>',
        "<p hidden>spam spam spam spam</p>",
        "<style>.x{display:none}</style><p class=x>spam spam spam</p>",
        "<p>sty\x00le</p>",
    ):
        assert _read_plain(markup, BASE) is None


def test_ordinary_content_takes_the_fast_path():
    ordinary = [
        f"<p>{PARAGRAPH}</p>",
        f'<p>{PARAGRAPH}</p>\n<p><a href="/b1/">链接</a> &amp; <strong>要闻</strong></p>\n',
        "<h2>通知</h2>\n<ul>\n<li>一</li>\n<li>二<br>三</li>\n</ul>\n<blockquote><p>q</p></blockquote>",
    ]
    for markup in ordinary:
        assert _read_plain(markup, BASE) is not None, markup


def test_read_html_gives_the_same_verdict_with_and_without_the_fast_path(
    rules: ScreenRules, monkeypatch: pytest.MonkeyPatch
):
    samples = _samples()
    fast = [read_html(m, rules, BASE) for m in samples]
    monkeypatch.setattr(screen, "_FAST_PATH", False)
    assert fast == [read_html(m, rules, BASE) for m in samples]
