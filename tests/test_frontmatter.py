"""Reading one content file (the seam the Pelican readers share) and YAML with line numbers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from tongxin.frontmatter import ContentError, branch_language, read_content_file
from tongxin.problems import Problem
from tongxin.yamlsrc import ImpossibleDate, YamlSyntaxError, load_yaml, parse_date_text

CLEAN = Path(__file__).parent / "fixtures" / "check" / "clean"


def put(root: Path, rel: str, data: str | bytes) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


def test_markdown_entry_gives_type_meta_body_and_lines() -> None:
    source = read_content_file(CLEAN / "content/news/spring-meeting.md", CLEAN)
    assert source.type == "news"
    assert source.meta["title"] == "支部召开春季党员大会"
    assert source.meta["date"] == datetime(2026, 3, 1, 9, 30)
    assert source.meta["tags"] == ["党员大会", "组织生活"]
    assert source.lines == {"title": 2, "date": 3, "tags": 4, "summary": 5, "author": 6}
    assert source.body.startswith("3 月 1 日上午")
    assert source.body_line == 8


def test_pure_yaml_announcement_body_comes_from_the_body_key() -> None:
    source = read_content_file(CLEAN / "content/announcements/qingming-duty.yaml", CLEAN)
    assert source.type == "announcements"
    assert "body" not in source.meta
    assert source.body.startswith("清明节假期")
    assert source.meta["expires"] == date(2026, 4, 7)
    assert source.meta["pinned"] is True
    assert source.lines["attachments"] == 5 and source.lines["body"] == 10
    assert source.locations[("attachments", 1, "url")] == 9


def test_quiz_lines_are_kept_for_nested_items() -> None:
    source = read_content_file(CLEAN / "content/study/lesson-1.md", CLEAN)
    assert source.locations[("quiz", 1, "answer")] == 13
    assert source.meta["quiz"][1]["answer"] == [0, 1]


def test_dates_with_zone_and_without_seconds(tmp_path: Path) -> None:
    put(tmp_path, "content/news/a.md", "---\ntitle: t\ndate: 2026-03-01 09:30+08:00\n---\n")
    meta = read_content_file(tmp_path / "content/news/a.md", tmp_path).meta
    assert meta["date"] == datetime(2026, 3, 1, 9, 30, tzinfo=timezone(timedelta(hours=8)))


def test_impossible_date_is_left_as_text_for_the_checker(tmp_path: Path) -> None:
    put(tmp_path, "content/news/a.md", "---\ntitle: t\ndate: 2026-02-30\n---\n")
    assert read_content_file(tmp_path / "content/news/a.md", tmp_path).meta["date"] == "2026-02-30"


@pytest.mark.parametrize(
    ("rel", "data", "line", "words"),
    [
        ("content/news/a.md", "---\ntitle: [x\n---\n", 2, "方括号“[”没有配对"),
        ("content/news/a.md", "no front matter\n", 1, "---"),
        ("content/news/a.md", b"---\ntitle: x\n---\n\x00", 4, "二进制"),
        ("content/news/a.md", b"---\ntitle: \xc4\xe3\n---\n", 2, "UTF-8"),
        ("content/news/a.png", "x", 1, ".png"),
        ("content/blog/a.md", "---\ntitle: x\n---\n", 1, "news"),
        ("content/announcements/a.yaml", "title: x\nbody: [1]\n", 2, "body"),
    ],
)
def test_unreadable_files_raise_content_error_with_path_and_line(
    tmp_path: Path, rel: str, data: str | bytes, line: int, words: str
) -> None:
    path = put(tmp_path, rel, data)
    with pytest.raises(ContentError) as caught:
        read_content_file(path, tmp_path)
    [problem] = caught.value.problems
    assert (problem.path, problem.line) == (rel, line)
    assert words in problem.message


def test_content_error_messages_follow_the_site_language(tmp_path: Path) -> None:
    put(tmp_path, "content/site.yaml", "name: n\nurl: https://a.example/\nlanguage: en\n")
    path = put(tmp_path, "content/news/a.md", "body only\n")
    assert branch_language(tmp_path) == "en"
    with pytest.raises(ContentError) as caught:
        read_content_file(path, tmp_path)
    assert caught.value.problems[0].message.startswith("missing YAML front matter")


def test_problem_prints_as_path_line_message() -> None:
    assert (
        str(Problem("content/news/a.md", 3, "字段 date 有误"))
        == "content/news/a.md:3: 字段 date 有误"
    )


def test_yaml_lines_offset_and_duplicates() -> None:
    document = load_yaml("a: 1\nb:\n  - c: 2\n    d: 3\na: 4\n", first_line=10)
    assert document.data == {"a": 4, "b": [{"c": 2, "d": 3}]}
    assert document.lines[("b", 0, "d")] == 13
    assert document.duplicates == [(("a",), 14)]
    assert document.line_of(("b", 0, "missing")) == 12


def test_yaml_aliases_do_not_explode() -> None:
    laughs = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(20)
    )
    document = load_yaml(laughs)
    assert len(document.lines) < 100


def test_yaml_error_carries_the_line() -> None:
    with pytest.raises(YamlSyntaxError) as caught:
        load_yaml("a: 1\nb: 'open\nc: 3\n", first_line=5)
    assert caught.value.line == 6


def test_parse_date_text_forms() -> None:
    assert parse_date_text("2026-3-1") == date(2026, 3, 1)
    assert parse_date_text("2026-03-01T08:00:00Z") == datetime(2026, 3, 1, 8, tzinfo=UTC)
    assert parse_date_text("明天") is None
    with pytest.raises(ImpossibleDate):
        parse_date_text("2026-02-29")
    with pytest.raises(ImpossibleDate):
        parse_date_text("2026-03-01 25:00")


@pytest.mark.parametrize(
    ("written", "meant"),
    [
        ("民國115年3月5日", date(2026, 3, 5)),
        ("民国 115 年 3 月 5 日 09:30", datetime(2026, 3, 5, 9, 30)),
    ],
)
def test_a_minguo_date_is_read_as_taiwan_writes_it(written: str, meant: date) -> None:
    """民國115年 is 2026 (a zh-TW editor's own way to date a notice)."""
    assert parse_date_text(written) == meant
