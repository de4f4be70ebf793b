"""Pinyin, abbreviations and homophones: spam spelled so a word list misses it is held, and
the same letters in ordinary prose (a scholar called Yong Li, 威尼斯人 as a venue) are not.
The spellings are data (``homophones``, pinyin terms, ``patterns`` in screen_rules.yaml);
:func:`normalise` is the one place text is normalised."""

from __future__ import annotations

import pytest
from tongxin.federation.model import Entry
from tongxin.federation.screen import History, ScreenRules, screen_findings
from tongxin.federation.screen_text import normalise, term_key

RULES = ScreenRules.load(language="en")


def held(title: str, html: str) -> bool:
    entry = Entry(entry_id="https://b.example/1/", branch_id="b", url="https://b.example/1/",
                  title=title, content_html=html)  # fmt: skip
    return bool(screen_findings(entry, None, History(), RULES))


@pytest.mark.parametrize(
    ("title", "html"),
    [
        ("yong li guo ji 官网", "<p>注册即送</p>"),
        ("通知", "<p>ylgj8888 最新网址</p>"),
        ("通知", "<p>y.l.g.j 8888 最新网址</p>"),
        ("平台", "<p>bo cai 平台 du chang 在线 bai jia le</p>"),
        ("平台", "<p>b o c a i 平台，d u c h a n g 在线</p>"),
        ("社区新闻", "<p>陆合彩 时时采 开奖结果</p>"),
        ("公告", "<p>奥门葡晶 百佳乐 真人视迅</p>"),
        ("公告", "<p>奧門葡晶 百佳樂</p>"),  # Traditional homophones fold first
        ("学习园地", "<p>涩情网站 约泡 裸撩</p>"),
        ("活动", "<p>咏利国际 3044咏利 官方网站</p>"),
        ("Wei-Ni-Si-Ren", "<p>wei ni si ren yu le 8888</p>"),
        ("简报", "<p>老虎鸡 赌厂 搏彩 开户送采金</p>"),
        ("通知", "<p>xpj 888 官网</p>"),
    ],
)
def test_pinyin_abbreviations_and_homophones_are_held(title: str, html: str) -> None:
    assert held(title, html)


@pytest.mark.parametrize(
    ("title", "html"),
    [
        (
            "Visiting scholar",
            "<p>Professor Yong Li spoke, citing Yong Li 2023 and Bo Cai 2021.</p>",
        ),
        ("澳门威尼斯人举办演唱会", "<p>歌手将在澳门威尼斯人综艺馆举办演唱会，门票已开售。</p>"),
        ("参观", "<p>代表团参观了澳门威尼斯人度假村的会展设施。</p>"),
        ("摄影展", "<p>“威尼斯人文风情”摄影展开幕，展出水城威尼斯的老照片。</p>"),
        ("采访", "<p>记者采访了支部书记，支部博采众长，推进基层治理。</p>"),
        ("黄冠梨丰收", "<p>果农种植的黄冠梨喜获丰收。</p>"),
        ("MGM China results", "<p>MGM China reported revenue growth in 2023.</p>"),
        ("采购", "<p>会议室AV设备采购项目公开招标。</p>"),
        ("Reading list", "<p>See the U S A report and the A B C guide.</p>"),
    ],
)
def test_the_same_letters_in_ordinary_prose_are_not_held(title: str, html: str) -> None:
    assert not held(title, html)


def test_normalise_is_the_one_place_spellings_are_undone() -> None:
    homophones = RULES.extra["homophones"]
    assert normalise("陆 合 彩", None, homophones) == "六合彩"
    assert normalise("b o c a i") == "bocai"
    assert term_key("Bo-Cai") == term_key("bo cai") == "bocai"
