"""tongxin new-branch with the names and languages real branches have: quotes, backslashes,
an empty name, an English site. Whatever fails leaves no half-made folder behind."""

from __future__ import annotations

import os
import re
from pathlib import Path

import git
import pytest
import yaml
from click.testing import CliRunner
from test_new_branch import only_sample_warnings

from tongxin.check import check_branch
from tongxin.cli import main

#: Names as branches write them (the "两新" organisations are always quoted) and as a
#: copy from a Word document brings them (a backslash, full-width quotes, a colon).
NAMES = [
    '"两新"组织联合党支部',
    "第一党支部\\第二党小组",
    "“两新”组织: 联合党支部 #1",
    "'单引号'党支部",
]


def new_branch(target: Path, name: str, language: str = "zh-CN") -> tuple[int, str]:
    result = CliRunner().invoke(
        main,
        ["new-branch", str(target), "--name", name, "--url", "https://lx.example/"]
        + ["--language", language],
    )
    return result.exit_code, result.output


@pytest.mark.parametrize("name", NAMES)
def test_a_name_with_quotes_or_backslashes_makes_a_valid_branch(tmp_path: Path, name: str) -> None:
    target = tmp_path / "lx"
    code, output = new_branch(target, name)
    assert code == 0, output
    site = yaml.safe_load((target / "content/site.yaml").read_text(encoding="utf-8"))
    assert site["name"] == name
    assert name in site["description"]
    about = (target / "content/pages/about.md").read_text(encoding="utf-8")
    front = yaml.safe_load(about.split("---")[1])
    assert name in front["summary"]
    assert only_sample_warnings(check_branch(target))
    assert not git.Repo(target).is_dirty(untracked_files=True)


@pytest.mark.parametrize(
    ("name", "language", "expected"),
    [
        ("", "zh-CN", "--name 不能为空"),
        ("   ", "zh-TW", "--name 不能為空"),
        ("", "en", "--name must not be empty"),
        ("第一\n支部", "zh-CN", "换行"),
    ],
)
def test_a_bad_name_is_refused_before_anything_is_made(
    tmp_path: Path, name: str, language: str, expected: str
) -> None:
    target = tmp_path / "lx"
    code, output = new_branch(target, name, language)
    assert code == 1 and expected in output, output
    assert "Traceback" not in output
    assert not target.exists()


def test_a_failed_commit_removes_what_was_made_and_the_rerun_works(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The pre-commit hook runs `tongxin check` from PATH: one that refuses (an older tongxin
    # that does not know a field) makes the first commit fail after every file was written.
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "tongxin").write_text("#!/bin/sh\necho refused by policy >&2\nexit 1\n")
    (fake / "tongxin").chmod(0o755)
    path = os.environ.get("PATH", "")
    monkeypatch.setenv("PATH", f"{fake}{os.pathsep}{path}")
    target = tmp_path / "lx"
    target.mkdir()  # an empty folder the user made: it stays, emptied
    code, output = new_branch(target, "东江社区党支部")
    assert code == 1, output
    assert "Traceback" not in output and "已删除做了一半的文件" in output, output
    assert "refused by policy" in output
    assert target.is_dir() and not any(target.iterdir())
    monkeypatch.setenv("PATH", path)
    code, output = new_branch(target, "东江社区党支部")
    assert code == 0, output


def test_an_english_branch_has_english_samples(tmp_path: Path) -> None:
    target = tmp_path / "en"
    code, output = new_branch(target, "Riverside Branch", "en")
    assert code == 0, output
    han = re.compile(r"[\u3400-\u9fff]")
    for path in sorted(target.rglob("*")):
        if path.is_file() and ".git" not in path.parts:
            text = path.read_text(encoding="utf-8").replace("同心 Tongxin", "Tongxin")
            assert not han.search(text), f"{path.relative_to(target)}: {han.findall(text)[:5]}"
            assert not han.search(path.name), path.name
    site = yaml.safe_load((target / "content/site.yaml").read_text(encoding="utf-8"))
    assert site["language"] == "en" and site["nav"][0]["title"] == "About us"
    assert only_sample_warnings(check_branch(target))


def test_windows_system_files_are_ignored_by_git_in_a_new_branch(tmp_path: Path) -> None:
    target = tmp_path / "b"
    code, output = new_branch(target, "东江社区党支部")
    assert code == 0, output
    repo = git.Repo(target)
    names = ["content/files/Thumbs.db", "content/desktop.ini", "content/files/~$报名表.docx"]
    ignored = repo.git.check_ignore(*names).splitlines()
    assert len(ignored) == len(names), ignored
