"""The preview's 404 page speaks the site's language (it was Python's English page).

A real server on 127.0.0.1 (tongxin.serve's own handler and server classes), real HTTP.
"""

from __future__ import annotations

import functools
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tongxin.serve import PreviewHandler, QuietServer, Rebuilder


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("zh-CN", "找不到页面 /news/no-such-page/"),
        ("zh-TW", "找不到頁面 /news/no-such-page/"),
        ("en", "There is no page /news/no-such-page/"),
    ],
)
def test_a_missing_page_says_so_in_the_sites_language(
    tmp_path: Path, language: str, words: str
) -> None:
    (tmp_path / "content").mkdir()
    output = tmp_path / "output"
    output.mkdir()
    (output / "index.html").write_text("<html><body>首页</body></html>", encoding="utf-8")
    rebuilder = Rebuilder(tmp_path, output, "http://127.0.0.1", language, lambda _line: None)
    handler = type("Handler", (PreviewHandler,), {"rebuilder": rebuilder})
    server = QuietServer(("127.0.0.1", 0), functools.partial(handler, directory=str(output)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        url = f"http://127.0.0.1:{port}/news/no-such-page/?x=<b>"
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(url, timeout=5)
        assert caught.value.code == 404
        body = caught.value.read().decode("utf-8")
        assert words in body and f'lang="{language}"' in body, body
        assert "Nothing matches" not in body and "Error code" not in body
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
            assert "首页" in response.read().decode("utf-8")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
