"""``tongxin serve`` never serves a page without its reload script: a page caught while a
build writes it (truncated, then written) is read again until it is whole, and a page that
stays without ``</body>`` gets the script at its end. (On a busy machine a page served empty
mid-write had no script, never reloaded again, and the editor's save never showed.)"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from tongxin.serve import BUILD_PATH, read_page, with_reload_script

PAGE = (
    "<!doctype html><html><head><title>防汛演练</title></head><body><h1>防汛演练</h1></body></html>"
)


def test_a_page_caught_mid_write_is_read_when_whole(tmp_path: Path) -> None:
    page = tmp_path / "index.html"
    page.write_text("", encoding="utf-8")  # truncated: the build has not written it yet

    def finish() -> None:
        time.sleep(0.3)
        page.write_text(PAGE, encoding="utf-8")

    writer = threading.Thread(target=finish)
    started = time.monotonic()
    writer.start()
    html = read_page(page)
    writer.join()
    assert html == PAGE and 0.25 < time.monotonic() - started < 2.0


def test_a_page_that_stays_cut_short_still_gets_its_script(tmp_path: Path) -> None:
    page = tmp_path / "index.html"
    page.write_text(PAGE[:60], encoding="utf-8")
    started = time.monotonic()
    html = with_reload_script(read_page(page), 7)
    assert time.monotonic() - started < 3.0  # bounded
    assert html.startswith(PAGE[:60]) and f"{BUILD_PATH}?after=" in html and "'7'" in html


def test_a_whole_page_gets_the_script_before_its_body_ends(tmp_path: Path) -> None:
    page = tmp_path / "index.html"
    page.write_text(PAGE, encoding="utf-8")
    started = time.monotonic()
    html = with_reload_script(read_page(page), 3)
    assert time.monotonic() - started < 0.2  # no wait for a whole page
    assert html.endswith("</script></body></html>") and html.count("<script>") == 1
