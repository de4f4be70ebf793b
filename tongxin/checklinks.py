"""Whether the links in a branch's entries lead somewhere: read by ``tongxin check``.

:func:`markdown_links` finds every link, image and HTML ``href``/``src`` of a body (outside
code), with its line; :class:`SiteLinks` decides whether a target names a page, series,
source file or attachment the built site will have. Links to other sites are not followed.
"""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

from tongxin.config.content import CONTENT_TYPES, series_slugs
from tongxin.frontmatter import ContentFile, points_outside
from tongxin.i18n import translate
from tongxin.problems import Problem

#: Site paths our build writes besides entries; links into them are not checked here.
GENERATED_PREFIXES = ("feeds", "api", "search", "theme", "tags", "tag", "archives", "series")
#: The suffixes of entry sources: a relative link to one names that entry's page.
SOURCE_SUFFIXES = (".md", ".markdown", ".yaml", ".yml")


class SiteLinks:
    """The pages, series and files of one branch's site, for links to be checked against:
    ``entries`` are the check's own (``path``, ``type``, ``slug``, ``custom``, ``series``),
    read once they are all known."""

    def __init__(self, root: Path, site: dict[str, Any], entries: list[Any]) -> None:
        self.root = root
        self.content = root / "content"
        self.site = site
        self.entries = entries

    def site_paths(self) -> set[str]:
        """The site-absolute paths (``/news/slug/``) that entries produce."""
        paths = {"/"} | {f"/{kind}/" for kind in CONTENT_TYPES}
        for entry in self.entries:
            kind = entry.type
            paths.add(f"/{entry.slug}/" if kind == "pages" else f"/{kind}/{entry.slug}/")
            for custom in entry.custom:
                paths.add(normalise_site_path("/" + custom.lstrip("/")))
        return paths

    @functools.cached_property
    def _site_paths(self) -> set[str]:
        return self.site_paths()

    @functools.cached_property
    def _sources(self) -> set[Path]:
        # Resolving costs a few system calls per entry: only for branches with links.
        return {e.path.resolve() for e in self.entries}

    @functools.cached_property
    def _absolute(self) -> dict[str, bool]:
        return {}

    @functools.cached_property
    def _series_paths(self) -> set[str]:
        """``/study/series/<slug>/`` of every series, named as the build names them."""
        names = {entry.series for entry in self.entries if entry.series is not None}
        return {
            normalise_site_path(f"/study/series/{slug}/") for slug in series_slugs(names).values()
        }

    def resolves(self, entry: Any, target: str) -> bool:
        """Whether ``target``, a link in ``entry``'s body, names something the site has."""
        # Site-absolute links (/news/x/) mean the same from every entry: decide each once.
        if target.startswith("/") or "://" in target:
            known = self._absolute.get(target)
            if known is None:
                known = self._absolute[target] = self._link_resolves(entry, target)
            return known
        return self._link_resolves(entry, target)

    def _link_resolves(self, entry: Any, target: str) -> bool:
        folder = entry.path.parent
        marker = re.match(r"^(?:\{(\w+)\}|\|(\w+)\|)(.*)$", target)
        if marker:
            kind, rest = marker.group(1) or marker.group(2), marker.group(3)
            if kind not in ("filename", "static", "attach"):
                return True  # {tag}, {category}, {index} … name generated pages
            rest = unquote(rest.split("#")[0].split("?")[0])
            base = self.content if rest.startswith("/") else folder
            candidate = (base / rest.lstrip("/")).resolve()
            if kind == "filename":
                return candidate in self._sources
            return candidate.is_file() and not points_outside(candidate, self.root)
        parts = urlsplit(target)
        if parts.scheme or parts.netloc:
            own = urlsplit(str(self.site.get("url", "")))
            if parts.scheme in ("http", "https") and own.netloc and parts.netloc == own.netloc:
                prefix = own.path.rstrip("/")
                if parts.path.startswith(prefix):
                    return self.site_path_exists(parts.path[len(prefix) :] or "/")
            return True  # external: not ours to check
        path = unquote(parts.path)
        if not path:
            return True  # "#anchor" or "?query" on the same page
        if path.startswith("/"):
            return self.site_path_exists(path)
        # Relative: a source file next to this one (news/other.md, ../files/a.pdf) …
        candidate = (folder / path).resolve()
        if candidate.suffix.lower() in SOURCE_SUFFIXES:
            return candidate in self._sources
        if candidate.is_file() and not points_outside(candidate, self.root):
            return True
        # … or a URL relative to this entry's own page (../other-slug/).
        kind = entry.type
        page = f"/{entry.slug}/" if kind == "pages" else f"/{kind}/{entry.slug}/"
        resolved = os.path.normpath(PurePosixPath(page, path).as_posix())
        # /news/ and /news/x/ hold pages only: a file there (files/a.png written from
        # news/x.md gives /news/x/files/a.png) does not exist.
        parent, _, name = resolved.rpartition("/")
        first = resolved.strip("/").split("/")[0]
        in_pages = first in CONTENT_TYPES or normalise_site_path(parent or "/") in self._site_paths
        if "." in name and parent and in_pages:
            return False
        return self.site_path_exists(resolved)

    def site_path_exists(self, path: str) -> bool:
        path = unquote(path)
        segments = [s for s in path.split("/") if s]
        if segments and segments[0] == "files":
            return (self.content.joinpath(*segments)).is_file()
        if segments and segments[0] in GENERATED_PREFIXES:
            return True
        if segments and "." in segments[-1] and segments[-1] != "index.html":
            return True  # a file we cannot know about (robots.txt, a theme image)
        normalised = normalise_site_path(path)
        if segments[:2] == ["study", "series"]:
            return normalised in self._series_paths
        return normalised in self._site_paths


def normalise_site_path(path: str) -> str:
    """``/news/a``, ``/news/a/index.html`` and ``/news/a/`` are one page."""
    path = re.sub(r"/index\.html?$", "/", path)
    path = path if path.endswith("/") else path + "/"
    return "/" + path.lstrip("/").lower() if path != "/" else "/"


_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1")
_INLINE = re.compile(
    r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^)]*\)))?\s*\)"
)
_REFERENCE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)")
_HTML = re.compile(r"""\b(?:href|src)\s*=\s*["']([^"']+)["']""", re.IGNORECASE)


def body_offset(source: ContentFile) -> int:
    """The line of ``source`` its body's first line is on."""
    offset = source.body_line
    if source.form == "yaml" and "\n" in source.body.rstrip("\n"):
        offset += 1  # a block scalar (body: |) starts on the line after its key
    return offset


def markdown_links(source: ContentFile) -> list[tuple[int, str]]:
    """(line, target) of every link, image and HTML href/src outside code."""
    offset = body_offset(source)
    links: list[tuple[int, str]] = []
    fence: str | None = None
    for index, line in enumerate(source.body.splitlines()):
        opened = _FENCE.match(line)
        if fence:
            if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence):
                fence = None
            continue
        if opened:
            fence = opened.group(1)
            continue
        if "](" not in line and "=" not in line and "]:" not in line:
            continue  # no link can start on this line
        text = _CODE_SPAN.sub(lambda m: " " * len(m.group(0)), line)
        targets = [m.group(1) for m in _INLINE.finditer(text)]
        targets += [m.group(1) for m in _HTML.finditer(text)]
        reference = _REFERENCE.match(text)
        if reference:
            targets.append(reference.group(1))
        links.extend((offset + index, target) for target in targets)
    return links


def case_twin(path: Path) -> Path | None:
    """The file ``path`` names with other capitals (``PHOTO1.PNG`` for ``photo1.png``):
    Windows finds it, the web server does not."""
    try:
        folder = Path(os.path.normpath(path.parent))
        wanted = path.name.casefold()
        return next((p for p in folder.iterdir() if p.name.casefold() == wanted), None)
    except (OSError, ValueError):
        return None


def case_fix(folder: Path, target: str) -> str | None:
    """``target`` (a link from a file in ``folder``) with the capitals of the file it names
    in other capitals, if there is one (``../files/photo1.png`` → ``../files/PHOTO1.PNG``)."""
    path = target.split("#")[0]
    twin = case_twin(folder / unquote(path))
    if twin is None:
        return None
    written = Path(path).name
    return target.replace(written, twin.name) if written in target else twin.name


def nav_problems(
    site: dict[str, Any], lines: dict[Any, int], links: SiteLinks, language: str
) -> list[Problem]:
    """A menu entry (site.yaml ``nav``) linking to a page the site does not have: the menu
    showed it on every page, leading nowhere."""
    problems = []
    nav = site.get("nav")
    for index, item in enumerate(nav if isinstance(nav, list) else []):
        url = item.get("url") if isinstance(item, dict) else None
        if not isinstance(url, str) or urlsplit(url).scheme or url.startswith("//"):
            continue  # another site's page: not ours to check
        path = "/" + url.strip().removeprefix("./").lstrip("/")
        if not links.site_path_exists(path.split("#")[0].split("?")[0]):
            text = translate(language, "check.broken_link", target=url)
            problems.append(Problem("content/site.yaml", lines.get(("nav", index, "url"), 1), text))
    return problems
