"""`tongxin check`: every bad input named in issues 2 and 5 gives path, line and a clear message."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from tongxin.build import BuildFailed, build_site
from tongxin.check import check_branch
from tongxin.cli import main
from tongxin.problems import Problem

CLEAN = Path(__file__).parent / "fixtures" / "check" / "clean"


@pytest.fixture
def branch(tmp_path: Path) -> Path:
    root = tmp_path / "branch"
    shutil.copytree(CLEAN, root)
    return root


def write(root: Path, rel: str, text: str | bytes) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def set_language(root: Path, language: str) -> None:
    site = root / "content" / "site.yaml"
    data = yaml.safe_load(site.read_text(encoding="utf-8"))
    data["language"] = language
    site.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def only(problems: list[Problem], path: str) -> list[Problem]:
    return [p for p in problems if p.path == path]


def the_problem(problems: list[Problem], path: str) -> Problem:
    found = only(problems, path)
    assert len(found) == 1, problems
    return found[0]


NEWS = "content/news/item.md"


def news(root: Path, front: str, body: str = "正文。\n") -> None:
    write(root, NEWS, f"---\n{front}---\n{body}")


# --- clean ---------------------------------------------------------------------------


def test_clean_branch_has_no_problems(branch: Path) -> None:
    assert check_branch(branch) == []


def test_cli_check_exits_zero_on_a_clean_branch(branch: Path) -> None:
    result = CliRunner().invoke(main, ["check", str(branch)])
    assert result.exit_code == 0, result.output
    # one closing line saying what was checked (issue 14: silence looked like nothing ran)
    assert len(result.output.splitlines()) == 1
    assert "没有发现问题" in result.output


def test_cli_check_prints_path_line_message_and_exits_one(branch: Path) -> None:
    news(branch, "title: 标题\ndate: 2026-02-30\n")
    result = CliRunner().invoke(main, ["check", str(branch)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[:-1] == [
        f"{NEWS}:3: 字段 date 的日期不存在：'2026-02-30'"
        "（请写成 年-月-日，如 2026-03-01，月份 1–12，日期不超过当月天数）"
    ]
    assert "1 个错误" in lines[-1]


def test_cli_check_from_a_subfolder_and_of_one_file(branch: Path) -> None:
    news(branch, "title: 标题\ndate: 2026-02-30\n")
    cwd = os.getcwd()
    os.chdir(branch / "content" / "news")
    try:
        inside = CliRunner().invoke(main, ["check"])
        one = CliRunner().invoke(main, ["check", str(branch / NEWS)])
    finally:
        os.chdir(cwd)
    assert inside.exit_code == 1 and inside.output.startswith(f"{NEWS}:3: ")
    assert "site.yaml" not in inside.output
    assert one.exit_code == 1 and one.output.startswith(f"{NEWS}:3: ")
    assert "Error" not in one.output and "Usage" not in one.output


def test_cli_check_defaults_to_the_current_directory(branch: Path) -> None:
    news(branch, "titel: 标题\n")
    cwd = os.getcwd()
    os.chdir(branch)
    try:
        result = CliRunner().invoke(main, ["check"])
    finally:
        os.chdir(cwd)
    assert result.exit_code == 1
    assert result.output.startswith(f"{NEWS}:2: ")


def test_dotfiles_are_ignored(branch: Path) -> None:
    write(branch, "content/news/.gitkeep", "")
    write(branch, "content/.DS_Store", b"\x00\x01")
    assert check_branch(branch) == []


# --- YAML and front matter -----------------------------------------------------------


def test_yaml_syntax_error_points_at_the_line_that_opened_the_bracket(branch: Path) -> None:
    news(branch, "title: 标题\ntags: [一, 二\nauthor: 李明\n")
    problem = the_problem(check_branch(branch), NEWS)
    assert problem.line == 3
    assert problem.message.startswith("字段 tags 的方括号“[”没有配对的“]”")


def test_yaml_syntax_error_in_site_yaml(branch: Path) -> None:
    write(branch, "content/site.yaml", "name: 支部\nurl: https://a.example/\n\tlanguage: en\n")
    problem = the_problem(check_branch(branch), "content/site.yaml")
    assert problem.line == 3
    assert "YAML" in problem.message


def test_yaml_python_tags_are_refused_not_executed(branch: Path) -> None:
    news(branch, "title: !!python/object/apply:os.system ['touch pwned']\n")
    problem = the_problem(check_branch(branch), NEWS)
    assert (problem.line, "YAML" in problem.message) == (2, True)
    assert not (branch / "pwned").exists()


def test_missing_front_matter(branch: Path) -> None:
    write(branch, NEWS, "# 只有正文\n")
    assert the_problem(check_branch(branch), NEWS).line == 1


def test_unclosed_front_matter(branch: Path) -> None:
    write(branch, NEWS, "---\ntitle: 标题\n正文\n")
    problem = the_problem(check_branch(branch), NEWS)
    assert problem.line == 1 and "---" in problem.message


def test_front_matter_that_is_not_a_mapping(branch: Path) -> None:
    news(branch, "- 一\n- 二\n")
    problem = the_problem(check_branch(branch), NEWS)
    assert problem.line == 2 and "list" in problem.message


def test_duplicate_key_is_reported_at_the_repeat(branch: Path) -> None:
    news(branch, "title: 一\nauthor: 李明\ntitle: 二\n")
    problem = the_problem(check_branch(branch), NEWS)
    assert problem.line == 4 and "title" in problem.message


# --- required fields, types, dates, unknown fields ----------------------------------


def test_missing_title_is_required(branch: Path) -> None:
    news(branch, "date: 2026-03-01\n")
    problem = the_problem(check_branch(branch), NEWS)
    assert problem == Problem(NEWS, 2, "缺少必填字段 title：请补上，如 title: …")


def test_site_yaml_requires_name_url_and_language(branch: Path) -> None:
    write(branch, "content/site.yaml", "description: 只有描述\n")
    problems = only(check_branch(branch), "content/site.yaml")
    assert {p.line for p in problems} == {1}
    assert sorted(p.message for p in problems) == sorted(
        [f"缺少必填字段 {k}：请补上，如 {k}: …" for k in ("name", "url", "language")]
    )


def test_missing_site_yaml(branch: Path) -> None:
    (branch / "content" / "site.yaml").unlink()
    assert the_problem(check_branch(branch), "content/site.yaml").line == 1


@pytest.mark.parametrize(
    ("front", "line", "field", "found"),
    [
        ("tags: 单个标签\n", 3, "tags", "'单个标签'"),
        ("tags: [一, [2]]\n", 3, "tags[1]", "["),
        ("summary: [一]\n", 3, "summary", "["),
        ("author:\n  name: 李明\n", 3, "author", "{name}"),
    ],
)
def test_wrong_type_names_field_expected_and_found(
    branch: Path, front: str, line: int, field: str, found: str
) -> None:
    news(branch, "title: 标题\n" + front)
    problem = the_problem(check_branch(branch), NEWS)
    assert problem.line == line
    assert f"字段 {field} 应为" in problem.message
    assert found in problem.message


def test_wrong_types_in_study_and_announcements(branch: Path) -> None:
    write(branch, "content/study/s.md", "---\ntitle: 学\norder: 第一\n---\n正文。\n")
    write(branch, "content/announcements/a.md", "---\ntitle: 通知\npinned: 是\n---\n正文。\n")
    problems = check_branch(branch)
    study = the_problem(problems, "content/study/s.md")
    assert study.line == 3 and "order" in study.message and "整数" in study.message
    notice = the_problem(problems, "content/announcements/a.md")
    assert notice.line == 3 and "pinned" in notice.message and "true 或 false" in notice.message


def test_order_must_be_at_least_one_and_not_a_boolean(branch: Path) -> None:
    write(branch, "content/study/s.md", "---\ntitle: 学\norder: 0\n---\n正文。\n")
    write(branch, "content/study/t.md", "---\ntitle: 学\norder: true\n---\n正文。\n")
    problems = check_branch(branch)
    assert "不小于 1" in the_problem(problems, "content/study/s.md").message
    assert "true" in the_problem(problems, "content/study/t.md").message


@pytest.mark.parametrize(
    ("front", "line", "field"),
    [
        ("date: 2026-02-30\n", 3, "date"),
        ("date: 2026-02-30 09:00\n", 3, "date"),
        ("modified: 2026-13-01T08:00:00+08:00\n", 3, "modified"),
    ],
)
def test_impossible_date_names_field(branch: Path, front: str, line: int, field: str) -> None:
    news(branch, "title: 标题\n" + front)
    problem = the_problem(check_branch(branch), NEWS)
    assert problem.line == line
    assert problem.message.startswith(f"字段 {field} 的日期不存在")


def test_impossible_expiry_date_of_an_announcement(branch: Path) -> None:
    rel = "content/announcements/a.yaml"
    write(branch, rel, "title: 通知\nexpires: 2026-04-31\nbody: 正文\n")
    problem = the_problem(check_branch(branch), rel)
    assert problem == Problem(
        rel,
        2,
        "字段 expires 的日期不存在：'2026-04-31'"
        "（请写成 年-月-日，如 2026-03-01，月份 1–12，日期不超过当月天数）",
    )


def test_text_that_is_not_a_date(branch: Path) -> None:
    news(branch, "title: 标题\ndate: 下周一\n")
    problem = the_problem(check_branch(branch), NEWS)
    assert problem.line == 3 and "date" in problem.message and "下周一" in problem.message


def test_dates_editors_write_are_accepted(branch: Path) -> None:
    news(branch, "title: 标题\ndate: 2026-03-01 09:30\nmodified: 2026/3/2\n")
    assert check_branch(branch) == []


def test_unknown_field_suggests_the_nearest_known_one(branch: Path) -> None:
    news(branch, "title: 标题\ntag: [一]\n")
    problem = the_problem(check_branch(branch), NEWS)
    assert problem == Problem(NEWS, 3, "不认识的字段 tag，是不是想写 tags？")


def test_unknown_field_without_a_near_name_is_told_what_to_do(branch: Path) -> None:
    news(branch, "title: 标题\n栏目: 要闻\n")  # the section is the folder
    message = the_problem(check_branch(branch), NEWS).message
    assert message.startswith("不认识的字段 栏目：栏目由文件所在的文件夹决定"), message
    news(branch, "title: 标题\nlayout: post\n")  # no name near it: not needed here
    message = the_problem(check_branch(branch), NEWS).message
    assert message == "不认识的字段 layout：用不到的话请删掉这一行"


def test_type_specific_field_in_the_wrong_type_is_unknown(branch: Path) -> None:
    news(branch, "title: 标题\npinned: true\n")
    assert "pinned" in the_problem(check_branch(branch), NEWS).message


def test_status_choice_suggests_the_nearest_value(branch: Path) -> None:
    news(branch, "title: 标题\nstatus: publised\n")
    message = the_problem(check_branch(branch), NEWS).message
    assert "status" in message and "'publised'" in message and "published？" in message


def test_site_yaml_field_types(branch: Path) -> None:
    write(
        branch,
        "content/site.yaml",
        "name: 支部\nurl: dongjiang.example\nlanguage: zh-HK\ntimezone: Asia/Shangai\n"
        "stale_days: 十\ncontact:\n  email: 不是邮箱\n  fax: 123\n",
    )
    problems = only(check_branch(branch), "content/site.yaml")
    by_line = {p.line: p.message for p in problems}
    assert sorted(by_line) == [2, 3, 4, 5, 7, 8]
    assert "url" in by_line[2] and "https://" in by_line[2]
    assert "language" in by_line[3] and "zh-CN" in by_line[3]
    assert "timezone" in by_line[4] and "Asia/Shanghai" in by_line[4]
    assert "stale_days" in by_line[5]
    assert "contact.email" in by_line[7]
    assert by_line[8] == "不认识的字段 contact.fax：用不到的话请删掉这一行"


# --- quiz and attachments ------------------------------------------------------------

STUDY = "content/study/quiz.md"


def test_unknown_field_in_a_quiz_item_reports_its_own_line(branch: Path) -> None:
    write(
        branch,
        STUDY,
        "---\ntitle: 测验\nquiz:\n  - question: 问\n    options: [甲, 乙]\n"
        "    answer: 0\n    explaination: 说明\n---\n",
    )
    problem = the_problem(check_branch(branch), STUDY)
    assert problem.line == 7
    assert problem.message == "不认识的字段 quiz[0].explaination，是不是想写 explanation？"


def test_quiz_answer_must_index_an_option(branch: Path) -> None:
    write(
        branch,
        STUDY,
        "---\ntitle: 测验\nquiz:\n  - question: 问\n"
        "    options: [甲, 乙]\n    answer: [1, 2]\n---\n",
    )
    problem = the_problem(check_branch(branch), STUDY)
    assert problem.line == 6 and "quiz[0].answer" in problem.message and "2" in problem.message


def test_quiz_item_requires_question_options_and_answer(branch: Path) -> None:
    write(branch, STUDY, "---\ntitle: 测验\nquiz:\n  - explanation: 只有解释\n---\n")
    messages = {p.message for p in only(check_branch(branch), STUDY)}
    assert messages == {
        "缺少必填字段 quiz[0].question：请补上，如 question: …",
        "缺少必填字段 quiz[0].options：请补上，如 options: …",
        "缺少必填字段 quiz[0].answer：请补上，如 answer: …",
    }
    assert {p.line for p in only(check_branch(branch), STUDY)} == {4}


def test_attachment_needs_a_file_or_a_url(branch: Path) -> None:
    rel = "content/announcements/a.md"
    write(branch, rel, "---\ntitle: 通知\nattachments:\n  - title: 表格\n---\n")
    problem = the_problem(check_branch(branch), rel)
    assert problem.line == 4 and "attachments[0]" in problem.message and "file" in problem.message


def test_missing_attachment_file(branch: Path) -> None:
    rel = "content/announcements/a.md"
    write(branch, rel, "---\ntitle: 通知\nattachments:\n  - title: 表\n    file: 没有.pdf\n---\n")
    problem = the_problem(check_branch(branch), rel)
    assert problem.line == 5 and "没有.pdf" in problem.message


def test_attachment_may_not_climb_out_of_files(branch: Path) -> None:
    rel = "content/announcements/a.md"
    write(
        branch, rel, "---\ntitle: 通知\nattachments:\n  - title: 表\n    file: ../site.yaml\n---\n"
    )
    assert the_problem(check_branch(branch), rel).line == 5


# --- slugs ---------------------------------------------------------------------------


def test_duplicate_slug_is_case_insensitive_and_reported_on_both(branch: Path) -> None:
    write(branch, "content/news/Spring-Meeting.md", "---\ntitle: 另一篇\n---\n")
    problems = [p for p in check_branch(branch) if "重复" in p.message]
    assert [(p.path, p.line) for p in problems] == [
        ("content/news/Spring-Meeting.md", 1),
        ("content/news/spring-meeting.md", 1),
    ]
    assert "content/news/spring-meeting.md" in problems[0].message


def test_duplicate_slug_from_front_matter_points_at_the_slug_line(branch: Path) -> None:
    news(branch, "title: 标题\nslug: spring-meeting\n")
    problem = the_problem(check_branch(branch), NEWS)
    assert problem.line == 3 and "spring-meeting" in problem.message


def test_same_slug_in_two_types_is_fine(branch: Path) -> None:
    write(branch, "content/pages/spring-meeting.md", "---\ntitle: 页面\n---\n正文。\n")
    assert check_branch(branch) == []


def test_slug_must_be_lowercase_ascii(branch: Path) -> None:
    news(branch, "title: 标题\nslug: 春季 大会\n")
    problem = the_problem(check_branch(branch), NEWS)
    assert problem.line == 3 and "slug" in problem.message


# --- links ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "link",
    [
        "/news/no-such-entry/",
        "/study/no-such-lesson",
        "/no-such-page/",
        "{filename}no-such.md",
        "{filename}/news/no-such.md",
        "no-such.md",
        "../no-such-entry/",
        "https://dongjiang.example/news/no-such-entry/",
        "/files/no-such.pdf",
        "{static}/files/no-such.png",
    ],
)
def test_broken_internal_link_is_reported_on_its_line(branch: Path, link: str) -> None:
    news(branch, "title: 标题\n", f"第一段。\n\n见[这里]({link})。\n")
    problem = the_problem(check_branch(branch), NEWS)
    assert problem.line == 6
    assert f"：{link}" in problem.message


@pytest.mark.parametrize(
    "link",
    [
        "/news/spring-meeting/",
        "/news/Spring-Meeting/index.html",
        "spring-meeting.md",
        "{filename}spring-meeting.md",
        "{filename}/study/lesson-1.md",
        "|filename|../pages/about.md",
        "../spring-meeting/",
        "../../about/",
        "/files/minutes.txt",
        "{static}/files/minutes.txt",
        "../files/minutes.txt",
        "https://dongjiang.example/study/lesson-1/",
        "https://other.example/anything/",
        "mailto:a@b.example",
        "#section",
        "/feeds/all.atom.xml",
        "{tag}党员大会",
    ],
)
def test_working_links_pass(branch: Path, link: str) -> None:
    news(branch, "title: 标题\n", f'见[这里]({link})和<a href="{link}">这里</a>。\n')
    assert check_branch(branch) == []


def test_links_in_html_images_and_references_are_checked(branch: Path) -> None:
    body = '<img src="/files/gone.png">\n\n![图](/files/gone2.png)\n\n[参考]: /news/gone/\n'
    news(branch, "title: 标题\n", body)
    assert [p.line for p in only(check_branch(branch), NEWS)] == [4, 6, 8]


def test_links_inside_code_are_not_links(branch: Path) -> None:
    news(branch, "title: 标题\n", "`[x](/gone/)`\n\n~~~\n[y](/gone/)\n~~~\n")
    assert check_branch(branch) == []


def test_broken_link_in_a_yaml_announcement_body(branch: Path) -> None:
    rel = "content/announcements/a.yaml"
    write(branch, rel, "title: 通知\nbody: |\n  第一行\n  见[会议](/news/gone/)。\n")
    assert the_problem(check_branch(branch), rel).line == 4


def test_link_to_a_custom_url_entry_resolves(branch: Path) -> None:
    news(branch, "title: 标题\nurl: special/place/\n")
    write(branch, "content/pages/x.md", "---\ntitle: 页\n---\n见[特别](/special/place/)。\n")
    assert check_branch(branch) == []


def study(root: Path, name: str, front: str) -> None:
    write(root, f"content/study/{name}.md", f"---\ntitle: 学习\n{front}---\n正文。\n")


@pytest.mark.parametrize(
    "link",
    [
        "/study/series/党章学习/",
        "/study/series/%E5%85%9A%E7%AB%A0%E5%AD%A6%E4%B9%A0/",
        "/study/series/党章学习/index.html",
        "https://dongjiang.example/study/series/党章学习/",
        "/study/series/community-governance/",
        "/tags/党员大会/",
    ],
)
def test_links_to_series_and_tag_pages_resolve(branch: Path, link: str) -> None:
    study(branch, "dz-1", "series: 党章学习\norder: 1\n")
    study(branch, "gov-1", "series: Community Governance\n")
    news(branch, "title: 标题\n", f"见[系列]({link})。\n")
    assert check_branch(branch) == []


@pytest.mark.parametrize(
    "link",
    [
        "/study/series/没有的系列/",
        "/study/series/草稿系列/",
        "/study/series/",
        "/study/series/x/y/",
    ],
)
def test_links_to_series_that_are_not_published_are_broken(branch: Path, link: str) -> None:
    study(branch, "dz-1", "series: 党章学习\n")
    study(branch, "draft-1", "series: 草稿系列\nstatus: draft\n")
    news(branch, "title: 标题\n", f"见[系列]({link})。\n")
    assert "：" + link in the_problem(check_branch(branch), NEWS).message


# --- save_as / url escaping the output folder ----------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("save_as", "../../etc/cron.d/evil"),
        ("save_as", "/etc/passwd"),
        ("save_as", "news/../../../outside.html"),
        ("save_as", "C:/Windows/evil.html"),
        ("url", "https://evil.example/"),
        ("url", "/absolute/"),
        ("save_as", "..\\..\\evil.html"),
    ],
)
def test_save_as_and_url_may_not_escape_the_output_folder(
    branch: Path, field: str, value: str
) -> None:
    news(branch, f"title: 标题\n{field}: '{value}'\n")
    problem = the_problem(check_branch(branch), NEWS)
    assert problem.line == 3
    assert problem.message.startswith(f"字段 {field} 会把文件写到输出文件夹之外")


def test_relative_save_as_inside_the_output_is_fine(branch: Path) -> None:
    news(branch, "title: 标题\nsave_as: news/special/index.html\nurl: news/special/\n")
    assert check_branch(branch) == []


@pytest.mark.parametrize(
    "value", ["index.html", "news/index.html", "feeds/all.atom.xml", "NEWS/page-2.html"]
)
def test_save_as_may_not_replace_a_page_the_site_writes(branch: Path, value: str) -> None:
    """``save_as: index.html`` replaced the home page without a word."""
    news(branch, f"title: 标题\nsave_as: {value}\n")
    problem = the_problem(check_branch(branch), NEWS)
    assert problem.line == 3 and f"save_as: {value} 是网站自己要写的页面" in problem.message


def test_save_as_may_not_take_another_entrys_place(branch: Path) -> None:
    """Two entries writing one file: the build stopped with FileOverwriteFailedError's
    traceback, leaving a half-written output."""
    write(branch, "content/news/first.md", "---\ntitle: 第一篇\n---\n正文\n")
    news(branch, "title: 标题\nsave_as: news/First/index.html\n")
    problem = the_problem(check_branch(branch), NEWS)
    assert problem.line == 3
    assert "是 content/news/first.md 的页面位置，两篇会互相覆盖" in problem.message
    with pytest.raises(BuildFailed) as failed:
        build_site(branch, progress=False, warnings_to=None)
    assert [str(p) for p in failed.value.problems] == [str(problem)]


# --- files that are not what they seem -----------------------------------------------


def test_binary_garbage_is_reported_not_crashed_on(branch: Path) -> None:
    write(branch, NEWS, b"---\ntitle: x\n---\n\x89PNG\x00\x00\x1a")
    problem = the_problem(check_branch(branch), NEWS)
    assert problem.line == 4 and "二进制" in problem.message


def test_non_utf8_reports_the_line_of_the_first_bad_byte(branch: Path) -> None:
    write(branch, NEWS, "---\ntitle: 标题\n---\n第一行\n".encode() + "第二行".encode("gbk"))
    problem = the_problem(check_branch(branch), NEWS)
    assert problem.line == 5 and "UTF-8" in problem.message


def test_utf8_byte_order_mark_is_accepted(branch: Path) -> None:
    write(branch, NEWS, "\ufeff---\ntitle: 标题\n---\n正文\n".encode())
    assert check_branch(branch) == []


def test_file_over_10_mb_is_reported_without_being_read(
    branch: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    big = branch / NEWS
    with open(big, "wb") as handle:  # sparse: costs no disk
        handle.truncate(10 * 1024 * 1024 + 1)
    attachment = branch / "content" / "files" / "video.mp4"
    with open(attachment, "wb") as handle:
        handle.truncate(50 * 1024 * 1024)
    original = Path.read_bytes

    def guarded(self: Path) -> bytes:
        assert self.stat().st_size <= 10 * 1024 * 1024, f"read a huge file: {self}"
        return original(self)

    monkeypatch.setattr(Path, "read_bytes", guarded)
    problems = check_branch(branch)
    assert the_problem(problems, NEWS).message.startswith("文件太大（10.0 MB")
    assert the_problem(problems, "content/files/video.mp4").message.startswith("文件太大（50.0")


def test_symlink_pointing_outside_the_repository(branch: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.md"
    secret.write_text("---\ntitle: 机密\n---\n", encoding="utf-8")
    (branch / "content" / "news" / "leak.md").symlink_to(secret)
    (branch / "content" / "files" / "etc").symlink_to("/etc")
    problems = check_branch(branch)
    assert "仓库外部" in the_problem(problems, "content/news/leak.md").message
    assert "/etc" in the_problem(problems, "content/files/etc").message


def test_symlink_inside_content_is_followed_and_checked(branch: Path) -> None:
    write(branch, "content/shared/notice.md", "---\ntitle: 共享\ntilte: 共享\n---\n正文。\n")
    (branch / "content" / "news" / "shared.md").symlink_to(branch / "content/shared/notice.md")
    (branch / "content" / "study" / "loop").symlink_to(branch / "content" / "study")
    problem = the_problem(check_branch(branch), "content/news/shared.md")
    assert problem.line == 3 and "tilte" in problem.message


def test_symlinks_leaving_content_or_into_git_are_refused(branch: Path) -> None:
    """A link to ``../../.git`` once published ``.git/config`` with its token."""
    (branch / ".git").mkdir(exist_ok=True)
    (branch / ".git" / "config").write_text("[remote]\nurl = https://token@x/\n", "utf-8")
    write(branch, "shared/notice.md", "---\ntitle: 共享\n---\n正文。\n")
    (branch / "content" / "files" / "repo").symlink_to("../../.git")
    (branch / "content" / "files" / "config.txt").symlink_to(branch / ".git" / "config")
    (branch / "content" / "news" / "shared.md").symlink_to(branch / "shared" / "notice.md")
    problems = check_branch(branch)
    for rel in ("content/files/repo", "content/files/config.txt", "content/news/shared.md"):
        assert ".git" in the_problem(problems, rel).message


def test_content_folder_linked_from_outside_is_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    shutil.copytree(CLEAN / "content", outside)
    root = tmp_path / "branch"
    root.mkdir()
    (root / "content").symlink_to(outside)
    assert [(p.path, p.line) for p in check_branch(root)] == [("content", 1)]


def test_branch_without_content_folder(tmp_path: Path) -> None:
    assert check_branch(tmp_path) == [
        Problem("content/site.yaml", 1, "缺少站点配置文件 content/site.yaml")
    ]


def test_dangling_symlink_is_reported(branch: Path) -> None:
    (branch / "content" / "news" / "gone.md").symlink_to(branch / "nowhere.md")
    assert the_problem(check_branch(branch), "content/news/gone.md").line == 1


# --- files the build would not publish -----------------------------------------------


def test_file_in_an_unknown_folder(branch: Path) -> None:
    write(branch, "content/blog/post.md", "---\ntitle: 博客\n---\n")
    write(branch, "content/stray.md", "---\ntitle: 散落\n---\n")
    problems = check_branch(branch)
    assert "news, announcements" in the_problem(problems, "content/blog/post.md").message
    assert the_problem(problems, "content/stray.md").line == 1


def test_file_with_an_unknown_extension(branch: Path) -> None:
    write(branch, "content/news/photo.jpg", b"\xff\xd8\xff")
    write(branch, "content/news/draft.txt", "草稿")
    problems = check_branch(branch)
    assert ".jpg" in the_problem(problems, "content/news/photo.jpg").message
    assert ".txt" in the_problem(problems, "content/news/draft.txt").message


def test_pure_yaml_is_only_for_announcements(branch: Path) -> None:
    write(branch, "content/news/data.yaml", "title: 数据\n")
    assert "announcements" in the_problem(check_branch(branch), "content/news/data.yaml").message


# --- order and languages -------------------------------------------------------------


def test_problems_are_sorted_by_path_then_line(branch: Path) -> None:
    news(branch, "tilte: 一\ndate: 2026-02-30\n")
    write(branch, "content/announcements/z.md", "---\ntitle: 通知\npinned: 1\n---\n正文。\n")
    problems = check_branch(branch)
    assert problems == sorted(problems)
    assert [(p.path, p.line) for p in problems] == [
        ("content/announcements/z.md", 3),
        (NEWS, 2),
        (NEWS, 2),
        (NEWS, 3),
    ]


@pytest.mark.parametrize(
    ("language", "unknown", "impossible"),
    [
        (
            "zh-CN",
            "不认识的字段 tilte，是不是想写 title？",
            "字段 date 的日期不存在：'2026-02-30'"
            "（请写成 年-月-日，如 2026-03-01，月份 1–12，日期不超过当月天数）",
        ),
        (
            "zh-TW",
            "不認識的欄位 tilte，是不是想寫 title？",
            "欄位 date 的日期不存在：'2026-02-30'"
            "（請寫成 年-月-日，如 2026-03-01，月份 1–12，日期不超過當月天數）",
        ),
        (
            "en",
            "unknown field tilte; did you mean title?",
            "field date holds a date that does not exist: '2026-02-30'"
            " (write year-month-day, such as 2026-03-01: month 1-12, day within the month)",
        ),
    ],
)
def test_messages_are_in_the_site_language(
    branch: Path, language: str, unknown: str, impossible: str
) -> None:
    set_language(branch, language)
    news(branch, "title: 标题\ntilte: 标题\ndate: 2026-02-30\n")
    # (errors only: on zh-TW the fixture's Simplified text is a warning of its own)
    errors = [p for p in check_branch(branch) if not p.warning]
    assert errors == [Problem(NEWS, 3, unknown), Problem(NEWS, 4, impossible)]


@pytest.mark.parametrize("language", ["zh-CN", "zh-TW", "en"])
def test_missing_field_message_in_each_language(branch: Path, language: str) -> None:
    set_language(branch, language)
    news(branch, "author: 李明\n")
    message = the_problem(check_branch(branch), NEWS).message
    expected = {
        "zh-CN": "缺少必填字段 title：请补上，如 title: …",
        "zh-TW": "缺少必填欄位 title：請補上，如 title: …",
        "en": "missing required field title: add it, as title: …",
    }
    assert message == expected[language]


def test_unknown_site_language_falls_back_to_simplified_chinese(branch: Path) -> None:
    write(branch, "content/site.yaml", "name: 支部\nurl: https://a.example/\nlanguage: fr\n")
    messages = [p.message for p in check_branch(branch)]
    assert messages and all("字段" in m for m in messages)


def test_every_check_message_exists_in_every_language() -> None:
    locale = Path(__file__).parent.parent / "tongxin" / "locale"
    keys = {
        lang: set(yaml.safe_load((locale / lang / "check.yaml").read_text(encoding="utf-8")))
        for lang in ("zh-CN", "zh-TW", "en")
    }
    assert keys["zh-TW"] == keys["zh-CN"] == keys["en"]


# --- the per-file cache (builds) ---------------------------------------------------------


def count_reads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    import tongxin.check

    reads: list[Path] = []
    real = tongxin.check.read_content_file

    def counting(path: Path, *args: object, **kwargs: object):
        reads.append(Path(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(tongxin.check, "read_content_file", counting)
    return reads


def test_cached_check_reads_only_changed_files_and_finds_the_same(
    branch: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    news(branch, "title: 标题\ncolour: red\n", "见[这里](/news/gone/)。\n")
    first = check_branch(branch, cache_dir=cache)
    assert first and (cache / "check.json").is_file()
    reads = count_reads(monkeypatch)
    assert check_branch(branch, cache_dir=cache) == first
    assert reads == []
    # Editing one file re-reads that file only, and its problems follow the edit.
    news(branch, "title: 标题\n", "见[这里](/news/spring-meeting/)。\n")
    assert check_branch(branch, cache_dir=cache) == []
    assert [p.name for p in reads] == ["item.md"]


def test_cached_entries_still_meet_checks_across_files(branch: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    write(branch, "content/files/only-here.txt", "名单")
    write(branch, "content/announcements/a.md", "---\ntitle: 通知\nattachments:\n"
          "  - {title: 名单, file: only-here.txt}\n---\n见[会](/news/later/)。\n")  # fmt: skip
    assert [p.message for p in check_branch(branch, cache_dir=cache)] != []
    # A new entry makes the cached entry's link work; removing a file breaks its attachment.
    news(branch, "title: 后来\nslug: later\n")
    (branch / "content/files/only-here.txt").unlink()
    problems = check_branch(branch, cache_dir=cache)
    assert [(p.path, p.line) for p in problems] == [("content/announcements/a.md", 4)]
    # A duplicate slug is found between a cached entry and a new one.
    write(branch, "content/news/Later.md", "---\ntitle: 重名\n---\n正文。\n")
    assert {p.path for p in check_branch(branch, cache_dir=cache)} >= {
        "content/news/Later.md",
        "content/news/item.md",
    }


def test_check_cache_of_another_language_is_not_used(branch: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    news(branch, "title: 标题\ncolour: red\n")
    chinese = the_problem(check_branch(branch, cache_dir=cache), NEWS)
    english = the_problem(check_branch(branch, "en", cache_dir=cache), NEWS)
    assert chinese.message != english.message
    assert english.message == the_problem(check_branch(branch, "en"), NEWS).message


@pytest.mark.parametrize(
    ("language", "files", "problems", "line"),
    [
        ("en", 1, [], "Checked 1 file: no problems found"),
        (
            "en",
            2,
            [Problem("a", 1, "x")],
            "Checked 2 files: errors 1, warnings 0 (errors stop publishing)",
        ),
        ("zh-CN", 1, [], "已检查 1 个文件：没有发现问题"),
    ],
)
def test_the_closing_line_counts_in_the_languages_words(
    language: str, files: int, problems: list[Problem], line: str
) -> None:
    from tongxin.commandline import closing_line

    assert closing_line(language, files, problems) == line


def test_a_menu_entry_to_a_page_the_site_does_not_have_is_an_error(branch: Path) -> None:
    # a trial: nav url /关于我们/ (the page is about.md, at /about/) led nowhere, unchecked
    write(branch, "content/pages/about.md", "---\ntitle: 关于我们\n---\n正文。\n")
    site = branch / "content" / "site.yaml"
    data = yaml.safe_load(site.read_text(encoding="utf-8"))
    data["nav"] = [
        {"title": "关于我们", "url": "/关于我们/"},
        {"title": "关于", "url": "about/"},
        {"title": "要闻", "url": "./news/"},
        {"title": "上级", "url": "https://portal.example/"},
    ]
    site.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    problem = the_problem(check_branch(branch), "content/site.yaml")
    assert "/关于我们/" in problem.message and not problem.warning
    lines = site.read_text(encoding="utf-8").splitlines()
    assert "/关于我们/" in lines[problem.line - 1]
