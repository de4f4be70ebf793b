"""File names under ``content/`` that the build would mishandle, found by ``tongxin check``.

* a name not encoded as UTF-8 (a GBK name unpacked from a Windows zip): every tool that
  prints or hashes it fails, so it is reported with the name it probably has in GBK;
* Windows' own files (``Thumbs.db``, ``desktop.ini``, Office's ``~$`` lock files): never
  content, ignored by the check and the build and listed in a new branch's ``.gitignore``;
* a page named like a section the build writes itself (``pages/news.md`` would replace the
  news listing at ``/news/``);
* the names file managers give a copy (``通知 - 副本.md``, ``通知(1).md``, ``notice copy.md``):
  of two entries with the same title and text, the copy is the one told to go.
"""

from __future__ import annotations

import functools
import os
import posixpath
import re
from pathlib import Path

from tongxin.config.content import CONTENT_TYPES

#: Top-level folders of a built site that are not pages: a page with one of these slugs
#: would overwrite (or be overwritten by) that folder's ``index.html``.
RESERVED_PAGE_SLUGS = frozenset(
    (
        *CONTENT_TYPES,
        "admin",
        "api",
        "archives",
        "author",
        "authors",
        "categories",
        "category",
        "drafts",
        "feeds",
        "files",
        "search",
        "series",
        "tag",
        "tags",
        "theme",
    )
)

#: Files Windows and Office leave in every folder they touch (matched case-insensitively):
#: thumbnails, folder settings, Office's lock files, and the ``:Zone.Identifier`` stream (where
#: a download came from) that copying a download from Windows leaves as a file of its own.
_SYSTEM_FILE = re.compile(
    r"^(?:thumbs\.db|ehthumbs\.db|desktop\.ini|~\$.*|.*:zone\.identifier)$", re.IGNORECASE
)
_SYSTEM_NAMES = ("thumbs.db", "ehthumbs.db", "desktop.ini", "~$*", "*:zone.identifier")


def _any_case(pattern: str) -> str:
    # Pelican's IGNORE_FILES and .gitignore match case-sensitively on Linux: THUMBS.DB too
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else c for c in pattern)


#: The same as Pelican IGNORE_FILES patterns and .gitignore lines.
SYSTEM_FILE_PATTERNS = tuple(_any_case(name) for name in _SYSTEM_NAMES)


def output_file(kind: str, slug: str, save_as: str = "") -> str:
    """The file a build writes an entry to (output-relative, ``/``-separated)."""
    if save_as:
        return posixpath.normpath(save_as.replace("\\", "/")).lstrip("/")
    return f"{slug}/index.html" if kind == "pages" else f"{kind}/{slug}/index.html"


def site_owned(target: str) -> bool:
    """A file the build writes itself: the home page, a section's listing (any page of it),
    or anything under a folder of its own (``feeds/``, ``api/``, ``search/``, ``tags/`` …)."""
    top, _, rest = target.casefold().partition("/")
    if not rest:
        return top in ("index.html", "404.html") or top in RESERVED_PAGE_SLUGS
    if top in CONTENT_TYPES:
        return rest == "index.html" or rest.startswith(("page-", "series/"))
    return top in RESERVED_PAGE_SLUGS


def is_system_file(name: str) -> bool:
    """True for ``Thumbs.db``, ``desktop.ini``, ``~$报名表.docx`` and the like."""
    return bool(_SYSTEM_FILE.match(name))


def undecodable(path: str) -> bool:
    """True when ``path`` holds bytes that are not UTF-8 (Python keeps them as surrogates)."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def printable_path(path: str) -> str:
    """``path`` safe to print: every non-ASCII byte of a part that is not UTF-8 as ``\\xb1``
    (a GBK name partly reads as UTF-8 by chance; half-decoded it could not be typed)."""
    parts = []
    for part in path.split("/"):
        if undecodable(part):
            part = "".join(chr(b) if b < 128 else f"\\x{b:02x}" for b in os.fsencode(part))
        parts.append(part)
    return "/".join(parts)


def gbk_guess(name: str) -> str | None:
    """What ``name`` reads as when its bytes are taken as GBK (GB18030), if they can be."""
    try:
        return os.fsencode(name).decode("gb18030")
    except UnicodeDecodeError:
        return None


#: What Windows (``X - 副本``, ``X - 複製``, ``X - Copy (2)``), macOS (``X copy 2``, ``X的副本``),
#: GNOME (``X (copy)``, ``X (another copy)``) and a browser's or WeChat's downloads (``X(1)``,
#: ``X（1）``) add to the name of a copy.
_COPY_SUFFIX = re.compile(
    r"(?:\s*-\s*(?:副本|复制|複製|拷贝|copy)(?:\s*[(（]\d+[)）])?"
    r"|\s*的?副本(?:\s*\d+)?"
    r"|\s+copy(?:\s+\d+)?"
    r"|\s*[(（](?:\d+|copy|another copy|\d+(?:st|nd|rd|th) copy)[)）])$",
    re.IGNORECASE,
)


def looks_like_copy(stem: str) -> bool:
    """True when a file name (without its suffix) ends as a file manager names a copy."""
    return bool(_COPY_SUFFIX.search(stem))


def unchanged_sample(rel: str, path: Path, language: str) -> bool:
    """Whether ``path`` (at ``rel``) is a sample entry new-branch wrote, never changed."""
    if path.name not in _sample_names():
        return False
    sample = _samples(language).get(rel)
    written = path.read_text(encoding="utf-8", errors="replace")
    return sample is not None and _lines(written) == _lines(sample)


@functools.cache
def _sample_names() -> frozenset[str]:
    """The file names new-branch gives its sample entries (any language)."""
    scaffold = Path(__file__).parent / "scaffold"
    return frozenset(p.name for p in scaffold.rglob("content/*/*.md"))


@functools.cache
def _samples(language: str) -> dict[str, str]:
    from tongxin.scaffold import sample_entries  # (GitPython: only for a file so named)

    return sample_entries(language)


def _lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.strip().splitlines()]
