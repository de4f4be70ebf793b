"""The search page of a built branch site in headless Chromium.

Builds a small branch with ``tongxin.build.build_site`` (what ``tongxin build`` runs) whose
entries mix Simplified and Traditional text, serves it on 127.0.0.1, and drives search/.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from browser import WIDE, chromium_browser, open_page, serve_directory  # noqa: F401

pytestmark = pytest.mark.browser

ENTRIES = {
    "news/simplified.md": (
        "加强网络党建工作",
        "2026-03-01",
        "各支部要推进网络党建，用好互联网+平台。",
    ),
    "news/traditional.md": ("網絡黨建新進展", "2025-07-01", "本支部網絡黨建工作取得新進展。"),
    "study/liangxue.md": (
        "两学一做学习教育",
        "2024-05-01",
        "深入开展两学一做学习教育，2026年全面推进。",
    ),
    "news/apart.md": ("网络安全周", "2023-01-01", "网络与党建分开讲，本文不含那个连续词。"),
}


def write_branch(root: Path) -> None:
    content = root / "content"
    (content / "news").mkdir(parents=True)
    (content / "study").mkdir()
    (content / "site.yaml").write_text(
        "name: 测试支部\nurl: https://branch.example.org/\nlanguage: zh-CN\n", "utf-8"
    )
    for path, (title, date, body) in ENTRIES.items():
        (content / path).write_text(
            f"---\ntitle: {title}\ndate: {date}\n---\n\n{body}\n", encoding="utf-8"
        )
    # found by its author's name, as its page shows it (作者：赵桂兰)
    (content / "news" / "sports.md").write_text(
        "---\ntitle: 秋季运动会报名\ndate: 2025-09-01\nauthor: 赵桂兰\n---\n\n请于周五前报名。\n",
        encoding="utf-8",
    )
    # found only by its tag and its written summary (what an editor fills in Decap CMS)
    (content / "news" / "visit.md").write_text(
        "---\ntitle: 重阳节走访慰问老同志\ndate: 2025-05-13\ntags: [敬老]\n"
        "summary: 会议时间 ：AGM 年度大会前完成走访\n---\n\n支部书记带队走访。\n",
        encoding="utf-8",
    )


@pytest.fixture(scope="module")
def site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from tongxin.build import build_site

    root = tmp_path_factory.mktemp("branch")
    write_branch(root)
    output = build_site(root, root / "output", siteurl="", progress=False, warnings_to=None).output
    with serve_directory(output) as base:
        yield base


def search(browser, site_url: str, query: str, extra: str = ""):  # type: ignore[no-untyped-def]
    opened = open_page(browser, f"{site_url}/search/?q={quote(query)}{extra}")
    page = opened.page
    page.wait_for_selector("#search[data-state=done]", state="attached")
    hrefs = page.eval_on_selector_all(
        "#search-results a[href]", "els => els.map(e => e.getAttribute('href'))"
    )
    count = page.text_content("#search-count")
    # The shards are loaded by lunr.js itself (lunr.Index.load), from the pinned npm package.
    assert page.evaluate("typeof lunr === 'function' && typeof lunr.Index.load") == "function"
    assert opened.console_errors == [], opened.console_errors
    assert opened.failed_requests == [], opened.failed_requests
    return opened, hrefs, count


def test_simplified_query_finds_traditional_entries(browser, site_url: str) -> None:
    opened, hrefs, count = search(browser, site_url, "网络党建", "&sort=newest")
    try:
        # the phrase as typed first; 网络与党建 (its characters apart) after a note saying so
        assert hrefs == ["/news/simplified/", "/news/traditional/", "/news/apart/"]
        assert count == "3"
        items = opened.page.eval_on_selector_all(
            "#search-results > li", "els => els.map(e => e.className)"
        )
        assert items == ["search-hit", "search-hit", "search-loose", "search-hit"]
        assert "不相连" in opened.page.text_content(".search-loose")
    finally:
        opened.close()


def test_unspaced_and_dashed_queries_find_entries(browser, site_url: str) -> None:
    # 两学教育: no entry says it, 两学一做学习教育 holds 两学 and 教育; both marked
    opened, hrefs, _ = search(browser, site_url, "两学教育")
    try:
        assert hrefs == ["/study/liangxue/"]
        assert not opened.page.is_visible("#search-partial")
        marks = opened.page.eval_on_selector_all(
            "#search-results a mark", "els => els.map(e => e.textContent)"
        )
        assert marks == ["两学", "教育"], marks
    finally:
        opened.close()
    for query in ("网络-党建", "网络—党建"):  # a dash between Chinese words is a space
        opened, hrefs, _ = search(browser, site_url, query)
        opened.close()
        assert sorted(hrefs) == ["/news/apart/", "/news/simplified/", "/news/traditional/"]


def test_traditional_query_finds_simplified_entries_and_highlights_the_title(
    browser, site_url: str
) -> None:
    opened, hrefs, _count = search(browser, site_url, "網絡黨建")
    try:
        assert sorted(hrefs[:2]) == ["/news/simplified/", "/news/traditional/"]
        assert hrefs[2:] == ["/news/apart/"]  # its characters apart: after them
        marks = opened.page.eval_on_selector_all(
            "#search-results a mark", "els => els.map(e => e.textContent)"
        )
        assert "网络党建" in marks and "網絡黨建" in marks
        assert opened.page.input_value("#search-input") == "網絡黨建"  # ?q= read on load
    finally:
        opened.close()


def test_multi_word_query_narrows_down(browser, site_url: str) -> None:
    opened, hrefs, _ = search(browser, site_url, "网络 党建")
    opened.close()
    assert sorted(hrefs) == ["/news/apart/", "/news/simplified/", "/news/traditional/"]
    opened, hrefs, _ = search(browser, site_url, "两学一做 2026年")
    opened.close()
    assert hrefs == ["/study/liangxue/"]


def test_an_author_is_found_by_name(browser, site_url: str) -> None:
    """A reader's trial: every article shows 作者：…, and searching that name found nothing."""
    opened, hrefs, count = search(browser, site_url, "赵桂兰")
    opened.close()
    assert hrefs == ["/news/sports/"] and count == "1"


def test_a_word_after_a_minus_is_left_out(browser, site_url: str) -> None:
    """A reader's trial: 党建 -通知 required 通知 (the minus was a separator). Entries holding
    the word as typed are left out; a full-width minus too; a query of minus words alone
    searches them."""
    opened, hrefs, count = search(browser, site_url, "网络 -互联网")
    opened.close()
    assert sorted(hrefs) == ["/news/apart/", "/news/traditional/"] and count == "2"
    opened, hrefs, _ = search(browser, site_url, "网络 －互联网 -安全")
    opened.close()
    assert hrefs == ["/news/traditional/"]
    opened, hrefs, _ = search(browser, site_url, "-两学一做")
    opened.close()
    assert hrefs == ["/study/liangxue/"]


def test_filters_by_type_and_year(browser, site_url: str) -> None:
    opened, hrefs, _ = search(browser, site_url, "网络党建", "&year=2025")
    opened.close()
    assert hrefs == ["/news/traditional/"]
    opened, hrefs, _ = search(browser, site_url, "学习", "&type=study")
    opened.close()
    assert hrefs == ["/study/liangxue/"]


def test_no_result_says_zero(browser, site_url: str) -> None:
    opened, hrefs, count = search(browser, site_url, "不存在的词语")
    try:
        assert hrefs == [] and count == "0"
        assert "没有找到" in opened.page.text_content("#search-status")
    finally:
        opened.close()


def test_a_query_does_not_come_down_to_one_character(browser, site_url: str) -> None:
    """A trial: 3000元 listed entries holding 元 alone, as partial matches. No entry says
    2030, so 2030年 finds nothing, though one says 2026年."""
    for query in ("2030年", "第9期", "https://example.org/news/2025/05/x.html"):
        opened, hrefs, count = search(browser, site_url, query)
        try:
            assert hrefs == [] and count == "0", query
            assert "没有找到" in opened.page.text_content("#search-status")
            assert not opened.page.is_visible("#search-partial")
        finally:
            opened.close()


def test_typing_updates_results_and_the_shareable_url(browser, site_url: str) -> None:
    opened, _, _ = search(browser, site_url, "")
    try:
        page = opened.page
        page.fill("#search-input", "两学一做")
        page.press("#search-input", "Enter")
        page.wait_for_function("document.getElementById('search-count').textContent === '1'")
        page.wait_for_selector("#search[data-state=done]", state="attached")
        assert "q=%E4%B8%A4" in page.url
        page.press("#search-input", "ArrowDown")  # keyboard: from the box to the first hit
        assert page.evaluate("document.activeElement.getAttribute('href')") == "/study/liangxue/"
    finally:
        opened.close()


def test_without_javascript_the_page_points_to_the_archives(browser, site_url: str) -> None:
    opened = open_page(browser, f"{site_url}/search/", java_script=False)
    try:
        html = opened.page.content()
        assert "需要启用 JavaScript" in html and 'href="../archives/"' in html  # relative links
        assert "文章归档</a>。" in html  # a Chinese full stop, not an ASCII one
    finally:
        opened.close()


@pytest.fixture(scope="module")
def split_site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The same site, its index rebuilt as a portal's: two branches, every bucket in parts."""
    from tongxin.build import build_site
    from tongxin.search import SearchDoc, build_search_index

    root = tmp_path_factory.mktemp("split")
    write_branch(root)
    output = build_site(root, root / "output", siteurl="", progress=False, warnings_to=None).output
    docs = [
        SearchDoc(path, f"/{path[:-3]}/", title, body, f"第{i % 2}支部", path.split("/")[0], date)
        for i, (path, (title, date, body)) in enumerate(ENTRIES.items())
    ]
    build_search_index(docs, output, split_postings=1)
    with serve_directory(output) as base:
        yield base


def test_a_portal_index_in_parts_answers_like_a_whole_one(browser, split_site_url: str) -> None:
    parts = []
    opened, hrefs, count = search(browser, split_site_url, "網絡黨建", "&sort=newest")
    try:
        fetched = opened.page.evaluate("performance.getEntriesByType('resource').map(r => r.name)")
        parts = [u for u in fetched if "/shards/" in u and "-" in u.rsplit("/", 1)[1]]
    finally:
        opened.close()
    # (网络与党建, the characters apart, after the phrase)
    assert hrefs == ["/news/simplified/", "/news/traditional/", "/news/apart/"] and count == "3"
    assert parts  # the buckets of 网络, 络党, 党建 came as parts
    opened, hrefs, _ = search(browser, split_site_url, "网络 党建", "&branch=第1支部")
    opened.close()
    assert sorted(hrefs) == ["/news/apart/", "/news/traditional/"]


@pytest.fixture(scope="module")
def delta_site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The site's index as a portal's base + delta: the base predates an edit, an added entry
    and a deletion, which the delta and its dead refs carry."""
    import shutil

    from tongxin.build import build_site
    from tongxin.search import SearchDoc, build_delta_index, build_search_index

    root = tmp_path_factory.mktemp("delta")
    write_branch(root)
    output = build_site(root, root / "output", siteurl="", progress=False, warnings_to=None).output
    docs = [
        SearchDoc(path, f"/{path[:-3]}/", title, body, f"第{i % 2}支部", path.split("/")[0], date)
        for i, (path, (title, date, body)) in enumerate(ENTRIES.items())
    ]
    old = [d for d in docs if d.id != "news/traditional.md"]
    old.append(
        SearchDoc(
            "news/traditional.md",
            "/news/traditional/",
            "旧标题",
            "旧正文",
            "第1支部",
            "news",
            "2025-07-01",
        )
    )
    old.append(
        SearchDoc(
            "news/gone.md", "/news/gone/", "網絡黨建旧闻", "已删除", "第0支部", "news", "2022-01-01"
        )
    )
    base = build_search_index(old, root / "base")
    added = SearchDoc(
        "news/added.md", "/news/added/", "网络党建新条目", "新增", "第2支部", "news", "2026-04-01"
    )
    now = [*docs, added]
    current = {d.id: d for d in now}
    for name in ("shards", "meta", "manifest.json"):  # the branch build's own index goes
        target = output / "search" / name
        shutil.rmtree(target) if target.is_dir() else target.unlink()
    build_delta_index(
        root / "base" / "search",
        output,
        [current["news/traditional.md"], added],
        ["news/gone.md"],
        base.refs,
        [(d.branch, d.type, d.date) for d in now],
        lambda ids: [current[i] for i in ids],
        max_share=1.0,
    )
    with serve_directory(output) as base_url:
        yield base_url


def test_a_base_plus_delta_index_answers_like_a_cold_one(browser, delta_site_url: str) -> None:
    want = ["/news/added/", "/news/simplified/", "/news/traditional/", "/news/apart/"]
    for query in ("网络党建", "網絡黨建"):
        opened, hrefs, count = search(browser, delta_site_url, query, "&sort=newest")
        try:
            fetched = opened.page.evaluate(
                "performance.getEntriesByType('resource').map(r => r.name)"
            )
        finally:
            opened.close()
        assert hrefs == want and count == "4", (query, hrefs)
        assert any("/delta/shards/" in u for u in fetched)
    opened, hrefs, _ = search(browser, delta_site_url, "旧标题")
    opened.close()
    assert hrefs == [], "the superseded version is not found"


def test_a_tag_and_a_summary_find_the_entry_with_a_chinese_date(browser, site_url: str) -> None:
    opened, hrefs, count = search(browser, site_url, "敬老")
    try:
        assert hrefs == ["/news/visit/"] and count == "1"
        page = opened.page
        meta = page.text_content("#search-results .search-hit-meta")
        assert "2025年5月13日" in meta and "2025-05-13" not in meta
        tags = page.text_content("#search-results .search-hit-tags")
        assert tags == "标签：敬老" and page.text_content(".search-hit-tags mark") == "敬老"
        # result titles sit one level under the h1; one search landmark on the page
        assert page.eval_on_selector_all("#search-results h2 a", "els => els.length") == 1
        assert page.eval_on_selector_all("#search-results h3", "els => els.length") == 0
        assert page.eval_on_selector_all("[role=search], search", "els => els.length") == 1
    finally:
        opened.close()
    opened, hrefs, _ = search(browser, site_url, "AGM")
    try:
        assert hrefs == ["/news/visit/"]
        snippet = opened.page.text_content("#search-results .search-hit-snippet")
        assert "时间：" in snippet and " ：" not in snippet
    finally:
        opened.close()


def test_one_character_queries_find_entries(browser, site_url: str) -> None:
    for query in ("党", "黨"):
        opened, hrefs, _ = search(browser, site_url, query)
        opened.close()
        assert sorted(hrefs) == ["/news/apart/", "/news/simplified/", "/news/traditional/"]


def test_partial_matches_are_labelled_and_no_result_links_onward(browser, site_url: str) -> None:
    opened, hrefs, _ = search(browser, site_url, "两学一做 不存在的词")
    try:
        assert hrefs == ["/study/liangxue/"]
        assert opened.page.is_visible("#search-partial")
    finally:
        opened.close()
    opened, hrefs, _ = search(browser, site_url, "不存在的词 也没有")
    try:
        assert hrefs == [] and not opened.page.is_visible("#search-partial")
        link = opened.page.locator("#search-status a", has_text="文章归档")
        # a relative link (sites work from any origin) that leads to the archives
        href = link.evaluate("a => new URL(a.href).pathname")
        assert link.is_visible() and href == "/archives/", href
        assert not opened.page.is_visible("#search-kinds")
    finally:
        opened.close()


def test_results_are_sorted_into_kinds_with_counts(browser, site_url: str) -> None:
    opened, hrefs, _ = search(browser, site_url, "学")
    try:
        page = opened.page
        page.wait_for_selector("#search-kinds button")
        labels = page.eval_on_selector_all(
            "#search-kinds button", "els => els.map(e => e.textContent)"
        )
        assert labels[0] == f"全部 ({len(hrefs)})"
        assert any(label.startswith("学习园地 (") for label in labels), labels
        page.click("#search-kinds button:has-text('学习园地')")
        page.wait_for_function("new URL(location).searchParams.get('type') === 'study'")
        page.wait_for_selector("#search[data-state=done]", state="attached")
        got = page.eval_on_selector_all(
            "#search-results a", "els => els.map(e => e.getAttribute('href'))"
        )
        assert got == ["/study/liangxue/"]
        year = page.eval_on_selector_all(
            "#search-year option", "els => els.map(e => e.textContent)"
        )
        assert any("(" in y for y in year[1:]), year
    finally:
        opened.close()


def counts_of(page, selector: str) -> list[str]:  # type: ignore[no-untyped-def]
    page.wait_for_selector("#search-kinds button", state="attached")
    return page.eval_on_selector_all(selector, "els => els.map(e => e.textContent)")


def test_filter_counts_apply_the_other_filters(browser, site_url: str) -> None:
    """A trial: with a type chosen, the other filters' counts still counted every type, and
    the kinds every year. Each filter counts the results of the others (not its own): a
    count is what choosing it shows."""
    opened, hrefs, _ = search(browser, site_url, "党", "&year=2025")
    try:
        assert hrefs == ["/news/traditional/"]
        assert counts_of(opened.page, "#search-kinds button") == ["全部 (1)", "要闻 (1)"]
        years = counts_of(opened.page, "#search-year option")
        assert years[1:] == ["2026 (1)", "2025 (1)", "2024 (0)", "2023 (1)"], years
    finally:
        opened.close()
    opened, hrefs, _ = search(browser, site_url, "党", "&type=study")
    try:
        assert hrefs == []
        # the chosen type stays among the kinds, at 0; the years count studies only
        kinds = counts_of(opened.page, "#search-kinds button")
        assert kinds == ["全部 (3)", "要闻 (3)", "学习园地 (0)"], kinds
        years = counts_of(opened.page, "#search-year option")
        assert all(y.endswith(" (0)") for y in years[1:]), years
    finally:
        opened.close()


@pytest.fixture(scope="module")
def unfaceted_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The same site, its index rebuilt without facets.json (as a collection too big for it)."""
    from unittest import mock

    from tongxin.build import build_site

    root = tmp_path_factory.mktemp("unfaceted")
    write_branch(root)
    with mock.patch("tongxin.search.extras.FACET_DOCS", 0):
        output = build_site(root, root / "out", siteurl="", progress=False, warnings_to=None)
    assert not (output.output / "search" / "facets.json").exists()
    with serve_directory(output.output) as base:
        yield base


def test_without_a_facet_table_the_years_count_the_other_filters(
    browser, unfaceted_url: str
) -> None:
    opened, hrefs, _ = search(browser, unfaceted_url, "党", "&type=study")
    try:
        assert hrefs == []
        years = counts_of(opened.page, "#search-year option")
        assert all(y.endswith(" (0)") for y in years[1:]), years
    finally:
        opened.close()
    opened, hrefs, _ = search(browser, unfaceted_url, "党", "&year=2025")
    try:
        assert hrefs == ["/news/traditional/"]
        years = counts_of(opened.page, "#search-year option")
        assert years[1:] == ["2026 (1)", "2025 (1)", "2024 (0)", "2023 (1)"], years
    finally:
        opened.close()


def test_filters_fold_on_a_phone_and_are_tall_enough_to_tap(
    browser, site_url: str, tmp_path: Path
) -> None:
    opened, _, _ = search(browser, site_url, "党建")
    try:
        page = opened.page
        # folded on a phone: the first result is on the first screen, not below five selects
        assert not page.is_visible("#search-year")
        top = page.eval_on_selector(
            "#search-results .search-hit", "e => e.getBoundingClientRect().top"
        )
        assert top < 740 - 200, top  # (it was 710 px down on an 844 px screen)
        page.click("#search-filters-box summary")
        heights = page.eval_on_selector_all(
            "#search select", "els => els.map(e => e.getBoundingClientRect().height)"
        )
        shown = [h for h in heights if h]
        assert shown and min(shown) >= 44, heights
        # a branch site has one branch and no regions: those filters are not shown
        assert not page.is_visible("#search-region") and not page.is_visible("#search-branch")
        page.screenshot(path=str(tmp_path / "search-360.png"), full_page=True)  # to look at
    finally:
        opened.close()


def test_without_javascript_no_search_data_is_fetched(browser, site_url: str) -> None:
    opened = open_page(browser, f"{site_url}/search/?q=党建", java_script=False)
    try:
        fetched: list[str] = []
        opened.page.on("request", lambda req: fetched.append(req.url))
        opened.page.reload()
        opened.page.wait_for_load_state("load")
        assert not [u for u in fetched if "/search/" in u and u.endswith(".json")], fetched
    finally:
        opened.close()


@pytest.fixture(scope="module")
def public_site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The branch built for its public URL, served from 127.0.0.1 under a sub-path (as from an
    intranet IP or a staging host): {base}/sub/."""
    from tongxin.build import build_site

    root = tmp_path_factory.mktemp("public")
    write_branch(root)
    served = root / "served"
    served.mkdir()
    build_site(
        root, served / "sub", siteurl="https://branch.example.org", progress=False, warnings_to=None
    )
    with serve_directory(served) as base:
        yield f"{base}/sub"


def test_hits_link_the_site_where_it_is_served(browser, public_site_url: str) -> None:
    opened, hrefs, _ = search(browser, public_site_url, "两学一做")
    try:
        assert hrefs == ["/sub/study/liangxue/"], hrefs
        opened.page.click("#search-results a")
        opened.page.wait_for_load_state()
        assert opened.page.url == public_site_url + "/study/liangxue/"
        assert "两学一做" in opened.page.title()
    finally:
        opened.close()


@pytest.fixture(scope="module")
def english_site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from tongxin.build import build_site

    root = tmp_path_factory.mktemp("english")
    content = root / "content"
    (content / "news").mkdir(parents=True)
    (content / "site.yaml").write_text(
        "name: Riverside Branch\nurl: https://river.example.org/\nlanguage: en\n", "utf-8"
    )
    (content / "news" / "park.md").write_text(
        "---\ntitle: A volunteer day in the park\ndate: 2026-04-01\n---\n\n"
        "Members cleaned the riverside path.\n",
        encoding="utf-8",
    )
    (content / "news" / "office.md").write_text(
        "---\ntitle: Well-being week\ndate: 2026-04-02\n---\n\n"
        "E-mail the office before the pre-departure briefing.\n",
        encoding="utf-8",
    )
    (content / "news" / "contact.md").write_text(
        "---\ntitle: Contact the office\ndate: 2026-04-03\n---\n\n"
        "Start with an email, then call. The art room is upstairs.\n",
        encoding="utf-8",
    )
    output = build_site(root, root / "output", siteurl="", progress=False, warnings_to=None).output
    with serve_directory(output) as base:
        yield base


def test_english_words_are_found_in_other_forms(browser, english_site_url: str) -> None:
    for query in ("Volunteers", "clean", "volunteering cleaning"):
        opened, hrefs, _ = search(browser, english_site_url, query)
        try:
            assert hrefs == ["/news/park/"], query
            marks = opened.page.eval_on_selector_all(
                "#search-results mark", "els => els.map(e => e.textContent)"
            )
            assert marks, query
            # one hit is "1 result", not "1 results" (a trial's English reader)
            assert opened.page.inner_text("#search-status").strip() == "1 result", query
        finally:
            opened.close()


def test_a_hyphenated_word_is_found_written_as_one(browser, english_site_url: str) -> None:
    """The text says E-mail, Well-being, pre-departure; readers type email, wellbeing,
    predeparture (a trial's English reader found nothing), or the hyphen as written."""
    for query in ("wellbeing", "predeparture", "well being"):
        opened, hrefs, _ = search(browser, english_site_url, query)
        opened.close()
        assert hrefs == ["/news/office/"], query
    # a trial: e-mail did not find "email"; either finds both, and marks what it found
    for query in ("email", "e-mail", "E-Mail"):
        opened, hrefs, _ = search(browser, english_site_url, query, "&sort=newest")
        try:
            assert hrefs == ["/news/contact/", "/news/office/"], query
            marks = opened.page.eval_on_selector_all(
                "#search-results mark", "els => els.map(e => e.textContent)"
            )
            assert marks == ["email", "E-mail"], (query, marks)
        finally:
            opened.close()


def test_a_word_is_marked_whole_not_inside_another(browser, english_site_url: str) -> None:
    """A trial: art was marked in "Start"; (volunteer) marked nothing."""
    for query, want in (
        ("art", ["art"]),
        ("(volunteer)", ["volunteer"]),
        ("email,", ["E-mail", "email"]),
    ):
        opened, hrefs, _ = search(browser, english_site_url, query)
        try:
            assert hrefs, query
            marks = opened.page.eval_on_selector_all(
                "#search-results mark", "els => els.map(e => e.textContent)"
            )
            assert sorted(marks) == want, (query, marks)
        finally:
            opened.close()


def test_what_is_typed_before_the_index_arrives_is_kept(browser, site_url: str) -> None:
    """On a slow link the box took typing before the search script and the index had come;
    once they came, the page emptied the box (the address had no query) and asked for one."""
    from browser import PHONE

    context = browser.new_context(viewport=PHONE)
    try:
        page = context.new_page()
        held: list = []
        # the search script and the index's entry point are held back (a 2G link)
        page.route("**/search.js", lambda route: held.append(route))
        page.route("**/search/manifest.json", lambda route: held.append(route))
        page.goto(f"{site_url}/search/", wait_until="commit")
        page.wait_for_selector("#search-input")
        page.fill("#search-input", "两学一做")
        page.wait_for_timeout(400)  # past the typing pause: nothing can run yet
        assert held and page.get_attribute("#search", "data-ready") is None
        for route in held:
            route.continue_()
        page.wait_for_function("document.getElementById('search-count').textContent === '1'")
        assert page.input_value("#search-input") == "两学一做"
        assert "q=%E4%B8%A4" in page.url
    finally:
        context.close()


def test_pinyin_being_composed_is_not_searched(browser, site_url: str) -> None:
    """A phone's pinyin keyboard sends input events while "liang" is composed: each was
    searched (0 results, the address rewritten) until the characters were chosen."""
    opened, _, _ = search(browser, site_url, "")
    try:
        page = opened.page
        page.evaluate(
            """() => {
              const box = document.getElementById('search-input');
              box.focus();
              box.dispatchEvent(new CompositionEvent('compositionstart'));
              box.value = 'liang';
              box.dispatchEvent(new InputEvent('input', {isComposing: true, bubbles: true}));
            }"""
        )
        page.wait_for_timeout(600)
        assert "q=" not in page.url and page.text_content("#search-count") == ""
        page.evaluate(
            """() => {
              const box = document.getElementById('search-input');
              box.value = '两学一做';
              box.dispatchEvent(new CompositionEvent('compositionend', {data: '两学一做'}));
            }"""
        )
        page.wait_for_function("document.getElementById('search-count').textContent === '1'")
        assert "q=%E4%B8%A4" in page.url
    finally:
        opened.close()


def test_a_pasted_paragraph_is_searched_by_its_head(browser, site_url: str) -> None:
    """A 2,000-character paste asked for hundreds of index files (and made a 14 KB address);
    its first 80 characters are the query."""
    from urllib.parse import parse_qs, urlsplit

    pasted = "两学一做" + "学习教育全面推进" * 250
    opened, hrefs, _count = search(browser, site_url, pasted)
    try:
        query = parse_qs(urlsplit(opened.page.url).query)["q"][0]
        assert len(query) <= 80 and query.startswith("两学一做")
        assert "/study/liangxue/" in hrefs
    finally:
        opened.close()


@pytest.fixture(scope="module")
def many_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """25 entries that all hold 党建: three screens of results."""
    from tongxin.build import build_site

    root = tmp_path_factory.mktemp("many")
    news = root / "content" / "news"
    news.mkdir(parents=True)
    (root / "content" / "site.yaml").write_text(
        "name: 测试支部\nurl: https://branch.example.org/\nlanguage: zh-CN\n", "utf-8"
    )
    for n in range(25):
        (news / f"brief-{n:02d}.md").write_text(
            f"---\ntitle: 党建简报{n}\ndate: 2025-01-{n + 1:02d}\n---\n\n本期党建工作简报。\n",
            encoding="utf-8",
        )
    output = build_site(root, root / "output", siteurl="", progress=False, warnings_to=None).output
    with serve_directory(output) as base:
        yield base


def test_back_from_a_result_returns_to_the_same_place_in_the_list(browser, many_url: str) -> None:
    """Back from result 22 showed the first 10 results, scrolled to the top."""
    opened, _, _ = search(browser, many_url, "党建", "&sort=newest")
    try:
        page = opened.page
        for shown in (20, 25):
            page.click("#search-more")
            page.wait_for_function(
                f"document.querySelectorAll('#search-results .search-hit').length === {shown}"
            )
        link = page.locator("#search-results .search-hit a[href]").nth(21)
        link.scroll_into_view_if_needed()
        y = page.evaluate("window.scrollY")
        assert y > 300
        link.click()
        page.wait_for_url("**/news/brief-*/")
        page.go_back()
        page.wait_for_function(
            "document.querySelectorAll('#search-results .search-hit').length === 25"
        )
        page.wait_for_function(f"Math.abs(window.scrollY - {y}) < 5")
    finally:
        opened.close()


def test_filters_are_open_on_a_wide_screen_and_when_the_address_sets_one(
    browser, site_url: str
) -> None:
    opened = open_page(browser, f"{site_url}/search/?q=%E5%85%9A&year=2025")
    try:
        opened.page.wait_for_selector("#search[data-state=done]", state="attached")
        assert opened.page.is_visible("#search-year")  # a phone, but a filter is set
    finally:
        opened.close()
    opened = open_page(browser, f"{site_url}/search/?q=%E5%85%9A", viewport=WIDE)
    try:
        opened.page.wait_for_selector("#search[data-state=done]", state="attached")
        assert opened.page.is_visible("#search-year")
    finally:
        opened.close()
