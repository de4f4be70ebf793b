"""Sites that work from any origin, in Chromium: a branch site and a portal built for their
public URL, served from 127.0.0.1 (as from an intranet IP or a staging host), load every page
and asset from where they are served, with no failed request; feeds and api/ keep the public
URL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser import chromium_browser, open_page, serve_directory  # noqa: F401
from feedserver import FeedServer
from lxml import etree
from test_pipeline import ATOM, Item, atom, write_registry
from test_theme_site import write_branch
from tongxin.federation.pipeline import run

pytestmark = pytest.mark.browser

PUBLIC = "https://public.example"


@pytest.fixture(scope="module")
def branch_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    from tongxin.build import build_site

    root = tmp_path_factory.mktemp("branch")
    write_branch(root)
    out = build_site(root, root / "output", siteurl=PUBLIC, progress=False, warnings_to=None)
    with serve_directory(out.output) as base:
        yield base, out.output


@pytest.fixture(scope="module")
def portal_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    tmp = tmp_path_factory.mktemp("portal")
    with FeedServer() as server:
        for name in ("a", "b"):
            server.route(
                f"/{name}/feed.xml",
                body=atom(
                    server.url(f"/{name}/"), f"支部{name}", [Item(f"{name}1", f"{name}标题")]
                ),
            )
        branches = [
            {"id": n, "name": f"支部{n}", "feed": server.url(f"/{n}/feed.xml"), "region": "东区"}
            for n in ("a", "b")
        ]
        registry = write_registry(tmp / "registry.yaml", "门户", PUBLIC + "/", branches)
        # in a thread: the browser fixture's event loop runs in this one
        worker = threading.Thread(target=run, args=(registry, tmp / "www", tmp / "www.sqlite3"))
        worker.start()
        worker.join(timeout=120)
    with serve_directory((tmp / "www").resolve()) as base:
        yield base, tmp / "www"


def _check(browser, base: str, path: str) -> None:  # type: ignore[no-untyped-def]
    opened = open_page(browser, base + path)
    try:
        assert opened.failed_requests == [], opened.failed_requests
        sheets = opened.page.evaluate(
            "[...document.styleSheets].filter(s => s.href).map(s => s.href)"
        )
        assert sheets and all(s.startswith(base) for s in sheets), sheets
        links = opened.page.evaluate(
            "[...document.querySelectorAll('main a[href], nav a[href], header a[href]')]"
            ".map(a => a.href)"
        )
        own = [link for link in links if PUBLIC in link]
        assert own == [], f"{path} links its own pages at the public URL: {own[:3]}"
    finally:
        opened.close()


@pytest.mark.parametrize("path", ["/", "/news/meeting/", "/study/", "/search/"])
def test_branch_site_from_another_origin(browser, branch_url, path: str) -> None:  # type: ignore[no-untyped-def]
    _check(browser, branch_url[0], path)


@pytest.mark.parametrize(
    "path", ["/", "/branches/a/", "/regions/东区/", "/news/", "/health/", "/search/"]
)
def test_portal_from_another_origin(browser, portal_url, path: str) -> None:  # type: ignore[no-untyped-def]
    _check(browser, portal_url[0], path)


def test_feeds_and_api_keep_the_public_url(branch_url, portal_url) -> None:  # type: ignore[no-untyped-def]
    for _base, out in (branch_url, portal_url):
        feed = etree.parse(str(out / "feeds/all.atom.xml")).getroot()
        hrefs = [link.get("href") for link in feed.iter(f"{ATOM}link")]
        assert f"{PUBLIC}/feeds/all.atom.xml" in hrefs
        assert all(h.startswith(("https://", "http://")) for h in hrefs), hrefs
    assert PUBLIC in (portal_url[1] / "api/index.json").read_text(encoding="utf-8")


@pytest.mark.parametrize("width", [360, 1024])
def test_health_page_does_not_squeeze_branch_names(browser, portal_url, width: int) -> None:  # type: ignore[no-untyped-def]
    opened = open_page(
        browser, portal_url[0] + "/health/", viewport={"width": width, "height": 800}
    )
    try:
        box = opened.page.evaluate(
            "(() => { const r = document.querySelector('#branch-a th').getBoundingClientRect();"
            " const fs = parseFloat(getComputedStyle(document.querySelector('#branch-a th a'))"
            ".fontSize); return [r.width, fs]; })()"
        )
        assert box[0] >= 6 * box[1], f"branch name column {box[0]}px wide at {width}px"
        assert opened.failed_requests == [] and opened.horizontal_overflow() <= 0
    finally:
        opened.close()
