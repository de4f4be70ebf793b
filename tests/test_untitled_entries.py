"""Entries without a title or without a usable link, as real feeds send them.

A JSON Feed item with ``"title": null`` (JSON Feed 1.1 makes the title optional: micro-blog
posts have none), one without a title or ``url`` either, and an RSS item whose only link is
``javascript:void(0)`` (CMS list templates that open items in a pop-up). The portal used to
show the site's root address as the title and link ``javascript:`` items to ``../../`` on
its pages and to ``""`` in its Atom feed.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

import pytest
from browser import chromium_browser, open_page, serve_directory  # noqa: F401
from feedserver import FeedServer
from lxml import etree, html
from test_pipeline import federate, server, write_registry

__all__ = ["server"]

ATOM = "{http://www.w3.org/2005/Atom}"
NOTE = "今天上午社区党支部组织党员志愿者到敬老院开展慰问活动，为老人送去米面油等生活用品。"


def _json_feed(base: str) -> bytes:
    return json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "title": "社区微博",
            "home_page_url": base,
            "items": [
                {
                    "id": f"{base}p/1",
                    "url": f"{base}p/1",
                    "title": None,
                    "content_text": NOTE,
                    "date_published": "2026-12-05T09:00:00+08:00",
                },
                {
                    "id": f"{base}p/2",
                    "title": None,
                    "content_html": "<p>停水通知：明日 8 时至 12 时检修管道。</p>",
                    "date_published": "2026-12-05T10:00:00+08:00",
                },
            ],
        },  # fmt: skip
        ensure_ascii=False,
    ).encode()


def _rss(base: str) -> bytes:
    return f"""<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>
<title>东坡社区</title><link>{base}</link><description>x</description>
<item><title>弹窗公告</title><link>javascript:void(0)</link>
<guid isPermaLink="false">tz-9</guid><pubDate>Sat, 05 Dec 2026 11:00:00 +0800</pubDate>
<description>点击标题查看公告。</description></item>
</channel></rss>""".encode()


def test_untitled_and_unlinked_entries_on_the_portal(server: FeedServer, tmp_path: Path) -> None:
    server.route("/mb/feed.json", body=_json_feed(server.url("/mb/")),
                 content_type="application/feed+json")  # fmt: skip
    server.route("/dp/rss", body=_rss(server.url("/dp/")), content_type="application/rss+xml")
    registry = write_registry(
        tmp_path / "r.yaml", "门户", "https://p.example/",
        [{"id": "mb", "name": "社区微博", "feed": server.url("/mb/feed.json")},
         {"id": "dp", "name": "东坡社区", "feed": server.url("/dp/rss")}],
    )  # fmt: skip
    out = tmp_path / "portal"
    federate(registry, out)
    page = html.fromstring((out / "index.html").read_text("utf-8"))
    titles = [t.text_content().strip() for t in page.xpath("//*[contains(@class,'entry-title')]")]
    assert NOTE[:30] + "…" in titles and "停水通知：明日 8 时至 12 时检修管道。" in titles
    assert "弹窗公告" in titles
    assert not [t for t in titles if t.startswith("http")], titles  # no address as a title
    for heading in page.xpath("//*[contains(@class,'entry-title')]"):
        links = heading.xpath(".//a/@href")
        if heading.text_content().strip() == "弹窗公告":
            assert links == []  # no link rather than a wrong one
        else:
            assert links and all(h.startswith("http") for h in links), links
    for anchor in page.xpath("//*[contains(@class,'entry-card')]//a"):
        assert anchor.get("href") not in ("", "../../", "../", "./"), html.tostring(anchor)
    # the portal's Atom feed: the text as title, no empty link
    feed = etree.parse(str(out / "feeds/all.atom.xml")).getroot()
    entries = {e.findtext(ATOM + "title"): e for e in feed.iter(ATOM + "entry")}
    assert NOTE[:30] + "…" in entries
    assert entries["弹窗公告"].find(ATOM + "link[@rel='alternate']") is None
    assert not [e for e in feed.iter(ATOM + "link") if e.get("href") == ""]
    rss = (out / "feeds/all.rss.xml").read_text("utf-8")
    assert "<link></link>" not in rss and "<link/>" not in rss
    # search results: a title for every hit (the link text), no link for the javascript: one
    hits = {}
    for part in (out / "search/meta").glob("*.json"):
        hits.update({row[1]: row[0] for row in json.loads(part.read_text("utf-8")).values()})
    assert hits["弹窗公告"] == "" and hits[NOTE[:30] + "…"].startswith("http")
    assert "" not in hits


@pytest.mark.browser
def test_search_hits_without_a_link_are_no_link_in_chromium(
    browser, server: FeedServer, tmp_path: Path
) -> None:
    """search.js made ``href=""`` (the search page itself) of an entry without a link."""
    server.route("/mb/feed.json", body=_json_feed(server.url("/mb/")),
                 content_type="application/feed+json")  # fmt: skip
    server.route("/dp/rss", body=_rss(server.url("/dp/")), content_type="application/rss+xml")
    out = tmp_path / "www"
    out.mkdir()
    with serve_directory(out) as base:
        registry = write_registry(
            tmp_path / "r.yaml", "门户", base + "/",
            [{"id": "mb", "name": "社区微博", "feed": server.url("/mb/feed.json")},
             {"id": "dp", "name": "东坡社区", "feed": server.url("/dp/rss")}],
        )  # fmt: skip
        with ThreadPoolExecutor(1) as pool:  # Playwright's sync API holds this thread's loop
            pool.submit(federate, registry, out).result(timeout=120)
        for query, linked in (("弹窗公告", False), ("敬老院", True)):
            opened = open_page(browser, f"{base}/search/?q={quote(query)}")
            page = opened.page
            page.wait_for_selector("#search[data-state=done]", state="attached")
            hits = page.eval_on_selector_all(
                "#search-results .search-hit-title a",
                "els => els.map(e => [e.textContent, e.getAttribute('href')])",
            )
            assert len(hits) == 1 and hits[0][0], hits
            assert (hits[0][1] is not None and hits[0][1].startswith("http")) == linked, hits
            assert hits[0][1] != "", hits
            assert opened.console_errors == [], opened.console_errors
            page.close()
