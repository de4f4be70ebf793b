"""What a reader sees on the portal home: each notice once, no expired notice, headings in
order, and entries in another language marked as such (WCAG 3.1.2). Real HTTP on loopback,
the real federate run, the page parsed as HTML."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml
from feedserver import FeedServer
from lxml import html
from test_pipeline import federate, server

__all__ = ["server"]  # the fixture, re-exported for pytest

TX = "https://tongxin.example/ns/1.0"


def atom(site: str, lang: str, entries: list[tuple[str, str, str, dict]]) -> bytes:
    now = datetime.now(UTC)
    parts = []
    for n, (slug, title, kind, extra) in enumerate(entries):
        when = (now - timedelta(days=n + 1)).isoformat(timespec="seconds")
        tx = "".join(f"<tx:{k}>{v}</tx:{k}>" for k, v in extra.items())
        parts.append(
            f"<entry><id>{site}{slug}/</id><title>{title}</title><link href='{site}{slug}/'/>"
            f"<published>{when}</published><updated>{when}</updated>"
            f"<category term='{kind}' scheme='{TX}#type'/>{tx}"
            "<summary type='html'>&lt;p&gt;s&lt;/p&gt;</summary></entry>"
        )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom" '
        f'xmlns:tx="{TX}" xml:lang="{lang}"><title>t</title><id>{site}</id>'
        f"<updated>{datetime.now(UTC).isoformat()}</updated><link href='{site}'/>"
        + "".join(parts)
        + "</feed>"
    ).encode()


def test_home_shows_each_notice_once_no_expired_one_and_marks_other_languages(
    server: FeedServer, tmp_path: Path
) -> None:
    past = (datetime.now(UTC) - timedelta(days=3)).date().isoformat()
    server.route(
        "/a/atom",
        body=atom(
            server.url("/a/"),
            "zh-CN",
            [
                ("pin", "置顶通知", "announcements", {"pinned": "true"}),
                ("old", "已过期的通知", "announcements", {"expires": past}),
                ("news", "普通要闻", "news", {}),
            ],
        ),
    )
    server.route("/en/atom", body=atom(server.url("/en/"), "en", [("e", "Volunteers", "news", {})]))
    server.route(
        "/tw/atom", body=atom(server.url("/tw/"), "zh-TW", [("t", "志工服務", "news", {})])
    )
    branches = [{"id": k, "name": k, "feed": server.url(f"/{k}/atom")} for k in ("a", "en", "tw")]
    path = tmp_path / "r.yaml"
    data = {"name": "门户", "url": server.url("/p/"), "branches": branches}
    data["allow_networks"] = ["127.0.0.1"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    out = tmp_path / "portal"
    federate(path, out)
    page = html.fromstring((out / "index.html").read_bytes())
    titles = [a.text_content() for a in page.xpath("//article//*[contains(@class,'entry-title')]")]
    assert titles.count("置顶通知") == 1
    assert "已过期的通知" not in titles
    assert "普通要闻" in titles
    # The expired notice is still listed with the notices.
    notices = (out / "announcements/index.html").read_text(encoding="utf-8")
    assert "已过期的通知" in notices
    # Headings in order: no card heading at the level of the section that holds it.
    for section in page.xpath("//section[h2]"):
        assert not section.xpath(".//article//h2"), "a card's h2 inside a section's h2"
    langs = {
        a.xpath(".//*[contains(@class,'entry-title')]")[0].text_content(): a.get("lang")
        for a in page.xpath("//article")
    }
    assert langs["Volunteers"] == "en" and langs["志工服務"] == "zh-TW"
    assert langs["普通要闻"] is None
    # An English card's type and date are the portal's words; its branch's name is its own.
    meta = page.xpath("//article[@lang='en']/p[contains(@class,'entry-meta')]")[0]
    assert meta.get("lang") == "zh-CN"
    assert meta.xpath(".//*[contains(@class,'entry-branch')]")[0].get("lang") == "en"


def test_a_branch_pages_last_entry_is_the_portals_day(server: FeedServer, tmp_path: Path) -> None:
    """An operator's trial: a branch page's 最近发布 read 2026-12-06 beside a card of
    2026年12月7日, its stored UTC time cut to ten characters. It is the day in the portal's
    zone, like the cards and the health page."""
    late = (datetime.now(UTC) - timedelta(days=2)).replace(hour=20, minute=0, second=0)
    site = server.url("/b/")
    feed = (
        f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>t</title><id>{site}</id><updated>{late.isoformat()}</updated>"
        f"<link href='{site}'/><entry><id>{site}a/</id><title>夜里发的</title>"
        f"<link href='{site}a/'/><published>{late.isoformat()}</published>"
        f"<updated>{late.isoformat()}</updated></entry></feed>"
    ).encode()
    server.route("/b/feed.xml", body=feed)
    registry = tmp_path / "registry.yaml"
    branch = {"id": "b", "name": "夜班支部", "feed": server.url("/b/feed.xml")}
    document = {"name": "门户", "url": "https://p.example/", "branches": [branch]}
    document["allow_networks"] = ["127.0.0.1"]
    registry.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    federate(registry, tmp_path / "www")
    page = html.fromstring((tmp_path / "www/branches/b/index.html").read_text("utf-8"))
    day = (late + timedelta(hours=8)).date().isoformat()  # 04:00 the next day in Shanghai
    shown = [t.text for t in page.iter("time") if (t.get("datetime") or "").endswith("+08:00")]
    assert day in shown, [(t.get("datetime"), t.text) for t in page.iter("time")]
