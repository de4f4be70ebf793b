"""A zh-TW site's entry written in Simplified characters (pasted from a mainland site) is a
warning naming the first line holding one; Traditional text, including words whose characters
look Simplified (皇后, 公里, 台灣, 備注), and other sites' languages pass."""

from __future__ import annotations

from pathlib import Path

import pytest

from tongxin.check import check_branch

TRADITIONAL = (
    "各位夥伴好：本會將於下週六舉辦志工培訓，地點在臺北市公所，距離捷運站約一公里。"
    "皇后鎮的台灣朋友也歡迎參加，備注欄請填寫飲食需求，干擾請見諒，後續另行通知。"
)
SIMPLIFIED = "各位伙伴好：本会将于下周六举办志愿者培训，请大家准时参加，带好身份证件。"


@pytest.fixture
def site(tmp_path: Path) -> Path:
    (tmp_path / "content/news").mkdir(parents=True)
    (tmp_path / "content/site.yaml").write_text(
        "name: 臺北分會\nurl: https://tp.example/\nlanguage: zh-TW\n", encoding="utf-8"
    )
    return tmp_path


def entry(root: Path, title: str, body: str, extra: str = "") -> str:
    rel = "content/news/a.md"
    (root / rel).write_text(f"---\ntitle: {title}\n{extra}---\n\n{body}\n", encoding="utf-8")
    return rel


def test_traditional_text_passes(site: Path) -> None:
    entry(site, "志工培訓通知", TRADITIONAL)
    assert check_branch(site) == []


def test_a_pasted_simplified_paragraph_is_named_at_its_line(site: Path) -> None:
    rel = entry(site, "志工培訓通知", f"{TRADITIONAL}\n\n{SIMPLIFIED}")
    [problem] = check_branch(site)
    assert problem.warning and (problem.path, problem.line) == (rel, 7)
    assert "簡體字" in problem.message and "会→會" in problem.message


def test_a_simplified_title_is_named_at_the_title(site: Path) -> None:
    entry(site, "关于举办志愿者培训的通知", TRADITIONAL)
    [problem] = check_branch(site)
    assert problem.line == 2 and "关→關" in problem.message


def test_an_entry_declaring_its_own_language_and_other_sites_pass(site: Path) -> None:
    entry(site, "关于举办志愿者培训的通知", SIMPLIFIED, "lang: zh-CN\n")
    assert check_branch(site) == []
    (site / "content/site.yaml").write_text(
        "name: 东江\nurl: https://dj.example/\nlanguage: zh-CN\n", encoding="utf-8"
    )
    entry(site, "关于举办志愿者培训的通知", SIMPLIFIED)
    assert check_branch(site) == []


def test_one_character_typed_by_a_simplified_input_method_is_named(site: Path) -> None:
    entry(site, "志工培訓通知", TRADITIONAL + "（備註：請带證件）")
    [problem] = check_branch(site)
    assert "1 個簡體字" in problem.message and "带→帶" in problem.message
