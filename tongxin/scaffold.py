"""``tongxin new-branch``: a ready-to-publish git repository for one branch.

The files come from ``tongxin/scaffold/`` (``dot-`` names become ``.`` names, so packaging
never drops them as hidden files); ``@@NAME@@``, ``@@URL@@``, ``@@LANGUAGE@@`` and
``@@VERSION@@`` are filled in. No theme or plugins are copied: they come with the
installed package, so every branch upgrades with it.

Where tongxin comes from is recorded (``@@SOURCE@@``, what ``pip install`` is given): by
default the checkout that made the branch when tongxin runs from one, else
``tongxin==<version>``; ``tongxin_source=`` names a package index spec, a ``git+https://`` URL or a
wheel instead. The CI files install from it and the branch README says it. The Python that
made the branch is remembered in ``.git/tongxin-python`` (this machine only): the pre-commit
hook tries ``tongxin`` on PATH, then that Python, then ``python3 -m tongxin``, and refuses the
commit, saying how to proceed, when none can check.
"""

from __future__ import annotations

import importlib.metadata
import shutil
import stat
import sys
from pathlib import Path

import git

from tongxin.i18n import LANGUAGES, translate

#: The lunr.js a branch's CI installs for its search page: the same pin as package.json
#: (tests/test_new_branch.py holds the two together).
LUNR_VERSION = "2.3.9"
#: The Decap CMS bundle (the web editor at /admin/): the same pin as package.json.
DECAP_VERSION = "3.16.3"
SCAFFOLD = Path(__file__).parent / "scaffold"
_TEXT_SUFFIXES = {".md", ".yaml", ".yml", ".txt", ""}
DEFAULT_AUTHOR = ("同心 Tongxin", "tongxin@localhost")


class ScaffoldError(Exception):
    """The branch cannot be created (folder not empty, bad URL …); the message says why."""


def _version() -> str:
    try:
        return importlib.metadata.version("tongxin")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - source checkout
        return "0.1.0"


def default_source() -> str:
    """What CI should ``pip install``: this checkout if tongxin runs from one, else the
    released version by name."""
    import tongxin

    checkout = Path(tongxin.__file__).resolve().parents[1]
    if (checkout / "pyproject.toml").is_file() and (checkout / "tongxin").is_dir():
        return str(checkout)
    return f"tongxin=={_version()}"


def _target_name(relative: Path) -> Path:
    return Path(*[("." + p[4:]) if p.startswith("dot-") else p for p in relative.parts])


def _fill(text: str, values: dict[str, str], language: str) -> str:
    for key, value in values.items():
        text = text.replace(f"@@{key}@@", value)
    if language == "zh-TW":
        # The samples are written in Simplified Chinese; a Traditional site gets them converted.
        import opencc

        text = opencc.OpenCC("s2twp").convert(text)
    return text


def create_branch(
    directory: str | Path,
    *,
    name: str,
    url: str,
    language: str = "zh-CN",
    tongxin_source: str | None = None,
) -> git.Repo:
    """Create the repository at ``directory`` (absent or empty) and make the first commit.

    ``tongxin_source`` is what the CI files ``pip install`` (default: :func:`default_source`)."""
    target = Path(directory)
    if language not in LANGUAGES:
        raise ScaffoldError(translate("zh-CN", "cli.bad_language", language=language))
    if not url.startswith(("http://", "https://")):
        raise ScaffoldError(translate(language, "cli.bad_url", url=url))
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise ScaffoldError(translate(language, "cli.not_empty", path=target))
    url = url.rstrip("/") + "/"
    values = {
        "NAME": name,
        "URL": url,
        "LANGUAGE": language,
        "VERSION": _version(),
        "LUNR": LUNR_VERSION,
        "DECAP": DECAP_VERSION,
        "SOURCE": tongxin_source or default_source(),
    }

    target.mkdir(parents=True, exist_ok=True)
    written: list[str] = []
    for source in sorted(SCAFFOLD.rglob("*")):
        if not source.is_file() or "__pycache__" in source.parts:
            continue
        relative = _target_name(source.relative_to(SCAFFOLD))
        if language == "zh-TW":  # 回执.txt → 回執.txt, as the converted samples name it
            relative = Path(_fill(relative.as_posix(), {}, language))
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        if source.suffix in _TEXT_SUFFIXES:
            text = _fill(source.read_text(encoding="utf-8"), values, language)
            destination.write_text(text, encoding="utf-8")
        else:
            shutil.copyfile(source, destination)
        destination.chmod(source.stat().st_mode & 0o777)
        written.append(relative.as_posix())

    repo = git.Repo.init(target)
    hook = Path(repo.git_dir) / "hooks" / "pre-commit"
    hook.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(target / "hooks" / "pre-commit", hook)
    hook.chmod(hook.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    # The Python (and so the venv) that made the branch: the hook's second place to look.
    (Path(repo.git_dir) / "tongxin-python").write_text(sys.executable + "\n", encoding="utf-8")

    repo.index.add(written)
    actor = _actor(repo)
    # index.commit does not run hooks: the new repository is known to be valid.
    repo.index.commit(
        translate(language, "cli.commit_message", name=name), author=actor, committer=actor
    )
    return repo


def _actor(repo: git.Repo) -> git.Actor:
    """The user's git identity if configured, else a neutral one (fresh CI machines)."""
    reader = repo.config_reader()
    try:
        name, email = reader.get_value("user", "name"), reader.get_value("user", "email")
        return git.Actor(str(name), str(email))
    except Exception:  # no identity configured: configparser raises several kinds
        return git.Actor(*DEFAULT_AUTHOR)
