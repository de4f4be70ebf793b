"""Click's usage errors, a single-file check and meaningless tags, in the user's language.

The tester (a non-technical branch editor) typed `tongxin check /nonexistent`, an option
that does not exist, a language that is not offered, a file instead of a folder, and got
Click's English; `tongxin check FILE` (as the README shows) counted the whole branch; a tag
".." passed the check and only Pelican said, in English, that it had no slug.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from tongxin.cli import main

ENV = {"zh-CN": "zh_CN.UTF-8", "zh-TW": "zh_TW.UTF-8", "en": "en_US.UTF-8"}


def run(args: list[str], language: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, args, env={"LANG": ENV[language], "LC_ALL": None})
    return result.exit_code, result.output


@pytest.mark.parametrize(
    ("args", "language", "words"),
    [
        (["check", "/nonexistent"], "zh-CN", "错误：'[PATH]'：路径 /nonexistent 不存在"),
        (["check", "/nonexistent"], "zh-TW", "錯誤：'[PATH]'：路徑 /nonexistent 不存在"),
        (["check", "/nonexistent"], "en", "Error: '[PATH]': the path /nonexistent does not exist"),
        (["build", "--bogus"], "zh-CN", "错误：没有选项 --bogus"),
        (["build", "--outptu", "x"], "en", "there is no option --outptu; did you mean --output?"),
        (
            ["new-branch", "x", "--name", "a", "--url", "https://a/", "--language", "fr"],
            "zh-CN",
            "'--language' 不能是 fr，可选：",
        ),
        (["new-branch"], "zh-TW", "缺少 'DIRECTORY'"),
        (["check", ".", "extra"], "zh-CN", "多出了参数 extra"),
        # an editor who remembers "new": the command it begins is named
        (["new"], "zh-CN", "错误：没有 new 这个命令，是不是想写 new-branch？"),
        (["biuld"], "en", "no such command biuld; did you mean build?"),
    ],
)
def test_usage_errors_are_in_the_users_language(args: list[str], language: str, words: str) -> None:
    code, output = run(args, language)
    assert code == 2, output
    assert words in output, output
    assert "Invalid value" not in output and "No such option" not in output
    assert "No such command" not in output
    assert "Try '" not in output
    if language != "en":
        assert "Usage:" not in output and "Error:" not in output, output


def test_a_file_where_a_folder_is_wanted(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("x", encoding="utf-8")
    code, output = run(["build", str(tmp_path / "a.md")], "zh-CN")
    assert code == 2 and "是文件，这里要的不是它" in output, output


def test_help_and_version_still_work() -> None:
    code, output = run(["--help"], "zh-CN")
    assert code == 0 and "new-branch" in output
    # Click's own lines too: "Usage:", "Options:", "Commands:", "Show this message and exit."
    assert "用法：" in output and "选项：" in output and "命令：" in output, output
    assert "显示这份说明并退出。" in output and "Show this message" not in output, output
    code, output = run(["keys", "generate", "--help"], "zh-TW")
    assert code == 0 and "選項：" in output and "顯示這份說明並結束。" in output, output
    code, output = run(["--version"], "en")
    assert code == 0 and "version" in output


def make_branch(root: Path) -> Path:
    site = {"name": "东江社区党支部", "url": "https://dongjiang.example/", "language": "zh-CN"}
    (root / "content/news").mkdir(parents=True)
    (root / "content/site.yaml").write_text(yaml.safe_dump(site, allow_unicode=True), "utf-8")
    (root / "content/news/good.md").write_text("---\ntitle: 好\n---\n正文\n", "utf-8")
    (root / "content/news/bad.md").write_text("---\ntitle:\n---\n正文\n", "utf-8")
    return root


def test_check_of_one_file_reports_that_file_only(tmp_path: Path) -> None:
    root = make_branch(tmp_path)
    code, output = run(["check", str(root / "content/news/good.md")], "zh-CN")
    assert (code, output.strip()) == (0, "已检查 1 个文件：没有发现问题")
    code, output = run(["check", str(root / "content/news/bad.md")], "zh-CN")
    assert code == 1 and output.startswith("content/news/bad.md:2: ") and "1 个文件" in output
    code, output = run(["check", str(root)], "zh-CN")
    assert code == 1 and "已检查 3 个文件" in output


@pytest.mark.parametrize(
    ("tags", "bad"), [("[.., 党建]", ".."), ('["!!!"]', "!!!"), ('["-", 学习]', "-")]
)
def test_a_tag_without_letters_is_reported_by_check(tmp_path: Path, tags: str, bad: str) -> None:
    root = make_branch(tmp_path)
    (root / "content/news/bad.md").write_text(f"---\ntitle: 标签\ntags: {tags}\n---\n正文\n")
    code, output = run(["check", str(root)], "zh-CN")
    assert code == 1, output
    assert f"content/news/bad.md:3: tags[0]：标签 “{bad}” 里没有文字或数字" in output, output
