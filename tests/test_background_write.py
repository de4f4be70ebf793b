"""Feeds and the API are written in a forked child while pages render (plugins/feeds.py)."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest
from tongxin.plugins.feed_signing import SigningConfigError
from tongxin.plugins.feeds import BackgroundWrite

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")


def test_work_runs_in_another_process_and_its_files_are_there_after_join(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"

    def work() -> None:
        target.write_text(str(os.getpid()), encoding="utf-8")

    child = BackgroundWrite.start(work)
    assert child is not None
    child.join()
    assert int(target.read_text(encoding="utf-8")) not in (0, os.getpid())


def test_a_failure_in_the_child_is_raised_in_the_parent_with_its_type() -> None:
    def work() -> None:
        raise SigningConfigError("签名密钥无效")

    child = BackgroundWrite.start(work)
    assert child is not None
    with pytest.raises(SigningConfigError, match="签名密钥无效"):
        child.join()


def test_an_exception_that_cannot_be_pickled_still_fails_the_build() -> None:
    class Odd(Exception):
        def __reduce__(self):  # type: ignore[override]
            raise TypeError("no")

    def work() -> None:
        raise Odd("奇怪")

    child = BackgroundWrite.start(work)
    assert child is not None
    with pytest.raises(RuntimeError, match="奇怪"):
        child.join()


def test_the_childs_warnings_are_logged_by_the_parent(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    def work() -> None:
        logging.getLogger("tongxin.plugins.feeds").warning("摘要过长：%s", "x")

    child = BackgroundWrite.start(work)
    assert child is not None
    monkeypatch.setattr(logging.getLogger("tongxin"), "propagate", True)
    with caplog.at_level(logging.WARNING, logger="tongxin"):
        child.join()
    assert "摘要过长：x" in caplog.text


def test_no_fork_setting_writes_inline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TONGXIN_NO_FORK", "1")
    assert BackgroundWrite.start(lambda: None) is None
