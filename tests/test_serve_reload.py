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


def _start_serve(root: Path) -> tuple[subprocess.Popen[str], str]:
    shutil.copytree(REPO / "content", root / "content")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [sys.executable, "-m", "tongxin", "serve", str(root), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 90
    while True:
        try:
            get(base + BUILD_PATH)
            return process, base
        except OSError:
            assert process.poll() is None, process.stdout.read() if process.stdout else ""
            assert time.monotonic() < deadline, "serve did not start"
            time.sleep(0.2)


def test_a_saved_edit_shows_in_the_open_page(browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    process, base = _start_serve(tmp_path)
    try:
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
        try:
            opened.page.wait_for_function(
                f"document.body && document.body.innerText.includes({new_title!r})",
                timeout=20_000,
            )
        except Exception as error:  # say what the server and the page were doing
            counter = get(base + BUILD_PATH)
            served = get(base + "/news/flood-prevention-drill/")
            process.terminate()
            output = process.communicate(timeout=10)[0]
            raise AssertionError(
                f"{error}\nbuild counter {counter}; served page has the title: "
                f"{new_title in served}; page console: {opened.console_errors}; "
                f"serve printed:\n{output}"
            ) from error
        seconds = time.monotonic() - saved
        print(f"edit visible after {seconds:.2f} s")
        assert seconds < 20
        opened.close()
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_a_save_built_before_the_page_first_asks_still_reloads_it(  # type: ignore[no-untyped-def]
    browser, tmp_path: Path
) -> None:
    """On a busy machine the open page's script may first ask for the build counter only
    after the save's rebuild is done. The page must still reload: it carries the counter it
    was served at (it used to take the new counter for its own and wait for a next save)."""
    process, base = _start_serve(tmp_path)
    source = tmp_path / ARTICLE
    new_title = "防汛演练（先建好再问）"
    held: list[str] = []

    def hold_first_question(route) -> None:  # type: ignore[no-untyped-def]
        if not held:  # the page's first question waits until the save is built, twice
            held.append(route.request.url)
            before = int(get(base + BUILD_PATH))
            lines = source.read_text(encoding="utf-8").splitlines()
            lines = [f"title: {new_title}" if x.startswith("title:") else x for x in lines]
            source.write_text("\n".join(lines) + "\n", encoding="utf-8")
            deadline = time.monotonic() + 60
            generation = before
            while generation < before + 2 and time.monotonic() < deadline:
                generation = int(get(f"{base}{BUILD_PATH}?after={generation}"))
            assert generation >= before + 2, "the preview and the full build did not both end"
        route.continue_()

    try:
        opened = open_page(browser, base + "/news/flood-prevention-drill/")
        opened.page.route(f"**{BUILD_PATH}*", hold_first_question)
        opened.page.reload()
        opened.page.wait_for_function(
            f"document.body && document.body.innerText.includes({new_title!r})", timeout=20_000
        )
        assert held, "the page asked for the build counter"
        opened.close()
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_serve_with_the_editor_runs_its_local_backend(tmp_path: Path) -> None:
    """``tongxin serve --editor``: /admin/ is served and decap-server answers on 127.0.0.1
    at site.yaml's editor.local_port, writing into this branch."""
    import json

    import yaml

    from tongxin.editor_local import LocalBackendMissing, server_script

    try:
        server_script()
    except LocalBackendMissing as error:
        pytest.skip(str(error))
    shutil.copytree(REPO / "content", tmp_path / "content")
    port, backend_port = free_port(), free_port()
    site_yaml = tmp_path / "content" / "site.yaml"
    site = yaml.safe_load(site_yaml.read_text(encoding="utf-8"))
    site["editor"] = {"backend": "local", "local_port": backend_port}
    site_yaml.write_text(yaml.safe_dump(site, allow_unicode=True), encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, "-m", "tongxin", "serve", str(tmp_path), "--port", str(port), "--editor"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                config = get(f"http://127.0.0.1:{port}/admin/config.yml")
                break
            except OSError:
                assert process.poll() is None, process.stdout.read() if process.stdout else ""
                assert time.monotonic() < deadline, "serve did not start"
                time.sleep(0.2)
        assert f"http://127.0.0.1:{backend_port}/api/v1" in config
        request = urllib.request.Request(
            f"http://127.0.0.1:{backend_port}/api/v1",
            data=json.dumps({"action": "info"}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            info = json.loads(response.read())
        assert info["type"] == "local_fs" and info["repo"] == tmp_path.name
    finally:
        process.terminate()
        process.wait(timeout=10)
    # the backend stopped with serve
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", backend_port)) != 0


def test_a_page_asking_for_the_next_build_is_answered_when_it_comes(tmp_path: Path) -> None:
    """Long polling: ``?after=N`` is held open until the counter moves, then answered at once
    (no polling delay between the save and the reload), and bounded by its timeout."""
    import threading

    from tongxin.serve import Rebuilder

    (tmp_path / "content").mkdir()
    rebuilder = Rebuilder(tmp_path, tmp_path / "output", "", "zh-CN", print)
    assert rebuilder.generation_after("") == 0, "a first question is answered at once"
    started = time.monotonic()
    assert rebuilder.generation_after("0", timeout=0.2) == 0, "no build: answered at the timeout"
    assert time.monotonic() - started >= 0.2
    timer = threading.Timer(0.3, rebuilder.bump)
    timer.start()
    started = time.monotonic()
    assert rebuilder.generation_after("0", timeout=10) == 1
    waited = time.monotonic() - started
    timer.join()
    assert 0.25 <= waited < 2, f"answered {waited:.2f} s after the question"
