"""Script injection: after federation, nothing executable reaches the portal.

Every vector of tests/hostile/xss.yaml is served in titles, summaries, content, author names,
links and enclosures of an Atom, an RSS and a JSON feed. After a real federate run, every output
file is parsed (HTML with lxml.html, feeds with lxml, JSON) and checked for anything that could
run; then the portal's pages are opened in Chromium, where a vector that ran would have set
``window.__pwned`` or called the ``pwn`` binding.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import lxml.html
import pytest
import yaml
from browser import chromium_browser, open_page, serve_directory  # noqa: F401
from feedserver import FeedServer
from lxml import etree
from tongxin.federation.pipeline import run

JS = "window.__pwned=true;top.pwn&&top.pwn()"
CORPUS = yaml.safe_load((Path(__file__).parent / "hostile" / "xss.yaml").read_text("utf-8"))
HTML_VECTORS = [v.replace("{js}", JS) for v in CORPUS["html"]]
URL_VECTORS = [v.replace("{js}", JS) for v in CORPUS["url"]]
SAFE = "http://127.0.0.1:9/"  # replaced by the server's own address
DANGEROUS_SCHEME = re.compile(r"^\s*(javascript|vbscript|data|livescript|mocha):", re.I)
ATOM_FEED = "{http://www.w3.org/2005/Atom}feed"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
URL_ATTRIBUTES = ("href", "src", "action", "formaction", "data", "poster", "background",
                  "xlink:href", XLINK_HREF, "srcdoc", "codebase")  # fmt: skip
FORBIDDEN_TAGS = ("iframe", "frame", "frameset", "object", "embed", "applet", "base", "math",
                  "isindex", "portal")  # fmt: skip


def _items(site: str) -> list[dict[str, str]]:
    """One entry per vector: html vectors everywhere text goes, url vectors where links go."""
    items = []
    for n, vector in enumerate(HTML_VECTORS):
        items.append({"slug": f"h{n}", "title": f"向量{n} {vector}", "html": vector,
                      "author": vector, "link": f"{site}news/h{n}/", "enclosure": ""})  # fmt: skip
    for n, vector in enumerate(URL_VECTORS):
        items.append({"slug": f"u{n}", "title": f"链接向量{n}", "html": f'<a href="{vector}">x</a>',
                      "author": "", "link": vector, "enclosure": vector})  # fmt: skip
    return items


def atom_feed(site: str) -> bytes:
    entries = []
    for item in _items(site):
        enclosure = (
            f'<link rel="enclosure" type="audio/mpeg" href={quoteattr(item["enclosure"])}/>'
            if item["enclosure"] else ""
        )  # fmt: skip
        entries.append(
            f"<entry><id>{site}news/{item['slug']}/</id>"
            f'<title type="html">{escape(item["title"])}</title>'
            f"<link href={quoteattr(item['link'])}/>{enclosure}"
            f"<author><name>{escape(item['author'])}</name><uri>{escape(item['link'])}</uri>"
            "</author><updated>2026-01-01T00:00:00Z</updated>"
            f'<summary type="html">{escape(item["html"])}</summary>'
            f'<content type="html">{escape(item["html"])}</content></entry>'
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f'<id>{site}</id><title>atom</title><link href="{site}"/>'
        f"<updated>2026-01-01T00:00:00Z</updated>{''.join(entries)}</feed>"
    ).encode()


def rss_feed(site: str) -> bytes:
    items = []
    for item in _items(site):
        enclosure = (
            f'<enclosure url={quoteattr(item["enclosure"])} length="1" type="audio/mpeg"/>'
            if item["enclosure"] else ""
        )  # fmt: skip
        items.append(
            f"<item><guid>{site}news/{item['slug']}/</guid><title>{escape(item['title'])}</title>"
            f"<link>{escape(item['link'])}</link><author>{escape(item['author'])}</author>"
            f"<description>{escape(item['html'])}</description>"
            f"<content:encoded><![CDATA[{item['html'].replace(']]>', '')}]]></content:encoded>"
            f"{enclosure}<pubDate>Thu, 01 Jan 2026 00:00:00 GMT</pubDate></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>rss</title>'
        f"<link>{site}</link>{''.join(items)}</channel></rss>"
    ).encode()


def json_feed(site: str) -> bytes:
    items = [
        {
            "id": f"{site}news/{item['slug']}/",
            "url": item["link"],
            "title": item["title"],
            "content_html": item["html"],
            "summary": item["html"],
            "authors": [{"name": item["author"], "url": item["link"]}],
            "date_published": "2026-01-01T00:00:00Z",
            "attachments": [{"url": item["enclosure"], "mime_type": "audio/mpeg"}]
            if item["enclosure"]
            else [],
        }
        for item in _items(site)
    ]
    feed = {"version": "https://jsonfeed.org/version/1.1", "title": "json", "home_page_url": site,
            "items": items}  # fmt: skip
    return json.dumps(feed, ensure_ascii=False).encode()


@dataclass
class HostilePortal:
    out: Path
    entries: int


@pytest.fixture(scope="module")
def hostile_portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostilePortal]:
    tmp = tmp_path_factory.mktemp("hostile")
    with FeedServer() as server:
        branches = []
        for kind, make, content_type in (
            ("atom", atom_feed, "application/atom+xml"),
            ("rss", rss_feed, "application/rss+xml"),
            ("json", json_feed, "application/feed+json"),
        ):
            site = server.url(f"/{kind}/")
            server.route(f"/{kind}/feed", body=make(site), content_type=content_type)
            branches.append({"id": kind, "name": f"<b onmouseover={JS}>{kind}</b>",
                             "feed": server.url(f"/{kind}/feed")})  # fmt: skip
        registry = tmp / "registry.yaml"
        document = {"name": "<script>门户</script>", "url": "https://portal.example/",
                    "branches": branches, "allow_networks": ["127.0.0.1"]}  # fmt: skip
        registry.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
        out = tmp / "portal"
        report = run(registry, out, tmp / "portal.sqlite3")
    assert report.published and not report.failed, report.failed
    yield HostilePortal(out, report.entries)


# --------------------------------------------------------------------------- static checks


def html_problems(document: str, where: str) -> list[str]:
    """Everything in an HTML document (or fragment) that could run script."""
    if not document.strip():
        return []
    try:
        root = lxml.html.fromstring(document)
    except (etree.ParserError, ValueError):
        return []
    problems = []
    for element in root.iter():
        if isinstance(element.tag, str):
            tag = element.tag.lower().rsplit("}", 1)[-1]
            label = f"{where}: <{tag}>"
            problems += _element_problems(element, tag, label)
            problems += _attribute_problems(element, label)
    return problems


def _element_problems(element: Any, tag: str, label: str) -> list[str]:
    problems = []
    if tag == "script":
        # Only the theme's own scripts (by src) and JSON data blocks.
        if element.get("type") != "application/json" and not element.get("src"):
            problems.append(f"{label} inline script")
        if element.get("src") and "/theme/" not in element.get("src", ""):
            problems.append(f"{label} foreign script {element.get('src')}")
        if "__pwned" in (element.text or ""):
            problems.append(f"{label} injected script")
    if tag in FORBIDDEN_TAGS:
        problems.append(f"{label} forbidden element")
    if tag == "meta" and (element.get("http-equiv") or "").lower() == "refresh":
        problems.append(f"{label} meta refresh")
    if tag == "form" and not (element.get("action") or "").rstrip("/").endswith("search"):
        if element.get("action") != "":
            problems.append(f"{label} foreign form {element.get('action')}")
    return problems


def _attribute_problems(element: Any, label: str) -> list[str]:
    problems = []
    for name, value in element.attrib.items():
        short = name.lower().rsplit("}", 1)[-1]
        if short.startswith("on"):
            problems.append(f"{label} handler {name}")
        if short == "style":
            problems.append(f"{label} style attribute")
        if name.lower() in URL_ATTRIBUTES or short in URL_ATTRIBUTES:
            cleaned = re.sub(r"[\x00-\x20]", "", value)
            if DANGEROUS_SCHEME.match(cleaned) or short == "srcdoc":
                problems.append(f"{label} {name}={value[:40]}")
    return problems


def url_problem(value: str) -> bool:
    return bool(DANGEROUS_SCHEME.match(re.sub(r"[\x00-\x20]", "", value)))


def json_problems(value: object, where: str, key: str = "") -> list[str]:
    problems: list[str] = []
    if isinstance(value, dict):
        for k, v in value.items():
            problems += json_problems(v, where, str(k))
    elif isinstance(value, list):
        for v in value:
            problems += json_problems(v, where, key)
    elif isinstance(value, str):
        # Only *_html keys hold HTML; summary, title … are plain text by contract (JSON Feed,
        # api/): a "<script>" in them is text, escaped wherever it is shown.
        if key.endswith("html"):
            problems += html_problems(value, f"{where}:{key}")
        if key in ("url", "id", "external_url", "image", "banner_image", "api", "home_page_url",
                   "feed_url", "link", "href") and url_problem(value):  # fmt: skip
            problems.append(f"{where}:{key}={value[:40]}")
    return problems


def xml_problems(path: Path) -> list[str]:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    root = etree.parse(str(path), parser).getroot()
    problems = []
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        local = element.tag.rsplit("}", 1)[-1]
        for name, value in element.attrib.items():
            if name in ("href", "url", "src", "uri") and url_problem(value):
                problems.append(f"{path.name}: <{local} {name}={value[:40]}>")
        text = element.text or ""
        if local in ("link", "uri", "id", "guid", "url", "comments") and url_problem(text):
            problems.append(f"{path.name}: <{local}>{text[:40]}")
        parent = element.getparent()
        feed_level = parent is not None and parent.tag in ("channel", ATOM_FEED)
        # The channel's own description is the operator's registry text, not a feed's.
        if (
            local in ("content", "summary", "description", "encoded")
            and text.strip()
            and not (feed_level)
        ):
            problems += html_problems(text, f"{path.name}:<{local}>")
    return problems


def test_every_vector_was_federated(hostile_portal: HostilePortal) -> None:
    # The vectors must actually reach the pipeline for the checks below to mean anything.
    expected = 3 * (len(HTML_VECTORS) + len(URL_VECTORS))
    assert hostile_portal.entries >= expected * 0.9


def test_no_output_file_holds_anything_executable(hostile_portal: HostilePortal) -> None:
    problems: list[str] = []
    checked = 0
    for path in sorted(hostile_portal.out.rglob("*")):
        if not path.is_file():
            continue
        relative = str(path.relative_to(hostile_portal.out))
        if path.suffix == ".html":
            problems += html_problems(path.read_text(encoding="utf-8"), relative)
        elif path.suffix == ".json":
            problems += json_problems(json.loads(path.read_text(encoding="utf-8")), relative)
        elif path.suffix in (".xml", ".opml"):
            problems += xml_problems(path)
        else:
            continue
        checked += 1
    assert checked > 10
    assert problems == []


def test_the_checker_would_catch_an_injection() -> None:
    # The static checks must fail on what they look for, or the test above proves nothing.
    assert html_problems('<p><img src=x onerror="x()"></p>', "t")
    assert html_problems('<a href=" jav\tascript:x()">x</a>', "t")
    assert html_problems("<div><script>window.__pwned=1</script></div>", "t")
    assert html_problems('<p style="color:red">x</p>', "t")
    assert html_problems('<iframe src="http://x/"></iframe>', "t")
    assert json_problems({"url": "javascript:x()"}, "t")


@pytest.mark.browser
def test_no_vector_runs_in_a_real_browser(browser, hostile_portal: HostilePortal) -> None:
    out = hostile_portal.out
    pages = sorted(p.relative_to(out).as_posix() for p in out.rglob("index.html"))[:60]
    assert "index.html" in pages
    called: list[str] = []
    with serve_directory(out.resolve()) as base:
        urls = [f"{base}/{p}".removesuffix("index.html") for p in pages]
        urls.append(f"{base}/search/?q=向量")
        for url in urls:
            opened = open_page(browser, url)
            try:
                opened.page.context.expose_binding("pwn", lambda source, u=url: called.append(u))
                opened.page.reload(wait_until="load")
                opened.page.wait_for_timeout(150)
                # Hover and focus everything a handler could hang on.
                opened.page.mouse.move(5, 5)
                assert opened.page.evaluate("window.__pwned === undefined"), url
            finally:
                opened.close()
    assert called == []
