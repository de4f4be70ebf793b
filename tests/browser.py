"""Shared Playwright helpers: Debian's Chromium, a local static server, phone-sized pages.

Use from a test module::

    from browser import chromium_browser, open_page, screenshot, serve_directory  # noqa: F401

    def test_home(browser): ...

Importing ``chromium_browser`` registers the module-scoped pytest fixture ``browser`` (one
Chromium per test module); the others are plain functions. Tests using the fixture are
skipped, not failed, when Chromium or Playwright is missing, so the rest of the suite still
runs on a bare machine; ``./scripts/test`` installs both so they run in CI.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import re
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
PHONE = {"width": 360, "height": 740}
WIDE = {"width": 1280, "height": 800}
# Every page load is bounded: a hung page fails the test instead of stalling CI.
TIMEOUT_MS = 15_000


def chromium_available() -> bool:
    return Path(CHROMIUM).exists() or shutil.which("chromium") is not None


@pytest.fixture(scope="module", name="browser")
def chromium_browser() -> Iterator[Any]:
    """One headless Chromium for the whole test module."""
    if not chromium_available():
        pytest.skip(f"{CHROMIUM} is not installed")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium"),
            args=CHROMIUM_ARGS,
        )
        try:
            yield launched
        finally:
            launched.close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def serve_directory(root: Path) -> Iterator[str]:
    """Serve ``root`` on 127.0.0.1 at a free port; yields the base URL (no trailing slash)."""
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@dataclass
class OpenedPage:
    """A loaded page and what the browser complained about while loading it."""

    page: Any
    console_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)

    def close(self) -> None:
        self.page.context.close()

    def horizontal_overflow(self) -> int:
        """How many CSS pixels the document is wider than the viewport (0 = fits)."""
        return int(
            self.page.evaluate(
                "document.scrollingElement.scrollWidth - document.documentElement.clientWidth"
            )
        )


def open_page(
    browser: Any,
    url: str,
    *,
    viewport: dict[str, int] | None = None,
    java_script: bool = True,
) -> OpenedPage:
    """Open ``url`` in a fresh context at phone size, recording console errors and failures.

    Requests to any host other than 127.0.0.1 are recorded as failures and aborted: our pages
    must not reach out (no web fonts or scripts from other hosts).
    """
    context = browser.new_context(
        viewport=viewport or PHONE, java_script_enabled=java_script, device_scale_factor=1
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    opened = OpenedPage(page)
    page.on(
        "console",
        lambda msg: opened.console_errors.append(msg.text) if msg.type == "error" else None,
    )
    page.on("pageerror", lambda exc: opened.console_errors.append(f"uncaught: {exc}"))
    page.on(
        "requestfailed",
        lambda req: opened.failed_requests.append(f"{req.url} ({req.failure})"),
    )

    def guard(route: Any) -> None:
        if re.match(r"^https?://127\.0\.0\.1(:\d+)?/", route.request.url):
            route.continue_()
        else:
            opened.failed_requests.append(f"{route.request.url} (other host)")
            route.abort()

    page.route("**/*", guard)
    response = page.goto(url, wait_until="load", timeout=TIMEOUT_MS)
    if response is not None and response.status >= 400:
        opened.failed_requests.append(f"{url} (HTTP {response.status})")
    return opened


def screenshot(opened: OpenedPage, name: str, *, full_page: bool = True) -> Path:
    """Save a PNG under test-artifacts/ (kept by CI for a human to look at)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    opened.page.screenshot(path=str(path), full_page=full_page)
    return path
