"""Hostile branch content: the real `tongxin build` fails with `path:line: message`, in the
site's language, and writes nothing outside its output folder (issue 5, "Branch builds").

Every case copies one freshly scaffolded branch, plants one bad input, runs the console
script as a subprocess (what CI runs), and compares a snapshot of everything under the test's
temporary folder (path, type, size, mtime) before and after: only ``DIR/output`` and
``DIR/.tongxin-cache`` may change. The escape targets (``../../evil.html``, an absolute path,
a folder outside the repository) are inside that folder, so an escape would show up as a new
or changed file even if the test forgot to name it.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
#: The console script of the venv running the tests (``.venv/bin/tongxin``).
TONGXIN = Path(sys.executable).with_name("tongxin")
if not TONGXIN.exists():  # pragma: no cover - a venv without the script is a set-up error
    TONGXIN = REPO / ".venv" / "bin" / "tongxin"
#: Paths under the branch that a build may create or change.
BUILD_OWNED = ("output", ".tongxin-cache")
#: A bound per subprocess: a validation failure takes about a second.
TIMEOUT = 120

PROBLEM_LINE = re.compile(r"^(?P<path>[^:\n]+):(?P<line>\d+): (?P<message>.+)$", re.MULTILINE)


# --- the branch and its surroundings ------------------------------------------------------


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One clean branch made by the real `tongxin new-branch`, copied for every case."""
    root = tmp_path_factory.mktemp("template") / "branch"
    result = tongxin("new-branch", root, "--name", "测试支部", "--url", "https://t.example/")
    assert result.returncode == 0, result.stderr
    return root


@dataclass
class Scene:
    """A copied branch inside ``base``, plus the places an escape would land."""

    base: Path  # the test's tmp_path: everything in it is snapshotted
    root: Path  # the branch repository (DIR)
    outside: Path  # a folder outside the repository holding tempting content

    @property
    def content(self) -> Path:
        return self.root / "content"

    @property
    def output(self) -> Path:
        return self.root / "output"

    def write(self, rel: str, text: str) -> Path:
        path = self.content / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    def set_language(self, language: str) -> None:
        site = self.content / "site.yaml"
        text = site.read_text(encoding="utf-8")
        site.write_text(re.sub(r"(?m)^language: .*$", f"language: {language}", text), "utf-8")

    def build(self) -> subprocess.CompletedProcess[str]:
        return tongxin("build", self.root, "-o", self.output)


@pytest.fixture
def scene(template: Path, tmp_path: Path) -> Scene:
    root = tmp_path / "branch"
    shutil.copytree(template, root, symlinks=True)
    outside = tmp_path / "outside"
    (outside / "folder").mkdir(parents=True)
    # Valid entries: if the build followed a link to them, they would be published.
    secret = "---\ntitle: 仓库外的秘密\n---\n\n不应被发布的内容。\n"
    (outside / "secret.md").write_text(secret, encoding="utf-8")
    (outside / "folder" / "secret.md").write_text(secret, encoding="utf-8")
    (tmp_path / "abs-target").mkdir()
    return Scene(tmp_path, root, outside)


def tongxin(*args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "TONGXIN_SIGNING_KEY"}
    return subprocess.run(
        [str(TONGXIN), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        env=env,
        check=False,
    )


Snapshot = dict[str, tuple[str, int, int]]


def snapshot(base: Path, branch: Path) -> Snapshot:
    """Every path under ``base`` (not following links) with its type, size and mtime.

    Folders are included so a file created and deleted again still changes its folder's
    mtime. The branch folder's own mtime is left out: creating ``output/`` and
    ``.tongxin-cache/`` in it is allowed and changes it.
    """
    skipped = {branch / name for name in BUILD_OWNED}
    found: Snapshot = {}
    for dirpath, dirnames, filenames in os.walk(base):
        here = Path(dirpath)
        dirnames[:] = [d for d in dirnames if here / d not in skipped]
        for name in [*dirnames, *filenames, ""]:
            path = here / name if name else here
            stat = path.lstat()
            kind = "link" if path.is_symlink() else "dir" if path.is_dir() else "file"
            mtime = 0 if path == branch else stat.st_mtime_ns
            found[path.relative_to(base).as_posix()] = (kind, stat.st_size, mtime)
    return found


def assert_nothing_written_outside_output(before: Snapshot, after: Snapshot) -> None:
    added = sorted(set(after) - set(before))
    removed = sorted(set(before) - set(after))
    changed = sorted(p for p in set(before) & set(after) if before[p] != after[p])
    assert (added, removed, changed) == ([], [], [])


def problems(result: subprocess.CompletedProcess[str]) -> list[tuple[str, int, str]]:
    """The errors the build printed (a warning's line says 提醒： first)."""
    text = result.stdout + result.stderr
    found = [(m["path"], int(m["line"]), m["message"]) for m in PROBLEM_LINE.finditer(text)]
    return [p for p in found if not p[2].startswith("提醒：")]


# --- the bad inputs -------------------------------------------------------------------------


@dataclass
class Case:
    """One bad input: ``plant`` puts it in place; the build must name ``path`` (at ``line``
    when given) with a message holding every one of ``words``; ``targets`` must not exist."""

    plant: Callable[[Scene], None]
    path: str
    line: int | None
    words: tuple[str, ...]
    targets: Callable[[Scene], list[Path]] = lambda s: []


def _front(*lines: str, body: str = "正文。") -> str:
    return "---\n" + "".join(line + "\n" for line in lines) + "---\n\n" + body + "\n"


def _random_bytes(size: int) -> bytes:
    return random.Random(5).randbytes(size)  # seeded: the same garbage on every run


def _big_text(scene: Scene, rel: str) -> None:
    # Valid UTF-8 with valid front matter, only too large: the size check alone must stop it.
    head = _front("title: 很长的文章", body="")
    filler = "同心圆，" * (11 * 1024 * 1024 // 12 + 1)  # 12 bytes each: just over 11 MB
    path = scene.content / rel
    path.write_bytes(head.encode() + filler.encode())
    assert path.stat().st_size > 11 * 1024 * 1024


def _link_content_outside(scene: Scene) -> None:
    shutil.copytree(scene.content, scene.outside / "content")
    shutil.rmtree(scene.content)
    scene.content.symlink_to(scene.outside / "content", target_is_directory=True)


CASES: dict[str, Case] = {
    "invalid-yaml": Case(
        lambda s: s.write("news/bad.md", _front("title: 好", "tags: [未闭合, 列表")),
        "content/news/bad.md",
        None,  # the YAML library reports where it noticed, which may be the closing line
        ("方括号“[”没有配对",),
    ),
    "invalid-yaml-site": Case(
        lambda s: s.write("site.yaml", "name: 测试支部\nurl: https://t.example/\nlanguage: [zh\n"),
        "content/site.yaml",
        None,
        ("方括号“[”没有配对",),
    ),
    "wrong-type-list": Case(
        lambda s: s.write("news/bad.md", _front("title: 好", "tags: 5")),
        "content/news/bad.md",
        3,
        ("tags", "列表", "5"),
    ),
    "wrong-type-bool": Case(
        lambda s: s.write("announcements/bad.md", _front("title: 好", "pinned: 置顶")),
        "content/announcements/bad.md",
        3,
        ("pinned", "置顶"),
    ),
    "wrong-type-int": Case(
        lambda s: s.write("study/bad.md", _front("title: 好", "series: 党章学习", "order: 第二")),
        "content/study/bad.md",
        4,
        ("order", "整数"),
    ),
    "impossible-date": Case(
        lambda s: s.write("news/bad.md", _front("title: 好", "date: 2026-02-30")),
        "content/news/bad.md",
        3,
        ("date", "2026-02-30", "日期不存在"),
    ),
    "impossible-date-yaml-announcement": Case(
        lambda s: s.write("announcements/bad.yaml", "title: 好\nexpires: 2026-02-30\nbody: 正文\n"),
        "content/announcements/bad.yaml",
        2,
        ("expires", "2026-02-30"),
    ),
    "duplicate-slug": Case(
        lambda s: s.write("news/bad.md", _front("title: 好", "slug: first-meeting")),
        "content/news/bad.md",
        3,
        ("first-meeting", "content/news/first-meeting.md", "重复"),
    ),
    "duplicate-slug-by-case": Case(
        lambda s: s.write("news/First-Meeting.md", _front("title: 好")),
        "content/news/First-Meeting.md",
        1,
        ("first-meeting", "重复"),
    ),
    "binary-garbage": Case(
        lambda s: (s.content / "news" / "garbage.md").write_bytes(_random_bytes(64 * 1024)),
        "content/news/garbage.md",
        1,
        ("二进制",),
    ),
    "non-utf8": Case(
        lambda s: (s.content / "news" / "gbk.md").write_bytes(_front("title: 好").encode("gbk")),
        "content/news/gbk.md",
        2,  # the line of the first byte that is not UTF-8
        ("UTF-8",),
    ),
    "ten-megabyte-entry": Case(
        lambda s: _big_text(s, "news/big.md"), "content/news/big.md", 1, ("太大", "10 MB")
    ),
    "ten-megabyte-attachment": Case(
        lambda s: (s.content / "files" / "big.pdf").write_bytes(_random_bytes(11 * 1024 * 1024)),
        "content/files/big.pdf",
        1,
        ("太大",),
    ),
    "symlink-to-file-outside": Case(
        lambda s: (s.content / "news" / "leak.md").symlink_to(s.outside / "secret.md"),
        "content/news/leak.md",
        1,
        ("符号链接", "仓库外部"),
    ),
    "symlink-to-folder-outside": Case(
        # Relative, as `git clone` would restore it.
        lambda s: (s.content / "news" / "more").symlink_to(Path("../../../outside/folder")),
        "content/news/more",
        1,
        ("符号链接", "仓库外部"),
    ),
    "symlink-attachment-folder-outside": Case(
        lambda s: (s.content / "files" / "etc").symlink_to(s.outside, target_is_directory=True),
        "content/files/etc",
        1,
        ("符号链接",),
    ),
    "content-folder-is-a-symlink-outside": Case(
        _link_content_outside, "content", 1, ("符号链接", "仓库外部")
    ),
    "save-as-parent-escape": Case(
        lambda s: s.write("news/bad.md", _front("title: 好", "save_as: ../../evil.html")),
        "content/news/bad.md",
        3,
        ("save_as", "../../evil.html", "输出文件夹之外"),
        lambda s: [s.root / "evil.html", s.base / "evil.html"],
    ),
    "save-as-escape-mid-path": Case(
        lambda s: s.write("news/bad.md", _front("title: 好", "save_as: news/../../../evil.html")),
        "content/news/bad.md",
        3,
        ("save_as", "输出文件夹之外"),
        lambda s: [s.base / "evil.html"],
    ),
    "save-as-absolute": Case(
        lambda s: s.write(
            "news/bad.md", _front("title: 好", f"save_as: {s.base / 'abs-target' / 'evil.html'}")
        ),
        "content/news/bad.md",
        3,
        ("save_as", "输出文件夹之外"),
        lambda s: [s.base / "abs-target" / "evil.html"],
    ),
    "url-parent-escape": Case(
        lambda s: s.write("pages/bad.md", _front("title: 好", "url: ../../evil/")),
        "content/pages/bad.md",
        3,
        ("url", "输出文件夹之外"),
        lambda s: [s.base / "evil", s.root / "evil"],
    ),
    "url-absolute": Case(
        lambda s: s.write(
            "news/bad.md", _front("title: 好", f"url: {s.base / 'abs-target' / 'evil'}/")
        ),
        "content/news/bad.md",
        3,
        ("url", "输出文件夹之外"),
        lambda s: [s.base / "abs-target" / "evil"],
    ),
    "save-as-escape-yaml-announcement": Case(
        lambda s: s.write(
            "announcements/bad.yaml", "title: 好\nsave_as: ../../evil.html\nbody: 正文\n"
        ),
        "content/announcements/bad.yaml",
        2,
        ("save_as", "输出文件夹之外"),
        lambda s: [s.base / "evil.html"],
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_fails_the_build_and_writes_nothing_outside_output(
    scene: Scene, name: str
) -> None:
    case = CASES[name]
    case.plant(scene)
    before = snapshot(scene.base, scene.root)

    result = scene.build()

    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    named = [p for p in problems(result) if p[0] == case.path]
    assert named, f"no `{case.path}:line: message` in:\n{result.stdout}{result.stderr}"
    if case.line is not None:
        assert case.line in {line for _, line, _ in named}, named
    assert any(all(word in message for word in case.words) for _, _, message in named), named
    assert "构建失败" in result.stderr  # the summary, in the site's language (zh-CN)
    assert_nothing_written_outside_output(before, snapshot(scene.base, scene.root))
    for target in case.targets(scene):
        assert not target.exists() and not target.is_symlink(), target
    # Nothing from outside the repository was published, not even partly.
    assert not any(
        "仓库外的秘密" in p.read_text("utf-8", "replace")
        for p in scene.output.rglob("*")
        if p.is_file()
    )


def test_messages_follow_the_site_language_english(scene: Scene) -> None:
    scene.set_language("en")
    scene.write("news/bad.md", _front("title: Bad date", "date: 2026-02-30"))
    before = snapshot(scene.base, scene.root)
    result = scene.build()
    assert result.returncode == 1
    [(_, line, message)] = [p for p in problems(result) if p[0] == "content/news/bad.md"]
    assert line == 3
    assert "field date" in message and "does not exist" in message and "2026-02-30" in message
    assert "Build failed" in result.stderr
    assert not re.search(r"[\u4e00-\u9fff]", result.stdout + result.stderr)  # no Chinese at all
    assert_nothing_written_outside_output(before, snapshot(scene.base, scene.root))


def test_messages_follow_the_site_language_traditional_chinese(scene: Scene) -> None:
    scene.set_language("zh-TW")
    scene.write("news/bad.md", _front("title: 壞", "save_as: ../../evil.html"))
    before = snapshot(scene.base, scene.root)
    result = scene.build()
    assert result.returncode == 1
    [(_, line, message)] = [p for p in problems(result) if p[0] == "content/news/bad.md"]
    assert line == 3
    assert "欄位 save_as" in message and "輸出資料夾之外" in message
    assert "输出文件夹" not in message  # Traditional, not Simplified
    assert "建置失敗" in result.stderr
    assert_nothing_written_outside_output(before, snapshot(scene.base, scene.root))
    assert not (scene.base / "evil.html").exists()


def test_build_succeeds_once_the_bad_file_is_fixed(scene: Scene) -> None:
    bad = scene.write("news/bad.md", _front("title: 日期写错的新闻", "date: 2026-02-30"))
    assert scene.build().returncode == 1
    assert not (scene.output / "news" / "bad" / "index.html").exists()

    bad.write_text(_front("title: 日期改正的新闻", "date: 2026-02-28"), encoding="utf-8")
    before = snapshot(scene.base, scene.root)
    result = scene.build()

    assert result.returncode == 0, result.stdout + result.stderr
    assert problems(result) == []
    page = (scene.output / "news" / "bad" / "index.html").read_text(encoding="utf-8")
    assert "日期改正的新闻" in page
    assert "news/bad/" in (scene.output / "feeds" / "all.atom.xml").read_text(encoding="utf-8")
    assert_nothing_written_outside_output(before, snapshot(scene.base, scene.root))


def test_path_like_tags_and_series_stay_inside_the_output(scene: Scene) -> None:
    # Tags and series become folder names; they are slugified, never used as paths. (A tag
    # of dots alone, '../..', has no slug: check refuses it, tests/test_cli_usage_errors.py.)
    escape = f"../../../..{scene.base}/abs-target/evil"
    scene.write(
        "study/bad.md",
        _front("title: 标签", f"series: '{escape}'", "order: 2", f"tags: ['{escape}', '../a']"),
    )
    before = snapshot(scene.base, scene.root)
    result = scene.build()
    assert result.returncode == 0, result.stdout + result.stderr
    assert_nothing_written_outside_output(before, snapshot(scene.base, scene.root))
    assert list((scene.base / "abs-target").iterdir()) == []
    output = scene.output.resolve()
    for path in scene.output.rglob("*"):
        assert path.resolve().is_relative_to(output), path
