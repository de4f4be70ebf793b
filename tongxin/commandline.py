"""What the editor-facing commands need around their work: where the branch is, which
language to speak before a ``site.yaml`` is found, and ``tongxin check``'s output.

``tongxin check`` may be run from anywhere inside a branch (``content/news/``) or given a
file: the branch is the nearest folder above holding ``content/``. Its messages and its
closing line are in the site's language. Help and usage errors are in the user's
(``LC_ALL``/``LANG``), or, where the environment names none (``C.UTF-8``), the branch's.
"""

from __future__ import annotations

import functools
import os
import subprocess
from pathlib import Path

from tongxin.i18n import normalise_language, translate, translate_count
from tongxin.problems import Problem, errors_in


def user_language() -> str:
    """The language of the user's environment (``LC_ALL``, ``LC_MESSAGES``, ``LANG``); where it
    names none (``C.UTF-8`` on a server), the site's of the branch the command is run in;
    else zh-CN."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = os.environ.get(name, "")
        if value and value not in ("C", "POSIX") and not value.startswith("C."):
            return normalise_language(value.split(".")[0].split(":")[0])
    return _language_here() or "zh-CN"


@functools.cache
def _language_here() -> str | None:
    """The language of the branch around the working folder, if it is in one."""
    root = find_branch_root(Path.cwd())
    if root is None:
        return None
    from tongxin.frontmatter import branch_language  # (YAML: only inside a branch)

    return branch_language(root)


def help_text(key: str) -> str:
    """A command's ``--help`` text in the user's language (catalogue section ``cli``)."""
    return translate(user_language(), f"cli.help_{key}")


def find_branch_root(path: Path) -> Path | None:
    """The nearest folder at or above ``path`` that holds ``content/``."""
    here = Path(path).resolve()
    if here.is_file():
        here = here.parent
    for folder in (here, *here.parents):
        if (folder / "content").is_dir():
            return folder
    return None


def count_sources(root: Path) -> int:
    """Files under ``content/`` that the check reads (dot-files and Thumbs.db excepted)."""
    from tongxin.checknames import is_system_file

    count = 0
    for _folder, dirs, files in os.walk(root / "content"):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        count += sum(not name.startswith(".") and not is_system_file(name) for name in files)
    return count


def closing_line(language: str, files: int, problems: list[Problem]) -> str:
    """One line saying what was checked and what was found."""
    errors = len(errors_in(problems))
    warnings = len(problems) - errors
    if not problems:
        return translate_count(language, "cli.check_clean", files, files=files)
    counts = {"files": files, "errors": errors, "warnings": warnings}
    return translate_count(language, "cli.check_found", files, **counts)


def untracked_files(root: Path) -> set[str]:
    """The files under ``root`` git does not track and does not ignore (relative, POSIX);
    none when ``root`` is not in a git repository."""
    try:
        listed = subprocess.run(
            ["git", "-C", str(root), "ls-files", "--others", "--exclude-standard", "-z"],
            capture_output=True,
            timeout=60,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return set()
    return {os.fsdecode(name) for name in listed.split(b"\0") if name}


def run_check(path: Path, *, staged: bool = False) -> tuple[list[str], int]:
    """Output lines and exit status of ``tongxin check PATH``; ``staged`` (the pre-commit
    hook): the problems of files git does not track are left out, so a stray file beside the
    commit (新建文本文档.txt) does not refuse it."""
    from tongxin.check import check_branch
    from tongxin.frontmatter import branch_language

    root = find_branch_root(path)
    if root is None:
        return [translate(user_language(), "cli.no_branch", path=path)], 2
    language = branch_language(root)
    problems = check_branch(root)
    files = count_sources(root)
    if staged:
        untracked = untracked_files(root)
        problems = [p for p in problems if p.path not in untracked]
        files -= sum(1 for name in untracked if name.startswith("content/"))
    if Path(path).resolve().is_file():
        # One file asked about (the README's `tongxin check content/news/x.md`): its own
        # problems, and site.yaml's, which it is read with; other files' are not its.
        wanted = Path(path).resolve().relative_to(root).as_posix()
        problems = [p for p in problems if p.path in (wanted, "content/site.yaml")]
        files = 1
    lines = [str(p) for p in problems]
    lines.append(closing_line(language, files, problems))
    return lines, 1 if errors_in(problems) else 0
