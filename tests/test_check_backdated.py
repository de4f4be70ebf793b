"""``tongxin check`` tells an editor what the portal will count as backdated (发布时间存疑), in
a real git repository: an explicit ``date`` more than 7 and at most 180 days before the file's
first commit (or before today, for a file not yet committed, as the pre-commit hook sees it).
Older dates are an archive added late (补录): counted by neither, but a new file dated a year
ago to the day is told its year is wrong."""

from __future__ import annotations

import io
import os
import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from tongxin.federation.backdating import count_backdated

from tongxin.build import build_site
from tongxin.check import check_branch
from tongxin.checkdates import BACKDATED_DAYS, is_backdated
from tongxin.cli import main
from tongxin.problems import Problem

TODAY = date.today()


def days_ago(days: int) -> date:
    return TODAY - timedelta(days=days)


def git(root: Path, *args: str, when: str | None = None) -> None:
    env = dict(os.environ, GIT_AUTHOR_NAME="编辑", GIT_AUTHOR_EMAIL="e@example.org")
    env |= {"GIT_COMMITTER_NAME": "编辑", "GIT_COMMITTER_EMAIL": "e@example.org"}
    if when:
        env |= {"GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}
    subprocess.run(["git", "-C", str(root), *args], check=True, env=env, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "branch"
    (root / "content" / "news").mkdir(parents=True)
    (root / "content" / "site.yaml").write_text(
        "name: 东江社区党支部\nurl: https://dongjiang.example/\nlanguage: zh-CN\n",
        encoding="utf-8",
    )
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "站点设置")
    return root


def news(root: Path, name: str, day: date | str, extra: str = "") -> str:
    rel = f"content/news/{name}.md"
    text = f"---\ntitle: {name}\ndate: {day}\n{extra}---\n\n正文{name}。\n"
    (root / rel).write_text(text, encoding="utf-8")
    return rel


def commit(root: Path, days_ago: int = 0) -> None:
    git(root, "add", "-A")
    when = (TODAY - timedelta(days=days_ago)).isoformat() + "T10:00:00+08:00"
    git(root, "commit", "-qm", "内容", when=when)


def warnings(problems: list[Problem]) -> list[Problem]:
    assert all(p.warning for p in problems), problems  # never an error: archives are legitimate
    return problems


def test_a_new_file_dated_a_year_ago_is_told_its_year(repo: Path) -> None:
    year_ago = TODAY.replace(year=TODAY.year - 1) if (TODAY.month, TODAY.day) != (2, 29) else None
    if year_ago is None:
        pytest.skip("29 February")
    rel = news(repo, "新通知", year_ago)
    [problem] = warnings(check_branch(repo))
    assert (problem.path, problem.line) == (rel, 3)
    assert f"发布时间 {year_ago.isoformat()} 是 " in problem.message
    assert f"是不是想写 {TODAY.isoformat()}？" in problem.message  # only the year is wrong
    assert "发布时间存疑" not in problem.message  # a year back: no portal counts it


def test_a_new_file_dated_weeks_ago_is_what_the_portal_will_count(repo: Path) -> None:
    rel = news(repo, "补写的活动", days_ago(40))
    [problem] = warnings(check_branch(repo))
    assert problem.path == rel and "提交以后" in problem.message
    assert "发布时间存疑" in problem.message and "是不是想写" not in problem.message


def test_a_committed_file_is_measured_from_its_first_commit(repo: Path) -> None:
    rel = news(repo, "旧闻", days_ago(60))
    commit(repo, days_ago=2)
    [problem] = warnings(check_branch(repo))
    first = days_ago(2).isoformat()
    assert problem.path == rel and f"第一次提交（{first}）" in problem.message


def test_an_archive_older_than_the_inspection_windows_is_not_backdated(repo: Path) -> None:
    for k in range(30):
        news(repo, f"旧文{k:02d}", f"2023-{k % 12 + 1:02d}-10")
    assert check_branch(repo) == []  # (not a year ago to the day: no mistyped year either)
    commit(repo)
    assert check_branch(repo) == []


def test_dates_within_a_week_of_the_commit_drafts_and_undated_entries_pass(repo: Path) -> None:
    news(repo, "上周", TODAY - timedelta(days=BACKDATED_DAYS - 2))  # (UTC vs Shanghai)
    news(repo, "草稿", "2020-01-01", "status: draft\n")
    (repo / "content/news/无日期.md").write_text("---\ntitle: 无日期\n---\n\n正文。\n", "utf-8")
    assert check_branch(repo) == []
    commit(repo)
    assert check_branch(repo) == []


def test_many_backdated_files_committed_long_ago_are_one_line(repo: Path) -> None:
    for k in range(40):
        news(repo, f"补录{k:02d}", days_ago(60 + k))
    commit(repo, days_ago=30)
    [summary] = warnings(check_branch(repo))
    assert "这一篇和另外 39 篇" in summary.message and "补录的旧文可以不改" in summary.message
    # an editor adds one more today: it is told on its own, the others still in one line
    rel = news(repo, "今天补写", days_ago(20))
    problems = warnings(check_branch(repo))
    assert [p.path for p in problems if f"发布时间 {days_ago(20).isoformat()} 是" in p.message] == [
        rel
    ]
    assert sum("这一篇和另外 39 篇" in p.message for p in problems) == 1 and len(problems) == 2


def test_many_new_backdated_files_show_three_then_sum_up(repo: Path) -> None:
    for k in range(5):
        news(repo, f"导入{k}", days_ago(30 + k))
    problems = warnings(check_branch(repo))
    assert len(problems) == 4
    assert sum("这一篇和另外 1 篇" in p.message for p in problems) == 1


def test_the_site_timezone_and_the_language_are_the_sites(repo: Path) -> None:
    site = repo / "content/site.yaml"
    site.write_text(
        "name: 臺北分會\nurl: https://tp.example/\nlanguage: zh-TW\ntimezone: Asia/Taipei\n",
        encoding="utf-8",
    )
    rel = news(repo, "舊聞", f"{days_ago(30)} 09:00")
    commit(repo)
    [problem] = warnings(check_branch(repo))
    assert problem.path == rel and "入口網站的健康頁" in problem.message


def test_without_git_history_nothing_is_said(tmp_path: Path) -> None:
    root = tmp_path / "plain"
    (root / "content/news").mkdir(parents=True)
    (root / "content/site.yaml").write_text(
        "name: 支部\nurl: https://x.example/\nlanguage: en\n", encoding="utf-8"
    )
    news(root, "old", "2020-01-01")
    assert check_branch(root) == []  # no first commit is published: the portal counts nothing


def test_remembered_by_the_check_cache_and_printed_by_the_build(repo: Path, tmp_path: Path) -> None:
    rel = news(repo, "旧闻", days_ago(30))
    commit(repo)
    cache = tmp_path / "cache"
    first = check_branch(repo, cache_dir=cache)
    assert [p.path for p in first] == [rel]
    assert check_branch(repo, cache_dir=cache) == first  # the unchanged file is not read again
    printed = io.StringIO()
    build_site(repo, tmp_path / "out", progress=False, warnings_to=printed)
    assert f"{rel}:3: " in printed.getvalue() and "发布时间存疑" in printed.getvalue()
    result = CliRunner().invoke(main, ["check", str(repo)])
    assert result.exit_code == 0 and "发布时间存疑" in result.output


def test_the_portal_counts_by_the_same_rule() -> None:
    from datetime import UTC, datetime

    first = datetime(2026, 3, 10, 12, tzinfo=UTC)
    assert is_backdated(first - timedelta(days=BACKDATED_DAYS, seconds=1), first)
    assert not is_backdated(first - timedelta(days=BACKDATED_DAYS), first)
    document = {
        "entries": [
            {"date": "2026-03-02T12:00:00+00:00", "first_commit": first.isoformat()},
            {"date": "2026-03-04T12:00:00+00:00", "first_commit": first.isoformat()},
        ]
    }
    assert count_backdated(document, BACKDATED_DAYS) == 1
    archived = {"date": "2025-09-01T12:00:00+00:00", "first_commit": first.isoformat()}
    assert not is_backdated(datetime.fromisoformat(archived["date"]), first)  # 190 days back
    assert count_backdated({"entries": [archived]}, BACKDATED_DAYS) == 0


def test_a_branch_in_a_folder_of_a_bigger_repository(tmp_path: Path) -> None:
    """The demo's branches sit in folders of this project's repository: their files' first
    commits are found under the folder's path."""
    top = tmp_path / "top"
    root = top / "branches" / "东江"
    (root / "content/news").mkdir(parents=True)
    (root / "content/site.yaml").write_text(
        "name: 东江\nurl: https://dj.example/\nlanguage: zh-CN\n", encoding="utf-8"
    )
    rel = news(root, "旧闻", days_ago(60))
    git(top, "init", "-q")
    commit(top, days_ago=3)
    [problem] = warnings(check_branch(root))
    assert problem.path == rel and f"第一次提交（{days_ago(3).isoformat()}）" in problem.message
