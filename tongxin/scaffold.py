"""``tongxin new-branch``: a ready-to-publish git repository for one branch.

The files come from ``tongxin/scaffold/`` (``dot-`` names become ``.`` names, so packaging
never drops them as hidden files); ``@@NAME@@``, ``@@URL@@``, ``@@LANGUAGE@@`` and
``@@VERSION@@`` are filled in; inside YAML, ``@@NAME_YAML@@`` and the like are the value as
one quoted, escaped YAML scalar, so a name with quotes or backslashes stays valid. An
English branch takes its samples from ``scaffold/lang-en/``. No theme or plugins are
copied: they come with the installed package, so every branch upgrades with it.

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
import unicodedata
from pathlib import Path

import git
import yaml

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


#: After OpenCC's characters, the words and marks Taiwan writes otherwise, and its zone.
_TAIWAN = {"提交併": "提交並", "聯繫": "聯絡", "“": "「", "”": "」", "Asia/Shanghai": "Asia/Taipei"}


def _fill(text: str, values: dict[str, str], language: str) -> str:
    if language == "zh-TW":
        # The samples are written in Simplified Chinese; a Traditional site gets them converted:
        # characters only (s2tw; s2twp's phrases made 社区 社群 and 发布 釋出, as software
        # does), then a few words by hand. The editor's own values are kept as typed.
        import opencc

        text = opencc.OpenCC("s2tw").convert(text)
        for simplified, taiwan in _TAIWAN.items():
            text = text.replace(simplified, taiwan)
    for key, value in values.items():
        text = text.replace(f"@@{key}@@", value)
    return text


def yaml_scalar(value: str) -> str:
    """``value`` as one YAML scalar, quoted and escaped as needed (``"两新"…`` → ``'"两新"…'``)."""
    text = yaml.safe_dump(value, allow_unicode=True, default_flow_style=True, width=1 << 30)
    return text.removesuffix("\n").removesuffix("\n...").strip()


def _check_name(name: str, language: str) -> None:
    if not name.strip():
        raise ScaffoldError(translate(language, "cli.name_empty"))
    if any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in name):
        raise ScaffoldError(translate(language, "cli.name_control"))


def _scaffold_files(language: str) -> list[tuple[Path, Path]]:
    """(target path, source file) of every file a branch in ``language`` gets.

    ``scaffold/lang-<language>/`` (English) replaces the samples under ``content/`` as a
    whole (their file names are localised too) and any other file it holds."""
    files: dict[Path, Path] = {}
    for source in SCAFFOLD.rglob("*"):
        relative = source.relative_to(SCAFFOLD)
        if source.is_file() and "__pycache__" not in source.parts:
            if not relative.parts[0].startswith("lang-"):
                files[_target_name(relative)] = source
    overlay = SCAFFOLD / f"lang-{language}"
    if overlay.is_dir():
        files = {target: source for target, source in files.items() if target.parts[0] != "content"}
        for source in overlay.rglob("*"):
            if source.is_file() and "__pycache__" not in source.parts:
                files[_target_name(source.relative_to(overlay))] = source
    return sorted(files.items())


def sample_entries(language: str) -> dict[str, str]:
    """The sample entries a new branch in ``language`` gets (``content/<type>/<name>.md``;
    not its pages, which name the branch), as new-branch writes them."""
    return {
        target.as_posix(): _fill(source.read_text(encoding="utf-8"), {}, language)
        for target, source in _scaffold_files(language)
        if len(target.parts) == 3 and target.parts[0] == "content" and target.parts[1] != "pages"
    }


def create_branch(
    directory: str | Path,
    *,
    name: str,
    url: str,
    language: str = "zh-CN",
    tongxin_source: str | None = None,
) -> git.Repo:
    """Create the repository at ``directory`` (absent or empty) and make the first commit.

    ``tongxin_source`` is what the CI files ``pip install`` (default: :func:`default_source`).
    Everything is checked before the first file is written; when anything fails after
    that, what was made is removed again, so the same command can simply be rerun."""
    target = Path(directory)
    if language not in LANGUAGES:
        raise ScaffoldError(translate("zh-CN", "cli.bad_language", language=language))
    _check_name(name, language)
    name = name.strip()
    if not url.startswith(("http://", "https://")):
        raise ScaffoldError(translate(language, "cli.bad_url", url=url))
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise ScaffoldError(translate(language, "cli.not_empty", path=target))
    url = url.rstrip("/") + "/"
    values = {
        "NAME_YAML": yaml_scalar(name),
        "URL_YAML": yaml_scalar(url),
        "DESCRIPTION_YAML": yaml_scalar(translate(language, "cli.scaffold_description", name=name)),
        "ABOUT_SUMMARY_YAML": yaml_scalar(
            translate(language, "cli.scaffold_about_summary", name=name)
        ),
        "NAME": name,
        "URL": url,
        "LANGUAGE": language,
        "VERSION": _version(),
        "LUNR": LUNR_VERSION,
        "DECAP": DECAP_VERSION,
        "SOURCE": tongxin_source or default_source(),
    }
    existed = target.exists()
    try:
        return _make_branch(target, values, language, name)
    except Exception as error:
        _remove_made(target, existed)
        if isinstance(error, ScaffoldError):
            raise
        reason = getattr(error, "stderr", None) or str(error)
        raise ScaffoldError(
            translate(language, "cli.scaffold_failed", path=target, error=str(reason).strip())
        ) from error


def _remove_made(target: Path, existed: bool) -> None:
    """Remove what a failed :func:`create_branch` made (the folder too, unless it was there)."""
    if not existed:
        shutil.rmtree(target, ignore_errors=True)
        return
    for child in list(target.iterdir()):
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)


def _make_branch(target: Path, values: dict[str, str], language: str, name: str) -> git.Repo:
    target.mkdir(parents=True, exist_ok=True)
    written: list[str] = []
    for relative, source in _scaffold_files(language):
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
    # index.commit runs the pre-commit hook just installed: the new branch is checked once.
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
