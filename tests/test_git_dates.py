"""Git dates: one history walk gives first/last commit per file, following renames."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tongxin.gitdates import NoHistory, read_history


def git(repo: Path, *args: str, when: str | None = None) -> None:
    env = dict(os.environ)
    if when:
        env.update(GIT_AUTHOR_DATE=when, GIT_COMMITTER_DATE=when)
    subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=编辑甲", "-c", "user.email=a@example.org", *args],
        check=True,
        env=env,
        capture_output=True,
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    git(tmp_path, "init", "-q")
    (tmp_path / "content" / "news").mkdir(parents=True)
    (tmp_path / "content/news/a.md").write_text("one", encoding="utf-8")
    (tmp_path / "content/news/党课.md").write_text("x", encoding="utf-8")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "first", when="2026-01-05T10:00:00+08:00")
    (tmp_path / "content/news/a.md").write_text("two", encoding="utf-8")
    git(tmp_path, "commit", "-q", "-am", "second", when="2026-02-07T11:00:00+08:00")
    return tmp_path


def test_first_and_last_commit_of_each_file(repo: Path) -> None:
    history = read_history(repo)
    a = history.lookup("content/news/a.md")
    assert a is not None
    assert a.created.isoformat() == "2026-01-05T10:00:00+08:00"
    assert a.modified.isoformat() == "2026-02-07T11:00:00+08:00"
    assert a.author == "编辑甲"


def test_chinese_file_name_is_found_unescaped(repo: Path) -> None:
    found = read_history(repo).lookup(repo / "content/news/党课.md")
    assert found is not None and found.created == found.modified


def test_renamed_file_keeps_its_first_date(repo: Path) -> None:
    git(repo, "mv", "content/news/a.md", "content/news/b.md")
    git(repo, "commit", "-q", "-m", "rename", when="2026-03-01T09:00:00+08:00")
    b = read_history(repo).lookup("content/news/b.md")
    assert b is not None
    assert b.created.isoformat() == "2026-01-05T10:00:00+08:00"


def test_uncommitted_file_has_no_history(repo: Path) -> None:
    (repo / "content/news/new.md").write_text("new", encoding="utf-8")
    assert read_history(repo).lookup("content/news/new.md") is None


def test_history_is_cached_by_head(repo: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = read_history(repo, cache)
    assert (cache / "git-dates.json").exists()
    again = read_history(repo, cache)
    assert again.files == first.files
    git(repo, "commit", "-q", "--allow-empty", "-m", "empty")
    assert read_history(repo, cache).head != first.head


def test_not_a_repository_raises(tmp_path: Path) -> None:
    with pytest.raises(NoHistory):
        read_history(tmp_path)
