"""Links and images in an entry's body that cannot work where the page is read.

Found per file by :mod:`tongxin.check` (cached with the file's other problems):

* a path on the author's own computer (``C:\\Users\\…\\照片.jpg``, ``\\\\server\\share``,
  ``file:///…``): nobody else can open it (error);
* an image hotlinked from WeChat's servers (``mmbiz.qpic.cn``): they refuse requests from
  other sites, readers see a "此图片来自微信公众平台" placeholder (warning);
* an image from any other site: it disappears when that site moves it, and a ``http://``
  one is blocked on an ``https://`` page (warning).
* an embedded player, map or script (``<iframe>``, ``<video>``, ``<script>``…, pasted from
  a video site's "share → embed"): the page drops it for safety, and the editor would
  otherwise see the video vanish without a word (warning: link to it instead).

Whether a local target exists is :class:`tongxin.checklinks.SiteLinks`'s work; a
relative ``files/x.png`` (the page would look for ``/news/<slug>/files/x.png``) is reported
there with the form that works, :func:`files_fix`.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from tongxin.i18n import translate
from tongxin.problems import Problem

#: Hosts of WeChat official-account images (they check the Referer and refuse others).
WECHAT_IMAGE_HOSTS = ("mmbiz.qpic.cn", "mmbiz.qlogo.cn", "mmsns.qpic.cn", "mmecoa.qpic.cn")
_WINDOWS = re.compile(r"^(?:[A-Za-z]:[\\/]|\\\\|file:)", re.IGNORECASE)
_IMAGE_MD = re.compile(r"!\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)")
_IMAGE_HTML = re.compile(r"""<img\b[^>]*?\bsrc\s*=\s*["']([^"']+)["']""", re.IGNORECASE)


def is_local_path(target: str) -> bool:
    """A path only the author's computer knows: a drive letter, a share, ``file:``."""
    return bool(_WINDOWS.match(target.strip())) or "\\" in target


def image_targets(body: str, first_line: int) -> list[tuple[int, str]]:
    """(line, src) of every Markdown and HTML image."""
    found: list[tuple[int, str]] = []
    for index, line in enumerate(body.splitlines()):
        if "](" not in line and "<img" not in line.lower():
            continue
        targets = [m.group(1) for m in _IMAGE_MD.finditer(line)]
        targets += [m.group(1) for m in _IMAGE_HTML.finditer(line)]
        found.extend((first_line + index, target) for target in targets)
    return found


def link_form_problems(
    rel: str, links: list[tuple[int, str]], images: list[tuple[int, str]], language: str
) -> list[Problem]:
    """Problems of the links' and images' form (not of whether a local target exists)."""
    problems = []
    for line, target in links:
        if is_local_path(target):
            # ..\files\a.pdf: a relative path written with Windows' separator, not a place
            # on the author's computer; the fix is the slash
            slashed = None if _WINDOWS.match(target.strip()) else target.strip().replace("\\", "/")
            key, values = ("backslash", {"fixed": slashed}) if slashed else ("local_path", {})
            problems.append(
                Problem(rel, line, translate(language, f"check.{key}", target=target, **values))
            )
    for line, target in images:
        parts = urlsplit(target.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            continue
        host = parts.hostname.lower()
        key = "wechat_image" if host.endswith(WECHAT_IMAGE_HOSTS) else "external_image"
        text = translate(language, f"check.{key}", target=target, host=host)
        problems.append(Problem(rel, line, text, warning=True))
    return problems


_EMBED = re.compile(r"<(iframe|video|audio|embed|object|script|form)\b([^>]*)", re.IGNORECASE)
_SOURCE = re.compile(r"""\b(?:data-)?src\s*=\s*["']?([^"'\s>]+)""", re.IGNORECASE)


def embed_problems(rel: str, body: str, first_line: int, language: str) -> list[Problem]:
    """A warning for each embedded player, map or script the page will not show."""
    problems = []
    for index, line in enumerate(body.splitlines()):
        if "<" not in line:
            continue
        for match in _EMBED.finditer(line):
            source = _SOURCE.search(match.group(2))
            address = source.group(1) if source else ""
            if not address.startswith(("http://", "https://", "//")):
                address = translate(language, "check.embedded_address")
            tag = match.group(1).lower()
            text = translate(language, "check.embedded", tag=tag, address=address)
            problems.append(Problem(rel, first_line + index, text, warning=True))
    return problems


def files_fix(target: str) -> str | None:
    """``files/a.png`` or ``content/files/a.png`` (relative to the page) → ``../files/a.png``,
    the form that works."""
    path = target.strip()
    if path.startswith("./"):
        path = path[2:]
    path = path.removeprefix("content/")  # the folder as the file manager shows it
    return f"../{path}" if path.startswith("files/") else None
