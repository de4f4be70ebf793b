"""Files attached to an entry (the form, the PDF of a notice), from every feed format.

RSS ``<enclosure>``, Atom ``<link rel="enclosure">``, JSON Feed ``attachments`` and Media RSS
``<media:content>`` (also inside ``<media:group>``; not an image: Ghost, jekyll-feed and
WordPress plugins name the post's cover image so, which is no file the branch attached) all
become one shape, a dict
``{"url", "type", "length", "title"}``: an absolute http(s) address, the MIME type as
written (or ""), the size in bytes (0 when unknown) and a title (or ""). The portal stores
them, lists them on its pages with file type and size, and writes them back out as
enclosures (Atom, RSS), JSON Feed ``attachments`` and in ``api/``.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml import etree

MEDIA_NS = "http://search.yahoo.com/mrss/"
_MEDIA = f"{{{MEDIA_NS}}}"
#: At most this many attachments an entry (a feed listing more is a mistake or an attack).
MAX_ATTACHMENTS = 20

# File type labels readers know, by MIME type and by extension.
_LABELS = {
    "application/pdf": "PDF", "application/msword": "DOC", "application/vnd.ms-excel": "XLS",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "DOCX",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "XLSX",
    "application/vnd.ms-powerpoint": "PPT",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "PPTX",
    "application/zip": "ZIP", "application/x-rar-compressed": "RAR", "audio/mpeg": "MP3",
    "video/mp4": "MP4", "image/jpeg": "JPEG", "image/png": "PNG", "application/ofd": "OFD",
    "application/wps-office.doc": "WPS", "text/plain": "TXT",
}  # fmt: skip


def attachment(
    url: Any, type_: Any = "", length: Any = 0, title: Any = "", *, base: str = ""
) -> dict[str, Any] | None:
    """One attachment, or None when its address is not an http(s) URL."""
    text = str(url or "").strip()
    if not text:
        return None
    try:
        absolute = urljoin(base, text) if base else text
        scheme = urlsplit(absolute).scheme.lower()
    except ValueError:
        return None
    if scheme not in ("http", "https"):
        return None
    try:
        size = max(int(str(length or 0).strip() or 0), 0)
    except ValueError:
        size = 0
    return {
        "url": absolute,
        "type": str(type_ or "").strip()[:200],
        "length": size,
        "title": str(title or "").strip()[:500],
    }


def unique(found: Iterable[dict[str, Any] | None]) -> list[dict[str, Any]]:
    """The attachments in order, each address once, at most :data:`MAX_ATTACHMENTS`."""
    seen: set[str] = set()
    kept: list[dict[str, Any]] = []
    for item in found:
        if item is None or item["url"] in seen:
            continue
        seen.add(item["url"])
        kept.append(item)
        if len(kept) >= MAX_ATTACHMENTS:
            break
    return kept


def _media(item: etree._Element, base: str) -> list[dict[str, Any] | None]:
    found: list[dict[str, Any] | None] = []
    for content in item.iter(_MEDIA + "content"):
        if is_cover(content.get("medium"), content.get("type")):
            continue
        title = content.findtext(_MEDIA + "title") or ""
        found.append(
            attachment(
                content.get("url"), content.get("type"), content.get("fileSize"), title, base=base
            )
        )
    return found


def is_cover(medium: str | None, media_type: str | None) -> bool:
    """Whether a Media RSS ``<media:content>`` is an image (the post's cover), not a file."""
    kind = (medium or "").strip().lower()
    return kind == "image" or (not kind and (media_type or "").strip().lower().startswith("image/"))


def from_rss(item: etree._Element, ns: str, base: str) -> list[dict[str, Any]]:
    """RSS ``<enclosure>`` and Media RSS ``<media:content>`` of one item."""
    found = [
        attachment(e.get("url"), e.get("type"), e.get("length"), base=e.base or base)
        for e in item.iterfind(ns + "enclosure")
    ]
    found += [  # Atom-style <link rel="enclosure" href> in RSS
        attachment(e.get("href"), e.get("type"), e.get("length"), e.get("title"), base=base)
        for e in item.iterfind(ns + "link")
        if e.get("rel") == "enclosure"
    ]
    return unique([*found, *_media(item, base)])


def from_atom(links: Iterable[etree._Element], item: etree._Element) -> list[dict[str, Any]]:
    """Atom ``<link rel="enclosure">`` (resolved against their ``xml:base``) and Media RSS."""
    found = [
        attachment(
            link.get("href"),
            link.get("type"),
            link.get("length"),
            link.get("title"),
            base=link.base or "",
        )  # fmt: skip
        for link in links
        if link.get("rel") == "enclosure"
    ]
    return unique([*found, *_media(item, item.base or "")])


def from_json(item: Mapping[str, Any], base: str) -> list[dict[str, Any]]:
    """JSON Feed ``attachments``."""
    listed = item.get("attachments")
    if not isinstance(listed, list):
        return []
    return unique(
        attachment(
            a.get("url"), a.get("mime_type"), a.get("size_in_bytes"), a.get("title"), base=base
        )
        for a in listed
        if isinstance(a, dict)
    )


def from_feedparser(item: Mapping[str, Any], base: str) -> list[dict[str, Any]]:
    """Feedparser's ``enclosures`` and ``media_content`` of one entry."""
    found = [
        attachment(e.get("href"), e.get("type"), e.get("length"), e.get("title"), base=base)
        for e in item.get("enclosures") or []
    ]
    found += [
        attachment(m.get("url"), m.get("type"), m.get("filesize"), base=base)
        for m in item.get("media_content") or []
        if not is_cover(m.get("medium"), m.get("type"))
    ]
    return unique(found)


def label(item: Mapping[str, Any]) -> str:
    """The file type as readers know it: ``PDF``, ``DOCX`` … (else the extension, else "")."""
    known = _LABELS.get(str(item.get("type") or "").split(";")[0].strip().lower())
    if known:
        return known
    path = urlsplit(str(item.get("url") or "")).path
    extension = posixpath.splitext(path)[1].lstrip(".")
    return extension.upper()[:8] if extension.isalnum() else ""


def size_text(length: int) -> str:
    """``length`` bytes for a reader: ``312 KB``, ``1.4 MB`` ("" when unknown)."""
    if length <= 0:
        return ""
    if length < 1024:
        return f"{length} B"
    if length < 1024 * 1024:
        return f"{round(length / 1024)} KB"
    return f"{length / (1024 * 1024):.1f} MB"


def name_of(item: Mapping[str, Any]) -> str:
    """What a link to the attachment says: its title, else its file name."""
    title = str(item.get("title") or "")
    if title:
        return title
    path = urlsplit(str(item.get("url") or "")).path
    return posixpath.basename(path) or str(item.get("url") or "")
