"""Read one content file into metadata + Markdown body, with the line of every field.

Shared by ``tongxin check`` and the Pelican readers so both see a file the same way:
Markdown with YAML front matter between leading ``---`` lines, or (announcements only)
a pure-YAML file whose ``body`` key holds the Markdown. Anything that stops a file from
being read at all raises :class:`ContentError` carrying editor-facing problems.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from tongxin.config.content import CONTENT_TYPES, FRONT_MATTER
from tongxin.config.options import ListOf, Option, SubConfig, texts_as_written
from tongxin.i18n import LANGUAGES, translate
from tongxin.problems import Problem
from tongxin.yamlhelp import LOOKS_BLANK, Diagnosis, dropped_comment, in_one_text, invisible
from tongxin.yamlsrc import ImpossibleDate, KeyPath, YamlSyntaxError, load_yaml, parse_date_text

MARKDOWN_SUFFIXES = (".md", ".markdown")
YAML_SUFFIXES = (".yaml", ".yml")
#: Larger files are refused before being read: real notices are far smaller, and a stray
#: video or database dump committed by mistake must not exhaust CI memory.
MAX_FILE_BYTES = 10 * 1024 * 1024
#: Fields holding dates that editors often write in forms YAML itself leaves as strings.
DATE_FIELDS = ("date", "modified", "expires")


class ContentError(Exception):
    """A file that cannot be read or parsed; ``problems`` say where and why."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


@dataclass
class ContentFile:
    """One entry's source: what the editor wrote, and where."""

    path: Path
    type: str
    meta: dict[str, Any]
    body: str
    #: 1-based line of each top-level key
    lines: dict[str, int] = field(default_factory=dict)
    #: lines of nested keys and list items too, keyed by path (``("quiz", 0, "answer")``)
    locations: dict[KeyPath, int] = field(default_factory=dict)
    #: where the Markdown body starts in the file (for link problems)
    body_line: int = 1
    #: keys written twice in one mapping, with the line of the repeat
    duplicates: list[tuple[KeyPath, int]] = field(default_factory=list)
    #: the form the file came in: "markdown" or "yaml"
    form: str = "markdown"


@lru_cache(maxsize=1 << 14)
def relative_posix(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` in POSIX style, as problems print it (memoised: a check
    asks for each file's several times, and ``os.path.relpath`` is slow)."""
    try:
        return Path(os.path.relpath(path, root)).as_posix()
    except ValueError:  # another drive on Windows
        return path.as_posix()


@lru_cache(maxsize=64)
def _language_of(site_yaml: str, mtime_ns: int) -> str:
    try:
        with open(site_yaml, encoding="utf-8") as handle:
            data = yaml.safe_load(handle.read(MAX_FILE_BYTES))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return "zh-CN"
    language = data.get("language") if isinstance(data, dict) else None
    return language if language in LANGUAGES else "zh-CN"


def branch_language(root: Path) -> str:
    """The language of a branch's messages: ``site.yaml`` ``language``, else zh-CN."""
    site_yaml = Path(root) / "content" / "site.yaml"
    try:
        mtime = site_yaml.stat().st_mtime_ns
    except OSError:
        return "zh-CN"
    return _language_of(str(site_yaml), mtime)


def content_type_of(path: Path, root: Path) -> str | None:
    """The content type given by the folder under ``content/``, or None for any other place."""
    parts = Path(relative_posix(path, root)).parts
    if len(parts) >= 3 and parts[0] == "content" and parts[1] in CONTENT_TYPES:
        return parts[1]
    return None


def points_outside(path: Path, root: Path, content: Path | None = None) -> bool:
    """True when ``path`` (a symlink, or under one) resolves outside the repository ``root``,
    into its ``.git`` (tokens in ``.git/config``), or outside ``content`` when given."""
    real = path.resolve()
    try:
        inside = real.relative_to(Path(root).resolve())
    except ValueError:
        return True
    if ".git" in inside.parts:
        return True
    if content is not None:
        try:
            real.relative_to(Path(content).resolve())
        except ValueError:
            return True
    return False


def read_text_checked(path: Path, root: Path, language: str) -> str:
    """The file's UTF-8 text, or :class:`ContentError` for size, binary data or bad encoding.

    The size is checked with ``stat`` first so a 10 GB file is never read into memory.
    """
    rel = relative_posix(path, root)

    def fail(line: int, key: str, **values: Any) -> ContentError:
        return ContentError([Problem(rel, line, translate(language, f"check.{key}", **values))])

    if path.is_symlink() and points_outside(path, root):
        raise fail(1, "symlink_outside", target=os.readlink(path))
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise fail(
                1, "too_large", size=f"{size / 1048576:.1f}", limit=MAX_FILE_BYTES // 1048576
            )
        raw = path.read_bytes()
    except OSError as error:
        raise fail(1, "unreadable", error=error.strerror or str(error)) from error
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):  # Notepad's "Unicode" (UTF-16)
        raise fail(1, "utf16")
    if raw.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):  # .docx (a zip), .doc, .wps
        raise fail(1, "word_file")
    if raw.startswith(b"{\\rtf"):  # WordPad's default format
        raise fail(1, "rtf_file")
    if b"\x00" in raw:
        raise fail(raw[: raw.index(b"\x00")].count(b"\n") + 1, "binary")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise fail(raw[: error.start].count(b"\n") + 1, "not_utf8") from error
    return text.removeprefix("\ufeff")


def _split_front_matter(text: str) -> tuple[str, int, str, int] | None:
    """(yaml text, its first line, body, body's first line), or None without front matter."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].rstrip() != "---":
        return None
    for index in range(1, len(lines)):
        if lines[index].rstrip() in ("---", "..."):
            return "".join(lines[1:index]), 2, "".join(lines[index + 1 :]), index + 2
    raise ValueError("unclosed")


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def drop_blank(value: Any, option: Option | None) -> Any:
    """``value`` without the optional fields written empty (``summary: ""``, ``author:``).

    The web editor writes a field it showed and the author cleared as ``""``: that means
    "not set", as if the line were not there. Required fields stay, so an empty title is
    still reported as empty.
    """
    if isinstance(option, SubConfig) and isinstance(value, dict):
        return {
            key: drop_blank(item, option.fields.get(key))
            for key, item in value.items()
            if not (_blank(item) and key in option.fields and not option.fields[key].required)
        }
    if isinstance(option, ListOf) and isinstance(value, list):
        return [drop_blank(item, option.item) for item in value]
    return value


def _normalise_dates(meta: dict[str, Any]) -> None:
    # YAML only recognises "2026-03-01 09:30:00"; editors also write "2026-03-01 09:30".
    for key in DATE_FIELDS:
        value = meta.get(key)
        if isinstance(value, str):
            try:
                parsed = parse_date_text(value)
            except ImpossibleDate:
                continue  # left as text: the schema reports it with the field's name
            if isinstance(parsed, date | datetime):
                meta[key] = parsed


#: While :func:`shared_reads` is active: path -> (stat signature, ContentFile). A build
#: validates every file, then Pelican's readers read it again; the second read takes the
#: first one's result instead of reading and parsing the YAML twice.
_shared: dict[str, tuple[tuple[int, int, int], ContentFile]] | None = None


@contextmanager
def shared_reads() -> Iterator[None]:
    """Within the block, the first :func:`read_content_file` of a file remembers its
    result and the next one takes it, if the file is unchanged (same size, mtime and
    inode). Everything is forgotten on leaving the block."""
    global _shared
    outer, _shared = _shared, {}
    try:
        yield
    finally:
        _shared = outer


def _signature(path: Path) -> tuple[int, int, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return (stat.st_size, stat.st_mtime_ns, stat.st_ino)


def read_content_file(path: Path, root: Path, language: str | None = None) -> ContentFile:
    """Read ``path`` (inside branch ``root``) into a :class:`ContentFile`.

    Raises :class:`ContentError` when the file cannot be read or parsed; schema problems
    (missing title, wrong types …) are left to :mod:`tongxin.check`. Callers must not
    modify the result: inside :func:`shared_reads` it is handed to the next reader.
    """
    path, root = Path(path), Path(root)
    if _shared is None:
        return _read_content_file(path, root, language)
    key = os.path.abspath(path)
    signature = _signature(path)
    found = _shared.pop(key, None)
    if found is not None and signature is not None and found[0] == signature:
        return found[1]
    source = _read_content_file(path, root, language)
    if signature is not None:
        _shared[key] = (signature, source)
    return source


def _opening_hidden(text: str) -> Diagnosis | None:
    """An invisible character beside the opening ``---`` (a zero-width space pasted first)."""
    first = text.split("\n", 1)[0]
    if first.strip(LOOKS_BLANK) == "---" and first.strip() != "---":
        return invisible(first, 1)
    return None


_DASHES = frozenset("-—–－‐‑‒―一_﹣")
#: Files an editor drops beside the articles that are documents, not articles.
_DOCUMENTS = frozenset((".doc", ".docx", ".wps", ".pdf", ".xls", ".xlsx", ".et", ".ppt", ".pptx"))


def _extension_problem(path: Path) -> tuple[str, dict[str, Any]]:
    """Why a file in a content folder is not an article, by its name."""
    suffix, name = path.suffix.lower(), path.name
    if suffix == ".txt" and Path(path.stem).suffix.lower() in MARKDOWN_SUFFIXES:
        return "hidden_extension", {"name": name, "fixed": path.stem}  # 通知.md.txt
    if suffix in _DOCUMENTS:
        return "document_in_content", {"name": name}
    return "unknown_extension", {"suffix": suffix or "''"}


def _opening_misdrawn(text: str) -> tuple[int, str, dict[str, Any]]:
    """(line, key, values) of a missing front matter: the line meant as ``---`` drawn with
    other dashes (——— typed in Chinese, ----), or blank lines before it."""
    lines = text.splitlines()
    at = next((i for i, line in enumerate(lines) if line.strip()), None)
    if at is None:
        return 1, "front_matter_missing", {}
    first = lines[at].strip()
    drawn = first.replace(" ", "")
    if drawn != "---" and len(drawn) >= 2 and set(drawn) <= _DASHES:
        return at + 1, "front_matter_dashes", {"found": first}
    if drawn == "---" and at > 0:
        return 1, "front_matter_blank_first", {"at": at + 1}
    return 1, "front_matter_missing", {}


def _diagnosed(fail: Callable[..., ContentError], found: Diagnosis | None) -> None:
    if found is not None:
        raise fail(found.line, f"config.{found.key}", **found.values)


#: Folder names an editor writes for the content types (Chinese, singular).
_FOLDER_NAMES = {
    **dict.fromkeys(("要闻", "要聞", "新闻", "新聞", "动态", "動態"), "news"),
    **dict.fromkeys(("通知", "公告", "通知公告", "announcement", "notice", "notices"),
                    "announcements"),
    **dict.fromkeys(("学习", "學習", "学习园地", "學習園地", "学习资料"), "study"),
    **dict.fromkeys(("页面", "頁面", "page"), "pages"),
}  # fmt: skip


def folder_meant(rel: str) -> str | None:
    """The content folder a misnamed one under ``content/`` stands for, if any is plain."""
    parts = rel.split("/")
    if len(parts) < 3 or parts[0] != "content":
        return None
    written = parts[1].strip()
    meant = _FOLDER_NAMES.get(written) or _FOLDER_NAMES.get(written.lower())
    if meant is None:
        close = difflib.get_close_matches(written.lower(), list(CONTENT_TYPES), n=1, cutoff=0.7)
        meant = close[0] if close else None
    return f"content/{meant}/" if meant and meant != written else None


def _unknown_folder(rel: str, lang: str) -> ContentError:
    text = translate(lang, "check.unknown_folder", folders=", ".join(CONTENT_TYPES))
    meant = folder_meant(rel)
    if meant:  # content/要闻/, content/announcement/, content/New/
        text += translate(lang, "check.folder_meant", folder=meant)
    return ContentError([Problem(rel, 1, text)])


def _read_content_file(path: Path, root: Path, language: str | None) -> ContentFile:
    lang = language or branch_language(root)
    rel = relative_posix(path, root)

    def fail(line: int, key: str, **values: Any) -> ContentError:
        # "config.…" names the option framework's messages, bare keys `tongxin check`'s own
        full = key if key.startswith("config.") else f"check.{key}"
        return ContentError([Problem(rel, line, translate(lang, full, **values))])

    content_type = content_type_of(path, root)
    if content_type is None:
        raise _unknown_folder(rel, lang)
    suffix = path.suffix.lower()
    is_yaml = suffix in YAML_SUFFIXES
    if is_yaml and content_type != "announcements":
        raise fail(1, "yaml_only_announcements")
    if not is_yaml and suffix not in MARKDOWN_SUFFIXES:
        key, values = _extension_problem(path)
        raise fail(1, key, **values)

    text = read_text_checked(path, root, lang)
    body_line = 1
    if is_yaml:
        yaml_text, first_line, body = text, 1, ""
    else:
        try:
            split = _split_front_matter(text)
        except ValueError:
            raise fail(1, "front_matter_unclosed") from None
        if split is None:
            _diagnosed(fail, _opening_hidden(text))
            line, key, values = _opening_misdrawn(text)
            raise fail(line, key, **values)
        yaml_text, first_line, body, body_line = split

    # a pasted full-width space; a title's "#…" that YAML would drop as a comment
    _diagnosed(fail, invisible(yaml_text, first_line) or dropped_comment(yaml_text, first_line))
    try:
        document = load_yaml(yaml_text, first_line)
    except YamlSyntaxError as error:
        raise ContentError([Problem(rel, error.line, error.message(lang))]) from error
    meta = document.data if document.data is not None else {}
    if not isinstance(meta, dict):
        colon = in_one_text(yaml_text, first_line)  # "title：…", "title:…" are one long text
        if colon is not None:
            raise fail(colon.line, f"config.{colon.key}", **colon.values)
        raise fail(first_line, "config.not_a_mapping", found=type(meta).__name__)
    meta = {str(key): value for key, value in meta.items()}
    meta = texts_as_written(FRONT_MATTER[content_type], meta, document.plain)

    if is_yaml and "body" in meta:
        value = meta.pop("body")
        if value is not None and not isinstance(value, str):
            raise fail(
                document.lines.get(("body",), 1),
                "config.expected_type",
                field="body",
                expected=translate(lang, "config.type_str"),
                found=type(value).__name__,
            )
        body = value or ""
        body_line = document.lines.get(("body",), 1)
    meta = drop_blank(meta, FRONT_MATTER[content_type])
    _normalise_dates(meta)
    lines = {str(k[0]): v for k, v in document.lines.items() if len(k) == 1}
    return ContentFile(
        path=path,
        type=content_type,
        meta=meta,
        body=body,
        lines=lines,
        locations=document.lines,
        body_line=body_line,
        duplicates=document.duplicates,
        form="yaml" if is_yaml else "markdown",
    )
