"""``--help`` of the editor-facing commands in the user's language (LC_ALL / LANG)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("zh_CN.UTF-8", ["检查支部网站的内容", "每次保存后自动重新生成", "输出文件夹"]),
        ("zh_TW.UTF-8", ["檢查支部網站的內容", "每次儲存後自動重新產生", "輸出資料夾"]),
        ("en_US.UTF-8", ["Validate a branch's content", "rebuilds on every save", "Output folder"]),
    ],
)
def test_help_follows_the_users_language(lang: str, words: list[str]) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LC_")}
    env.update(LANG=lang)
    env.pop("LANGUAGE", None)
    texts = []
    for command in ("check", "serve", "build"):
        done = subprocess.run(
            [sys.executable, "-m", "tongxin", command, "--help"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        texts.append(done.stdout)
    for word, text in zip(words, texts, strict=True):
        assert word in text, text
    assert "分支" not in "".join(texts)


def test_help_in_a_branch_on_a_server_without_a_language_is_the_sites(tmp_path) -> None:
    """LANG=C.UTF-8 (a server, a CI image) names no language: inside a zh-TW branch the help is
    in Traditional, as the check's messages are (a trial's editor got Simplified help)."""
    branch = tmp_path / "xinyi"
    (branch / "content" / "news").mkdir(parents=True)
    (branch / "content" / "site.yaml").write_text(
        "name: 信義區志工隊\nurl: https://xinyi.example.tw/\nlanguage: zh-TW\n", encoding="utf-8"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("LC_")}
    env.update(LANG="C.UTF-8", PYTHONPATH=os.pathsep.join(sys.path))
    env.pop("LANGUAGE", None)
    done = subprocess.run(
        [sys.executable, "-m", "tongxin", "check", "--help"],
        env=env,
        cwd=branch / "content" / "news",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "檢查支部網站的內容" in done.stdout, done.stdout


def _commands(group, prefix=()):
    import click

    for name, command in group.commands.items():
        yield (*prefix, name)
        if isinstance(command, click.Group):
            yield from _commands(command, (*prefix, name))


def test_every_commands_help_frame_is_in_the_users_language(monkeypatch) -> None:
    """Not just its own text: 用法/选项 around it, in every command and subcommand (ping, hub
    and retractions said Usage/Options beside Chinese help)."""
    from click.testing import CliRunner

    from tongxin.cli import main

    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    monkeypatch.delenv("LANGUAGE", raising=False)
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    commands = list(_commands(main))
    assert len(commands) > 20 and ("retractions", "confirm") in commands
    runner = CliRunner()
    for command in commands:
        result = runner.invoke(main, [*command, "--help"])
        assert result.exit_code == 0, (command, result.output)
        assert result.output.startswith("用法："), (command, result.output[:80])
        assert "Usage:" not in result.output and "Options:" not in result.output, command
