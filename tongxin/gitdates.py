"""When each file was first and last committed, from one walk of the git history.

A branch with 2000 entries must not pay for 2000 ``git log`` calls: one
``git log --name-status`` walk (newest first) gives every file's last commit (the first
time it is seen) and its first commit (the last time it is seen), following renames so a
moved file keeps its original date. The result is cached per HEAD commit.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import git

#: Separates commits in the log output; cannot occur in a file name or ISO date.
_MARK = "\x1ecommit\x1f"


@dataclass(frozen=True)
class FileHistory:
    """The first and last commit touching one file (author dates, timezone-aware)."""

    created: datetime
    modified: datetime
    author: str


@dataclass
class GitHistory:
    """Every committed file's history, keyed by POSIX path relative to the repository top."""

    toplevel: Path
    head: str
    files: dict[str, FileHistory]
    shallow: bool = False

    def lookup(self, path: str | Path) -> FileHistory | None:
        """The history of ``path`` (absolute, or relative to the top), or None if uncommitted."""
        path = Path(path)
        if path.is_absolute():
            try:
                path = Path(os.path.relpath(path, self.toplevel))
            except ValueError:
                return None
        return self.files.get(path.as_posix())


class NoHistory(Exception):
    """No usable git history: not a repository, no commits, or git is missing."""


def _parse_log(text: str) -> dict[str, FileHistory]:
    files: dict[str, FileHistory] = {}
    # A path seen in a newer commit under a new name: old name -> current name.
    renamed_to: dict[str, str] = {}
    # Current names whose history ended (deleted, then added again later): ignore older commits.
    closed: set[str] = set()
    for block in text.split(_MARK):
        if not block.strip():
            continue
        header, _, body = block.partition("\n")
        when_text, _, author = header.partition("\t")
        when = datetime.fromisoformat(when_text.strip())
        for line in body.splitlines():
            if not line:
                continue
            fields = line.split("\t")
            status = fields[0][:1]
            if status == "R" and len(fields) == 3:
                old, new = fields[1], fields[2]
                current = renamed_to.get(new, new)
                _touch(files, closed, current, when, author)
                renamed_to[old] = current
                continue
            if len(fields) < 2:
                continue
            current = renamed_to.get(fields[1], fields[1])
            if status == "D":
                # Seen newest-first: a deletion older than the file's re-creation ends
                # the current file's history.
                if current in files:
                    closed.add(current)
                continue
            _touch(files, closed, current, when, author)
    return files


def _touch(
    files: dict[str, FileHistory], closed: set[str], path: str, when: datetime, author: str
) -> None:
    if path in closed:
        return
    seen = files.get(path)
    if seen is None:
        files[path] = FileHistory(created=when, modified=when, author=author)
    else:
        files[path] = FileHistory(created=when, modified=seen.modified, author=author)


def read_history(root: str | Path, cache_dir: str | Path | None = None) -> GitHistory:
    """The history of the repository holding ``root``; raises :class:`NoHistory`.

    With ``cache_dir``, the walk is stored there keyed by HEAD so an unchanged repository
    is not walked again.
    """
    try:
        repo = git.Repo(root, search_parent_directories=True)
        head = repo.head.commit.hexsha
        toplevel = Path(repo.working_tree_dir or root)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError, ValueError) as error:
        raise NoHistory(str(error)) from error
    except git.GitCommandNotFound as error:  # pragma: no cover - git missing
        raise NoHistory(str(error)) from error
    shallow = Path(repo.git_dir, "shallow").exists()

    cache_file = Path(cache_dir, "git-dates.json") if cache_dir else None
    if cache_file is not None:
        cached = _load_cache(cache_file, head)
        if cached is not None:
            return GitHistory(toplevel, head, cached, shallow)
    try:
        # core.quotePath=false: Chinese file names come out as UTF-8, not octal escapes.
        text = repo.git(c="core.quotePath=false").log(
            f"--format={_MARK}%aI\t%aN",
            "--name-status",
            "-M",
            "--no-merges",
            "--no-color",
        )
    except git.GitCommandError as error:
        raise NoHistory(str(error)) from error
    files = _parse_log(text)
    if cache_file is not None:
        _save_cache(cache_file, head, files)
    return GitHistory(toplevel, head, files, shallow)


def _load_cache(path: Path, head: str) -> dict[str, FileHistory] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("head") != head:
            return None
        return {
            name: FileHistory(datetime.fromisoformat(c), datetime.fromisoformat(m), a)
            for name, (c, m, a) in data["files"].items()
        }
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _save_cache(path: Path, head: str, files: dict[str, FileHistory]) -> None:
    data = {
        "head": head,
        "files": {
            name: [h.created.isoformat(), h.modified.isoformat(), h.author]
            for name, h in files.items()
        },
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        tmp.replace(path)
    except OSError:
        pass  # a cache that cannot be written only costs time
