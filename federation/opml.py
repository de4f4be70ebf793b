"""OPML 2.0 import and export of the registry, as every planet aggregator offers.

Export writes one ``<outline type="rss">`` per branch (``text``, ``xmlUrl``, ``htmlUrl`` when
it can be derived), grouped under an outline per region, plus ``tongxin:*`` attributes so a
round trip keeps ids, parents and keys. Import accepts any reader's OPML (Feedly, Inoreader,
planet): nested outlines and ``category`` give the region, ids are derived from the names.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import urlsplit

from lxml import etree

from tongxin.i18n import translate
from tongxin.problems import Problem

from .model import Branch, Registry
from .parse import secure_parser
from .registry import RegistryError, dump_registry, is_http_url

TONGXIN_OPML_NS = "https://tongxin.dev/ns/opml"
_T = f"{{{TONGXIN_OPML_NS}}}"
_FEED_SUFFIXES = ("feeds/all.atom.xml", "feeds/all.rss.xml", "feeds/all.json")


def site_url_of(feed: str) -> str | None:
    """The site address of a Tongxin-style feed URL (``…/feeds/all.atom.xml`` → ``…/``)."""
    for suffix in _FEED_SUFFIXES:
        if feed.endswith("/" + suffix):
            return feed[: -len(suffix)]
    return None


def export_opml(registry: Registry) -> str:
    """OPML 2.0 text listing every branch's feed, grouped by region."""
    root = etree.Element("opml", version="2.0", nsmap={"tongxin": TONGXIN_OPML_NS})
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = registry.name
    etree.SubElement(head, "dateCreated").text = format_datetime(datetime.now(UTC), usegmt=True)
    etree.SubElement(head, "ownerId").text = registry.url
    body = etree.SubElement(root, "body")
    groups: dict[str | None, etree._Element] = {}
    for branch in registry.branches:
        parent = body
        if branch.region:
            if branch.region not in groups:
                groups[branch.region] = etree.SubElement(
                    body, "outline", text=branch.region, title=branch.region
                )
            parent = groups[branch.region]
        outline = etree.SubElement(parent, "outline", type="rss")
        outline.set("text", branch.name)
        outline.set("title", branch.name)
        outline.set("xmlUrl", branch.feed)
        html_url = branch.extra.get("url") or site_url_of(branch.feed)
        if html_url:
            outline.set("htmlUrl", html_url)
        if branch.region:
            outline.set("category", "/" + branch.region)
        outline.set(_T + "id", branch.id)
        if branch.parent:
            outline.set(_T + "parent", branch.parent)
        for number, key in enumerate(branch.public_keys):
            outline.set(_T + ("publicKey" if number == 0 else f"publicKey{number + 1}"), key)
    text = etree.tostring(root, encoding="unicode", pretty_print=True)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + text


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:60]


def _id_from_url(url: str) -> str:
    parts = urlsplit(url)
    path = parts.path
    for suffix in _FEED_SUFFIXES + ("feed", "rss", "atom.xml", "rss.xml", "index.xml"):
        if path.endswith("/" + suffix):
            path = path[: -len(suffix)]
    return _slug(f"{parts.hostname or ''} {path}") or "branch"


def import_opml(opml_path: Path | str, *, name: str | None = None, url: str | None = None) -> str:
    """Registry YAML text for the feeds an OPML file lists (validated before it is returned)."""
    opml_path = Path(opml_path)
    shown = str(opml_path)
    try:
        tree = etree.parse(str(opml_path), secure_parser())
    except (OSError, etree.XMLSyntaxError) as error:
        message = translate(None, "federation.opml.invalid", error=error)
        line = getattr(error, "lineno", None) or 1
        raise RegistryError([Problem(shown, line, message)]) from error
    root = tree.getroot()
    title = (root.findtext("head/title") or "").strip()
    owner = (root.findtext("head/ownerId") or "").strip()
    portal_name = name or title or opml_path.stem
    portal_url = url or (owner if is_http_url(owner) else "https://portal.example.org/")
    if not portal_url.endswith("/"):
        portal_url += "/"
    branches: list[Branch] = []
    used: set[str] = set()
    seen_feeds: set[str] = set()

    def walk(element: etree._Element, region: str | None) -> None:
        for outline in element.iterfind("outline"):
            feed = (outline.get("xmlUrl") or outline.get("xmlurl") or "").strip()
            label = (outline.get("text") or outline.get("title") or "").strip()
            if not feed:
                walk(outline, label or region)
                continue
            if not is_http_url(feed) or feed in seen_feeds:
                continue
            seen_feeds.add(feed)
            category = (outline.get("category") or "").split(",")[0].strip().strip("/")
            branch_region = category.split("/")[-1] if category else region
            wanted = outline.get(_T + "id") or _slug(label) or _id_from_url(feed)
            branch_id, number = wanted, 2
            while branch_id in used:
                branch_id, number = f"{wanted}-{number}", number + 1
            used.add(branch_id)
            keys = [
                outline.get(k)
                for k in sorted(outline.attrib, key=lambda k: (len(k), k))
                if k.startswith(_T + "publicKey")
            ]
            branches.append(
                Branch(
                    id=branch_id,
                    name=label or feed,
                    feed=feed,
                    region=branch_region or None,
                    parent=outline.get(_T + "parent") or None,
                    public_keys=tuple(k for k in keys if k),
                )
            )

    body = root.find("body")
    if body is not None:
        walk(body, None)
    if not branches:
        message = translate(None, "federation.opml.no_feeds")
        raise RegistryError([Problem(shown, 1, message)])
    registry = Registry(name=portal_name, url=portal_url, branches=tuple(branches))
    return dump_registry(registry)
