"""Entries of other CMSs land in the columns their categories name.

A WordPress branch files its notices under ``<category>通知公告</category>``; read as 要闻,
every such branch's announcement and study columns were blank on the health page, and every
non-Tongxin branch was "at risk" in the inspection summary. The registry's ``types`` names a
portal's own column names (``三会一课``); changing it reads the stored bodies again.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from feedserver import FeedServer
from test_pipeline import federate, federate_one, server, stored, write_registry

from federation.registry import RegistryError, load_registry

__all__ = ["server"]


def wordpress(site: str, items: list[tuple[str, str, str]]) -> bytes:
    """An RSS 2.0 feed as WordPress writes it: categories in CDATA, content:encoded."""
    body = "".join(
        f"<item><title>{title}</title><link>{site}?p={n}</link>"
        f"<pubDate>Mon, 0{n + 1} Dec 2026 08:00:00 +0800</pubDate>"
        f"<dc:creator><![CDATA[admin]]></dc:creator><category><![CDATA[{category}]]></category>"
        f'<guid isPermaLink="false">{site}?p={n}</guid><description><![CDATA[{title}]]>'
        f"</description><content:encoded><![CDATA[<p>{title}的全文。</p>]]></content:encoded></item>"
        for n, (title, category, _expected) in enumerate(items)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>西湖社区</title>'
        f"<link>{site}</link><description>x</description>{body}</channel></rss>"
    ).encode()


def _federate_wordpress(server: FeedServer, tmp_path: Path) -> tuple[Path, Path]:
    """A portal of the one WordPress branch served at /wp/feed/, federated once."""
    return federate_one(tmp_path, "wp", "西湖社区", server.url("/wp/feed/"))


ITEMS = [
    ("关于召开支部大会的通知", "通知公告", "announcements"),
    ("学习笔记", "學習園地", "study"),  # a Traditional site
    ("志愿服务", "社区动态", "news"),
    ("公示名单", "公 示", "announcements"),
    ("三会一课记录", "三会一课", "news"),  # this portal's own name: see below
]


def test_wordpress_categories_fill_the_columns(server: FeedServer, tmp_path: Path) -> None:
    server.route("/wp/feed/", body=wordpress(server.url("/wp/"), ITEMS), etag='"wp1"')
    registry, out = _federate_wordpress(server, tmp_path)
    types = {e.title: e.type for e in stored(out)}
    assert types == {title: expected for title, _category, expected in ITEMS}
    (row,) = json.loads((out / "health.json").read_text("utf-8"))["branches"]
    assert "announcements" not in row["inspection"]["blank_kinds"]
    assert "study" not in row["inspection"]["blank_kinds"]
    assert "关于召开支部大会的通知" in (out / "announcements" / "index.html").read_text("utf-8")

    # the portal names its own column: the stored body is read again (no 304 trusted)
    data = yaml.safe_load(registry.read_text("utf-8"))
    data["types"] = {"study": ["三會一課"]}
    registry.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    federate(registry, out)
    assert {e.title: e.type for e in stored(out)}["三会一课记录"] == "study"


def test_a_misspelt_column_in_types_is_an_error_with_its_line(tmp_path: Path) -> None:
    path = write_registry(
        tmp_path / "r.yaml", "门户", "https://p.example/",
        [{"id": "a", "name": "A", "feed": "https://a.example/feed"}],
    )  # fmt: skip
    path.write_text(path.read_text("utf-8") + "types:\n  studdy: [三会一课]\n", encoding="utf-8")
    with pytest.raises(RegistryError) as raised:
        load_registry(path)
    text = str(raised.value)
    line = path.read_text("utf-8").splitlines().index("  studdy: [三会一课]") + 1
    assert f"r.yaml:{line}" in text and "study" in text


def test_a_wordpress_more_link_is_not_part_of_the_card_text(
    server: FeedServer, tmp_path: Path
) -> None:
    """Twenty Seventeen in zh_CN ends an excerpt with 继续阅读<span>“title”</span>: on the
    portal's card it read as part of the text ("… 继续阅读工会举办…")."""
    more = (
        '<p>工会举办迎新春活动。 <a href="https://wp.example/?p=7" class="more-link">继续阅读'
        '<span class="screen-reader-text">“工会举办迎新春活动”</span></a> [&hellip;]</p>'
    )
    title = "工会举办迎新春活动"
    body = wordpress(server.url("/wp/"), [(title, "新闻", "news")]).replace(
        f"<description><![CDATA[{title}]]>".encode(), f"<description><![CDATA[{more}]]>".encode()
    )
    assert "继续阅读".encode() in body
    server.route("/wp/feed/", body=body)
    registry, out = _federate_wordpress(server, tmp_path)
    (entry,) = stored(out)
    assert "继续阅读" not in entry.summary_html and "more-link" not in entry.summary_html
    assert "工会举办迎新春活动。" in entry.summary_html and "[…]" in entry.summary_html
    assert "继续阅读" not in (out / "index.html").read_text("utf-8")
