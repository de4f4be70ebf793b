"""One URL rule for every parse path, and HTML as feeds really carry it: xml:base, the
feedparser fallback (a stray blank line before <?xml), permalink guids, entries without a
link, base64 and prefixed XHTML content, text/plain titles, WeChat lazy images. Real HTTP on
loopback, the real federate run."""

from __future__ import annotations

import base64
from pathlib import Path

import yaml
from feedserver import FeedServer
from test_pipeline import federate, server, stored

__all__ = ["server"]  # the fixture, re-exported for pytest


def run(server: FeedServer, tmp_path: Path, feeds: dict[str, bytes]) -> dict[str, list]:
    branches = []
    for name, body in feeds.items():
        server.route(f"/{name}/feed.xml", body=body)
        branches.append({"id": name, "name": name, "feed": server.url(f"/{name}/feed.xml")})
    path = tmp_path / "r.yaml"
    data = {"name": "门户", "url": server.url("/p/"), "branches": branches}
    data["allow_networks"] = ["127.0.0.1"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    federate(path, tmp_path / "portal")
    found: dict[str, list] = {}
    for entry in stored(tmp_path / "portal"):
        found.setdefault(entry.branch_id, []).append(entry)
    return found


def rss(site: str, item: str) -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
        f"<link>{site}</link><description>d</description><item>{item}</item></channel></rss>"
    )


def test_the_fallback_path_resolves_relative_urls_as_the_fast_path(
    server: FeedServer, tmp_path: Path
) -> None:
    def body(name: str) -> str:
        site = server.url(f"/{name}/")
        return rss(
            site,
            f"<title>图</title><link>{site}news/1/</link><guid>{site}news/1/</guid>"
            '<description>&lt;p&gt;&lt;img src="pic.png" alt="a"&gt;'
            '&lt;a href="../2/"&gt;下一篇&lt;/a&gt;&lt;/p&gt;</description>',
        )

    found = run(
        server,
        tmp_path,
        {"fast": body("fast").encode(), "slow": ("\n\n" + body("slow")).encode()},
    )
    fast, slow = found["fast"][0], found["slow"][0]
    # (a description with an image is the entry's text: it is stored as the content)
    assert server.url("/fast/news/1/pic.png") in fast.content_html
    assert server.url("/slow/news/1/pic.png") in slow.content_html
    assert server.url("/slow/news/2/") in slow.content_html


def test_xml_base_prefixed_xhtml_and_base64_content(server: FeedServer, tmp_path: Path) -> None:
    site = server.url("/a/")
    encoded = base64.b64encode("<p>第三条</p>".encode()).decode()
    body = f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:xh="http://www.w3.org/1999/xhtml">
<title>t</title><id>{site}</id><updated>2026-11-20T00:00:00Z</updated><link href="{site}"/>
<entry><id>1</id><title>一</title><link href="{site}n/1/"/><updated>2026-11-20T00:00:00Z</updated>
<content type="html" xml:base="{site}static/2026/">&lt;img src="a.png" alt="x"&gt;</content></entry>
<entry><id>2</id><title>二</title><link href="{site}n/2/"/><updated>2026-11-20T00:00:00Z</updated>
<content type="xhtml"><xh:div><xh:p>加粗<xh:strong>要点</xh:strong></xh:p>
<xh:img src="b.png" alt="y"/></xh:div></content></entry>
<entry><id>3</id><title>三</title><link href="{site}n/3/"/><updated>2026-11-20T00:00:00Z</updated>
<content type="application/octet-stream+html">{encoded}</content></entry>
</feed>""".encode()
    by_title = {e.title: e for e in run(server, tmp_path, {"a": body})["a"]}
    assert server.url("/a/static/2026/a.png") in by_title["一"].content_html
    two = by_title["二"].content_html
    assert "<strong>要点</strong>" in two and server.url("/a/n/2/b.png") in two
    assert "<p>第三条</p>" in by_title["三"].content_html


def test_entries_without_a_link_never_point_at_the_feed(server: FeedServer, tmp_path: Path) -> None:
    site = server.url("/a/")
    body = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
        f"<link>{site}</link><description>d</description>"
        f"<item><title>有永久链接</title><guid>{site}post/7/</guid></item>"
        '<item><title>无链接</title><guid isPermaLink="false">8</guid></item>'
        "</channel></rss>"
    ).encode()
    by_title = {e.title: e for e in run(server, tmp_path, {"a": body})["a"]}
    assert by_title["有永久链接"].url == server.url("/a/post/7/")
    assert by_title["无链接"].url == site
    assert all("feed.xml" not in e.url for e in by_title.values())


def test_plain_text_titles_and_wechat_lazy_images(server: FeedServer, tmp_path: Path) -> None:
    site = server.url("/a/")
    # Atom 0.3 goes through feedparser: its text/plain title keeps "<div>" as text.
    body = f"""<?xml version="1.0" encoding="utf-8"?>
<feed version="0.3" xmlns="http://purl.org/atom/ns#"><title>t</title>
<link rel="alternate" type="text/html" href="{site}"/><modified>2026-11-20T00:00:00Z</modified>
<entry><title type="text/plain">如何使用 &lt;div&gt; 标签</title>
<link rel="alternate" type="text/html" href="{site}n/1/"/><id>1</id>
<issued>2026-11-20T00:00:00Z</issued><modified>2026-11-20T00:00:00Z</modified>
<content type="text/html" mode="escaped">&lt;p&gt;&lt;img data-src="https://mmbiz.qpic.cn/x.jpg"
 src="data:image/gif;base64,R0lGOD" alt="图"&gt;&lt;/p&gt;</content></entry></feed>""".encode()
    (entry,) = run(server, tmp_path, {"a": body})["a"]
    assert entry.title == "如何使用 <div> 标签"
    html = entry.content_html or entry.summary_html
    assert 'src="https://mmbiz.qpic.cn/x.jpg"' in html, html


def test_entries_share_a_cleaner_unless_they_hold_a_relative_url() -> None:
    """A cleaner is made per base only for a fragment with a relative URL: the output of one
    with absolute URLs only does not depend on the base (and is the same either way)."""
    from tongxin.federation.sanitise import clean_html

    absolute = '<p><a href="https://a.example/x">x</a> <img src="http://b.example/i.png"></p>'
    assert clean_html(absolute, "https://one.example/post/1") == clean_html(
        absolute, "https://two.example/post/2"
    )
    relative = '<p><a href="../y">y</a> <a href="https://a.example/x">x</a></p>'
    one = clean_html(relative, "https://one.example/post/1")
    assert 'href="https://one.example/y"' in one and 'href="https://a.example/x"' in one
    assert 'href="https://two.example/y"' in clean_html(relative, "https://two.example/post/2")
