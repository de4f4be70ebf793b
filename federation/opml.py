"""OPML 2.0 import and export of the registry, as every planet aggregator offers.

Export writes one ``<outline type="rss">`` per branch (``text``, ``xmlUrl``, ``htmlUrl`` when
it can be derived), grouped under an outline per region, plus ``tongxin:*`` attributes so a
round trip keeps ids, parents and keys, and ``tongxin:settings`` (JSON) with every other key
of the registry file, the portal's (``allow_networks``, ``timezone``, ``inspection`` …) in the
head and each branch's on its outline: an export and import gives back the registry it came
from, not one whose intranet branches are all refused. Import accepts any reader's OPML
(Feedly, Inoreader, planet): nested outlines and ``category`` give the region, ids are derived
from the names.
"""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from lxml import etree

from tongxin.i18n import translate
from tongxin.problems import Problem

from .model import Branch, Registry
from .parse import secure_parser
from .registry import RegistryError, dump_registry, is_http_url, parse_registry

TONGXIN_OPML_NS = "https://tongxin.dev/ns/opml"
_T = f"{{{TONGXIN_OPML_NS}}}"
_FEED_SUFFIXES = ("feeds/all.atom.xml", "feeds/all.rss.xml", "feeds/all.json")
#: keys OPML carries by itself; any other key of the registry travels in ``tongxin:settings``
_PORTAL_OWN = frozenset({"name", "url", "branches"})
_BRANCH_OWN = frozenset({"id", "name", "feed", "region", "parent", "public_key", "public_keys"})


def _file_settings(registry: Registry) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The registry file's keys OPML has no place for: the portal's, and each branch's by id
    (none for a registry not read from a file)."""
    try:
        data = yaml.safe_load(registry.path.read_text(encoding="utf-8")) if registry.path else None
    except (OSError, yaml.YAMLError):
        data = None
    if not isinstance(data, dict):
        return {}, {}
    portal = {k: v for k, v in data.items() if k not in _PORTAL_OWN}
    branches = {}
    for raw in data.get("branches") or ():
        if isinstance(raw, dict) and isinstance(raw.get("id"), str):
            extra = {k: v for k, v in raw.items() if k not in _BRANCH_OWN}
            if extra:
                branches[raw["id"]] = extra
    return portal, branches


def _json(value: dict[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def site_url_of(feed: str) -> str | None:
    """The site address of a Tongxin-style feed URL (``…/feeds/all.atom.xml`` → ``…/``)."""
    for suffix in _FEED_SUFFIXES:
        if feed.endswith("/" + suffix):
            return feed[: -len(suffix)]
    return None


def export_opml(registry: Registry, *, settings: bool = False) -> str:
    """OPML 2.0 text listing every branch's feed, grouped by region; with ``settings``, the
    registry file's other keys too (the operator's export: a published list never carries
    them, ``allow_networks`` names the intranet)."""
    root = etree.Element("opml", version="2.0", nsmap={"tongxin": TONGXIN_OPML_NS})
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = registry.name
    etree.SubElement(head, "dateCreated").text = format_datetime(datetime.now(UTC), usegmt=True)
    etree.SubElement(head, "ownerId").text = registry.url
    portal_settings, branch_settings = _file_settings(registry) if settings else ({}, {})
    if portal_settings:
        etree.SubElement(head, _T + "settings").text = _json(portal_settings)
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
        if branch.id in branch_settings:
            outline.set(_T + "settings", _json(branch_settings[branch.id]))
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
    outlines = _Outlines()
    body = root.find("body")
    if body is not None:
        outlines.walk(body, None)
    if not outlines.branches:
        message = translate(None, "federation.opml.no_feeds")
        raise RegistryError([Problem(shown, 1, message)])
    registry = Registry(name=portal_name, url=portal_url, branches=tuple(outlines.branches))
    settings = _settings_of(root.findtext(f"head/{_T}settings"), _PORTAL_OWN)
    text = dump_registry(registry)
    if settings or any(outlines.carried.values()):
        text = _with_settings(text, settings, outlines.carried)
        try:
            parse_registry(text)
        except RegistryError as error:
            found = "; ".join(problem.message for problem in error.problems)
            message = translate(None, "federation.opml.bad_settings", problems=found)
            raise RegistryError([Problem(shown, 1, message)]) from error
    return text


class _Outlines:
    """The branches of an OPML body's feed outlines (nested outlines and ``category`` give
    the region), with the settings each carries."""

    def __init__(self) -> None:
        self.branches: list[Branch] = []
        self.carried: dict[str, dict[str, Any]] = {}
        self.used: set[str] = set()
        self.seen_feeds: set[str] = set()

    def walk(self, element: etree._Element, region: str | None) -> None:
        for outline in element.iterfind("outline"):
            feed = (outline.get("xmlUrl") or outline.get("xmlurl") or "").strip()
            label = (outline.get("text") or outline.get("title") or "").strip()
            if not feed:
                self.walk(outline, label or region)
            elif is_http_url(feed) and feed not in self.seen_feeds:
                self.seen_feeds.add(feed)
                self.add(outline, feed, label, region)

    def add(self, outline: etree._Element, feed: str, label: str, region: str | None) -> None:
        category = (outline.get("category") or "").split(",")[0].strip().strip("/")
        branch_region = category.split("/")[-1] if category else region
        wanted = outline.get(_T + "id") or _slug(label) or _id_from_url(feed)
        branch_id, number = wanted, 2
        while branch_id in self.used:
            branch_id, number = f"{wanted}-{number}", number + 1
        self.used.add(branch_id)
        keys = [
            outline.get(k)
            for k in sorted(outline.attrib, key=lambda k: (len(k), k))
            if k.startswith(_T + "publicKey")
        ]
        self.carried[branch_id] = _settings_of(outline.get(_T + "settings"), _BRANCH_OWN)
        self.branches.append(
            Branch(
                id=branch_id,
                name=label or feed,
                feed=feed,
                region=branch_region or None,
                parent=outline.get(_T + "parent") or None,
                public_keys=tuple(k for k in keys if k),
            )
        )


def _settings_of(text: str | None, own: frozenset[str]) -> dict[str, Any]:
    """A ``tongxin:settings`` JSON object, without the keys OPML itself carries."""
    try:
        value = json.loads(text) if text else None
    except ValueError:
        return {}
    return {k: v for k, v in value.items() if k not in own} if isinstance(value, dict) else {}


def _with_settings(text: str, settings: dict[str, Any], carried: dict[str, dict[str, Any]]) -> str:
    """Registry YAML ``text`` with the carried settings put back, and a first line that says
    which came from the OPML file (an operator reviews them before the portal runs)."""
    data = yaml.safe_load(text)
    merged = {"name": data["name"], "url": data["url"], **settings, "branches": data["branches"]}
    for item in merged["branches"]:
        item.update(carried.get(item["id"], {}))
    names = sorted({*settings, *(k for extra in carried.values() for k in extra)})
    note = translate(None, "federation.opml.settings_carried", keys=", ".join(names))
    dumped = yaml.safe_dump(merged, allow_unicode=True, sort_keys=False, width=100)
    return f"# {note}\n{dumped}"
