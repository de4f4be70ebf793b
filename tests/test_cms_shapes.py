"""Feeds shaped as Chinese sites' CMSs really write them, through the real federate run over
loopback: PHPCMS/DedeCMS RSS in undeclared GBK with zone-less local dates, WordPress with a
PDF enclosure and `+0800` dates, a WeChat-to-RSS bridge with lazy images and `CST` dates,
a Discuz board numbering its threads 1, 2 like the others, and a Hugo JSON Feed."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import yaml
from feedserver import FeedServer
from test_pipeline import federate, server, stored

__all__ = ["server"]  # the fixture, re-exported for pytest

CMS = Path(__file__).parent / "fixtures" / "feeds" / "cms"


def rss(site: str, items: str, declaration: str = '<?xml version="1.0"?>') -> str:
    return (
        f'{declaration}<rss version="2.0"><channel><title>站</title><link>{site}</link>'
        f"<description>d</description><language>zh-cn</language>{items}</channel></rss>"
    )


def test_cms_feeds_keep_every_entry_date_and_attachment(server: FeedServer, tmp_path: Path) -> None:
    s = {name: server.url(f"/{name}/") for name in ("phpcms", "wp", "wechat", "discuz", "hugo")}
    phpcms = rss(  # no encoding declared, served as GBK without a charset
        s["phpcms"],
        f"<item><title>关于召开党员大会的通知</title><link>{s['phpcms']}html/1.html</link>"
        "<guid>1</guid><pubDate>2026-11-20 10:20:00</pubDate>"
        "<description>请全体党员准时参加</description></item>",
    ).encode("gbk")
    wordpress = rss(
        s["wp"],
        f"<item><title>报名表下载</title><link>{s['wp']}?p=1</link>"
        f'<guid isPermaLink="false">{s["wp"]}?p=1</guid>'
        "<pubDate>Fri, 20 Nov 2026 09:00:00 +0800</pubDate><description>见附件</description>"
        f'<enclosure url="{s["wp"]}wp-content/uploads/form.pdf" length="52000" '
        'type="application/pdf"/></item>',
        '<?xml version="1.0" encoding="UTF-8"?>',
    ).encode()
    wechat = rss(
        s["wechat"],
        f"<item><title>主题党日活动</title><link>{s['wechat']}s/abc</link><guid>2</guid>"
        "<pubDate>Sat, 21 Nov 2026 18:30:00 CST</pubDate><description><![CDATA[<p>"
        '<img data-src="https://mmbiz.qpic.cn/a.jpg" alt="合影"></p>]]></description></item>',
    ).encode()
    discuz = rss(
        s["discuz"],
        "".join(
            f"<item><title>帖子{n}</title><link>{s['discuz']}thread-{n}.html</link>"
            f"<guid>{n}</guid><pubDate>2026/11/2{n} 08:00</pubDate>"
            "<description>内容</description></item>"
            for n in (1, 2)
        ),
    ).encode()
    hugo = json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "title": "雨果",
            "home_page_url": s["hugo"],
            "items": [
                {
                    "id": "1",
                    "url": f"{s['hugo']}posts/1/",
                    "title": "学习笔记",
                    "content_html": "<p>笔记</p>",
                    "date_published": "2026-11-22T08:00:00+08:00",
                },
            ],
        }  # fmt: skip
    ).encode()
    feeds = {"phpcms": phpcms, "wp": wordpress, "wechat": wechat, "discuz": discuz, "hugo": hugo}
    branches = []
    for name, body in feeds.items():
        kind = "application/json" if name == "hugo" else "application/rss+xml"
        server.route(f"/{name}/feed", body=body, content_type=kind)
        branches.append({"id": name, "name": name, "feed": server.url(f"/{name}/feed")})
    path = tmp_path / "r.yaml"
    data = {"name": "门户", "url": server.url("/p/"), "branches": branches}
    data["allow_networks"] = ["127.0.0.1"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    report = federate(path, tmp_path / "portal")
    assert report.published and not report.failed
    by_title = {e.title: e for e in stored(tmp_path / "portal")}
    assert len(by_title) == 6  # guid "1" of three CMSs, "2" of two: nothing lost
    assert by_title["关于召开党员大会的通知"].published == datetime(2026, 11, 20, 2, 20, tzinfo=UTC)
    assert by_title["报名表下载"].published == datetime(2026, 11, 20, 1, tzinfo=UTC)
    assert by_title["报名表下载"].attachments[0]["url"].endswith("form.pdf")
    assert by_title["主题党日活动"].published == datetime(2026, 11, 21, 10, 30, tzinfo=UTC)
    # a summary that is the entry's text (here a photo): the card's summary is its text's
    # head, the photo is in the content
    wechat_entry = by_title["主题党日活动"]
    assert 'src="https://mmbiz.qpic.cn/a.jpg"' in wechat_entry.content_html
    assert "<img" not in wechat_entry.summary_html
    assert by_title["帖子1"].published == datetime(2026, 11, 21, 0, tzinfo=UTC)
    assert by_title["学习笔记"].published == datetime(2026, 11, 22, 0, tzinfo=UTC)
    home = (tmp_path / "portal/index.html").read_text(encoding="utf-8")
    assert "2026年11月20日" in home and "(PDF, 51 KB)" in home


def registry_of(server: FeedServer, tmp_path: Path, names: list[str]) -> Path:
    branches = [{"id": n, "name": n, "feed": server.url(f"/{n}/feed")} for n in names]
    path = tmp_path / "r.yaml"
    data = {"name": "门户", "url": server.url("/p/"), "branches": branches}
    data["allow_networks"] = ["127.0.0.1"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_generator_templates_as_they_ship(server: FeedServer, tmp_path: Path) -> None:
    """The feeds WordPress (feed-rss2.php), Jekyll (jekyll-feed), Hugo (its default rss.xml),
    Discuz! X (rss.php, GBK, no guid) and an RSSHub-style WeChat bridge write, element for
    element (tests/fixtures/feeds/cms/): every entry kept with its title, link, date, author,
    tags and attachment, and relative images resolved by xml:base or the entry's link."""
    s = {n: server.url(f"/{n}/") for n in ("wp", "jekyll", "hugo", "discuz", "wechat")}
    files = {
        "wp": "wordpress-rss2.xml",
        "jekyll": "jekyll-feed.xml",
        "hugo": "hugo-rss.xml",
        "discuz": "discuz-x-rss-gbk.xml",
        "wechat": "rsshub-wechat.xml",
    }
    # SITE/ stands for the branch's address; the Discuz! file is GBK, as it ships.
    bodies = {
        name: (CMS / file).read_bytes().replace(b"SITE/", s[name].encode())
        for name, file in files.items()
    }
    for name, body in bodies.items():
        server.route(f"/{name}/feed", body=body, content_type="application/xml")
    report = federate(registry_of(server, tmp_path, list(bodies)), tmp_path / "portal")
    assert report.published and not report.failed
    got = {e.branch_id: e for e in stored(tmp_path / "portal", include_quarantined=True)}
    assert sorted(got) == sorted(bodies)
    assert all(e.quarantine_reason is None for e in got.values())
    wp, jk, hg, dz, wx = (got[n] for n in ("wp", "jekyll", "hugo", "discuz", "wechat"))
    assert wp.title == "关于报送材料的通知" and wp.url == s["wp"] + "2026/11/20/notice/"
    assert wp.feed_id == s["wp"] + "?p=123" and wp.author == "admin" and wp.tags == ["通知公告"]
    assert wp.published == datetime(2026, 11, 20, 2, tzinfo=UTC)
    assert server.url("/wp-content/uploads/2026/11/a.jpg") in wp.content_html
    assert [a["url"] for a in wp.attachments] == [s["wp"] + "wp-content/uploads/2026/11/form.docx"]
    assert jk.title == "第一次学习&讨论" and jk.author == "李明" and jk.tags == ["学习"]
    assert jk.published == datetime(2026, 11, 20, 2, 20, tzinfo=UTC)
    assert s["jekyll"] + "assets/p.png" in jk.content_html
    assert hg.published == datetime(2026, 11, 21, 1, tzinfo=UTC)
    assert s["hugo"] + "posts/day/photo.jpg" in hg.content_html and "<img" not in hg.summary_html
    assert dz.title == "志愿服务报名帖" and dz.author == "王喆"
    assert dz.url == dz.feed_id == s["discuz"] + "forum.php?mod=viewthread&tid=123"
    assert dz.attachments[0]["url"].endswith("a.jpg")
    assert wx.url == "https://mp.weixin.qq.com/s/AbC123" and wx.author == "某某支部"
    assert 'src="https://mmbiz.qpic.cn/mmbiz_jpg/x/640?wx_fmt=jpeg"' in wx.content_html
    assert wx.summary_html == ""  # the description is one photo: no text for the card


def test_template_quirks_a_trial_found(server: FeedServer, tmp_path: Path) -> None:
    """A trial's feeds, each in the shape of a template as it ships: Typecho's Atom summary
    (htmlspecialchars inside CDATA: escaped twice), a cover image as Media RSS (Ghost's RSS,
    jekyll-feed's post.image), Joomla's RSS author (e-mail and name), and a PHP include's
    BOM and blank lines before <?xml (what went wrong is in each assertion)."""
    files = {
        "typecho": "typecho-atom.xml",
        "ghost": "ghost-rss.xml",
        "jekyll": "jekyll-feed-image.xml",
        "joomla": "joomla-rss.xml",
        "php": "php-include-blank-lines.xml",
    }
    for name, file in files.items():
        body = (CMS / file).read_bytes().replace(b"SITE/", server.url(f"/{name}/").encode())
        server.route(f"/{name}/feed", body=body, content_type="application/xml")
    report = federate(registry_of(server, tmp_path, list(files)), tmp_path / "portal")
    assert report.published and not report.failed
    got = {e.branch_id: e for e in stored(tmp_path / "portal")}
    assert sorted(got) == sorted(files)
    # the card showed <p>12月6日晚…<strong>… as text
    assert got["typecho"].summary_html.startswith("<p>12月6日晚")
    assert "&lt;" not in got["typecho"].summary_html
    home = (tmp_path / "portal/index.html").read_text(encoding="utf-8")
    assert "&lt;p&gt;" not in home and "&lt;strong&gt;" not in home
    # a cover image is no attachment (it was listed as 附件: q3.png (PNG), a download)
    assert got["ghost"].attachments == [] and got["jekyll"].attachments == []
    # <author>webmaster@… (宣传部)</author> published the address
    assert got["joomla"].author == "宣传部"
    # the health page said 订阅的 XML 在第 4 行有错（XML or text declaration not at start…）
    health = json.loads((tmp_path / "portal/health.json").read_text(encoding="utf-8"))
    notes = {row["id"]: row["error"] for row in health["branches"]}
    assert notes["php"] is None, notes["php"]
    assert got["php"].title == "社区开展消防演练"


def _item(title: str, description: str) -> str:
    link = f"https://cms.example/{len(title)}-{len(description)}"
    return (
        f"<item><title>{title}</title><link>{link}</link><guid>{link}</guid>"
        "<pubDate>Fri, 04 Dec 2026 10:30:00 GMT</pubDate>"
        f"<description><![CDATA[{description}]]></description></item>"
    )


def test_a_whole_article_in_the_description_is_a_short_card(
    server: FeedServer, tmp_path: Path
) -> None:
    """RSSHub's WeChat bridge (and Drupal, and many CMSs) put the whole article, photos and
    all, in ``<description>``: the portal's home page showed every paragraph and photo of it
    in one card. The card now shows the head of its text; the article is the entry's content
    (what the search indexes and the portal's feeds carry)."""
    site = server.url("/wx/")
    article = (
        '<section><p><img data-src="https://mmbiz.qpic.cn/mmbiz_jpg/abc/640?wx_fmt=jpeg"></p>'
        "<p>为深入学习贯彻党的二十大精神，社区党支部开展主题党日活动。</p>"
        + "<p>党员们认真学习了有关文件精神，并结合工作实际进行了深入交流讨论。</p>" * 30
        + '<p><img src="https://mmbiz.qpic.cn/mmbiz_png/def/0?wx_fmt=png"></p></section>'
    )
    body = rss(
        site,
        "<item><title>主题党日活动</title><link>https://mp.weixin.qq.com/s/AbCdEf</link>"
        "<guid>https://mp.weixin.qq.com/s/AbCdEf</guid>"
        "<pubDate>Sun, 06 Dec 2026 10:30:00 GMT</pubDate>"
        f"<description><![CDATA[{article}]]></description></item>"
        # a WordPress excerpt is a summary: kept as it is
        "<item><title>Volunteers wanted</title><link>https://wp.example/?p=2</link>"
        "<guid>https://wp.example/?p=2</guid><pubDate>Sat, 05 Dec 2026 10:30:00 GMT</pubDate>"
        "<description><![CDATA[<p>"
        + "Our branch needs volunteers for the winter. " * 7
        + "[&#8230;]</p>]]></description></item>"
        + _item(
            "转发学习材料的通知",
            "<p>各支部：现将学习材料转发给你们，请组织学习。</p>"
            + "".join(
                f'<p><a href="https://gov.example/f{n}.pdf">学习材料{n}</a></p>' for n in range(59)
            ),
        )
        + _item(
            "图片新闻",
            '<p><img src="https://mmbiz.qpic.cn/a/640"></p>' * 12
            + "<p>"
            + "重阳节当天，社区党支部组织志愿者走访慰问辖区老人，送去节日祝福。" * 6
            + "</p>",
        )
        + _item(
            "Winter safety training",
            "<div><h2>Winter safety training</h2></div><div>admin</div>"
            "<div>Sat, 12/05/2026 - 09:30</div><p>On Saturday the union met.</p>",
        ),
    ).encode()
    server.route("/wx/feed", body=body, content_type="application/rss+xml")
    federate(registry_of(server, tmp_path, ["wx"]), tmp_path / "portal")
    by_title = {e.title: e for e in stored(tmp_path / "portal")}
    wechat = by_title["主题党日活动"]
    assert wechat.summary_html.startswith("<p>为深入学习贯彻党的二十大精神，社区党支部")
    assert wechat.summary_html.endswith("…</p>") and "<img" not in wechat.summary_html
    assert len(wechat.summary_html) < 200
    assert wechat.content_html.count("<img") == 2 and wechat.content_html.count("<p>") == 33
    links = by_title["转发学习材料的通知"]  # 59 linked files, little text: no 59-line card
    assert links.summary_html.startswith("<p>各支部：现将学习材料转发给你们")
    assert "<a" not in links.summary_html and links.content_html.count("<a ") == 59
    photos = by_title["图片新闻"]  # twelve photos first: the text after them is the card's
    assert photos.summary_html.startswith("<p>重阳节当天")
    assert photos.summary_html.endswith("…</p>")
    drupal = by_title["Winter safety training"]  # blocks are kept apart, not run together
    assert "training admin Sat, 12/05/2026" in drupal.summary_html, drupal.summary_html
    excerpt = by_title["Volunteers wanted"]
    assert excerpt.summary_html.startswith("<p>Our branch") and not excerpt.content_html
    home = (tmp_path / "portal" / "index.html").read_text("utf-8")
    card = home[home.index("主题党日活动") :]
    card = card[: card.index("</article>")]
    assert "mmbiz" not in card and card.count("<p") <= 3  # meta line and one summary
