"""Every feed path normalised the same way (issue 11): a branch whose feed turns from
well-formed to one the fast path refuses (a PHP include's blank lines before ``<?xml``, so
feedparser reads it) keeps every entry as it was: same id, title, link, dates, author, tags,
attachments and HTML, and nothing new in the store. Real HTTP on loopback, the real federate
run, with the real shapes of tests/fixtures/feeds (WordPress, Jekyll, Hugo, Discuz! GBK, an
RSSHub WeChat bridge, Tongxin's own Atom, RSS 0.91 to 2.0 and 1.0) and three more: markup
written unescaped into an RSS description, entries with neither id nor link, and an Atom
summary of type text holding ``&nbsp;`` as characters."""

from __future__ import annotations

import random
from pathlib import Path

import yaml
from feedserver import FeedServer
from test_pipeline import federate, server, stored
from tongxin.federation.model import Branch
from tongxin.federation.parse import ParseError, parse_feed

__all__ = ["server"]  # the fixture, re-exported for pytest

FEEDS = Path(__file__).parent / "fixtures" / "feeds"
SHAPES = [
    "atom.xml", "portal_atom.xml", "rss2.xml", "rss1.rdf", "rss091.xml", "rss092.xml",
    "cms/wordpress-rss2.xml", "cms/jekyll-feed.xml", "cms/hugo-rss.xml",
    "cms/discuz-x-rss-gbk.xml", "cms/rsshub-wechat.xml",
]  # fmt: skip
FIELDS = (
    "entry_id", "url", "title", "published", "updated", "author", "tags", "attachments",
    "language", "type", "summary_html", "content_html", "quarantine_reason",
)  # fmt: skip


def extra_shapes(site: str) -> dict[str, bytes]:
    naked = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
        f"<link>{site}</link><description>d</description><item><title>图文</title>"
        f'<link>{site}n/1/</link><description><p>见<img src="pic.png" alt="图"/>'
        '<iframe src="https://v.example/1"/>和<a href="../2/">下一篇</a></p></description>'
        "</item></channel></rss>"
    )
    no_ids = (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>t</title><link href='{site}'/>"
        "<entry><title>无编号一</title><content type='html'>&lt;p&gt;内容 一&lt;/p&gt;</content>"
        "</entry><entry><title>无编号二</title><summary>摘要&amp;nbsp;二</summary></entry>"
        "</feed>"
    )
    return {"naked": naked.encode(), "noids": no_ids.encode()}


def test_a_feed_that_turns_ill_formed_keeps_every_entry_as_it_was(
    server: FeedServer, tmp_path: Path
) -> None:
    bodies: dict[str, bytes] = {}
    for n, name in enumerate(SHAPES):
        site = server.url(f"/b{n}/")
        bodies[f"b{n}"] = (FEEDS / name).read_bytes().replace(b"SITE/", site.encode())
    bodies.update(extra_shapes(server.url("/x/")))
    for name, body in bodies.items():
        server.route(f"/{name}/feed", body=body, content_type="application/xml")
    branches = [{"id": n, "name": n, "feed": server.url(f"/{n}/feed")} for n in bodies]
    path = tmp_path / "r.yaml"
    data = {"name": "门户", "url": server.url("/p/"), "branches": branches}
    data["allow_networks"] = ["127.0.0.1"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    first = federate(path, tmp_path / "portal")
    assert not first.failed
    before = {e.entry_id: e for e in stored(tmp_path / "portal", include_quarantined=True)}
    assert len(before) >= 18
    for name, body in bodies.items():  # the same documents, now for feedparser to read
        server.route(f"/{name}/feed", body=b"\n\n" + body, content_type="application/xml")
    second = federate(path, tmp_path / "portal")
    assert not second.failed
    after = {e.entry_id: e for e in stored(tmp_path / "portal", include_quarantined=True)}
    assert sorted(after) == sorted(before)
    for key, entry in before.items():
        for name in FIELDS:
            assert getattr(after[key], name) == getattr(entry, name), (key, name)
    assert second.new == 0 and second.updated == 0
    naked = next(e for e in after.values() if e.title == "图文")
    # (a description holding an image is the entry's text: stored as the content)
    assert server.url("/x/n/1/pic.png") in naked.content_html
    assert "和" in naked.content_html  # not swallowed by an <iframe/> read as HTML
    assert "和" in naked.summary_html


def test_mangled_feeds_are_a_parse_error_never_a_crash() -> None:
    """Truncated, bit-flipped and spliced copies of every fixture shape (400, seeded), and two
    that crashed feedparser itself (a mangled encoding name, a GeoRSS point without
    coordinates): each is read or refused with a ParseError the health page can show."""
    rng = random.Random(11)
    bodies = [p.read_bytes().replace(b"SITE/", b"http://x/") for p in sorted(FEEDS.rglob("*.xml"))]
    cases = [
        b'\n<?xml version="1.0" encoding="UTF-\xb0"?><rss version="2.0"><channel><item>'
        b"<title>a</title></item></channel></rss>",
        b'<rss version="2.0" xmlns:gml="http://www.opengis.net/gml" xmlns:georss='
        b'"http://www.georss.org/georss"><channel><item><title>a</title><georss:where>'
        b"<gml:Point></gml:Point></georss:where></item></channel>&nbsp;</rss>",
    ]
    splices = [b"\xa4\xa2", b"\x00", b"&nbsp;", b"<![CDATA[", b"\x92", b'xml:base="::"']
    for n in range(400):
        body = bytearray(bodies[n % len(bodies)])
        if n % 3 == 0:
            body = body[: rng.randrange(len(body))]
        elif n % 3 == 1:
            for _ in range(rng.randint(1, 8)):
                body[rng.randrange(len(body))] = rng.randrange(256)
        else:
            at = rng.randrange(len(body) + 1)
            body[at:at] = rng.choice(splices)
        cases.append(bytes(body))
    branch = Branch("m", "m", "http://x/feed.xml")
    for body in cases:
        try:
            parse_feed(body, url=branch.feed, branch=branch, content_type="application/xml")
        except ParseError:
            pass
