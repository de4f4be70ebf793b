"""A branch made by ``tongxin new-branch`` in a fresh folder: its hook and its CI work.

* The CI files install tongxin from where the branch was made (this checkout by default, or
  what ``--tongxin-source`` names) and pin Decap as package.json does.
* The pre-commit hook finds tongxin when it is not on PATH (the venv that made the branch,
  recorded in ``.git/tongxin-python``), refuses a bad commit with the check's message, and
  refuses, saying how to proceed, when it cannot find tongxin at all: never a silent pass.
* A CI-like run: a fresh venv, the install line taken from the generated ``.gitlab-ci.yml``
  run as written (offline: dependencies come from this checkout's venv), then the CI's own
  ``tongxin check && tongxin build``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

from tongxin.scaffold import DECAP_VERSION, create_branch

REPO = Path(__file__).resolve().parent.parent
CI_FILES = (".github/workflows/site.yml", ".gitea/workflows/site.yml", ".gitlab-ci.yml")


def git(root: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    base = dict(env or os.environ, GIT_AUTHOR_NAME="编辑", GIT_AUTHOR_EMAIL="e@x.example")
    base.update(GIT_COMMITTER_NAME="编辑", GIT_COMMITTER_EMAIL="e@x.example")
    return subprocess.run(
        ["git", "-C", str(root), *args], env=base, capture_output=True, text=True, timeout=120
    )


def bare_path() -> str:
    """PATH without this venv (tongxin is not a command there), as on an office PC."""
    venv_bin = str(Path(sys.executable).parent)
    return os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep) if p != venv_bin)


@pytest.fixture
def branch(tmp_path: Path) -> Path:
    root = tmp_path / "dongjiang"
    create_branch(root, name="东江社区党支部", url="https://dongjiang.example/")
    return root


def test_ci_installs_from_the_checkout_that_made_the_branch(branch: Path, tmp_path: Path) -> None:
    pinned = json.loads((REPO / "package.json").read_text("utf-8"))
    assert pinned["dependencies"]["decap-cms"] == DECAP_VERSION
    for name in CI_FILES:
        text = (branch / name).read_text("utf-8")
        assert f'pip install "{REPO}"' in text, name
        assert f"decap-cms@{DECAP_VERSION}" in text, name
        assert "@@" not in text and "tongxin==" not in text, name
    other = tmp_path / "other"
    source = "git+https://git.example.org/tools/tongxin.git@v0.1.0"
    create_branch(other, name="甲", url="https://a.example/", tongxin_source=source)
    assert f'pip install "{source}"' in (other / ".gitlab-ci.yml").read_text("utf-8")


def test_hook_finds_the_venv_that_made_the_branch_and_refuses_bad_content(branch: Path) -> None:
    assert (branch / ".git" / "tongxin-python").read_text().strip() == sys.executable
    env = dict(os.environ, PATH=bare_path())
    bad = branch / "content" / "news" / "bad.md"
    bad.write_text("---\ntitle: 通知: 明天开会\n---\n正文\n", encoding="utf-8")
    git(branch, "add", "-A", env=env)
    refused = git(branch, "commit", "-m", "bad", env=env)
    assert refused.returncode != 0
    assert "content/news/bad.md:2" in refused.stdout + refused.stderr
    assert "英文冒号" in refused.stdout + refused.stderr
    bad.write_text('---\ntitle: "通知: 明天开会"\n---\n正文\n', encoding="utf-8")
    git(branch, "add", "-A", env=env)
    done = git(branch, "commit", "-m", "good", env=env)
    assert done.returncode == 0, done.stdout + done.stderr


def test_hook_checks_what_the_commit_holds_not_a_stray_file_beside_it(branch: Path) -> None:
    # a trial: a 新建文本文档.txt dropped into news/ and never added refused every commit
    env = dict(os.environ, PATH=bare_path())
    (branch / "content/news/新建文本文档.txt").write_text("草稿", encoding="utf-8")
    good = branch / "content/news/visit.md"
    good.write_text("---\ntitle: 走访慰问\n---\n正文\n", encoding="utf-8")
    git(branch, "add", str(good), env=env)
    done = git(branch, "commit", "-m", "visit", env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    # added to the commit, the same file is refused
    git(branch, "add", "-A", env=env)
    refused = git(branch, "commit", "-m", "draft", env=env)
    assert refused.returncode != 0 and "新建文本文档.txt" in refused.stdout + refused.stderr


def test_hook_without_tongxin_refuses_and_says_how_to_proceed(branch: Path) -> None:
    (branch / ".git" / "tongxin-python").write_text("/nonexistent/python\n")
    # a Python that cannot import tongxin, first on PATH under both names the hook tries
    shims = branch.parent / "shims"
    shims.mkdir()
    real = sysconfig.get_config_var("BINDIR") or "/usr/bin"
    for name in ("python3", "python"):
        (shims / name).write_text(f'#!/bin/sh\nexec {real}/python3 -I -S "$@"\n')
        (shims / name).chmod(0o755)
    env = dict(os.environ, PATH=str(shims) + os.pathsep + bare_path())
    env.pop("TONGXIN_PYTHON", None)
    (branch / "content" / "news" / "new.md").write_text("---\ntitle: 新闻\n---\n正文\n", "utf-8")
    git(branch, "add", "-A", env=env)
    refused = git(branch, "commit", "-m", "new", env=env)
    assert refused.returncode != 0
    message = refused.stdout + refused.stderr
    assert "找不到 tongxin" in message and "TONGXIN_PYTHON" in message
    assert f'pip install "{REPO}"' in message
    assert "--no-verify" in message


def test_ci_like_run_installs_with_the_generated_line_and_builds(
    branch: Path, tmp_path: Path
) -> None:
    script = (branch / ".gitlab-ci.yml").read_text("utf-8")
    install = re.search(r"^\s*- (pip install .*)$", script, re.M)
    assert install is not None
    ci = tmp_path / "ci-venv"
    venv.EnvBuilder(with_pip=True).create(ci)
    # the dependencies from this checkout's venv (pip finds them installed, downloads none);
    # only the isolated build's setuptools comes from the package index pip is set up with
    site = next((ci / "lib").glob("python3*/site-packages"))
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = dict(
        os.environ,
        PATH=str(ci / "bin") + os.pathsep + bare_path(),
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        # the npm lines' packages: this checkout's node_modules instead of a download
        TONGXIN_NODE_MODULES=str(REPO / "node_modules"),
    )
    env.pop("VIRTUAL_ENV", None)
    installed = subprocess.run(
        install.group(1),
        shell=True,
        cwd=branch,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert installed.returncode == 0, installed.stdout[-2000:] + installed.stderr[-2000:]
    assert (ci / "bin" / "tongxin").exists()
    built = subprocess.run(
        "tongxin check && tongxin build -o public",
        shell=True,
        cwd=branch,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    assert (branch / "public" / "index.html").is_file()
    assert (branch / "public" / "admin" / "config.yml").is_file()
