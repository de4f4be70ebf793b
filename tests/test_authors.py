"""Authors: the git committer is published only when ``site.yaml`` opts in, and an author's
name is never a link to a page that does not exist (issue 14: 404 on all 55 demo articles)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml

from tongxin.build import build_site

SITE = {"name": "东江社区党支部", "url": "https://dongjiang.example/", "language": "zh-CN"}


def make_branch(root: Path, site: dict) -> None:
    (root / "content" / "news").mkdir(parents=True)
    (root / "content" / "site.yaml").write_text(yaml.safe_dump(site, allow_unicode=True), "utf-8")
    (root / "content/news/no-author.md").write_text("---\ntitle: 无作者\n---\n正文。\n", "utf-8")
    (root / "content/news/named.md").write_text(
        "---\ntitle: 有作者\nauthor: 宣传委员\n---\n正文。\n", "utf-8"
    )
    env = dict(
        os.environ,
        GIT_AUTHOR_NAME="Administrator",
        GIT_AUTHOR_EMAIL="admin@office.local",
        GIT_COMMITTER_NAME="Administrator",
        GIT_COMMITTER_EMAIL="admin@office.local",
    )
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "--no-verify", "-m", "c"]):
        subprocess.run(["git", "-C", str(root), *args], check=True, env=env, capture_output=True)


@pytest.mark.parametrize("opt_in", [False, True])
def test_committer_published_only_when_asked(tmp_path: Path, opt_in: bool) -> None:
    make_branch(tmp_path, {**SITE, "author_from_git": True} if opt_in else SITE)
    out = tmp_path / "out"
    build_site(tmp_path, out, progress=False, warnings_to=None)
    page = (out / "news/no-author/index.html").read_text(encoding="utf-8")
    feeds = "".join(p.read_text("utf-8") for p in (out / "feeds").rglob("*") if p.is_file())
    assert ("Administrator" in page) is opt_in
    assert ("Administrator" in feeds) is opt_in
    named = (out / "news/named/index.html").read_text(encoding="utf-8")
    assert "宣传委员" in named


def test_author_names_are_not_links_to_missing_pages(tmp_path: Path) -> None:
    make_branch(tmp_path, SITE)
    out = tmp_path / "out"
    build_site(tmp_path, out, progress=False, warnings_to=None)
    named = (out / "news/named/index.html").read_text(encoding="utf-8")
    assert "宣传委员" in named
    assert 'href="https://dongjiang.example/author/' not in named
    assert "/author/" not in named
    assert not (out / "author").exists()
