"""The health page as an inspector reads it (国办秘函〔2019〕19号), one rule at a time.

Real feeds over HTTP on 127.0.0.1 (tests/feedserver.py), a real federate run at a fixed
clock, the published health.json, health/index.html and health.csv read back.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from xml.sax.saxutils import escape

import pytest
import yaml
from feedserver import FeedServer
from lxml import html
from tongxin.federation.pipeline import run

CLOCK = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)  # 10:00 in Beijing


def rss(site: str, items: list[tuple[str, str, float | None]]) -> bytes:
    """An RSS 2.0 feed as many CMSs write it: (slug, category, days before CLOCK or None)."""
    out = []
    for slug, kind, days in items:
        date = ""
        if days is not None:
            when = CLOCK - timedelta(days=days)
            date = f"<pubDate>{when.strftime('%a, %d %b %Y %H:%M:%S +0000')}</pubDate>"
        out.append(
            f"<item><title>{escape(slug)}</title><link>{site}{slug}.html</link>"
            f"<guid>{site}{slug}.html</guid>{date}<category>{kind}</category>"
            f"<description>正文</description></item>"
        )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
        f"<link>{site}</link><description>d</description>{''.join(out)}</channel></rss>"
    ).encode()


FEEDS = {
    "fresh": [("f1", "news", 2), ("f2", "announcements", 30), ("f3", "study", 20)],
    "warn": [("w1", "news", 11.2), ("w2", "announcements", 100)],
    "old": [("o1", "news", 20), ("o2", "announcements", 200), ("o3", "study", 100)],
    "undated": [("u1", "news", 1), ("u2", "news", None), ("u3", "announcements", 3),
                ("u4", "study", 3)],
}  # fmt: skip


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("inspect")
    with FeedServer() as server:
        branches = []
        for name, items in FEEDS.items():
            server.route(f"/{name}.xml", body=rss(server.url(f"/{name}/"), items),
                         content_type="application/rss+xml")  # fmt: skip
            branches.append({"id": name, "name": f"{name}支部", "feed": server.url(f"/{name}.xml")})
        server.route("/slow.xml", body=rss(server.url("/slow/"), FEEDS["fresh"]), delay=1.5,
                     content_type="application/rss+xml")  # fmt: skip
        server.route("/down.xml", status=500, body=b"")
        branches += [
            {"id": "slow", "name": "slow支部", "feed": server.url("/slow.xml")},
            {"id": "down", "name": "down支部", "feed": server.url("/down.xml")},
        ]
        document = {
            "name": "检查门户",
            "url": "https://portal.example/",
            "allow_networks": ["127.0.0.1"],
            "inspection": {"probe_seconds": 1, "kinds": {"study": 60}},
            "branches": branches,
        }
        registry = tmp / "registry.yaml"
        registry.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
        out = tmp / "www"
        run(registry, out, tmp / "www.sqlite3", now=CLOCK)
        first = (out / "health/index.html").read_text(encoding="utf-8")
        run(registry, out, tmp / "www.sqlite3", now=CLOCK + timedelta(minutes=15))
    health = json.loads((out / "health.json").read_text(encoding="utf-8"))
    return {
        "out": out,
        "first_page": first,
        "json": health,
        "by_id": {b["id"]: b for b in health["branches"]},
    }


def test_days_since_newest_and_the_countdown_to_14_days(portal) -> None:
    by_id = portal["by_id"]
    assert by_id["fresh"]["inspection"]["days_since_newest"] == 2
    assert by_id["fresh"]["inspection"]["home"] == "ok"
    warn = by_id["warn"]["inspection"]
    assert (warn["days_since_newest"], warn["home"], warn["days_left"]) == (11, "countdown", 3)
    old = by_id["old"]["inspection"]
    assert old["home"] == "overdue" and "home" in old["vetoes"]
    page = (portal["out"] / "health/index.html").read_text(encoding="utf-8")
    row = html.fromstring(page).get_element_by_id("branch-warn")
    assert "距 14 天红线还有 3 天" in row.text_content()


def test_overdue_and_blank_columns_per_kind(portal) -> None:
    by_id = portal["by_id"]
    # news after 14 days, notices after 180, study after the registry's 60
    assert by_id["old"]["inspection"]["overdue_kinds"] == ["news", "announcements", "study"]
    assert by_id["warn"]["inspection"]["overdue_kinds"] == []
    assert by_id["warn"]["inspection"]["blank_kinds"] == ["study"]
    assert by_id["fresh"]["inspection"]["blank_kinds"] == []
    assert by_id["down"]["inspection"]["blank_kinds"] == ["news", "announcements", "study"]


def test_undated_items_are_counted_and_fail(portal) -> None:
    found = portal["by_id"]["undated"]["inspection"]
    assert found["undated"] == 1 and "undated" in found["vetoes"]
    assert portal["by_id"]["fresh"]["inspection"]["undated"] == 0
    # and named, with a link, so the operator can tell the branch which one to date
    site = found["undated_items"][0]["url"].removesuffix("u2.html")
    assert found["undated_items"] == [{"title": "u2", "url": site + "u2.html"}]
    assert "undated_items" not in portal["by_id"]["fresh"]["inspection"]
    tree = html.fromstring((portal["out"] / "health/index.html").read_text("utf-8"))
    listed = tree.get_element_by_id("branch-undated").xpath(".//details[@data-items='undated']")
    assert listed[0].xpath("summary")[0].text_content() == "无发布时间：1 篇"
    assert listed[0].xpath(".//a/@href") == [site + "u2.html"]


def test_availability_over_the_week_against_the_probe_limit(portal) -> None:
    slow = portal["by_id"]["slow"]["inspection"]
    assert slow["probes"] == 2 and slow["failed_percent"] == 100.0
    assert "availability" in slow["vetoes"]
    fresh = portal["by_id"]["fresh"]["inspection"]
    assert fresh["probes"] == 2 and fresh["failed_percent"] == 0.0
    assert portal["by_id"]["down"]["inspection"]["failed_percent"] == 100.0


def test_portal_summary_counts_branches_at_risk(portal) -> None:
    summary = portal["json"]["portal"]
    assert summary["branches"] == 6
    # every branch but "fresh" would fail or is at risk
    assert summary["branches_at_risk"] == 5 and summary["branches_failing"] >= 4
    assert summary["home"] == "ok" and summary["days_since_newest"] == 1
    assert summary["thresholds"]["kinds"] == {"news": 14, "announcements": 180, "study": 60}
    assert portal["by_id"]["down"]["error_class"] == "server"
    assert portal["by_id"]["fresh"]["error_class"] is None
    page = (portal["out"] / "health/index.html").read_text(encoding="utf-8")
    assert "本门户：最近更新在 1 天前；6 个支部中 5 个有风险" in page


def test_page_is_failures_first_in_the_portal_zone_and_language(portal) -> None:
    for page in (portal["first_page"], (portal["out"] / "health/index.html").read_text("utf-8")):
        tree = html.fromstring(page)
        order = [row.get("id") for row in tree.xpath("//tr[contains(@class, 'health-row')]")]
        assert order[0] == "branch-down" and order[-1] == "branch-fresh", order
        down = tree.get_element_by_id("branch-down").text_content()
        assert "网站服务器出错" in down and "oops" not in down
        assert "自 2026-06-01 10:00 起抓取失败" in down and "最近一次成功：从未" in down
        assert ("已试 1 次" if page is portal["first_page"] else "已试 2 次") in down
        generated = tree.xpath("//p[@class='health-generated']/time")[0].text_content()
        assert generated.startswith("2026-06-01 10:") and "CST" in generated


def test_a_branch_that_fails_a_veto_is_never_badged_as_fine(portal) -> None:
    # (an operator's trial: a green 正常 sat above "单项否决：首页不更新")
    tree = html.fromstring((portal["out"] / "health/index.html").read_text("utf-8"))
    old = tree.get_element_by_id("branch-old")
    badge = old.xpath(".//td[contains(@class, 'health-status')]/span[@data-status]")[0]
    assert badge.text_content() == "单项否决" and "status-veto" in badge.get("class")
    assert badge.get("data-status") == portal["by_id"]["old"]["status"]  # health.json's word
    assert "抓取状态：" in old.text_content()
    fresh = tree.get_element_by_id("branch-fresh")
    assert fresh.xpath(".//span[@data-status]")[0].text_content() == "正常"
    assert "抓取状态：" not in fresh.text_content()
    down = tree.get_element_by_id("branch-down")  # a failing feed keeps its own badge
    assert down.xpath(".//span[@data-status]")[0].text_content() == "抓取失败"
    chips = {
        chip.text_content().split(":")[0]: int(chip.xpath("strong")[0].text_content())
        for chip in tree.xpath("//ul[@class='health-counts']/li")
    }
    assert sum(chips.values()) == 6, chips  # every branch once
    vetoed = [
        b for b in portal["json"]["branches"]
        if b["inspection"]["vetoes"] and b["status"] in ("ok", "stale")
    ]  # fmt: skip
    assert chips["单项否决"] == len(vetoed) >= 2 and chips["正常"] == 6 - len(vetoed) - 1


def test_health_csv_is_a_self_check_table(portal) -> None:
    text = (portal["out"] / "health.csv").read_text(encoding="utf-8")
    assert text.startswith("\ufeff序号,支部,地区,状态,最近更新日期,距今天数")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    header, body = rows[0], rows[1:]
    assert len(body) == 6 and body[0][1] == "down支部" and body[-1][1] == "fresh支部"
    old = dict(zip(header, next(r for r in body if r[1] == "old支部"), strict=True))
    assert old["超期栏目数"] == "3" and old["距今天数"] == "20" and old["距红线天数"] == "-6"
    assert "首页不更新" in old["单项否决风险"]
    # when the table was made, in the portal's zone: a copy attached to a report says its day
    made = {dict(zip(header, row, strict=True))["生成时间"] for row in body}
    assert made == {"2026-06-01 10:15 CST"}


def test_days_are_calendar_days_in_the_registrys_zone() -> None:
    """An operator's trial: at 02:27 on 12-08 in Shanghai, an item of 11-24 10:00 showed
    "13 天前, 距 14 天红线还有 1 天" (13 days 16 hours had passed), while an inspector counts
    14 days from the dates on the page: the veto was one day late."""
    from tongxin.federation.inspection import DEFAULTS, assess

    now = datetime(2026, 12, 7, 18, 27, tzinfo=UTC)  # 2026-12-08 02:27 in Shanghai
    kinds = {"news": (3, "2026-11-24T02:00:00+00:00", 0)}  # 11-24 10:00 in Shanghai
    found = assess(kinds, None, {**DEFAULTS, "timezone": "Asia/Shanghai"}, now)
    assert found["days_since_newest"] == 14 and found["home"] == "overdue"
    assert "home" in found["vetoes"]
    # the same moments in UTC's calendar (a registry with timezone: UTC): 11-24 to 12-07
    found = assess(kinds, None, {**DEFAULTS, "timezone": "UTC"}, now)
    assert found["days_since_newest"] == 13 and found["home"] == "countdown"
