"""A built branch site in headless Chromium at phone width (360×740).

Builds with ``tongxin.build.build_site`` (what ``tongxin build`` runs), serves the output on
127.0.0.1 and checks what a reader on a phone gets: no console errors, nothing fetched from
another host, no sideways scrolling, a working skip link and quiz. Screenshots land in
test-artifacts/ for a human to look at.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from browser import chromium_browser, open_page, screenshot, serve_directory  # noqa: F401
from test_theme_site import build_branch

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def branch_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    output = build_branch(tmp_path_factory.mktemp("branch"))
    with serve_directory(output) as base:
        yield base


def assert_clean(opened, name: str) -> None:  # type: ignore[no-untyped-def]
    assert opened.console_errors == [], opened.console_errors
    assert opened.failed_requests == [], opened.failed_requests
    assert opened.horizontal_overflow() <= 0, f"{name} scrolls sideways at 360 px"
    width = opened.page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= 360


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/", "branch-home-360"),
        ("/news/meeting/", "branch-news-360"),
        ("/study/s1/", "branch-study-quiz-360"),
        ("/announcements/notice/", "branch-notice-360"),
        ("/study/", "branch-study-list-360"),
    ],
)
def test_branch_pages_fit_a_phone_without_console_errors(
    browser,
    branch_url: str,
    path: str,
    name: str,
) -> None:
    opened = open_page(browser, branch_url + path)
    try:
        assert_clean(opened, name)
        assert opened.page.evaluate("document.documentElement.lang") == "zh-CN"
        screenshot(opened, name)
    finally:
        opened.close()


def test_first_tab_reaches_a_visible_skip_link_to_main(browser, branch_url: str) -> None:
    opened = open_page(browser, branch_url + "/news/meeting/")
    try:
        page = opened.page
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "(() => { const a = document.activeElement; const r = a.getBoundingClientRect();"
            " return {href: a.getAttribute('href'), top: r.top, height: r.height,"
            " outline: getComputedStyle(a).outlineStyle}; })()"
        )
        assert focused["href"] == "#main"
        assert focused["top"] >= 0 and focused["height"] > 0, "skip link stays off screen"
        assert focused["outline"] != "none", "focus is not visible"
        page.keyboard.press("Enter")
        assert page.evaluate("location.hash") == "#main"
    finally:
        opened.close()


def test_quiz_checks_answers_and_announces_the_score(browser, branch_url: str) -> None:
    opened = open_page(browser, branch_url + "/study/s1/")
    try:
        page = opened.page
        quiz = page.locator("[data-quiz]")
        # Enhanced: radio buttons for the single answer, checkboxes for the multiple one.
        assert quiz.locator("input[type=radio]").count() == 2
        assert quiz.locator("input[type=checkbox]").count() == 3
        assert quiz.locator("details.quiz-answer:visible").count() == 0
        quiz.get_by_label("A. 实现共产主义").check()
        quiz.get_by_label("A. 认真学习").check()  # B is missing: the second answer is wrong
        quiz.get_by_role("button", name="检查答案").click()
        status = quiz.locator("[role=status][aria-live=polite]")
        assert status.inner_text() == "答对 1 题，共 2 题。"
        results = quiz.locator(".quiz-result").all_inner_texts()
        assert results == ["回答正确", "回答错误"]
        assert quiz.locator("details.quiz-answer[open]").count() == 1
        screenshot(opened, "branch-quiz-checked-360")
        quiz.get_by_role("button", name="重新作答").click()
        assert status.inner_text() == ""
        assert opened.console_errors == []
    finally:
        opened.close()


def test_quiz_without_javascript_keeps_answers_in_details(browser, branch_url: str) -> None:
    opened = open_page(browser, branch_url + "/study/s1/", java_script=False)
    try:
        page = opened.page
        assert page.locator("[data-quiz] input").count() == 0
        answer = page.locator("details.quiz-answer").first
        answer.locator("summary").click()
        assert "正确答案：A. 实现共产主义" in answer.inner_text()
        assert opened.horizontal_overflow() <= 0
        screenshot(opened, "branch-quiz-nojs-360")
    finally:
        opened.close()


@pytest.mark.skipif(not (REPO / "content" / "site.yaml").exists(), reason="no demo content")
def test_demo_branch_home_and_a_study_page_fit_a_phone(
    browser,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    import shutil

    from tongxin.build import build_site

    # A copy, so the build's cache and output stay out of the working tree.
    root = tmp_path_factory.mktemp("demo")
    shutil.copytree(REPO / "content", root / "content")
    out = root / "output"
    build_site(root, out, siteurl="", progress=False, warnings_to=None)
    study = sorted(p for p in (out / "study").glob("*/index.html"))
    pages = ["/"] + ([f"/{study[0].parent.relative_to(out).as_posix()}/"] if study else [])
    with serve_directory(out) as base:
        for number, path in enumerate(pages):
            opened = open_page(browser, base + path)
            try:
                assert_clean(opened, path)
                screenshot(opened, f"demo-{number}-360")
            finally:
                opened.close()
