"""The web editor end to end: real Decap CMS, real decap-server, Debian's Chromium.

A copy of the demo branch is built (``/admin/`` included), decap-server writes into it on
127.0.0.1, and the test does what a branch editor does: opens ``/admin/``, logs in, creates a
news item whose Chinese title is typed through an input-method composition (DevTools
``Input.imeSetComposition`` then ``Input.insertText``, as a pinyin IME commits), uploads a
photo through Decap's media library, writes the body, publishes. Then the file Decap wrote
must sit in ``content/news/`` under a URL-safe name with valid front matter, ``tongxin check``
must pass and the rebuilt page must show the title and the photo. Every request the page
makes must stay on loopback.
"""

from __future__ import annotations

import re
import shutil
import socket
import struct
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, chromium_available, serve_directory

from tongxin.build import build_site
from tongxin.check import check_branch
from tongxin.editor_local import LocalBackendMissing, local_backend, server_script
from tongxin.frontmatter import read_content_file

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parent.parent
TITLE = "同心社区开展冬季学习"
BODY = "今天下午，党员们集中学习了新修订的党章。"
TIMEOUT_MS = 30_000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def tiny_png(path: Path) -> None:
    """A valid 2×2 red PNG (Decap reads the upload; the build copies it)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * 2 for _ in range(2))
    header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


@pytest.fixture(scope="module")
def branch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    try:
        server_script()
    except LocalBackendMissing as error:
        pytest.skip(str(error))
    if not chromium_available():
        pytest.skip(f"{CHROMIUM} is not installed")
    root = tmp_path_factory.mktemp("editor-branch")
    shutil.copytree(REPO / "content", root / "content")
    return root


def set_port(root: Path, port: int) -> None:
    site_yaml = root / "content" / "site.yaml"
    site = yaml.safe_load(site_yaml.read_text(encoding="utf-8"))
    site["editor"] = {"backend": "local", "local_port": port}
    site_yaml.write_text(yaml.safe_dump(site, allow_unicode=True), encoding="utf-8")


def type_with_ime(cdp: Any, pinyin: str, text: str) -> None:
    """What a pinyin IME sends: growing compositions, the composition ended, then the
    committed text. (Committing with ``insertText`` while the composition is still open left
    the text in the rich-text editor's page but not in its model with Debian's Chromium of
    December 2026: Decap never saw the body, and the next key replaced it.)"""
    for end in range(1, len(pinyin) + 1):
        partial = pinyin[:end]
        cdp.send(
            "Input.imeSetComposition",
            {"text": partial, "selectionStart": end, "selectionEnd": end},
        )
    cdp.send("Input.imeSetComposition", {"text": "", "selectionStart": 0, "selectionEnd": 0})
    cdp.send("Input.insertText", {"text": text})


def guard_loopback(page: Any, outside: list[str]) -> None:
    def guard(route: Any) -> None:
        if re.match(r"^https?://127\.0\.0\.1(:\d+)?/", route.request.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", guard)


def upload_photo(page: Any, photo: Path, files: Path) -> Path:
    """Decap's media library (the header's 媒体 button): upload, then close the dialog.

    Returns the file decap-server wrote under ``content/files/`` (Decap makes the name
    URL-safe: ``照片-winter.png`` becomes ``winter.png``)."""
    before = set(files.iterdir())
    page.get_by_role("button", name="媒体").click()
    page.locator('input[type="file"]').set_input_files(str(photo))
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while not (new := set(files.iterdir()) - before) and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert len(new) == 1, new
    page.keyboard.press("Escape")
    return new.pop()


def open_new_entry(page: Any, base: str, collection: str, heading: str) -> None:
    """A fresh load of the editor for a new entry.

    Changing only the URL's hash from the entry the last test published keeps that entry's
    draft in Decap's store until the empty one is made; a field filled in between is reset
    (the title of the announcement, the order of the study entry). A real load has no
    earlier draft."""
    page.goto("about:blank")
    page.goto(f"{base}/admin/#/collections/{collection}/new", wait_until="load")
    page.get_by_text(heading).wait_for()


def create_news(page: Any, base: str, photo: Path) -> None:
    open_new_entry(page, base, "news", "正在集合“要闻”中编写")
    title = page.get_by_label("标题", exact=True)
    title.click()
    cdp = page.context.new_cdp_session(page)
    type_with_ime(cdp, "tongxinshequ", TITLE)
    assert title.input_value() == TITLE
    # The body in the rich-text editor (where IME typing had bugs, Decap #4837, #6287) …
    page.locator('[data-slate-editor="true"]').last.click()
    type_with_ime(cdp, "jintian", BODY)
    # Decap takes the rich text into the entry a moment later (its preview then shows it);
    # switching to Markdown before that starts from a body without it.
    page.frame_locator("#preview-pane").get_by_text(BODY).wait_for()
    # … then the photo in Markdown mode, as Decap's own image button writes it.
    page.get_by_role("switch").last.click()
    body = page.locator('[data-slate-editor="true"]').last
    body.click()
    page.keyboard.press("Control+End")
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    cdp.send("Input.insertText", {"text": f"![照片](../files/{photo.name})"})
    page.get_by_role("button", name="发布").first.click()
    page.get_by_text("立即发布").click()
    page.get_by_text("含未保存的修改").wait_for(state="detached", timeout=TIMEOUT_MS)


def test_editor_writes_a_news_item_that_checks_and_builds(browser_page: Any, branch: Path) -> None:
    page, base, outside = browser_page
    source = branch / "照片-winter.png"
    tiny_png(source)
    photo = upload_photo(page, source, branch / "content" / "files")
    # its Chinese name kept (an ASCII-only name made 大照片.jpg ".jpg", replaced by the next)
    assert photo.name == "照片-winter.png", photo.name
    create_news(page, base, photo)
    assert outside == []

    written = sorted((branch / "content" / "news").glob("2*.md"))
    assert len(written) == 1, written
    # a URL-safe name from the date, never the title
    assert re.fullmatch(r"\d{8}-\d{6}\.md", written[0].name), written[0].name
    entry = read_content_file(written[0], branch)
    assert entry.meta["title"] == TITLE
    assert BODY in entry.body
    assert photo.read_bytes() == source.read_bytes()
    assert check_branch(branch) == []

    output = branch / "output"
    build_site(branch, output, warnings_to=None)
    page_html = (output / "news" / written[0].stem / "index.html").read_text(encoding="utf-8")
    assert TITLE in page_html
    assert (output / "files" / photo.name).is_file()
    assert f'src="../../files/{photo.name}"' in page_html or f"/files/{photo.name}" in page_html


@pytest.fixture(scope="module")
def browser_page(branch: Path) -> Iterator[tuple[Any, str, list[str]]]:
    sync_api = pytest.importorskip("playwright.sync_api")
    port = free_port()
    set_port(branch, port)
    build_site(branch, branch / "output", warnings_to=None)
    ARTIFACTS.mkdir(exist_ok=True)
    outside: list[str] = []
    with (
        local_backend(branch, port, ARTIFACTS / "decap-server.log"),
        serve_directory(branch / "output") as base,
        sync_api.sync_playwright() as playwright,
    ):
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = launched.new_context(viewport={"width": 1280, "height": 800})
            context.set_default_timeout(TIMEOUT_MS)
            page = context.new_page()
            guard_loopback(page, outside)
            # leaving a form a failed test left unsaved must not block the next test
            page.on("dialog", lambda dialog: dialog.accept())
            page.goto(base + "/admin/", wait_until="load")
            page.get_by_role("button", name="登录").click()
            page.get_by_role("button", name="媒体").wait_for()
            for width in (360, 1280):
                page.set_viewport_size({"width": width, "height": 800})
                page.get_by_text("入汛前开展防汛应急演练").first.wait_for()
                page.screenshot(path=str(ARTIFACTS / f"editor-admin-{width}.png"))
            page.set_viewport_size({"width": 1280, "height": 800})
            yield page, base, outside
        finally:
            launched.close()


def test_editor_uploads_an_attachment_into_content_files(browser_page: Any, branch: Path) -> None:
    """An announcement whose attachment is uploaded through the file widget: the file lands
    in content/files/ (named safely by Decap), the entry names it as files/<name>."""
    page, base, outside = browser_page
    source = branch / "值班表 2026.pdf"
    source.write_bytes(b"%PDF-1.4\n%%EOF\n")
    open_new_entry(page, base, "announcements", "正在集合“通知公告”中编写")
    page.get_by_label("标题", exact=True).first.fill("关于报送党费的通知")
    titles = page.get_by_label("标题", exact=True)
    before = titles.count()
    page.get_by_role("button", name="新增附件").click()
    # the new item's field, waited for: `.last` read before it renders is the entry's title
    titles.nth(before).fill("值班表")
    page.get_by_role("button", name="选择文件").first.click()
    page.locator('input[type="file"]').set_input_files(str(source))
    page.get_by_role("button", name="选用已选中项目").click()
    page.get_by_role("button", name="发布").first.click()
    page.get_by_text("立即发布").click()
    try:
        page.get_by_text("含未保存的修改").wait_for(state="detached", timeout=TIMEOUT_MS)
    finally:
        page.screenshot(path=str(ARTIFACTS / "editor-attachment.png"), full_page=True)
    assert outside == []

    written = sorted((branch / "content" / "announcements").glob("2*.md"))
    assert len(written) == 1, written
    entry = read_content_file(written[0], branch)
    (attachment,) = entry.meta["attachments"]
    assert attachment["title"] == "值班表"
    assert attachment["file"] == "files/值班表-2026.pdf", attachment  # its name kept
    assert (branch / "content" / attachment["file"]).read_bytes() == source.read_bytes()
    assert check_branch(branch) == []


def test_editor_writes_a_study_entry_with_a_quiz(browser_page: Any, branch: Path) -> None:
    """A study material in a series with a one-question quiz, through the list widgets."""
    page, base, outside = browser_page
    open_new_entry(page, base, "study", "正在集合“学习园地”中编写")
    page.get_by_label("标题", exact=True).first.fill("党章学习（三）")
    page.get_by_label("系列 (可选)", exact=True).fill("党章学习")
    page.get_by_label("系列中的序号 (可选)", exact=True).fill("3")
    page.get_by_role("button", name="新增自测题").click()
    page.get_by_label("题目", exact=True).fill("党章由哪两部分组成？")
    # a box an option (typed into one box, 甲，乙 with a Chinese comma was one option)
    for option in ("总纲和条文", "序言和附录"):
        page.get_by_role("button", name="新增选项").click()
        page.locator("[aria-label='list field'] input[type=text]").last.fill(option)
    numbers = page.locator('input[type="number"]')
    before = numbers.count()
    page.get_by_role("button", name="新增答案").click()
    # the new answer's field, waited for: `.last` read before it renders is the series order
    numbers.nth(before).fill("0")
    page.get_by_label("解析 (可选)", exact=True).fill("党章由总纲和条文两部分组成。")
    page.get_by_role("button", name="发布").first.click()
    page.get_by_text("立即发布").click()
    page.get_by_text("含未保存的修改").wait_for(state="detached", timeout=TIMEOUT_MS)
    assert outside == []

    written = sorted((branch / "content" / "study").glob("2*.md"))
    assert len(written) == 1, written
    meta = read_content_file(written[0], branch).meta
    assert (meta["series"], meta["order"]) == ("党章学习", 3)
    assert meta["quiz"] == [
        {
            "question": "党章由哪两部分组成？",
            "options": ["总纲和条文", "序言和附录"],
            "answer": [0],
            "explanation": "党章由总纲和条文两部分组成。",
        }
    ]
    assert check_branch(branch) == []


def test_editor_refuses_tags_joined_by_a_chinese_comma(browser_page: Any, branch: Path) -> None:
    """Tags typed as 环境清洁、志工招募 (a 顿号, as a Chinese input method types it) are one tag,
    which the check refuses: the form (one box a tag) refuses to publish it and writes
    nothing (a trial's editor was told 已发布 while the saved file failed the build)."""
    page, base, outside = browser_page
    news = branch / "content" / "news"
    before = set(news.iterdir())
    open_new_entry(page, base, "news", "正在集合“要闻”中编写")
    page.get_by_label("标题", exact=True).fill("四月份社区环境清洁日志愿者招募")
    page.get_by_role("button", name="新增标签").click()
    tag = page.locator("[aria-label='list field'] input[type=text]").last
    tag.fill("环境清洁、志工招募")
    page.get_by_role("button", name="发布").first.click()
    page.get_by_text("立即发布").click()
    page.get_by_text("一个框只写一个标签").first.wait_for()
    page.screenshot(path=str(ARTIFACTS / "editor-tags-refused.png"))
    page.wait_for_timeout(500)
    assert set(news.iterdir()) == before
    # the same tags, one a box, are published
    tag.click()
    page.keyboard.press("Control+A")
    page.keyboard.insert_text("环境清洁")
    page.get_by_role("button", name="新增标签").click()
    page.locator("[aria-label='list field'] input[type=text]").last.fill("志工招募")
    page.get_by_role("button", name="发布").first.click()
    page.get_by_text("立即发布").click()
    try:
        page.get_by_text("含未保存的修改").wait_for(state="detached", timeout=TIMEOUT_MS)
    finally:
        page.screenshot(path=str(ARTIFACTS / "editor-tags-published.png"))
    (written,) = set(news.iterdir()) - before
    assert read_content_file(written, branch).meta["tags"] == ["环境清洁", "志工招募"]
    assert outside == []
