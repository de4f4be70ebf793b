"""The plain-markup fast path writes exactly what nh3 writes, or leaves the fragment to nh3.

`federation.plainmarkup` replaces the sanitiser's parse for plain fragments; sanitising is the
security boundary, so these tests compare its output with nh3's, byte for byte, on every
hostile and tricky vector we have and on thousands of generated fragments, and check that it
does take ordinary content (else the comparisons would prove nothing).
"""

from __future__ import annotations

import random

import pytest
from test_screen_fastpath import BASE, _samples
from tongxin.federation import plainmarkup, sanitise


def nh3_clean(fragment: str, base: str = BASE) -> str:
    """What clean_html wrote before the fast path: nh3 alone."""
    return sanitise._cleaner(base).clean(fragment[: sanitise.HTML_LIMIT]).strip()


@pytest.mark.parametrize("markup", _samples())
def test_fast_path_writes_what_nh3_writes(markup: str) -> None:
    plain = plainmarkup.read(markup)
    if plain is not None and plain.html is not None:
        assert plain.html.strip() == nh3_clean(markup)
    assert sanitise.clean_html(markup, BASE) == nh3_clean(markup)


TEXTS = [
    "各党支部：为深入学习贯彻党的二十大精神",
    "Tom &amp; Jerry",
    "a &lt; b &gt; c",
    "x > y",
    "&nbsp;空格&nbsp;",
    "\xa0raw nbsp",
    "&#20013;&#x6587;",
    '"quoted" and &quot;entity&quot;',
    "it's &apos;",
    "  ",
    "\n",
    "\t tab",
    "第7条。",
    "&#38;&#60;",
]
LINKS = [
    "http://127.0.0.1:8000/b1/",
    "https://nanhu.example/news/a/?x=1&amp;y=2",
    "https://nanhu.example/a#frag",
    "https://nanhu.example:8443/%E4%B8%AD",
    "http://a.example",
    "/relative/path/",
    "mailto:office@nanhu.example",
    "javascript:alert(1)",
    "HTTPS://Upper.example/",
    "https://user@host.example/",
    "",
]
INLINE = ["b", "i", "em", "strong", "span", "code", "small", "sub", "sup", "u", "s", "q",
          "abbr", "cite", "del", "ins", "kbd", "var", "dfn", "samp"]  # fmt: skip


def _inline(rng: random.Random, depth: int) -> str:
    parts = []
    for _ in range(rng.randint(1, 3)):
        roll = rng.random()
        if roll < 0.45 or depth > 2:
            parts.append(rng.choice(TEXTS))
        elif roll < 0.6:
            quote = rng.choice(['"', "'"])
            parts.append(f"<a href={quote}{rng.choice(LINKS)}{quote}>{_inline(rng, depth + 1)}</a>")
        elif roll < 0.7:
            parts.append(rng.choice(["<br>", "<br/>", "<br />", "<BR>"]))
        else:
            tag = rng.choice(INLINE)
            shown = tag.upper() if rng.random() < 0.1 else tag
            parts.append(f"<{shown}>{_inline(rng, depth + 1)}</{shown}>")
    return "".join(parts)


def _block(rng: random.Random, depth: int) -> str:
    roll = rng.random()
    if roll < 0.4 or depth > 2:
        tag = rng.choice(["p", "p", "h2", "h3"])
        return f"<{tag}>{_inline(rng, depth)}</{tag}>"
    if roll < 0.55:
        tag = rng.choice(["ul", "ol"])
        items = "".join(
            rng.choice(["", "\n"]) + f"<li>{_flow(rng, depth + 1)}</li>" for _ in range(3)
        )
        return f"<{tag}>{items}</{tag}>"
    if roll < 0.7:
        tag = rng.choice(["div", "blockquote"])
        return f"<{tag}>{_flow(rng, depth + 1)}</{tag}>"
    if roll < 0.8:
        return rng.choice(["<hr>", "<hr/>"])
    return _inline(rng, depth)


def _flow(rng: random.Random, depth: int) -> str:
    return rng.choice(["", "\n", " "]).join(_block(rng, depth) for _ in range(rng.randint(1, 3)))


def test_generated_fragments_are_written_as_nh3_writes_them() -> None:
    rng = random.Random(20261122)
    taken = 0
    count = 3000
    for _ in range(count):
        markup = _flow(rng, 0)
        plain = plainmarkup.read(markup)
        if plain is not None and plain.html is not None:
            taken += 1
            assert plain.html.strip() == nh3_clean(markup), markup
        assert sanitise.clean_html(markup, BASE) == nh3_clean(markup), markup
    # The comparison means something only if the fast path takes a good share of them.
    assert taken > count // 4, taken


def test_ordinary_entries_take_the_fast_path() -> None:
    paragraph = "各党支部：为深入学习贯彻党的二十大精神，进一步加强基层党组织建设。"
    for markup in (
        f"<p>{paragraph}</p>",
        f'<p>{paragraph} 第1条。</p><p><a href="https://dongjiang.example/">链接</a></p>',
        "<h2>标题</h2><ul><li>一</li><li><strong>二</strong></li></ul><blockquote><p>引</p>"
        "</blockquote><hr><p>Tom &amp; Jerry&nbsp;</p>",
    ):
        plain = plainmarkup.read(markup)
        assert plain is not None and plain.html is not None, markup


def test_what_only_nh3_may_decide_is_left_to_it() -> None:
    for markup in (
        '<p><a href="/relative/">相对地址</a></p>',  # resolved against the entry's address
        '<p><a href="javascript:alert(1)">x</a></p>',
        '<p><a href="https://a.example/" title="t">two attributes</a></p>',
        '<p><img src="https://a.example/i.png"></p>',
        "<p><dfn>dropped tag, kept text</dfn></p>",
        '<p class="lead">an attribute nh3 drops</p>',
        "<p><a>no address</a></p>",
    ):
        plain = plainmarkup.read(markup)
        assert plain is None or plain.html is None, markup
        assert sanitise.clean_html(markup, BASE) == nh3_clean(markup)


def test_a_second_read_of_the_same_string_is_not_parsed_again() -> None:
    markup = "".join(["<p>", "同一段文字", "</p>"])
    first = plainmarkup.read(markup)
    assert plainmarkup.read(markup) is first
    # An equal string of another entry is another object: read afresh, same answer.
    other = "".join(["<p>同一段", "文字</p>"])
    assert other == markup and other is not markup
    again = plainmarkup.read(other)
    assert again is not first and again == first
