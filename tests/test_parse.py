"""Parsing every feed shape a real branch might publish, and refusing what is not a feed."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from tongxin.federation.model import Branch
from tongxin.federation.parse import ParseError, parse_feed

FIXTURES = Path(__file__).parent / "fixtures" / "feeds"
BRANCH = Branch("b1", "第一支部", "https://b1.example.org/feeds/all.atom.xml")


def parse(name: str, url: str = "https://b1.example.org/feeds/all.atom.xml", **kw: object):
    return parse_feed((FIXTURES / name).read_bytes(), url=url, branch=BRANCH, **kw)


def test_tongxin_atom_gives_type_pinned_expires_and_tags() -> None:
    feed = parse("atom.xml")
    assert feed.format == "atom" and feed.title == "东城社区第一支部"
    notice, news = feed.entries
    assert notice.feed_id == "https://b1.example.org/announcements/spring-meeting/"
    assert notice.type == "announcements" and notice.pinned
    # a date without a zone is in the registry's timezone (Asia/Shanghai by default)
    assert notice.expires == datetime(2026, 3, 10, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert notice.tags == ["党员大会"]
    assert notice.published == datetime(2026, 3, 2, 1, 30, tzinfo=UTC)
    assert notice.author == "办公室"
    assert notice.origin_branch_id == "b1" and notice.origin_branch_url == "https://b1.example.org/"
    assert news.type == "news" and "<p>扫雪、送温暖。</p>" in news.content_html
    assert "xmlns" not in news.content_html


def test_portal_atom_source_becomes_origin() -> None:
    county = Branch(
        "county", "县门户", "https://county.example.org/feeds/all.atom.xml", portal=True
    )
    body = (FIXTURES / "portal_atom.xml").read_bytes()
    url = "https://county.example.org/feeds/all.atom.xml"
    feed = parse_feed(body, url=url, branch=county)
    first, second = feed.entries
    assert first.branch_id == "county"
    assert first.entry_id.startswith("county>https://b1.example.org/feeds/all.atom.xml ")
    assert first.origin_branch_id == "https://b1.example.org/feeds/all.atom.xml"
    assert first.origin_branch_name == "东城社区第一支部"
    assert first.origin_branch_url == "https://b1.example.org/"
    assert first.origin_feed_url == "https://b1.example.org/feeds/all.atom.xml"
    assert second.origin_branch_name == "东城区第三支部"
    # From a branch not registered as a portal, <source> is not believed.
    plain = parse_feed(body, url=url, branch=BRANCH).entries[0]
    assert plain.origin_branch_id == "b1" and plain.entry_id.startswith("b1 ")


def test_rss2_guid_author_relative_link_and_content() -> None:
    feed = parse("rss2.xml", url="https://union.example.net/feed/")
    agm, letter = feed.entries
    assert feed.format == "rss"
    assert (
        agm.feed_id == "union-post-1042"
        and agm.entry_id == "b1 union-post-1042"
        and agm.author == "Secretary"
    )
    assert agm.type == "announcements" and "Meetings" in agm.tags
    assert "the hall" in agm.content_html and "March 3" in agm.summary_html
    assert agm.published == datetime(2026, 2, 10, 18, 30, tzinfo=UTC)
    assert letter.url == "https://union.example.net/2026/01/newsletter/"
    assert letter.feed_id == letter.url  # no guid: the link is the id


def test_rss1_rdf() -> None:
    feed = parse("rss1.rdf")
    (item,) = feed.entries
    assert feed.format == "rdf" and item.type == "study" and item.author == "宣传委员"
    assert item.published == datetime(2026, 2, 20, 6, 0, tzinfo=UTC)


@pytest.mark.parametrize("name", ["rss091.xml", "rss092.xml", "atom03.xml", "malformed_rss.xml"])
def test_old_and_odd_feeds_fall_back_to_feedparser(name: str) -> None:
    feed = parse(name)
    assert feed.format == "feedparser" and feed.entries
    assert all(e.entry_id and e.url.startswith("http") for e in feed.entries)


def test_broken_xml_with_no_entries_is_a_parse_error() -> None:
    # feedparser recognises the Atom namespace (a version) but salvages nothing from it.
    body = b"<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom'><<title>>\x00</feed"
    with pytest.raises(ParseError):
        parse_feed(body, url="https://b1.example.org/feed", branch=BRANCH)


def test_rss091_html_entities_are_decoded() -> None:
    assert parse("rss091.xml").entries[0].title == "Café meeting moved"


def test_json_feed_1_0_and_1_1() -> None:
    old = parse("jsonfeed10.json", url="https://lake.example.org/feed.json")
    assert old.format == "json" and old.entries[0].content_html == "Bring gloves &amp; bags."
    assert old.entries[1].url == "https://lake.example.org/posts/6"
    assert old.entries[0].author == "Lakeside Chapter"
    new = parse("jsonfeed11.json")
    study, notice = new.entries
    assert study.type == "study" and study.author == "组织委员" and study.tags == ["理论"]
    assert notice.type == "announcements" and notice.pinned


def test_gbk_without_declaration_is_read_as_chinese() -> None:
    feed = parse("gbk_no_declaration.xml")
    assert feed.title == "城关镇支部" and feed.entries[0].title == "防汛演练通知"


def test_html_page_and_empty_body_are_refused() -> None:
    with pytest.raises(ParseError, match="HTML"):
        parse("html_page.html")
    with pytest.raises(ParseError):
        parse_feed(b"  \n", url="https://x.example/", branch=BRANCH)
    with pytest.raises(ParseError):
        parse_feed(b"just some text", url="https://x.example/", branch=BRANCH)


@pytest.mark.parametrize("name", ["xxe.xml", "billion_laughs.xml"])
def test_entity_attacks_are_refused_quickly(name: str) -> None:
    started = time.process_time()
    with pytest.raises(ParseError, match="ENTITY"):
        parse(name)
    assert time.process_time() - started < 1


def test_parser_itself_is_inert_to_external_entities(tmp_path: Path) -> None:
    # Even if the <!ENTITY guard were bypassed, lxml must not read local files.
    from lxml import etree
    from tongxin.federation.parse import secure_parser

    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    doc = f'<!DOCTYPE r [<!ENTITY x SYSTEM "file://{secret}">]><r>&x;</r>'.encode()
    root = etree.fromstring(doc, secure_parser())
    assert "TOP-SECRET" not in etree.tostring(root).decode()


def _big_atom(entries: int, seed: int) -> bytes:
    items = "".join(
        f"<entry><id>https://b{seed}.example.org/news/{i}/</id><title>标题 {i}</title>"
        f'<link href="https://b{seed}.example.org/news/{i}/"/>'
        f"<published>2026-01-{1 + i % 28:02d}T08:00:00+08:00</published>"
        f"<updated>2026-01-{1 + i % 28:02d}T08:00:00+08:00</updated>"
        f'<category term="news" scheme="https://tongxin.example/ns/1.0#type"/>'
        f'<content type="html">&lt;p&gt;正文 {i} {"内容" * 200}&lt;/p&gt;</content></entry>'
        for i in range(entries)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<id>x</id><title>B{seed}</title>{items}</feed>"
    ).encode()


def test_many_feeds_parse_in_linear_time() -> None:
    # CPU time, not wall time: a CI runner shared with other jobs must not fail this.
    bodies = [_big_atom(50, n) for n in range(100)]
    started = time.process_time()
    total = sum(len(parse_feed(b, url="https://x/", branch=BRANCH).entries) for b in bodies)
    elapsed = time.process_time() - started
    assert total == 5000
    assert elapsed < 4.0, f"{elapsed:.2f} CPU-s for 100 feeds x 50 entries"


def test_atom_relative_links_follow_xml_base_and_the_first_element_wins() -> None:
    body = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://b1.example.org/site/">
  <title>T</title>
  <entry xml:base="news/">
    <id>e1</id><title>first</title><title>second</title>
    <link rel="enclosure" href="x.mp3"/><link href="item-1/"/><link href="item-2/"/>
    <author><uri>https://b1.example.org/</uri></author><author><name>Li</name></author>
    <updated>2026-01-02T03:04:05Z</updated>
  </entry>
</feed>"""
    (item,) = parse_feed(body, url="https://b1.example.org/feed.xml", branch=BRANCH).entries
    assert item.title == "first"
    assert item.url == "https://b1.example.org/site/news/item-1/"
    assert item.author == "Li"  # as find("author/name") reads it: the first author with a name
    assert item.updated == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
