"""Attachments end to end: RSS <enclosure>, Atom rel="enclosure", JSON Feed attachments and
media:content are stored, listed on portal pages with file type and size, and carried in the
portal's Atom, RSS, JSON Feed and api/ (so an upper portal gets them too). Real HTTP on
loopback, the real federate run."""

from __future__ import annotations

import json
from pathlib import Path

import feedparser
import yaml
from feedserver import FeedServer
from test_pipeline import federate, server, stored

__all__ = ["server"]  # the fixture, re-exported for pytest


def rss_with_enclosures(site: str) -> bytes:
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel>
<title>东江</title><link>{site}</link><description>d</description>
<item><title>报名表</title><link>{site}n/1/</link><guid>{site}n/1/</guid>
<pubDate>Fri, 20 Nov 2026 10:20:00 +0800</pubDate><description>请下载</description>
<enclosure url="{site}files/form.docx" length="24576"
 type="application/vnd.openxmlformats-officedocument.wordprocessingml.document"/>
</item>
<item><title>视频</title><link>{site}n/2/</link><guid>{site}n/2/</guid>
<pubDate>Fri, 20 Nov 2026 11:20:00 +0800</pubDate><description>会议</description>
<media:group><media:content url="{site}files/meeting.mp4" type="video/mp4" fileSize="1468006"/>
</media:group></item>
</channel></rss>""".encode()


def atom_with_enclosure(site: str) -> bytes:
    return f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="{site}">
<title>西湖</title><id>{site}</id><updated>2026-11-20T00:00:00Z</updated><link href="{site}"/>
<entry xml:base="notices/"><id>tag:xihu,1</id><title>通知</title><link href="3/"/>
<link rel="enclosure" href="files/notice.pdf" type="application/pdf" length="320000"
 title="关于开展学习的通知"/>
<updated>2026-11-21T00:00:00Z</updated><content type="html">见附件</content></entry>
</feed>""".encode()


def json_with_attachments(site: str) -> bytes:
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "南湖",
        "home_page_url": site,
        "items": [
            {
                "id": "1",
                "url": f"{site}n/1/",
                "title": "表格",
                "content_html": "<p>见附件</p>",
                "date_published": "2026-11-22T08:00:00+08:00",
                "attachments": [
                    {"url": f"{site}files/sheet.xlsx", "mime_type": "application/vnd."
                     "openxmlformats-officedocument.spreadsheetml.sheet", "size_in_bytes": 9000},
                    {"url": "javascript:alert(1)", "mime_type": "text/html"},
                ],
            }
        ],
    }  # fmt: skip
    return json.dumps(feed, ensure_ascii=False).encode()


def write(path: Path, url: str, branches: list[dict]) -> Path:
    path.write_text(
        yaml.safe_dump(
            {"name": "门户", "url": url, "branches": branches, "allow_networks": ["127.0.0.1"]},
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    return path


def test_attachments_from_every_format_reach_the_portal_and_its_feeds(
    server: FeedServer, tmp_path: Path
) -> None:
    server.route("/dj/rss", body=rss_with_enclosures(server.url("/dj/")))
    server.route("/xh/atom", body=atom_with_enclosure(server.url("/xh/")))
    server.route("/nh/feed.json", body=json_with_attachments(server.url("/nh/")))
    registry = write(
        tmp_path / "r.yaml",
        server.url("/p/"),
        [
            {"id": "dj", "name": "东江", "feed": server.url("/dj/rss")},
            {"id": "xh", "name": "西湖", "feed": server.url("/xh/atom")},
            {"id": "nh", "name": "南湖", "feed": server.url("/nh/feed.json")},
        ],
    )
    out = tmp_path / "portal"
    assert federate(registry, out).published
    by_title = {e.title: e.attachments for e in stored(out)}
    assert by_title["报名表"][0]["url"] == server.url("/dj/files/form.docx")
    assert by_title["报名表"][0]["length"] == 24576
    assert by_title["视频"][0]["url"] == server.url("/dj/files/meeting.mp4")
    # Atom: resolved against the entry's xml:base
    assert by_title["通知"][0]["url"] == server.url("/xh/notices/files/notice.pdf")
    assert [a["url"] for a in by_title["表格"]] == [server.url("/nh/files/sheet.xlsx")]

    home = (out / "index.html").read_text(encoding="utf-8")
    assert server.url("/xh/notices/files/notice.pdf") in home
    assert "关于开展学习的通知" in home and "(PDF, 312 KB)" in home
    assert "(DOCX, 24 KB)" in home and "(MP4, 1.4 MB)" in home and "(XLSX, 9 KB)" in home
    assert "javascript:" not in home

    # Read back by an outside reader (feedparser): every attachment, in every format.
    expected = {
        server.url("/dj/files/form.docx"),
        server.url("/dj/files/meeting.mp4"),
        server.url("/xh/notices/files/notice.pdf"),
        server.url("/nh/files/sheet.xlsx"),
    }
    for name in ("all.atom.xml", "all.rss.xml"):
        parsed = feedparser.parse((out / "feeds" / name).read_bytes())
        found = {e["href"] for item in parsed.entries for e in item.get("enclosures", [])}
        assert found == expected, name
    items = json.loads((out / "feeds/all.json").read_text(encoding="utf-8"))["items"]
    assert {a["url"] for i in items for a in i.get("attachments", [])} == expected
    api = json.loads((out / "api/index.json").read_text(encoding="utf-8"))["entries"]
    pdf = next(e for e in api if e["title"] == "通知")["attachments"]
    assert pdf == [
        {
            "url": server.url("/xh/notices/files/notice.pdf"),
            "type": "application/pdf",
            "length": 320000,
            "title": "关于开展学习的通知",
        }
    ]

    # An upper portal aggregating this one gets the attachments too.
    server.route("/p/feeds/all.atom.xml", body=(out / "feeds/all.atom.xml").read_bytes())
    upper = write(
        tmp_path / "u.yaml",
        server.url("/u/"),
        [{"id": "p", "name": "门户", "feed": server.url("/p/feeds/all.atom.xml"), "portal": True}],
    )
    federate(upper, tmp_path / "upper")
    relayed = {a["url"] for e in stored(tmp_path / "upper") for a in e.attachments}
    assert relayed == expected
