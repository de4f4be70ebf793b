"""Accessibility of the demo sites, judged by rules we did not write: axe-core in Chromium.

The demo branches (zh-CN 东江, zh-TW 西苑, en Riverside, and 南湖 so the portal has all four)
are built from ``content/`` and ``demo/branches/*`` as ``./scripts/demo`` builds them, and the
county portal is federated from their feeds over 127.0.0.1 (with one more branch, whose feed
is gone, so that the health page shows a failure). Every kind of page a reader or an inspector
opens is loaded at a phone (390x844) and a desktop size, axe-core (the pinned npm package,
``node_modules/axe-core``) is injected, and its WCAG 2.1 A/AA rules run: no violation of
impact "serious" or "critical" may remain. The elderly-friendly rules (工信部《互联网网站
适老化通用设计规范》: contrast, names for every control, full keyboard use) and GB/T 37668-2019
ask for the same. Text at 200% must fit a phone; a keyboard test walks the search page with
Tab and Enter alone. Screenshots land in test-artifacts/a11y-*.png for a human to look at.
"""

from __future__ import annotations

import contextlib
import importlib.util
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urljoin

import pytest
import yaml
from browser import WIDE, chromium_browser, open_page, screenshot, serve_directory  # noqa: F401

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"width": 390, "height": 844}
VIEWPORTS = pytest.mark.parametrize("viewport", [PHONE, WIDE], ids=["390", "1280"])
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"serious", "critical"}


def _demo_script() -> Any:
    """scripts/demo.py, for its list of demo branches and its registry localisation."""
    spec = importlib.util.spec_from_file_location("tongxin_demo", ROOT / "scripts" / "demo.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass
class Demo:
    urls: dict[str, str]  # site name -> base URL, no trailing slash; "county" is the portal
    articles: dict[str, str]  # branch -> path of one of its news articles


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    if not AXE.exists():
        pytest.skip(f"{AXE} is missing: run ./scripts/setup")
    from tongxin.federation.pipeline import run

    from tongxin.build import build_site

    script = _demo_script()
    root = tmp_path_factory.mktemp("demo")
    urls: dict[str, str] = {}
    articles: dict[str, str] = {}
    with contextlib.ExitStack() as stack:
        for name, source in script.BRANCHES.items():
            # A copy, so the build's cache stays out of the working tree.
            shutil.copytree(source / "content", root / name / "content")
            out = root / "www" / name
            out.mkdir(parents=True)
            urls[name] = stack.enter_context(serve_directory(out))
            build_site(root / name, out, siteurl=urls[name], progress=False, warnings_to=None)
            first = sorted((out / "news").glob("*/index.html"))[0].parent
            articles[name] = f"/news/{first.name}/"
        portal = root / "www" / "county"
        portal.mkdir()
        urls["county"] = stack.enter_context(serve_directory(portal))
        registry = root / "county.yaml"
        source = ROOT / "demo" / "registries" / "county.yaml"
        script.localise_registry(source, registry, urls, urls["county"])
        add_failing_branch(registry, urls["dongjiang"] + "/no-such-feed.xml")
        # In a thread of its own: federate runs asyncio, Playwright's sync API holds a loop.
        with ThreadPoolExecutor(1) as pool:
            report = pool.submit(run, registry, portal, root / "county.sqlite3").result(120)
        assert report.published, report
        assert "北山村党支部" in (portal / "health" / "index.html").read_text(encoding="utf-8")
        yield Demo(urls, articles)


def add_failing_branch(registry: Path, feed: str) -> None:
    """A branch whose feed is gone: the health page shows its error, as an inspector sees it."""
    data = yaml.safe_load(registry.read_text(encoding="utf-8"))
    data["branches"].append(
        {"id": "beishan", "name": "北山村党支部", "feed": feed, "region": "农村"}
    )
    registry.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def search_path(query: str) -> str:
    return f"/search/?q={quote(query)}"


#: (site, path or a branch's article, a query's wait) — every kind of page, in three languages
PAGES = [
    ("dongjiang", "/"),
    ("dongjiang", "article"),
    ("dongjiang", "/news/"),
    ("dongjiang", "/study/"),
    ("dongjiang", "/archives/"),
    ("dongjiang", search_path("志愿")),
    ("xiyuan", "/"),
    ("xiyuan", "article"),
    ("xiyuan", search_path("志願")),
    ("tech-union", "/"),
    ("tech-union", "article"),
    ("tech-union", search_path("volunteers")),
    ("county", "/"),
    ("county", "/news/"),
    ("county", "/branches/"),
    ("county", search_path("志愿服务")),
    ("county", "/health/"),
]


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.1 A/AA violations on the loaded page."""
    page.add_script_tag(path=str(AXE))
    return page.evaluate(
        """tags => axe.run(document, {runOnly: {type: 'tag', values: tags},
                                      resultTypes: ['violations']})
                  .then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                    nodes: v.nodes.map(n => ({target: n.target.join(' '),
                                              summary: n.failureSummary}))})))""",
        WCAG_21_AA,
    )


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']} — {len(v['nodes'])} node(s)")
        for node in v["nodes"][:8]:
            summary = " ".join((node["summary"] or "").split())[:300]
            lines.append(f"    {node['target']}  {summary}")
    return "\n".join(lines)


def load(browser: Any, demo: Demo, site: str, path: str, viewport: dict[str, int]) -> Any:
    if path == "article":
        path = demo.articles[site]
    opened = open_page(browser, demo.urls[site] + path, viewport=viewport)
    if path.startswith("/search/"):
        opened.page.wait_for_selector("#search[data-state=done]", state="attached")
        assert opened.page.locator("#search-results a[href]").count() > 0, path
    return opened


@VIEWPORTS
@pytest.mark.parametrize(("site", "path"), PAGES, ids=[f"{s}{p}" for s, p in PAGES])
def test_axe_finds_nothing_serious(
    browser: Any, demo: Demo, site: str, path: str, viewport: dict[str, int]
) -> None:
    opened = load(browser, demo, site, path, viewport)
    try:
        violations = axe_violations(opened.page)
        assert opened.console_errors == [], opened.console_errors
        assert opened.failed_requests == [], opened.failed_requests
    finally:
        opened.close()
    assert_nothing_serious(violations, f"{site}{path} at {viewport['width']}px")


def assert_nothing_serious(violations: list[dict[str, Any]], where: str) -> None:
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    assert not blocking, f"{where}:\n" + describe(blocking)


def test_axe_after_a_reader_acts(browser: Any, demo: Demo) -> None:
    """States axe cannot reach from a page as loaded: a quiz answered and checked, the search
    filters opened, a search that finds nothing."""
    opened = load(browser, demo, "dongjiang", "/study/", PHONE)
    study = opened.page.locator(".series-list a[href]").first.get_attribute("href")
    opened.close()
    opened = open_page(browser, urljoin(demo.urls["dongjiang"] + "/study/", study), viewport=PHONE)
    try:
        quiz = opened.page.locator("[data-quiz]")
        quiz.locator("input").first.check()
        quiz.get_by_role("button", name="检查答案").click()
        assert quiz.locator(".quiz-result").first.inner_text() != ""
        assert_nothing_serious(axe_violations(opened.page), f"{study} with its quiz checked")
    finally:
        opened.close()
    opened = open_page(browser, demo.urls["county"] + search_path("zqxwvy"), viewport=PHONE)
    try:
        page = opened.page
        page.wait_for_selector("#search[data-state=done]", state="attached")
        assert page.text_content("#search-count") == "0"
        page.click("#search-filters-box summary")
        assert page.is_visible("#search-branch")
        assert_nothing_serious(axe_violations(page), "the portal's search, nothing found")
    finally:
        opened.close()


#: What lies outside the viewport, widest first: names what widened the page.
OVERFLOWING = """() => { const width = document.documentElement.clientWidth;
    return [...document.querySelectorAll('body *')]
      .map(e => [e, e.getBoundingClientRect()]).filter(([, r]) => r.right > width + 1)
      .sort((a, b) => b[1].right - a[1].right).slice(0, 5)
      .map(([e, r]) => `${e.tagName}.${e.className} ${Math.round(r.right)}px: `
                       + e.textContent.trim().slice(0, 30)); }"""


#: Pages that once widened at large text (a long e-mail address, the search box, a select)
LARGE_TEXT = [
    ("dongjiang", "/"),
    ("dongjiang", "article"),
    ("dongjiang", search_path("志愿")),
    ("xiyuan", "/"),
    ("county", "/"),
    ("county", search_path("志愿服务")),
    ("county", "/health/"),
]


@pytest.mark.parametrize(("site", "path"), LARGE_TEXT, ids=[f"{s}{p}" for s, p in LARGE_TEXT])
def test_double_text_size_fits_a_phone(browser: Any, demo: Demo, site: str, path: str) -> None:
    """Text at 200% (a phone's large-font setting, 适老化 large text; WCAG 1.4.4) wraps on a
    390 px phone: nothing wider than the screen, no sideways scrolling."""
    opened = load(browser, demo, site, path, PHONE)
    try:
        opened.page.evaluate("document.documentElement.style.fontSize = '200%'")
        parts = [site, *path.split("?")[0].split("/")]
        name = "-".join(["a11y-200", *(part for part in parts if part)])
        screenshot(opened, name)
        assert opened.horizontal_overflow() <= 0, opened.page.evaluate(OVERFLOWING)
    finally:
        opened.close()


FOCUS = """() => { const e = document.activeElement, s = getComputedStyle(e);
    const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0
                    && !/rgba\\(.*, 0\\)$|transparent/.test(s.outlineColor);
    return {tag: e.tagName, id: e.id, href: e.getAttribute('href'),
            text: (e.textContent || '').trim().slice(0, 20),
            visible: outline || s.boxShadow !== 'none'}; }"""


def tab_to(page: Any, wanted: str, limit: int = 40) -> list[dict[str, Any]]:
    """Press Tab until the element matching ``wanted`` has focus; the stops, in order."""
    stops = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        stops.append(page.evaluate(FOCUS))
        if page.evaluate("s => document.activeElement.matches(s)", wanted):
            return stops
    raise AssertionError(f"{limit} Tabs never reached {wanted}: {stops}")


@pytest.mark.parametrize("site", ["dongjiang", "county"])
def test_search_by_keyboard_alone(browser: Any, demo: Demo, site: str) -> None:
    """From the top of the search page: Tab to the box, type, Enter, Tab to the first result;
    every stop on the way shows where the focus is (WCAG 2.1.1, 2.4.7)."""
    opened = open_page(browser, demo.urls[site] + "/search/", viewport=PHONE)
    try:
        page = opened.page
        page.mouse.click(5, 2)  # the header's top edge: focus leaves the box for the page
        assert page.evaluate("document.activeElement === document.body")
        stops = tab_to(page, "#search-input")
        page.keyboard.type("志愿服务")
        page.keyboard.press("Enter")
        page.wait_for_function("+document.getElementById('search-count').textContent > 0")
        page.wait_for_selector("#search[data-state=done]", state="attached")
        stops += tab_to(page, "#search-results a[href]")
        first = page.eval_on_selector("#search-results a[href]", "a => a.getAttribute('href')")
        assert stops[-1]["href"] == first
        hidden = [stop for stop in stops if not stop["visible"]]
        assert not hidden, f"focus not shown on: {hidden}"
        assert opened.console_errors == [], opened.console_errors
    finally:
        opened.close()


def test_portal_results_in_another_language_say_so(browser: Any, demo: Demo) -> None:
    """WCAG 3.1.2 on the portal's search, as on its cards: a hit from the English branch marks
    its title, branch and text as English (a screen reader reads them in an English voice),
    one from the zh-TW branch as zh-TW, one in the page's own language nothing; the type and
    date stay the page's words."""
    opened = open_page(browser, demo.urls["county"] + search_path("volunteers"), viewport=PHONE)
    try:
        page = opened.page
        page.wait_for_selector("#search[data-state=done]", state="attached")
        hit = page.locator("#search-results .search-hit").first
        assert hit.locator("h2").get_attribute("lang") == "en"
        assert hit.locator(".search-hit-snippet").get_attribute("lang") == "en"
        meta = hit.locator(".search-hit-meta")
        assert meta.get_attribute("lang") is None and meta.locator("span[lang=en]").count() == 1
        assert "Union" in meta.locator("span[lang=en]").inner_text()
        assert_nothing_serious(axe_violations(page), "the portal's search, English hits")
    finally:
        opened.close()
    opened = open_page(browser, demo.urls["county"] + search_path("志愿"), viewport=PHONE)
    try:
        page = opened.page
        page.wait_for_selector("#search[data-state=done]", state="attached")
        page.wait_for_selector("#search-results .search-hit")
        langs = page.eval_on_selector_all(
            "#search-results .search-hit h2", "hs => hs.map(h => h.getAttribute('lang'))"
        )
        assert "zh-TW" in langs and None in langs, langs  # 西苑's 志願 and 东江's 志愿
        assert "en" not in langs
    finally:
        opened.close()
