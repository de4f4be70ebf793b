"""The theme in a real build: a small branch with every content type and optional field.

The branch is written here, not borrowed from the demo content, so these tests do not break
when the demo changes; it is built with ``tongxin.build.build_site`` as ``tongxin build`` does.
``build_branch`` is also used by the browser test.
"""

from __future__ import annotations

import re
import urllib.parse
from html.parser import HTMLParser
from pathlib import Path

import pytest

FILES = {
    "content/site.yaml": """\
name: 测试社区党支部
url: https://test.example/
language: {language}
description: 测试用支部网站。
contact:
  email: test@example.org
  phone: 0000-1234567
""",
    "content/news/meeting.md": """\
---
title: 支部召开组织生活会
date: 2026-03-05
modified: 2026-03-06
tags: [组织生活, 组织生活 ]  # twice, as pasted
summary: 全体党员参加。
---
正文第一段。一个很长的网址：https://test.example/a/very/long/path/that/should/wrap/nicely/on/small/screens/without/overflowing

| 项目 | 负责人 | 完成时间 | 备注 |
|---|---|---|---|
| 走访困难群众 | 王芳 | 3月底 | 每户建立台账，跟踪回访，确保问题得到解决 |

```
print("代码块也不应撑宽页面，即使这一行非常非常非常非常非常非常非常非常长")
```
""",
    # pasted as editors paste (a trial): a paragraph a line, Word's first-line indent as four
    # spaces, a video site's embed code
    "content/news/pasted.md": """\
---
title: 走访慰问
date: 2026-03-04
---
第一段：支部组织党员志愿者走访慰问。
第二段：志愿者为老人送去了米面油。

    第三段：Word 的首行缩进粘贴成了四个空格。

<iframe src="https://v.qq.com/txp/iframe/player.html?vid=x1234" width="600"></iframe>
""",
    # options typed with the letters the page adds itself (a trial)
    "content/study/lettered.md": """\
---
title: 入党誓词
date: 2026-03-03
quiz:
  - question: 入党誓词是在什么时候宣读的？
    options: [A. 入党宣誓仪式上, B、转正时, (C) 支部大会上]
    answer: 0
---
学习入党誓词。
""",
    "content/announcements/notice.md": """\
---
title: 关于党费收缴的通知
date: 2026-03-01
pinned: true
expires: 2099-12-31
attachments:
  - title: 上级文件
    url: https://portal.example/doc
---
请于月底前缴纳。
""",
    "content/announcements/current.md": """\
---
title: 关于停水的通知
date: 2026-03-02
expires: 2099-12-31
---
周六停水。
""",
    "content/announcements/old.md": """\
---
title: 关于春节值班的通知
date: 2026-01-20
expires: 2026-02-01
---
春节值班安排。
""",
    "content/study/s1.md": """\
---
title: 党章学习（一）：总纲
date: 2026-02-10
series: 党章学习
order: 1
quiz:
  - question: 党的最高理想是什么？
    options: [实现共产主义, 全面建成小康社会]
    answer: 0
    explanation: 党章总纲明确规定。
  - question: 哪些属于党员的义务？
    options: [认真学习, 执行党的决定, 享受特权]
    answer: [0, 1]
---
学习党章总纲。
""",
    "content/study/s2.md": """\
---
title: 党章学习（二）：党员
date: 2026-02-17
series: 党章学习
order: 2
---
学习党员的义务和权利。
""",
    "content/pages/about.md": """\
---
title: 关于我们
---
支部简介。
""",
}

NEWS = "news/meeting/index.html"
QUIZ = "study/s1/index.html"
NOTICE = "announcements/notice/index.html"


def write_branch(root: Path, language: str = "zh-CN") -> Path:
    """Write the test branch's content under ``root``; returns ``root``."""
    for name, text in FILES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.replace("{language}", language), encoding="utf-8")
    return root


def build_branch(root: Path, language: str = "zh-CN") -> Path:
    """Write and build the test branch with SITEURL empty (served at a local root)."""
    from tongxin.build import build_site

    write_branch(root, language)
    return build_site(root, root / "output", siteurl="", progress=False, warnings_to=None).output


# The budget: an article page with its CSS and JS, images excluded.
PAGE_BUDGET_BYTES = 100 * 1024


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_branch(tmp_path_factory.mktemp("branch"))


class _Assets(HTMLParser):
    """Stylesheets and scripts a page loads."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "script" and a.get("src"):
            self.urls.append(a["src"] or "")
        if tag == "link" and (a.get("rel") or "") in ("stylesheet", "preload", "modulepreload"):
            self.urls.append(a.get("href") or "")


def page_weight(output: Path, page: str) -> tuple[int, list[str]]:
    """Bytes of ``page`` plus every CSS/JS file it references (resolved inside ``output``)."""
    html = (output / page).read_bytes()
    parser = _Assets()
    parser.feed(html.decode("utf-8"))
    total = len(html)
    for url in parser.urls:
        # own assets are linked relatively (the site works from any origin)
        resolved = urllib.parse.urljoin(f"http://site.invalid/{page}", url)
        assert resolved.startswith("http://site.invalid/"), f"{page} loads {url} from elsewhere"
        asset = output / urllib.parse.urlsplit(resolved).path.lstrip("/")
        assert asset.is_file(), f"{page} references missing {url}"
        total += asset.stat().st_size
    return total, [urllib.parse.urljoin(f"/{page}", url) for url in parser.urls]


@pytest.mark.parametrize("page", [NEWS, QUIZ, NOTICE])
def test_article_page_with_its_css_and_js_weighs_under_100_kb(site: Path, page: str) -> None:
    total, assets = page_weight(site, page)
    assert any(url.endswith("site.css") for url in assets)
    assert total <= PAGE_BUDGET_BYTES, f"{page}: {total} bytes with {assets}"


def test_pasted_lines_stay_lines_and_an_indent_is_no_code_box(site: Path) -> None:
    html = (site / "news/pasted/index.html").read_text(encoding="utf-8")
    assert "走访慰问。<br" in html and "第二段" in html  # one paragraph a line
    assert "<pre" not in html and "<p>第三段：Word" in html
    # the player is gone, a link to what it played is left
    assert "<iframe" not in html
    assert 'href="https://v.qq.com/txp/iframe/player.html?vid=x1234"' in html


def test_a_tag_written_twice_is_listed_once(site: Path) -> None:
    html = (site / NEWS).read_text(encoding="utf-8")
    assert html.count(">组织生活</a>") == 1, html


def test_quiz_options_typed_with_their_letters_are_not_lettered_twice(site: Path) -> None:
    # a trial: options written "A. 甲" showed as "A. A. 甲" (the list letters them itself)
    html = (site / "study/lettered/index.html").read_text(encoding="utf-8")
    assert "<li>入党宣誓仪式上</li>" in html and "<li>转正时</li>" in html, html
    assert "A. 入党宣誓仪式上" in html  # the answer names the option with its letter once
    assert "A. A." not in html and "<li>B、" not in html and "(C)" not in html


def test_quiz_page_loads_the_quiz_client_and_others_do_not(site: Path) -> None:
    assert page_weight(site, QUIZ)[1].count("/theme/js/quiz.js") == 1
    assert not any("quiz.js" in url for url in page_weight(site, NEWS)[1])


def test_built_pages_load_nothing_from_other_hosts(site: Path) -> None:
    for page in sorted(site.rglob("*.html")):
        text = page.read_text(encoding="utf-8")
        assert not re.search(r"<(script|link)[^>]+(src|href)=\"(https?:)?//", text), page
    for css in (site / "theme").rglob("*.css"):
        text = css.read_text(encoding="utf-8")
        assert "@font-face" not in text and "@import" not in text, css
        assert not re.search(r"url\(\s*['\"]?(https?:)?//", text), css


def test_home_shows_pinned_and_current_notices_but_not_expired_ones(site: Path) -> None:
    home = (site / "index.html").read_text(encoding="utf-8")
    assert "关于党费收缴的通知" in home and "关于停水的通知" in home
    assert "关于春节值班的通知" not in home
    # The expired notice keeps its page and is marked there.
    old = (site / "announcements/old/index.html").read_text(encoding="utf-8")
    assert "已过期" in old


def test_study_page_lists_the_series_in_order(site: Path) -> None:
    study = (site / "study/index.html").read_text(encoding="utf-8")
    assert "学习园地" in study
    assert study.index("党章学习（一）") < study.index("党章学习（二）")


def test_series_navigation_links_the_next_part(site: Path) -> None:
    first = (site / QUIZ).read_text(encoding="utf-8")
    assert re.search(r'<a rel="next" href="../../study/s2/"', first)  # relative: any origin
    assert "第 1 篇，共 2 篇" in first
    second = (site / "study/s2/index.html").read_text(encoding="utf-8")
    assert re.search(r'<a rel="prev" href="../../study/s1/"', second)


def test_article_shows_type_dates_and_attachments(site: Path) -> None:
    news = (site / NEWS).read_text(encoding="utf-8")
    assert "要闻" in news and "2026年3月5日" in news and "2026年3月6日" in news
    notice = (site / NOTICE).read_text(encoding="utf-8")
    assert 'href="https://portal.example/doc"' in notice and "附件" in notice


def test_long_listing_is_paginated_with_working_links(tmp_path: Path) -> None:
    """More entries than one page holds: the listing splits, and "older" links to page 2."""
    from tongxin.build import build_site

    write_branch(tmp_path)
    for number in range(45):
        (tmp_path / "content" / "news" / f"item-{number:02d}.md").write_text(
            f"---\ntitle: 第{number}条消息\ndate: 2026-01-{1 + number % 28:02d}\n---\n正文。\n",
            encoding="utf-8",
        )
    output = build_site(tmp_path, tmp_path / "output", siteurl="", progress=False).output
    first = (output / "news" / "index.html").read_text(encoding="utf-8")
    match = re.search(r'<a rel="next" href="([^"]+)"', first)
    assert match, "the first page of a 45-entry listing links to the next one"
    target = urllib.parse.urljoin("/news/index.html", match.group(1)).strip("/")
    second = output / target / "index.html"
    if not second.exists():
        second = output / target
    assert second.is_file(), match.group(1)
    assert 'rel="prev"' in second.read_text(encoding="utf-8")
