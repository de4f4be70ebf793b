"""tongxin build: settings, unchanged rebuilds, and output folders that are not ours."""

from __future__ import annotations

from pathlib import Path

import pytest

from tongxin.build import MARKER, build_site
from tongxin.scaffold import create_branch
from tongxin.settings import pelican_settings, plugin_names


@pytest.fixture
def branch(tmp_path: Path) -> Path:
    root = tmp_path / "branch"
    create_branch(root, name="测试支部", url="https://t.example/")
    return root


def test_settings_follow_site_yaml_and_siteurl_override(branch: Path) -> None:
    settings = pelican_settings(branch, siteurl="http://127.0.0.1:9000/")
    assert settings["SITEURL"] == "http://127.0.0.1:9000"
    assert settings["SITENAME"] == "测试支部" and settings["DEFAULT_LANG"] == "zh-CN"
    assert settings["JINJA_GLOBALS"]["site"]["url"] == "https://t.example/"
    assert settings["JINJA_GLOBALS"]["t"]("build.reading") == "读取内容"
    assert settings["CACHE_CONTENT"] and settings["LOAD_CONTENT_CACHE"]
    assert settings["PLUGINS"][0] == "tongxin.plugins.strict_build"
    if "tongxin.plugins.feeds" in plugin_names():
        assert settings["FEED_ALL_ATOM"] is None  # our feeds plugin writes the feeds


def test_unchanged_branch_is_not_rebuilt_but_a_change_is(branch: Path) -> None:
    out = branch / "output"
    assert not build_site(branch, progress=False, warnings_to=None).unchanged
    assert build_site(branch, progress=False, warnings_to=None).unchanged
    page = branch / "content/pages/about.md"
    page.write_text(page.read_text(encoding="utf-8") + "\n补充一句。\n", encoding="utf-8")
    assert not build_site(branch, progress=False, warnings_to=None).unchanged
    assert "补充一句" in (out / "about/index.html").read_text(encoding="utf-8")


def test_a_foreign_output_folder_is_never_emptied(branch: Path, tmp_path: Path) -> None:
    out = tmp_path / "somebody-elses"
    out.mkdir()
    (out / "precious.txt").write_text("keep", encoding="utf-8")
    result = build_site(branch, out, progress=False, warnings_to=None)
    assert (out / "precious.txt").read_text(encoding="utf-8") == "keep"
    assert (out / MARKER).exists() and (out / "index.html").exists()
    assert any("precious" in w or str(out) in w for w in result.warnings)


def test_stale_page_is_removed_from_our_own_output(branch: Path) -> None:
    build_site(branch, progress=False, warnings_to=None)
    (branch / "content/news/first-meeting.md").unlink()
    build_site(branch, progress=False, warnings_to=None)
    assert not (branch / "output/news/first-meeting/index.html").exists()
