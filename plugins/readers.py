"""Readers for branch content: Markdown with YAML front matter, and pure-YAML announcements.

Both go through :func:`tongxin.frontmatter.read_content_file`, the same function
``tongxin check`` uses, so the build sees a file exactly as validation did. A file that
cannot be read raises :class:`~tongxin.frontmatter.ContentError`; the strict-build plugin
turns that into a failed build instead of Pelican's "log and skip".
"""

from __future__ import annotations

import itertools
import os
import re
from datetime import date, datetime, time
from functools import cache
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from markdown import Markdown
from pelican import signals
from pelican.readers import BaseReader
from pelican.urlwrappers import Author
from pelican.urlwrappers import Tag as PelicanTag
from pelican.utils import truncate_html_words

from tongxin.frontmatter import (
    CONTENT_TYPES,
    MARKDOWN_SUFFIXES,
    YAML_SUFFIXES,
    read_content_file,
)
from tongxin.text import plain_text

#: Front-matter keys Pelican itself interprets; everything else is passed through as is.
_PELICAN_KEYS = ("title", "date", "modified", "tags", "summary", "slug", "author", "status", "lang")
_LINK = re.compile(r"""(\b(?:href|src)\s*=\s*)(["'])([^"']*)\2""", re.IGNORECASE)
SOURCE_SUFFIXES = MARKDOWN_SUFFIXES + YAML_SUFFIXES
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


@cache
def _markdown_cleaner() -> Any:
    """The portal's allowlist (federation/sanitise.py), plus ``id`` and ``class`` (heading
    anchors, footnotes, code languages), with relative links kept as written."""
    import nh3
    from tongxin.federation import sanitise

    attributes = {tag: set(names) for tag, names in sanitise.ALLOWED_ATTRIBUTES.items()}
    attributes["*"] = attributes.get("*", set()) | {"id", "class"}
    return nh3.Cleaner(
        tags=set(sanitise.ALLOWED_TAGS),
        clean_content_tags=set(sanitise.DROPPED_WITH_CONTENT),
        attributes=attributes,
        strip_comments=True,
        link_rel=None,
        url_schemes=set(sanitise.LINK_SCHEMES),
        url_relative="pass_through",
    )


def clean_markdown_html(html: str) -> str:
    """Markdown's output with raw HTML reduced to the allowlist (no scripts, handlers, styles);
    an embedded player leaves a link to what it played (``sanitise.media_links``)."""
    if "<" not in html:
        return html
    from tongxin.federation.sanitise import media_links

    return str(_markdown_cleaner().clean(media_links(html)))


class Tag(PelicanTag):
    """A tag whose slug stays Unicode (settings ``SLUGIFY_USE_UNICODE``): 党建 and 当建 get
    two pages, which pinyin would merge. The file is saved as UTF-8; the link is
    percent-encoded. Named ``Tag`` so that Pelican's ``TAG_URL``/``TAG_SAVE_AS`` apply."""

    @property
    def url(self) -> str:
        # Every page lists its tags: format and quote each (slug, pattern) once per process.
        key = (self.name, self.slug, self.settings.get("TAG_URL"))
        found = _tag_urls.get(key)
        if found is None:
            found = _tag_urls[key] = quote(super().url, safe="/:-_.~%")
        return found


_tag_urls: dict[tuple[str, str, Any], str] = {}


def entry_slug(meta: dict[str, Any], path: str | Path) -> str:
    """The slug: front matter ``slug``, else the file name lower-cased (never the title).

    A non-ASCII file name stays as written (UTF-8): ``党课学习.md`` → ``党课学习``.
    """
    slug = meta.get("slug")
    if isinstance(slug, str) and slug.strip():
        return slug.strip()
    return Path(path).stem.lower()


def as_datetime(value: date | datetime) -> datetime:
    """A date from front matter as a datetime (midnight for a bare date)."""
    if isinstance(value, datetime):
        return value
    return datetime.combine(value, time())


def auto_summary(html: str, settings: dict[str, Any]) -> str:
    """The summary of an entry without one: Pelican's (its first ``SUMMARY_MAX_LENGTH``
    words, a Chinese character counting as one) as plain text in one paragraph.

    Made once, when the file is read (and kept in Pelican's content cache): Pelican's own
    summary is made again for every depth of page that shows it (relative URLs), and a
    heading or a link inside a card's summary only repeats the card's own.
    """
    length = settings.get("SUMMARY_MAX_LENGTH")
    if length is not None:
        html = truncate_html_words(html, length, settings.get("SUMMARY_END_SUFFIX") or "")
    text = plain_text(html)
    return f"<p>{escape(text)}</p>" if text else ""


class TongxinMarkdownReader(BaseReader):
    """Markdown with YAML front matter between ``---`` lines."""

    enabled = True
    file_extensions = ["md", "markdown"]

    def __init__(self, settings: dict[str, Any]) -> None:
        super().__init__(settings)
        config = dict(settings["MARKDOWN"])
        extensions = list(config.get("extensions", []))
        for name in config.get("extension_configs", {}):
            if name not in extensions:
                extensions.append(name)
        config["extensions"] = [e for e in extensions if e != "markdown.extensions.meta"]
        # One Markdown instance reset per file is much cheaper than a new one per file.
        self._md = Markdown(**config)
        # Four spaces before a line are Word's first-line indent pasted, not code: without
        # this the paragraph became a grey code box (fenced ``` code blocks still work).
        self._md.parser.blockprocessors.deregister("code")
        self.root = Path(settings.get("TONGXIN_ROOT") or Path(settings["PATH"]).parent)
        self.content = Path(settings["PATH"])
        site = settings.get("TONGXIN_SITE") or {}
        self.raw_html = site.get("raw_html") is True

    def render(self, text: str) -> str:
        self._md.reset()
        html = self._md.convert(text)
        return html if self.raw_html else clean_markdown_html(html)

    def read(self, source_path: str) -> tuple[str, dict[str, Any]]:
        source = read_content_file(Path(source_path), self.root)
        html = self.rewrite_links(self.render(source.body), Path(source_path).parent)
        metadata = self.metadata(source.meta, source_path, source.type)
        if "summary" not in metadata:
            summary = auto_summary(html, self.settings)
            if summary:
                metadata["summary"] = summary
        return html, metadata

    def metadata(self, meta: dict[str, Any], source_path: str, kind: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in meta.items():
            if key not in _PELICAN_KEYS and value is not None:
                out[key] = value
        if meta.get("title") is not None:
            out["title"] = str(meta["title"])
        for key in ("date", "modified"):
            if isinstance(meta.get(key), date):
                out[key] = as_datetime(meta[key])
        if isinstance(meta.get("tags"), list):
            # each once: [组织生活, 组织生活] showed the tag twice
            names = dict.fromkeys(str(t).strip() for t in meta["tags"] if str(t).strip())
            tags = [Tag(name, self.settings) for name in names]
            if tags:
                out["tags"] = tags
        if isinstance(meta.get("summary"), str) and meta["summary"].strip():
            out["summary"] = self.render(meta["summary"])
        if isinstance(meta.get("author"), str) and meta["author"].strip():
            out["author"] = Author(meta["author"].strip(), self.settings)
        if isinstance(meta.get("status"), str) and meta["status"].strip():
            out["status"] = meta["status"].strip()
        if isinstance(meta.get("lang"), str) and meta["lang"].strip():
            out["lang"] = meta["lang"].strip()
        out["slug"] = entry_slug(meta, source_path)
        out["type"] = kind
        return out

    def rewrite_links(self, html: str, folder: Path) -> str:
        """Point relative links at what they name in the output.

        Editors link to the source file next to theirs (``other.md``, ``../files/a.pdf``),
        as they would on GitHub; Pelican only understands ``{filename}``/``{static}``.
        """

        def replace(match: re.Match[str]) -> str:
            target = match.group(3)
            if not target or target[0] in "/#{|?" or _SCHEME.match(target):
                return match.group(0)
            path, _, fragment = target.partition("#")
            path = path.split("?")[0]
            candidate = Path(os.path.normpath(folder / unquote(path)))
            try:
                rel = candidate.relative_to(self.content).as_posix()
            except ValueError:
                return match.group(0)
            if not candidate.is_file():
                return match.group(0)
            top = rel.split("/", 1)[0]
            if candidate.suffix.lower() in SOURCE_SUFFIXES and top in CONTENT_TYPES:
                kind = "filename"
            else:
                kind = "static"
            new = f"{{{kind}}}/{rel}" + (f"#{fragment}" if fragment else "")
            return f"{match.group(1)}{match.group(2)}{new}{match.group(2)}"

        return _LINK.sub(replace, html)


class TongxinYamlReader(TongxinMarkdownReader):
    """An announcement written as pure YAML: its ``body`` key holds the Markdown."""

    file_extensions = ["yaml", "yml"]


def _case_variants(word: str) -> set[str]:
    """``md`` → md, mD, Md, MD (256 spellings of "markdown": a dictionary lookup each)."""
    return {"".join(chars) for chars in itertools.product(*((c.lower(), c.upper()) for c in word))}


def _shared(cls: type[TongxinMarkdownReader]) -> Any:
    """A stand-in for ``cls`` that makes one reader, however many suffixes Pelican asks for.

    Pelican makes an instance per entry of ``reader_classes``: the 262 spellings of "md" and
    "markdown" made 262 Markdown converters per generator (a quarter of a second per build).
    A stand-in is made per ``readers_init`` (per generator), so its reader has that
    generator's settings."""
    made: list[TongxinMarkdownReader] = []

    def reader(settings: dict[str, Any]) -> TongxinMarkdownReader:
        if not made:
            made.append(cls(settings))
        return made[0]

    return reader


def add_readers(readers: Any) -> None:
    # Replace Pelican's Markdown reader: its "Key: value" metadata is not our format.
    # Every spelling of the suffix (.MD, .Md, .YML from Windows): check reads them all alike.
    for cls in (TongxinMarkdownReader, TongxinYamlReader):
        reader = _shared(cls)
        for extension in cls.file_extensions:
            for spelling in _case_variants(extension):
                readers.reader_classes[spelling] = reader
    for extension in ("mkd", "mdown", "rst", "htm", "html"):
        readers.reader_classes.pop(extension, None)


def register() -> None:
    signals.readers_init.connect(add_readers)
