"""The portal as readers and operators see it, in headless Chromium.

Three branch feeds are served on 127.0.0.1 (tests/feedserver.py): two healthy branches in two
regions, one answering 500 (so the health page shows an error). One ``federate`` run writes
the portal, which is then served on 127.0.0.1 at the address the registry gives it, and every
kind of page is opened at phone (360x740) and desktop (1280x800) size. Screenshots land in
test-artifacts/portal-*.png for a human to look at.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import quote, urljoin, urlsplit

import pytest
from browser import chromium_browser, open_page, screenshot, serve_directory  # noqa: F401
from feedserver import FeedServer
from test_pipeline import Item, atom, federate, write_registry

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}
#: The narrowest phones still in use: the header once overflowed here by 5 px.
SMALL_PHONE = {"width": 320, "height": 640}
VIEWPORTS = pytest.mark.parametrize(
    "viewport", [SMALL_PHONE, PHONE, DESKTOP], ids=["320", "360", "1280"]
)
# A word in one entry of each branch: the portal's search must find both.
SHARED_TERM = "志愿服务"
REGION_CITY = "城区社区"


@dataclass
class Portal:
    url: str  # with a trailing slash, as in the registry
    entry_urls: dict[str, str]  # branch id -> URL of its entry holding SHARED_TERM


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    root = tmp_path_factory.mktemp("portal")
    out = root / "www"
    with FeedServer() as feeds, serve_directory(out) as base:
        dongjiang = feeds.url("/dongjiang/")
        riverside = feeds.url("/riverside/")
        feeds.route(
            "/dongjiang/feeds/all.atom.xml",
            body=atom(
                dongjiang,
                "东江社区党支部",
                [
                    Item(
                        "volunteers", "东江社区开展志愿服务活动", 1, "<p>党员志愿服务进社区。</p>"
                    ),
                    Item("meeting", "關於召開黨員大會的通知", 2, type="announcements", pinned=True),
                    Item("lesson", "学习园地：基层治理第一课", 3, type="study"),
                    *(Item(f"old-{n}", f"东江旧闻第{n}期", 40 + n * 30) for n in range(8)),
                ],
            ),
        )
        feeds.route(
            "/riverside/feeds/all.atom.xml",
            body=atom(
                riverside,
                "Riverside Tech Workers' Union",
                [
                    Item(
                        "volunteering-day",
                        "Volunteering day: 志愿服务 along the riverside",
                        1.5,
                        # One long unbroken word: a phone page must wrap it, not widen.
                        "<p>Details: https://riverside.example/notices/2026/volunteering-day-"
                        "registration-form-and-the-full-programme-for-every-team</p>",
                    ),
                    Item("agm", "Notice of the annual general meeting", 4, type="announcements"),
                ],
            ),
        )
        feeds.route("/broken/feeds/all.atom.xml", status=500, body=b"oops")
        registry = write_registry(
            root / "registry.yaml",
            "江城市委门户",
            base + "/",
            [
                {
                    "id": "dongjiang",
                    "name": "东江社区党支部",
                    "feed": dongjiang + "feeds/all.atom.xml",
                    "region": REGION_CITY,
                },
                {
                    "id": "riverside",
                    "name": "Riverside Tech Workers' Union",
                    "feed": riverside + "feeds/all.atom.xml",
                    "region": "园区与两新组织",
                },
                {
                    "id": "broken",
                    "name": "西湖村党支部（地址失效）",
                    "feed": feeds.url("/broken/feeds/all.atom.xml"),
                    "region": REGION_CITY,
                },
            ],
        )
        # In a thread of its own: Playwright's sync API keeps an event loop running in this
        # one, and federate runs asyncio for its fetches.
        with ThreadPoolExecutor(1) as pool:
            report = pool.submit(federate, registry, out).result(timeout=60)
        assert report.published, report
        yield Portal(
            base + "/",
            {
                "dongjiang": dongjiang + "news/volunteers/",
                "riverside": riverside + "news/volunteering-day/",
            },
        )


def assert_clean(opened, viewport: dict[str, int]) -> None:  # type: ignore[no-untyped-def]
    assert opened.console_errors == [], opened.console_errors
    assert opened.failed_requests == [], opened.failed_requests
    overflow = opened.horizontal_overflow()
    assert overflow == 0, f"{opened.page.url} is {overflow}px wider than {viewport['width']}px"


PAGES = {
    "home": "",
    "branch": "branches/dongjiang/",
    "region": f"regions/{quote(REGION_CITY)}/",
    "type": "announcements/",
    "branches": "branches/",
    "archives": "archives/",
    "health": "health/",
}


@VIEWPORTS
@pytest.mark.parametrize("name", list(PAGES))
def test_portal_page_loads_cleanly_and_fits_the_screen(
    browser, portal: Portal, name: str, viewport: dict[str, int]
) -> None:
    opened = open_page(browser, portal.url + PAGES[name], viewport=viewport)
    try:
        screenshot(opened, f"portal-{name}-{viewport['width']}")
        assert_clean(opened, viewport)
        assert opened.page.locator("h1").count() == 1
        # The portal's own stylesheet arrived and applies (a page styled by it, not bare).
        assert opened.page.evaluate(
            "[...document.styleSheets].some(s => (s.href || '').endsWith('/theme/css/portal.css'))"
        )
    finally:
        opened.close()


def test_every_internal_link_on_the_home_page_resolves(browser, portal: Portal) -> None:
    opened = open_page(browser, portal.url, viewport=DESKTOP)
    try:
        hrefs = opened.page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
        assets = opened.page.eval_on_selector_all(
            "link[href], script[src]", "els => els.map(e => e.href || e.src)"
        )
    finally:
        opened.close()
    origin = urlsplit(portal.url).netloc
    internal = {h.split("#")[0] for h in hrefs + assets if urlsplit(h).netloc == origin}
    assert len(internal) >= 10, internal  # nav, browse lists, regions, feeds …
    broken = []
    for url in sorted(internal):
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
        if status != 200:
            broken.append(f"{url} → {status}")
    assert broken == []


def test_home_links_to_entries_on_their_branch_sites(browser, portal: Portal) -> None:
    opened = open_page(browser, portal.url, viewport=PHONE)
    try:
        hrefs = opened.page.eval_on_selector_all(
            ".entry-card a[href]", "els => els.map(e => e.href)"
        )
        pinned = opened.page.locator(".home-pinned").inner_text()
    finally:
        opened.close()
    assert set(portal.entry_urls.values()) <= set(hrefs)
    assert "關於召開黨員大會的通知" in pinned


@VIEWPORTS
def test_search_finds_an_entry_of_each_branch(
    browser, portal: Portal, viewport: dict[str, int]
) -> None:
    opened = open_page(browser, f"{portal.url}search/?q={quote(SHARED_TERM)}", viewport=viewport)
    try:
        page = opened.page
        page.wait_for_selector("#search[data-state=done]", state="attached")
        hrefs = page.eval_on_selector_all("#search-results a[href]", "els => els.map(e => e.href)")
        count = page.text_content("#search-count")
        screenshot(opened, f"portal-search-{viewport['width']}")
        assert_clean(opened, viewport)
    finally:
        opened.close()
    assert set(hrefs) == set(portal.entry_urls.values())
    assert count == "2"


def test_search_folds_traditional_queries_on_the_portal(browser, portal: Portal) -> None:
    # 黨員大會 (Traditional) finds the notice written in Traditional, and 党员 (Simplified)
    # finds it too: the portal's index goes through the same folding as branch sites'.
    for query in ("黨員大會", "党员大会"):
        opened = open_page(browser, f"{portal.url}search/?q={quote(query)}")
        try:
            opened.page.wait_for_selector("#search[data-state=done]", state="attached")
            hrefs = opened.page.eval_on_selector_all(
                "#search-results a[href]", "els => els.map(e => e.href)"
            )
            assert opened.console_errors == [], opened.console_errors
        finally:
            opened.close()
        assert any(h.endswith("/announcements/meeting/") for h in hrefs), (query, hrefs)


def test_health_page_shows_each_branch_as_a_labelled_card_on_a_phone(
    browser, portal: Portal
) -> None:
    opened = open_page(browser, portal.url + "health/", viewport=PHONE)
    try:
        page = opened.page
        rows = page.locator("tbody tr")
        assert rows.count() == 3
        broken = page.locator("#branch-broken")
        assert broken.locator("[data-status]").get_attribute("data-status") == "error"
        assert "500" in broken.inner_text()
        # Card layout: each value is preceded by its column's name, and no card is wider
        # than the screen.
        label = page.evaluate(
            "getComputedStyle(document.querySelector('#branch-broken td'), '::before').content"
        )
        assert label.strip('"') != "" and label != "none"
        widths = page.eval_on_selector_all(
            "tbody tr", "rows => rows.map(r => r.getBoundingClientRect().right)"
        )
        assert max(widths) <= PHONE["width"]
        assert page.evaluate("document.querySelector('table').getAttribute('role')") == "table"
    finally:
        opened.close()


def test_portal_is_readable_without_javascript(browser, portal: Portal) -> None:
    for path in ("", "news/", "branches/riverside/"):
        opened = open_page(browser, portal.url + path, java_script=False)
        try:
            titles = opened.page.locator(".entry-card .entry-title").all_inner_texts()
            assert titles, path
            if path:  # listings have the same cards; one of one type hides their type label
                labels = opened.page.locator(".entry-list .entry-card .type-label")
                assert labels.count() == len(titles), path
                shown = [labels.nth(i).is_visible() for i in range(labels.count())]
                assert shown == [path != "news/"] * len(titles), path
            assert opened.failed_requests == [], opened.failed_requests
            assert opened.horizontal_overflow() == 0, path
        finally:
            opened.close()
    opened = open_page(browser, f"{portal.url}search/?q={quote(SHARED_TERM)}", java_script=False)
    try:
        screenshot(opened, "portal-search-nojs-360")
        notice = opened.page.locator(".search-needs-js")
        assert notice.is_visible()
        assert "JavaScript" in notice.inner_text()
        archives = urljoin(portal.url, notice.locator("a").get_attribute("href") or "")
        assert archives == portal.url + "archives/"
        with urllib.request.urlopen(archives, timeout=5) as response:
            assert response.status == 200
    finally:
        opened.close()


def test_portal_serves_a_favicon_so_no_page_logs_a_404(portal: Portal) -> None:
    with urllib.request.urlopen(portal.url + "favicon.ico", timeout=5) as response:
        assert response.read(8) == b"\x89PNG\r\n\x1a\n"


def test_portal_ships_every_asset_its_pages_load(portal: Portal) -> None:
    # What search/index.html loads: lunr, the tokenizer, the client and the T→S table.
    for path in (
        "theme/js/lunr.min.js",
        "theme/js/tokenizer.js",
        "theme/js/search.js",
        "theme/css/site.css",
        "theme/css/portal.css",
        "search/t2s.json",
        "search/manifest.json",
    ):
        with urllib.request.urlopen(portal.url + path, timeout=5) as response:
            assert response.status == 200, path
            assert response.read(1), path


def _portal_search(browser, portal: Portal, query: str) -> tuple[list[str], str | None]:
    opened = open_page(browser, f"{portal.url}search/?q={query}")
    try:
        opened.page.wait_for_selector("#search[data-state=done]", state="attached")
        hrefs = opened.page.eval_on_selector_all(
            "#search-results a[href]", "els => els.map(e => e.href)"
        )
        count = opened.page.text_content("#search-count")
        assert opened.console_errors == [], opened.console_errors
    finally:
        opened.close()
    return hrefs, count


def test_portal_search_narrows_by_words_branch_and_type_and_says_zero(
    browser, portal: Portal
) -> None:
    everywhere, _ = _portal_search(browser, portal, quote(SHARED_TERM))
    assert len(everywhere) == 2
    # A second word narrows to the branch whose entry holds both.
    both, count = _portal_search(browser, portal, quote(f"{SHARED_TERM} riverside"))
    assert both == [portal.entry_urls["riverside"]] and count == "1"
    # The branch filter (by the branch's name, as the select offers it) keeps one branch.
    branch = quote("Riverside Tech Workers' Union")
    filtered, _ = _portal_search(browser, portal, f"{quote(SHARED_TERM)}&branch={branch}")
    assert filtered == [portal.entry_urls["riverside"]]
    # The type filter: the shared term sits in news entries only.
    by_type, count = _portal_search(browser, portal, f"{quote(SHARED_TERM)}&type=study")
    assert by_type == [] and count == "0"
    nothing, count = _portal_search(browser, portal, quote("不存在的词语组合"))
    assert nothing == [] and count == "0"
