"""A save the preview cannot build shows its problems in the browser, not only in the terminal.

An editor who never looks at the terminal saved ``date: 2026-13-01`` and kept seeing the old
page (or, for a new file, "wait a few seconds, then reload", for ever). Now the failed
rebuild moves the build counter, so open pages reload, and every page the preview serves
opens with the problems (file, line, what to write) until a save fixes them.
A real build, tongxin.serve's own handler and server on 127.0.0.1, real HTTP.
"""

from __future__ import annotations

import functools
import threading
import urllib.error
import urllib.request
from pathlib import Path

from tongxin.build import build_site
from tongxin.serve import PreviewHandler, QuietServer, Rebuilder

ARTICLE = "---\ntitle: 组织生活会\ndate: {date}\n---\n\n支部开会。\n"


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8")


def test_a_failed_rebuild_shows_its_problems_on_every_page_until_fixed(tmp_path: Path) -> None:
    content = tmp_path / "content"
    (content / "news").mkdir(parents=True)
    (content / "site.yaml").write_text(
        "name: 东江社区党支部\nurl: https://dj.example/\nlanguage: zh-CN\n", "utf-8"
    )
    article = content / "news" / "meeting.md"
    article.write_text(ARTICLE.format(date="2026-12-01"), "utf-8")
    output = tmp_path / "output"
    build_site(tmp_path, output, "http://127.0.0.1", progress=False, warnings_to=None)
    lines: list[str] = []
    rebuilder = Rebuilder(tmp_path, output, "http://127.0.0.1", "zh-CN", lines.append)
    handler = type("Handler", (PreviewHandler,), {"rebuilder": rebuilder})
    server = QuietServer(("127.0.0.1", 0), functools.partial(handler, directory=str(output)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
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

        assert any(line.startswith("content/news/empty.md") for line in lines)
        article.write_text(ARTICLE.format(date="2026-12-02"), "utf-8")
        assert rebuilder.rebuild_if_changed() is True
        status, page = _get(base + "/news/meeting/")
        assert status == 200 and "tongxin-problems" not in page
    finally:
        server.shutdown()
        server.server_close()
