"""tongxin new-branch: a git repository ready for editors and CI."""

from __future__ import annotations

import os
from pathlib import Path

import git
import pytest
import yaml
from click.testing import CliRunner

from tongxin.check import check_branch
from tongxin.cli import main
from tongxin.scaffold import create_branch


def test_new_branch_creates_a_valid_committed_repository(tmp_path: Path) -> None:
    target = tmp_path / "dongjiang"
    result = CliRunner().invoke(
        main,
        [
            "new-branch",
            str(target),
            "--name",
            "东江社区党支部",
            "--url",
            "https://dongjiang.example",
        ],
    )
    assert result.exit_code == 0, result.output
    site = yaml.safe_load((target / "content/site.yaml").read_text(encoding="utf-8"))
    assert site["name"] == "东江社区党支部" and site["url"] == "https://dongjiang.example/"
    for kind in ("news", "announcements", "study", "pages"):
        assert list((target / "content" / kind).glob("*.md")), kind
    for ci in (".github/workflows/site.yml", ".gitlab-ci.yml", ".gitea/workflows/site.yml"):
        text = (target / ci).read_text(encoding="utf-8")
        assert "tongxin check && tongxin build" in text, ci
    hook = target / ".git/hooks/pre-commit"
    assert os.access(hook, os.X_OK) and "tongxin check" in hook.read_text(encoding="utf-8")
    assert (target / "hooks/pre-commit").is_file()
    assert "编辑" in (target / "README.md").read_text(encoding="utf-8")
    assert not (target / "theme").exists() and not (target / "plugins").exists()
    repo = git.Repo(target)
    assert not repo.is_dirty(untracked_files=True)
    assert "content/site.yaml" in repo.git.ls_files().splitlines()
    assert only_sample_warnings(check_branch(target))


def test_new_branch_refuses_a_non_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "keep.txt").write_text("mine", encoding="utf-8")
    result = CliRunner().invoke(
        main, ["new-branch", str(tmp_path / "x"), "--name", "甲", "--url", "https://a.example/"]
    )
    assert result.exit_code == 1
    assert (tmp_path / "x" / "keep.txt").read_text(encoding="utf-8") == "mine"


def test_traditional_chinese_branch_gets_converted_samples(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        [
            "new-branch",
            str(tmp_path / "tw"),
            "--name",
            "臺北支部",
            "--url",
            "https://tw.example/",
            "--language",
            "zh-TW",
        ],
    )
    assert result.exit_code == 0, result.output
    text = (tmp_path / "tw/content/news/first-meeting.md").read_text(encoding="utf-8")
    assert "會議" in text and "会议" not in text


def test_branch_ci_installs_the_lunr_that_tongxin_pins(tmp_path: Path) -> None:
    """A branch's CI builds the search page, so it installs lunr.js at our package.json pin."""
    import json

    from tongxin.scaffold import LUNR_VERSION, create_branch

    pinned = json.loads((Path(__file__).parents[1] / "package.json").read_text("utf-8"))
    assert pinned["dependencies"]["lunr"] == LUNR_VERSION
    create_branch(tmp_path / "b", name="测试支部", url="https://b.example/")
    for ci_file in (".github/workflows/site.yml", ".gitea/workflows/site.yml", ".gitlab-ci.yml"):
        text = (tmp_path / "b" / ci_file).read_text("utf-8")
        assert f"lunr@{LUNR_VERSION}" in text, ci_file
        assert "@@" not in text, ci_file
    assert "node_modules/" in (tmp_path / "b" / ".gitignore").read_text("utf-8")


def test_an_unknown_language_is_refused_with_its_own_error(tmp_path: Path) -> None:
    import pytest

    from tongxin.scaffold import ScaffoldError, create_branch

    with pytest.raises(ScaffoldError) as caught:
        create_branch(tmp_path / "b", name="支部", url="https://b.example/", language="fr")
    assert "fr" in str(caught.value)
    assert not (tmp_path / "b").exists()


def test_a_traditional_branch_reads_as_taiwan_writes(tmp_path: Path) -> None:
    """The samples are converted character by character, then by Taiwan's own words: not
    s2twp's software phrases (社区 as 社群, 发布 as 釋出, 审核 as 稽核), not 并 as 併; quotes
    are 「」 and the site's zone is Taipei. The branch's own name is kept as typed."""
    from tongxin.scaffold import create_branch

    root = tmp_path / "xinyi"
    create_branch(
        root, name="信义区青年志工服务队", url="https://xinyi.example.tw/", language="zh-TW"
    )
    texts = [
        p.read_text(encoding="utf-8")
        for p in root.rglob("*")
        if p.is_file() and ".git" not in p.parts and p.suffix in (".md", ".yaml", "")
    ]
    joined = "\n".join(texts)
    assert "社區" in joined and "發佈" in joined
    for wrong in ("社群", "釋出", "稽核", "提交併", "“", "Asia/Shanghai"):
        assert wrong not in joined, wrong
    assert "timezone: Asia/Taipei" in (root / "content/site.yaml").read_text(encoding="utf-8")
    assert "信义区青年志工服务队" in joined


def only_sample_warnings(problems: list) -> bool:
    """A new branch has no problem but its untouched samples (a warning each, so that they
    are not published as the branch's own news unnoticed)."""
    samples = [p for p in problems if p.warning and p.line == 1]
    return problems == samples and len(samples) == 3


@pytest.mark.parametrize("language", ["zh-CN", "zh-TW", "en"])
def test_an_untouched_sample_is_named_until_it_is_changed(tmp_path: Path, language: str) -> None:
    """A trial's three new branches each published new-branch's pinned sample notice (to
    2099) on the portal; the check names every sample left as it was, and no other file."""
    target = tmp_path / "branch"
    traditional = language == "zh-TW"  # (a Simplified name in zh-TW samples is itself named)
    name = "東江社區黨支部" if traditional else "东江社区党支部"
    create_branch(target, name=name, url="https://dj.example/", language=language)
    problems = check_branch(target)
    assert only_sample_warnings(problems), problems
    notice = next(p.path for p in problems if "announcements" in p.path)
    path = target / notice
    added = "\n補充一句。\n" if traditional else "\n补充一句。\n"
    path.write_text(path.read_text(encoding="utf-8") + added, encoding="utf-8")
    (target / next(p.path for p in problems if "study" in p.path)).unlink()
    left = check_branch(target)
    assert [p.path for p in left] == [p.path for p in problems if "news" in p.path]
