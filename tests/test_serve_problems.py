"""A save the preview cannot build shows its problems in the browser, not only in the terminal.

An editor who never looks at the terminal saved ``date: 2026-13-01`` and kept seeing the old
page (or, for a new file, "wait a few seconds, then reload", for ever). Now the failed
rebuild moves the build counter, so open pages reload, and every page the preview serves
opens with the problems (file, line, what to write) until a save fixes them.
A real build, tongxin.serve's own handler and server on 127.0.0.1, real HTTP.
"""

from __future__ import annotations

import functools
import json
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from browser import chromium_browser, open_page, screenshot  # noqa: F401

from tongxin.build import build_site
from tongxin.serve import PROBLEMS_PATH, PreviewHandler, QuietServer, Rebuilder

ARTICLE = "---\ntitle: 组织生活会\ndate: {date}\n---\n\n支部开会。\n"


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8")


def _preview(
    root: Path, name: str, report: Callable[[str], None]
) -> tuple[Path, Rebuilder, QuietServer, str]:
    """A branch with one news item ``name``, built, and tongxin serve's handler over it on
    127.0.0.1: (the item, the rebuilder, the server, its address)."""
    content = root / "content"
    (content / "news").mkdir(parents=True)
    (content / "site.yaml").write_text(
        "name: 东江社区党支部\nurl: https://dj.example/\nlanguage: zh-CN\n", "utf-8"
    )
    article = content / "news" / name
    article.write_text(ARTICLE.format(date="2026-12-01"), "utf-8")
    output = root / "output"
    build_site(root, output, "http://127.0.0.1", progress=False, warnings_to=None)
    rebuilder = Rebuilder(root, output, "http://127.0.0.1", "zh-CN", report)
    handler = type("Handler", (PreviewHandler,), {"rebuilder": rebuilder})
    server = QuietServer(("127.0.0.1", 0), functools.partial(handler, directory=str(output)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return article, rebuilder, server, f"http://127.0.0.1:{server.server_address[1]}"


def test_a_failed_rebuild_shows_its_problems_on_every_page_until_fixed(tmp_path: Path) -> None:
    lines: list[str] = []
    article, rebuilder, server, base = _preview(tmp_path, "meeting.md", lines.append)
    content = tmp_path / "content"
    try:
        status, page = _get(base + "/news/meeting/")
        assert status == 200 and "tongxin-problems" not in page

        article.write_text(ARTICLE.format(date="2026-13-01"), "utf-8")
        # beside the error, a warning (an empty entry): the banner shows what stopped it
        (content / "news" / "empty.md").write_text("---\ntitle: 空\n---\n", "utf-8")
        before = rebuilder.generation
        assert rebuilder.rebuild_if_changed() is False
        assert rebuilder.generation > before  # open pages reload to show it
        assert any(line.startswith("content/news/meeting.md:3") for line in lines)
        for path in ("/news/meeting/", "/", "/news/just-created/"):
            status, page = _get(base + path)
            assert "tongxin-problems" in page, path
            assert "预览没有更新" in page and "content/news/meeting.md:3" in page, path
            assert "content/news/empty.md" not in page, path  # (in the terminal)
        assert status == 404
        # the web editor is never reloaded (it would lose what is typed): it asks for the
        # problems, named by the entry's title as its list shows them
        status, admin = _get(base + "/admin/")
        assert status == 200 and PROBLEMS_PATH in admin and "location.reload" not in admin
        status, found = _get(base + PROBLEMS_PATH)
        problems = json.loads(found)["problems"]
        assert problems == [
            p for p in problems if p.startswith("《组织生活会》content/news/meeting.md:3")
        ]
        assert len(problems) == 1

        assert any(line.startswith("content/news/empty.md") for line in lines)
        article.write_text(ARTICLE.format(date="2026-12-02"), "utf-8")
        assert rebuilder.rebuild_if_changed() is True
        status, page = _get(base + "/news/meeting/")
        assert status == 200 and "tongxin-problems" not in page
        assert json.loads(_get(base + PROBLEMS_PATH)[1])["problems"] == []
    finally:
        server.shutdown()
        server.server_close()


def test_the_web_editor_shows_a_failed_save_without_reloading(tmp_path: Path, browser) -> None:
    """A trial: after a save the build refused, the editor said 内容已保存 and the preview
    froze for every later save; nothing in /admin/ said why."""
    article, rebuilder, server, base = _preview(tmp_path, "20261207-231300.md", lambda _: None)
    opened = open_page(browser, base + "/admin/", viewport={"width": 1280, "height": 800})
    try:
        page = opened.page
        box = page.locator("#tongxin-problems")
        assert box.count() == 0
        article.write_text(ARTICLE.format(date="2026-13-01"), "utf-8")  # what Decap saved
        assert rebuilder.rebuild_if_changed() is False
        box.wait_for(timeout=10_000)
        text = box.inner_text()
        assert "预览没有更新" in text and "《组织生活会》content/news/20261207-231300.md:3" in text
        assert "这个提示会自动消失" in text  # (the editor is never reloaded)
        screenshot(opened, "editor-admin-problems-1280")
        article.write_text(ARTICLE.format(date="2026-12-02"), "utf-8")
        assert rebuilder.rebuild_if_changed() is True
        box.wait_for(state="detached", timeout=10_000)
    finally:
        opened.page.context.close()
        server.shutdown()
        server.server_close()
