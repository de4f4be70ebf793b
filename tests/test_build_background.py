"""Work a build does aside (plugins/build_state.py): feeds, the API and the search index in
forked children, pages written on a background thread. The output must be byte for byte what
doing it all in-process gives, and every failure must still fail the build."""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path

import pytest
from test_incremental_build import news, study, tree_differences, write
from tongxin.plugins import feeds, json_api, search_index
from tongxin.plugins.build_state import WriteBehind, read_files_manifest, warm_entries

from tongxin import forked
from tongxin.build import build_site
from tongxin.forked import ForkedTask
from tongxin.scaffold import create_branch

needs_fork = pytest.mark.skipif(not forked.can_fork(), reason="forking is Linux-only here")


@pytest.fixture
def branch(tmp_path: Path) -> Path:
    root = tmp_path / "branch"
    create_branch(root, name="测试支部", url="https://t.example/")
    for index in range(25):
        write(
            root, f"news/item-{index:02d}.md", news(f"简报{index}", "党建, 社区", f"正文{index}。")
        )
    for order in (1, 2):
        write(root, f"study/part-{order}.md", study(f"党章第{order}讲", "党章学习", order))
    return root


def _in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    for module in (feeds, json_api, search_index):
        monkeypatch.setattr(module, "can_fork", lambda: False)


@needs_fork
def test_forked_build_equals_in_process_build(branch: Path, tmp_path: Path, monkeypatch) -> None:
    build_site(branch, tmp_path / "forked", progress=False, warnings_to=None)
    _in_process(monkeypatch)
    build_site(branch, tmp_path / "in-process", progress=False, warnings_to=None, force=True)
    assert (tmp_path / "forked" / "search" / "manifest.json").is_file()
    assert (tmp_path / "forked" / "api" / "news" / "item-03.json").is_file()
    assert tree_differences(tmp_path / "forked", tmp_path / "in-process") == []


@needs_fork
def test_failure_in_a_forked_feed_build_fails_the_build(branch: Path, monkeypatch) -> None:
    def broken(*_args, **_kwargs):
        raise RuntimeError("feed builder broke")

    # The child is forked from this process: it inherits the broken function.
    monkeypatch.setattr(feeds, "stage_feeds", broken)
    with pytest.raises(RuntimeError, match="feed builder broke"):
        build_site(branch, None, progress=False, warnings_to=None)
    assert not list((branch / "output" / "feeds").glob(".*.tmp"))


@needs_fork
def test_child_log_records_reach_the_parent(caplog: pytest.LogCaptureFixture) -> None:
    def warn() -> int:
        logging.getLogger("tongxin.test").warning("from the child %s", "process")
        return os.getpid()

    with caplog.at_level(logging.WARNING, logger="tongxin.test"):
        child_pid = ForkedTask(warn, name="test-log").result()
    assert child_pid != os.getpid()
    assert "from the child process" in caplog.text


@needs_fork
def test_a_child_that_dies_is_redone_in_process() -> None:
    parent = os.getpid()

    def die_in_child() -> str:
        if os.getpid() != parent:
            os._exit(3)  # as if killed: no answer at all
        return "done here"

    assert ForkedTask(die_in_child, name="test-die").result() == "done here"


@needs_fork
def test_abandoned_child_is_stopped_and_cleaned_up() -> None:
    cleaned: list[bool] = []
    task = ForkedTask(time.sleep, 30, name="test-abandon", on_abandon=lambda: cleaned.append(True))
    started = time.monotonic()
    forked.abandon_forked_tasks()
    assert time.monotonic() - started < 10
    assert cleaned == [True]
    assert not task._process.is_alive()


def test_failed_background_write_is_raised_by_wait(tmp_path: Path) -> None:
    writes = WriteBehind()
    writes.submit((tmp_path / "a.txt").write_text, "一")
    writes.submit((tmp_path / "missing" / "b.txt").write_text, "二")
    with pytest.raises(FileNotFoundError):
        writes.wait()
    assert (tmp_path / "a.txt").read_text() == "一"
    writes.wait()  # the error is reported once


def test_background_writes_keep_their_order(tmp_path: Path) -> None:
    writes = WriteBehind(depth=2)
    target = tmp_path / "page.html"
    for number in range(20):
        writes.submit(target.write_text, f"第{number}版")
    writes.wait()
    assert target.read_text() == "第19版"


def test_files_manifest_of_another_output_is_ignored(tmp_path: Path) -> None:
    manifest = tmp_path / "m.json"
    manifest.write_text('{"output": "/srv/a", "files": {"x.html": [1]}}', encoding="utf-8")
    assert read_files_manifest(manifest, "/srv/a") == {"x.html": [1]}
    assert read_files_manifest(manifest, "/srv/b") == {}
    assert read_files_manifest(tmp_path / "none.json", "/srv/a") == {}
    assert read_files_manifest(None, "/srv/a") == {}


def test_background_writes_wait_only_when_their_bytes_exceed_the_limit(tmp_path: Path) -> None:
    """Bounded by bytes, not by a count: many small pages queue without the renderer waiting,
    and a disk that falls behind still holds memory to ``limit``."""
    gate = threading.Event()
    written: list[str] = []
    writes = WriteBehind(limit=100)
    writes.submit(gate.wait, 10)  # the writing thread is held up here
    for number in range(10):  # 10 x 5 bytes fit beside the held call's 100 // 64
        writes.submit(written.append, f"p{number}", size=5)
    submitted = threading.Event()

    def big() -> None:
        writes.submit(written.append, "big", size=60)
        submitted.set()

    thread = threading.Thread(target=big)
    thread.start()
    assert not submitted.wait(0.3)  # 1 + 50 + 60 bytes > 100: it waits for room
    gate.set()
    assert submitted.wait(10)
    thread.join()
    writes.wait()
    assert written == [f"p{n}" for n in range(10)] + ["big"]


def test_page_write_replaces_a_longer_file_completely(tmp_path: Path) -> None:
    from tongxin.plugins.incremental import _write_text

    target = tmp_path / "index.html"
    target.write_text("旧的内容比新的长得多" * 100, encoding="utf-8")
    _write_text(str(target), "utf-8", "新页面")
    assert target.read_bytes() == "新页面".encode()


class _CountedEntry:
    def __init__(self) -> None:
        self.reads: list[str] = []

    @property
    def content(self) -> str:
        self.reads.append("content")
        return "<p>正文</p>"

    @property
    def summary(self) -> str:
        self.reads.append("summary")
        return "<p>摘要</p>"


def test_entries_are_rendered_before_work_is_forked() -> None:
    """Content and summary are computed once in the parent (Pelican memoizes them), so the
    feeds, API and search children inherit them instead of each recomputing them."""

    class Generator:
        articles = [_CountedEntry(), _CountedEntry()]
        pages = [_CountedEntry()]

    warm_entries([Generator(), object()])
    assert [e.reads for e in Generator.articles + Generator.pages] == [["content", "summary"]] * 3
