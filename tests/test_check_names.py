"""File names and encodings as Windows users bring them, caught or read, never lost.

The cases are the tester's (a non-technical branch editor): a zip made on Windows keeps
GBK file names, Notepad saves "Unicode" as UTF-16, Explorer leaves Thumbs.db/desktop.ini,
Word leaves ~$ lock files, files end in .MD, and a page is called news.md or search.md.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import opencc
import pytest
import yaml
from click.testing import CliRunner

from tongxin.build import BuildFailed, build_site
from tongxin.check import check_branch
from tongxin.checknames import RESERVED_PAGE_SLUGS
from tongxin.cli import main
from tongxin.problems import errors_in

LANGUAGES = ("zh-CN", "zh-TW", "en")
NEWS = "---\ntitle: 组织生活会\n---\n正文\n"


def make_branch(root: Path, language: str = "zh-CN") -> Path:
    site = {"name": "东江社区党支部", "url": "https://dongjiang.example/", "language": language}
    for folder in ("news", "pages", "files", "announcements"):
        (root / "content" / folder).mkdir(parents=True, exist_ok=True)
    (root / "content" / "site.yaml").write_text(yaml.safe_dump(site, allow_unicode=True), "utf-8")
    (root / "content/news/meeting.md").write_text(news_text(language), encoding="utf-8")
    return root


def news_text(language: str) -> str:
    """NEWS in the site's script: Simplified text on a zh-TW site is a warning of its own."""
    return opencc.OpenCC("s2tw").convert(NEWS) if language == "zh-TW" else NEWS


def gbk(name: str) -> str:
    """The file name as a Windows zip leaves it on Linux: GBK bytes, kept as surrogates."""
    return os.fsdecode(name.encode("gbk"))


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("zh-CN", ("文件名不是 UTF-8 编码，请重命名", "报名表.docx")),
        ("zh-TW", ("檔名不是 UTF-8 編碼，請重新命名", "报名表.docx")),
        ("en", ("the file name is not UTF-8 encoded: rename it", "报名表.docx")),
    ],
)
def test_a_gbk_file_name_is_reported_not_crashed_on(
    tmp_path: Path, language: str, words: tuple[str, str]
) -> None:
    root = make_branch(tmp_path, language)
    (root / "content/files" / gbk("报名表.docx")).write_bytes(b"x")
    (root / "content/news" / gbk("新闻.md")).write_text(NEWS, encoding="utf-8")
    problems = check_branch(root)
    messages = [str(p) for p in problems]
    attachment = [m for m in messages if m.startswith("content/files/\\xb1\\xa8")]
    assert attachment and all(w in attachment[0] for w in words), messages
    assert any(m.startswith("content/news/\\xd0\\xc2") and "新闻.md" in m for m in messages)
    for message in messages:
        message.encode("utf-8")  # printable: no surrogate left
    with pytest.raises(BuildFailed) as failed:
        build_site(root, progress=False, warnings_to=None)
    assert len(failed.value.problems) == 2


def test_the_cli_build_of_a_gbk_name_prints_no_traceback(tmp_path: Path) -> None:
    root = make_branch(tmp_path)
    (root / "content/files" / gbk("报名表.docx")).write_bytes(b"x")
    result = CliRunner().invoke(main, ["build", str(root)])
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    assert "文件名不是 UTF-8 编码" in result.output


@pytest.mark.parametrize(
    "name",
    ["news", "search", "admin", "feeds", "tags", "archives", "api", "theme", "files", "News"],
)
def test_a_page_named_like_a_section_is_an_error(tmp_path: Path, name: str) -> None:
    root = make_branch(tmp_path)
    (root / f"content/pages/{name}.md").write_text("---\ntitle: 页\n---\n正文\n", "utf-8")
    problems = [str(p) for p in check_branch(root)]
    assert problems == [
        f"content/pages/{name}.md:1: 页面文件名“{name.lower()}”与网站自带的栏目 "
        f"/{name.lower()}/ 重名，会覆盖它（或被它覆盖）："
        "请给文件改名，或在前言里写 slug: 另一个名字"
    ]


@pytest.mark.parametrize(
    ("language", "words"),
    [("zh-CN", "请换一个 slug"), ("zh-TW", "請換一個 slug"), ("en", "choose another slug")],
)
def test_a_page_slug_naming_a_section_is_an_error_at_its_line(
    tmp_path: Path, language: str, words: str
) -> None:
    root = make_branch(tmp_path, language)
    (root / "content/pages/contact.md").write_text(
        "---\ntitle: 聯絡\nslug: api\n---\n正文\n", "utf-8"
    )
    problems = check_branch(root)
    assert [p.path for p in problems] == ["content/pages/contact.md"], problems
    assert problems[0].line == 3 and words in problems[0].message and "/api/" in problems[0].message


def test_the_built_sections_are_all_reserved(tmp_path: Path) -> None:
    """Every top-level folder a build writes is a reserved page name, so none can be lost."""
    root = make_branch(tmp_path)
    (root / "content/news/meeting.md").write_text(
        "---\ntitle: 组织生活会\ntags: [党建]\n---\n正文\n", "utf-8"
    )
    (root / "content/files/a.txt").write_text("x", "utf-8")
    out = build_site(root, progress=False, warnings_to=None).output
    folders = {p.name for p in out.iterdir() if p.is_dir()}
    assert folders - {"meeting"} <= RESERVED_PAGE_SLUGS, folders - RESERVED_PAGE_SLUGS


def test_a_page_called_news_fails_the_build_and_keeps_the_listing(tmp_path: Path) -> None:
    root = make_branch(tmp_path)
    (root / "content/pages/news.md").write_text("---\ntitle: 新闻\n---\n正文\n", "utf-8")
    with pytest.raises(BuildFailed):
        build_site(root, progress=False, warnings_to=None)


def test_upper_case_suffixes_are_read_like_md(tmp_path: Path) -> None:
    root = make_branch(tmp_path)
    (root / "content/news/Upper.MD").write_text("---\ntitle: 大写后缀\n---\n正文\n", "utf-8")
    (root / "content/news/mixed.Md").write_text("---\ntitle: 混合后缀\n---\n正文\n", "utf-8")
    (root / "content/announcements/n.YML").write_text("title: 通知\nbody: 正文\n", "utf-8")
    assert check_branch(root) == []
    result = build_site(root, progress=False, warnings_to=None)
    assert result.entries == 4
    for page in ("news/upper", "news/mixed", "announcements/n"):
        assert (result.output / page / "index.html").is_file(), page
    api = (result.output / "api/index.json").read_text(encoding="utf-8")
    titles = json.dumps(json.loads(api), ensure_ascii=False)
    assert all(t in titles for t in ("大写后缀", "混合后缀", "通知")), titles


SYSTEM_FILES = (
    "files/Thumbs.db",
    "files/desktop.ini",
    "news/Desktop.ini",
    "files/~$报名表.docx",
    "files/DESKTOP.INI",  # as some Windows versions write them
    "news/THUMBS.DB",
    # a download copied from Windows keeps where it came from in a file of its own
    "news/meeting.md:Zone.Identifier",
    "files/回执.txt:Zone.Identifier",
)


def test_windows_system_files_are_ignored_and_not_published(tmp_path: Path) -> None:
    root = make_branch(tmp_path)
    for rel in SYSTEM_FILES:
        (root / "content" / rel).write_bytes(b"\x00\x01junk")
    result = CliRunner().invoke(main, ["check", str(root)])
    assert result.exit_code == 0, result.output
    assert "已检查 2 个文件" in result.output, result.output
    built = build_site(root, progress=False, warnings_to=None)
    assert built.entries == 1  # the closing line counted Thumbs.db as an entry
    published = {p.name.lower() for p in built.output.rglob("*")}
    assert not published & {Path(rel).name.lower() for rel in SYSTEM_FILES}


def test_files_named_with_underscore_or_hash_are_published(tmp_path: Path) -> None:
    """Pelican's default skipped _*.md and #*.md (and _folders): tongxin check passed them
    and the build left them out without a word."""
    root = make_branch(tmp_path)
    names = ("news/_置顶通知.md", "news/#3.md", "news/_旧文/归档.md")
    for rel in names:
        path = root / "content" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(NEWS.replace("组织生活会", f"'{Path(rel).stem}'"), "utf-8")
    assert check_branch(root) == []
    built = build_site(root, progress=False, warnings_to=None)
    assert built.entries == 4
    for page in ("news/_置顶通知", "news/#3", "news/归档"):
        assert (built.output / page / "index.html").is_file(), page
    listing = (built.output / "news" / "index.html").read_text("utf-8")
    assert all(Path(rel).stem in listing for rel in names)


@pytest.mark.parametrize(
    ("language", "words"),
    [("zh-CN", "UTF-16"), ("zh-TW", "UTF-16"), ("en", "UTF-16")],
)
@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be"])
def test_a_utf16_file_is_told_to_be_saved_as_utf8(
    tmp_path: Path, language: str, words: str, encoding: str
) -> None:
    root = make_branch(tmp_path, language)
    data = NEWS.encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data  # Notepad's "Unicode big endian" writes the mark too
    (root / "content/news/meeting.md").write_bytes(data)
    problems = errors_in(check_branch(root))
    assert len(problems) == 1 and words in str(problems[0]) and "UTF-8" in str(problems[0])
    assert "二进制" not in str(problems[0]) and "binary" not in str(problems[0])


@pytest.mark.parametrize(
    ("language", "words"),
    [("zh-CN", "在 content/ 里面"), ("zh-TW", "在 content/ 裡面"), ("en", "is inside content/")],
)
@pytest.mark.parametrize("output", ["content", "content/news/out", "content/../content/files"])
def test_an_output_folder_inside_content_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, language: str, words: str, output: str
) -> None:
    root = make_branch(tmp_path / "b", language)
    monkeypatch.chdir(root)
    before = sorted(p.relative_to(root) for p in (root / "content").rglob("*"))
    result = CliRunner().invoke(main, ["build", "-o", output])
    assert result.exit_code == 1 and words in result.output, result.output
    assert sorted(p.relative_to(root) for p in (root / "content").rglob("*")) == before


@pytest.mark.parametrize("section", ["cli", "check", "config", "build"])
def test_message_catalogues_have_the_same_keys_in_every_language(section: str) -> None:
    locale = Path(__file__).parents[1] / "tongxin/locale"
    keys = {
        language: set(yaml.safe_load((locale / language / f"{section}.yaml").read_text("utf-8")))
        for language in LANGUAGES
    }
    for language in LANGUAGES:
        assert keys[language] == keys["zh-CN"], (language, keys[language] ^ keys["zh-CN"])


# --- copies made in a file manager -------------------------------------------------------


@pytest.mark.parametrize(
    "copy",
    ["meeting - 副本.md", "meeting - 複製.md", "meeting - Copy (2).md", "meeting(1).md",
     "meeting（1）.md", "meeting copy.md", "meeting (copy).md", "meeting的副本.md"],
)  # fmt: skip
def test_an_unchanged_copy_is_named_as_the_same_article_twice(tmp_path: Path, copy: str) -> None:
    """Windows' Explorer, macOS' Finder, GNOME and a browser's downloads each name a copy their
    own way; an unchanged copy would be the same article twice on the site. The copy is the
    one named (a warning: the build goes on), with the original's name, on the title's line;
    a copy whose name sorts first is still the copy."""
    root = make_branch(tmp_path)
    (root / "content/news" / copy).write_text(NEWS, encoding="utf-8")
    problems = check_branch(root)
    copies = [p for p in problems if "标题和正文完全相同" in p.message]
    assert len(copies) == 1, [str(p) for p in problems]
    assert copies[0].path == f"content/news/{copy}" and copies[0].line == 2
    assert copies[0].warning and "content/news/meeting.md" in copies[0].message
    if " " not in copy:  # (a name with spaces is an error of its own)
        assert problems == copies


def test_a_copy_that_was_changed_or_is_a_draft_is_a_new_article(tmp_path: Path) -> None:
    """A copy used as the start of a new entry (its text changed), a draft copy, and two
    notices of one title but different text (a monthly 主题党日 notice) are all fine."""
    root = make_branch(tmp_path)
    news = root / "content/news"
    (news / "meeting(1).md").write_text(NEWS.replace("正文", "新的正文"), encoding="utf-8")
    (news / "meeting(2).md").write_text(NEWS.replace("---\n正", "status: draft\n---\n正"), "utf-8")
    (news / "march.md").write_text(NEWS + "三月\n", encoding="utf-8")
    assert check_branch(root) == []


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("zh-TW", "與 content/news/meeting.md 的標題和正文完全相同"),
        ("en", "the same title and text as content/news/meeting.md"),
    ],
)
def test_a_copy_is_named_in_the_sites_language(tmp_path: Path, language: str, words: str) -> None:
    """Line ends and trailing spaces do not make a copy new (Notepad saves CRLF); the message
    is in the site's language, and the warning is repeated from the check's cache."""
    root = make_branch(tmp_path, language)
    copy = root / "content/news/notice.md"
    copy.write_bytes(news_text(language).replace("\n", "  \r\n").encode("utf-8"))
    cache = tmp_path / "cache"
    for _ in range(2):
        problems = check_branch(root, cache_dir=cache)
        assert [(p.path, p.warning) for p in problems] == [("content/news/notice.md", True)]
        assert words in problems[0].message


def test_a_copy_given_a_new_date_is_still_a_copy_but_other_fields_make_it_new(
    tmp_path: Path,
) -> None:
    """Copying last month's notice and changing only its date is the same article twice; one
    title in two series (or a quiz of other questions) is another entry."""
    root = make_branch(tmp_path)
    news = root / "content/news"
    dated = NEWS.replace("---\n正", "date: 2026-03-05\n---\n正")
    (news / "meeting-0305.md").write_text(dated, encoding="utf-8")
    (news / "tagged.md").write_text(NEWS.replace("---\n正", "tags: [学习]\n---\n正"), "utf-8")
    problems = check_branch(root)
    assert [(p.path, p.warning) for p in problems] == [("content/news/meeting-0305.md", True)]


def test_the_cli_build_counts_errors_as_check_does_and_prints_warnings_as_check_does(
    tmp_path: Path,
) -> None:
    # a trial: the build said 发现 13 个问题 where check said 10 个错误，3 个提醒, and put an
    # English "warning:" before the check's own 提醒：
    root = make_branch(tmp_path)
    video = '<iframe src="https://v.qq.com/x"></iframe>'
    text = f"---\ntitle: 视频\n---\n正文\n\n{video}\n"
    (root / "content/news/video.md").write_text(text, "utf-8")

    def build() -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "tongxin", "build", str(root), "-o", str(tmp_path / "o")]
        return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)

    result = build()
    assert result.returncode == 0, result.stderr
    assert "content/news/video.md:6: 提醒：网页上不会直接播放" in result.stderr
    assert "warning: content/" not in result.stderr
    bad = "---\ntitle: 坏\ndate: 2026-13-01\n---\n正文\n"
    (root / "content/news/bad.md").write_text(bad, "utf-8")
    result = build()
    assert result.returncode == 1
    assert "构建失败：发现 1 个错误" in result.stderr, result.stderr
