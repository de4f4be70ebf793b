"""Two different items under one guid in one feed are both kept (federation/repeatedids.py).

The feed is shaped like a DedeCMS RSS template that prints the same ``<guid>`` for every item
(GB2312 declared, local dates, CDATA titles). The tester lost the second item silently.
"""

from __future__ import annotations

import json
from pathlib import Path

from feedserver import FeedServer
from test_pipeline import federate, federate_one, server, stored

__all__ = ["server"]

ITEMS = {
    "1": ("党支部召开十二月主题党日活动", "2026-12-05 10:10:00", "全体党员参加主题党日。"),
    "2": ("关于做好民主评议党员工作的通知", "2026-12-05 11:10:00", "各党小组：现将评议安排通知。"),
    "3": ("社区开展冬季消防安全检查", "2026-12-06 09:00:00", "社区网格员逐户检查。"),
}  # fmt: skip


def dede_rss(base: str, keys: list[str]) -> bytes:
    items = "".join(
        f"""<item>
<link>{base}a/dongtai/2026/{key}.html</link>
<title><![CDATA[{ITEMS[key][0]}]]></title>
<author>admin</author>
<category>工作动态</category>
<pubDate>{ITEMS[key][1]}</pubDate>
<guid>1</guid>
<description><![CDATA[{ITEMS[key][2]}]]></description>
</item>
"""
        for key in keys
    )
    return f"""<?xml version="1.0" encoding="gb2312"?>
<rss version="2.0">
<channel>
<title>东坡社区党支部</title>
<link>{base}</link>
<description>东坡社区党支部</description>
<language>zh-cn</language>
<generator>DedeCMS</generator>
<webmaster>admin@localhost</webmaster>
{items}</channel>
</rss>
""".encode("gb2312")


def _titles(out: Path) -> list[str]:
    return sorted(e.title for e in stored(out))


def test_items_sharing_a_guid_are_all_kept_and_noted(server: FeedServer, tmp_path: Path) -> None:
    base = server.url("/")
    feed = "/plus/rss.php"
    server.route(feed, body=dede_rss(base, ["2", "1"]), content_type="text/xml")
    registry, out = federate_one(tmp_path, "dp", "东坡社区党支部", server.url(feed))
    assert _titles(out) == sorted([ITEMS["1"][0], ITEMS["2"][0]])
    (health,) = json.loads((out / "health.json").read_text("utf-8"))["branches"]
    assert health["status"] == "ok" and "guid" in health["error"] and "1" in health["error"]
    ids = {e.title: e.entry_id for e in stored(out)}
    # a newer item joins at the top, and the feed's order changes: no item is stored twice,
    # the ids stay as they were
    server.route(feed, body=dede_rss(base, ["3", "1", "2"]), content_type="text/xml")
    federate(registry, out)
    entries = stored(out)
    assert sorted(e.title for e in entries) == sorted(t for t, _d, _s in ITEMS.values())
    assert all(ids[e.title] == e.entry_id for e in entries if e.title in ids)
    search = (out / "index.html").read_text("utf-8")
    assert ITEMS["2"][0] in search and ITEMS["3"][0] in search


def test_an_item_listed_twice_alike_is_one_entry(server: FeedServer, tmp_path: Path) -> None:
    base = server.url("/")
    server.route("/rss", body=dede_rss(base, ["1", "1"]), content_type="text/xml")
    _registry, out = federate_one(tmp_path, "dp", "东坡", server.url("/rss"))
    assert _titles(out) == [ITEMS["1"][0]]
    (health,) = json.loads((out / "health.json").read_text("utf-8"))["branches"]
    assert health["error"] is None
