"""End to end: scaffold a branch, commit content in two commits, build, look at the site."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from pelican import signals

from tongxin.build import BuildFailed, build_site
from tongxin.cli import main
from tongxin.scaffold import create_branch

FIRST = "2026-01-05T10:00:00+08:00"
SECOND = "2026-02-07T11:00:00+08:00"


def git(repo: Path, *args: str, when: str | None = None) -> str:
    env = dict(os.environ)
    if when:
        env.update(GIT_AUTHOR_DATE=when, GIT_COMMITTER_DATE=when)
    done = subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=编辑甲", "-c", "user.email=a@example.org", *args],
        check=True,
        env=env,
        capture_output=True,
        text=True,
    )
    return done.stdout


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


class Captured:
    """The articles and pages of the last build, as Pelican objects."""

    def __init__(self) -> None:
        self.entries: dict[str, Any] = {}

    def articles(self, generator: Any) -> None:
        for item in [*generator.articles, *generator.drafts]:
            self.entries[item.source_path.split("/content/", 1)[1]] = item

    def pages(self, generator: Any) -> None:
        for item in generator.pages:
            self.entries[item.source_path.split("/content/", 1)[1]] = item


@pytest.fixture
def captured() -> Any:
    capture = Captured()
    signals.article_generator_finalized.connect(capture.articles)
    signals.page_generator_finalized.connect(capture.pages)
    yield capture
    signals.article_generator_finalized.disconnect(capture.articles)
    signals.page_generator_finalized.disconnect(capture.pages)


@pytest.fixture(scope="module")
def branch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("e2e") / "dongjiang"
    create_branch(root, name="东江社区党支部", url="https://dongjiang.example/")
    write(
        root / "content/news/volunteer-day.md",
        "---\ntitle: 志愿服务日\ntags: [志愿服务]\n---\n\n"
        "第一版。见[通知](../announcements/theme-day-notice.md)。\n",
    )
    write(
        root / "content/news/dated.md",
        "---\ntitle: 指定日期的文章\ndate: 2025-11-01 09:30\n---\n\n正文。\n",
    )
    write(root / "content/news/重阳节慰问.md", "---\ntitle: 重阳节慰问老人\n---\n\n正文。\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "first", when=FIRST)
    write(
        root / "content/news/volunteer-day.md",
        "---\ntitle: 志愿服务日\ntags: [志愿服务]\n---\n\n"
        "第二版。见[通知](../announcements/theme-day-notice.md)。\n",
    )
    git(root, "commit", "-q", "-am", "second", when=SECOND)
    return root


def test_pages_exist_at_the_documented_urls(branch: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build_site(branch, out, progress=False, warnings_to=None)
    for page in (
        "index.html",
        "news/index.html",
        "news/volunteer-day/index.html",
        "news/first-meeting/index.html",
        "announcements/theme-day-notice/index.html",
        "study/party-constitution-01/index.html",
        "about/index.html",
        "files/回执.txt",
    ):
        assert (out / page).is_file(), page
    # the attachment is linked relative to the page, as every other link: a staging copy
    # served from another address downloads its own file, not the live site's
    notice = (out / "announcements/theme-day-notice/index.html").read_text("utf-8")
    assert 'href="../../files/%E5%9B%9E%E6%89%A7.txt" download' in notice
    # and on a listing's card, with its title (the card's link had no text on branch sites)
    listing = (out / "announcements/index.html").read_text("utf-8")
    assert 'href="../files/%E5%9B%9E%E6%89%A7.txt" download>活动回执</a>' in listing


def test_relative_link_to_a_source_file_points_at_its_page(branch: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build_site(branch, out, progress=False, warnings_to=None)
    html = (out / "news/volunteer-day/index.html").read_text(encoding="utf-8")
    assert "第二版" in html
    # own pages are linked relatively (the site works from any origin)
    assert 'href="../../announcements/theme-day-notice/"' in html
    assert "theme-day-notice.md" not in html


def test_dates_come_from_git_and_front_matter_wins(
    branch: Path, tmp_path: Path, captured: Captured
) -> None:
    build_site(branch, tmp_path / "out", progress=False, warnings_to=None)
    volunteer = captured.entries["news/volunteer-day.md"]
    assert volunteer.date.isoformat() == FIRST
    assert volunteer.modified.isoformat() == SECOND
    # the git committer is not published unless site.yaml opts in (tests/test_authors.py)
    assert not getattr(volunteer, "author", None)
    dated = captured.entries["news/dated.md"]
    assert (dated.date.year, dated.date.month, dated.date.day, dated.date.hour) == (2025, 11, 1, 9)
    assert dated.modified.isoformat() == FIRST


def test_entry_attributes_for_templates(branch: Path, tmp_path: Path, captured: Captured) -> None:
    build_site(branch, tmp_path / "out", progress=False, warnings_to=None)
    notice = captured.entries["announcements/theme-day-notice.md"]
    assert notice.type == "announcements" and notice.category.name == "announcements"
    assert notice.pinned is True and notice.expired is False
    assert notice.attachments[0]["url"] == "files/%E5%9B%9E%E6%89%A7.txt"  # site-relative
    assert notice.entry_id == "https://dongjiang.example/announcements/theme-day-notice/"
    study = captured.entries["study/party-constitution-01.md"]
    assert study.series == "党章学习" and study.order == 1 and study.quiz
    assert study.series_entries == [study]


def test_chinese_file_name_gives_a_working_url(
    branch: Path, tmp_path: Path, captured: Captured
) -> None:
    out = tmp_path / "out"
    build_site(branch, out, progress=False, warnings_to=None)
    entry = captured.entries["news/重阳节慰问.md"]
    assert entry.url == "news/%E9%87%8D%E9%98%B3%E8%8A%82%E6%85%B0%E9%97%AE/"
    assert (out / "news/重阳节慰问/index.html").is_file()


def test_retitled_entry_keeps_its_url(branch: Path, tmp_path: Path, captured: Captured) -> None:
    out = tmp_path / "out"
    build_site(branch, out, progress=False, warnings_to=None)
    before = captured.entries["news/dated.md"]
    url, entry_id = before.url, before.entry_id
    path = branch / "content/news/dated.md"
    original = path.read_text(encoding="utf-8")
    try:
        path.write_text(original.replace("指定日期的文章", "改过标题的文章"), encoding="utf-8")
        build_site(branch, out, progress=False, warnings_to=None)
    finally:
        path.write_text(original, encoding="utf-8")
    after = captured.entries["news/dated.md"]
    assert after.title == "改过标题的文章"
    assert (after.url, after.entry_id) == (url, entry_id)
    assert "改过标题的文章" in (out / "news/dated/index.html").read_text(encoding="utf-8")


def _files_outside(root: Path, output: Path) -> set[Path]:
    return {
        p
        for p in root.rglob("*")
        if ".git" not in p.parts and ".tongxin-cache" not in p.parts and output not in p.parents
    }


def test_invalid_file_fails_the_build_with_path_and_line(branch: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    bad = branch / "content/news/bad.md"
    write(bad, "---\ntitle: 坏文件\ndate: 2026-02-30\n---\n\n正文\n")
    before = _files_outside(branch, out)
    try:
        with pytest.raises(BuildFailed) as failure:
            build_site(branch, out, progress=False, warnings_to=None)
        result = CliRunner().invoke(main, ["build", str(branch), "-o", str(out)])
        after = _files_outside(branch, out)
    finally:
        bad.unlink()
    assert any(str(p).startswith("content/news/bad.md:3:") for p in failure.value.problems)
    assert result.exit_code == 1
    assert "content/news/bad.md:3:" in result.output
    assert after == before
    assert not out.exists() or not any(out.iterdir())


def test_read_error_inside_pelican_is_fatal(branch: Path, tmp_path: Path) -> None:
    # Skip validation (as plain `pelican content` would not): the strict plugin still fails.
    from pelican import Pelican
    from tongxin.plugins.strict_build import StrictBuildError

    from tongxin.settings import configured_settings

    bad = branch / "content/news/broken.md"
    write(bad, "---\ntitle: [未闭合\n---\n正文\n")
    try:
        settings = configured_settings(branch, tmp_path / "out", checked=True)
        with pytest.raises(StrictBuildError) as failure:
            Pelican(settings).run()
    finally:
        bad.unlink()
    assert any(str(p).startswith("content/news/broken.md:") for p in failure.value.problems)


def test_shallow_clone_builds_with_one_warning(branch: Path, tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", f"file://{branch}", str(clone)],
        check=True,
        capture_output=True,
    )
    result = build_site(clone, clone / "output", progress=False, warnings_to=None)
    assert (clone / "output/news/volunteer-day/index.html").is_file()
    shallow = [w for w in result.warnings if "shallow" in w or "浅克隆" in w]
    assert len(shallow) == 1


def test_rebuild_uses_the_content_cache(branch: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build_site(branch, out, progress=False, warnings_to=None)
    assert any((branch / ".tongxin-cache").iterdir())
    build_site(branch, out, progress=False, warnings_to=None)
    assert (out / "news/volunteer-day/index.html").is_file()
