"""``tongxin serve`` rebuilds on save and the open page reloads itself.

Runs the real command on a copy of the demo branch, opens an article in Chromium, saves a
new title into its file and waits (bounded) for the page in the browser to show it.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from browser import chromium_browser, open_page  # noqa: F401

from tongxin.serve import BUILD_PATH

pytestmark = pytest.mark.browser
REPO = Path(__file__).resolve().parent.parent
ARTICLE = "content/news/flood-prevention-drill.md"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read().decode("utf-8")


def test_a_saved_edit_shows_in_the_open_page(browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    shutil.copytree(REPO / "content", tmp_path / "content")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [sys.executable, "-m", "tongxin", "serve", str(tmp_path), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                get(base + BUILD_PATH)
                break
            except OSError:
                assert process.poll() is None, process.stdout.read() if process.stdout else ""
                assert time.monotonic() < deadline, "serve did not start"
                time.sleep(0.2)
        opened = open_page(browser, base + "/news/flood-prevention-drill/")
        assert "/__tongxin/build" in opened.page.content()
        source = tmp_path / ARTICLE
        text = source.read_text(encoding="utf-8")
        new_title = "防汛演练（已更新标题）"
        lines = [
            f"title: {new_title}" if line.startswith("title:") else line
            for line in text.splitlines()
        ]
        saved = time.monotonic()
        source.write_text("\n".join(lines) + "\n", encoding="utf-8")
        opened.page.wait_for_function(
            f"document.body && document.body.innerText.includes({new_title!r})", timeout=20_000
        )
        seconds = time.monotonic() - saved
        print(f"edit visible after {seconds:.2f} s")
        assert seconds < 20
        opened.close()
    finally:
        process.terminate()
        process.wait(timeout=10)
