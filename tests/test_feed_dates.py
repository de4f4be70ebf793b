"""Feed dates as Chinese sites really write them, read strictly, shown in the registry's zone.

Served over real HTTP on loopback and run through the real federate (fetch, parse, store,
render): the stored moment, the day the portal shows and the archive month are checked.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from feedserver import FeedServer
from test_pipeline import federate, server, stored
from tongxin.federation.dates import DateReader

__all__ = ["server"]  # the fixture, re-exported for pytest

SHANGHAI = DateReader("Asia/Shanghai")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026/11/20", datetime(2026, 11, 19, 16, tzinfo=UTC)),
        ("2026.11.20", datetime(2026, 11, 19, 16, tzinfo=UTC)),
        ("2026年11月20日", datetime(2026, 11, 19, 16, tzinfo=UTC)),
        ("2026年11月20日 10:20", datetime(2026, 11, 20, 2, 20, tzinfo=UTC)),
        ("2026年11月20日10时20分", datetime(2026, 11, 20, 2, 20, tzinfo=UTC)),
        ("2026-11-20 10:20:00", datetime(2026, 11, 20, 2, 20, tzinfo=UTC)),  # PHPCMS, DedeCMS
        ("1763605200", datetime(2025, 11, 20, 2, 20, tzinfo=UTC)),  # epoch seconds
        ("Fri, 20 Nov 2026 10:20:00 +08:00", datetime(2026, 11, 20, 2, 20, tzinfo=UTC)),
        ("Fri, 20 Nov 2026 10:20:00 GMT+08:00", datetime(2026, 11, 20, 2, 20, tzinfo=UTC)),
        ("Fri, 20 Nov 2026 10:20:00 +0800", datetime(2026, 11, 20, 2, 20, tzinfo=UTC)),
        ("Fri, 20 Nov 2026 10:20:00 CST", datetime(2026, 11, 20, 2, 20, tzinfo=UTC)),
        ("Fri, 20 Nov 2026 10:20:00 GMT", datetime(2026, 11, 20, 10, 20, tzinfo=UTC)),
        ("2026-11-20T10:20:00.5+08:00", datetime(2026, 11, 20, 2, 20, tzinfo=UTC)),
        ("Sunday, 06-Nov-94 08:49:37 GMT", datetime(1994, 11, 6, 8, 49, 37, tzinfo=UTC)),
        ("Sun Nov  6 08:49:37 1994", datetime(1994, 11, 6, 8, 49, 37, tzinfo=UTC)),
        # Not wholly a date: no date at all, rather than a wrong one.
        ("2026-11-20 下午", None),
        ("2026-02-30", None),
        ("Fri, 20 Nov 2026 10:20:00 XYZ", None),
        ("上周五", None),
        ("", None),
        # A template's placeholder for "no date" is no date (Hugo's RSS for an undated page,
        # .NET's DateTime.MinValue, a zero timestamp printed by PHP in UTC+8)
        ("Mon, 01 Jan 0001 00:00:00 +0000", None),
        ("0001-01-01T00:00:00Z", None),
        ("1970-01-01 08:00:00", None),
        ("Thu, 01 Jan 1970 00:00:00 GMT", None),
        ("0", None),
        # an old date is still a date
        ("1970-01-05", datetime(1970, 1, 4, 16, tzinfo=UTC)),
        ("1985-03-01", datetime(1985, 2, 28, 16, tzinfo=UTC)),
    ],
)
def test_date_forms(text: str, expected: datetime | None) -> None:
    assert SHANGHAI(text) == expected


def test_cst_is_us_central_only_in_a_feed_that_is_not_chinese() -> None:
    english = DateReader("Asia/Shanghai", chinese=False)
    assert english("Fri, 20 Nov 2026 10:20:00 CST") == datetime(2026, 11, 20, 16, 20, tzinfo=UTC)


def rss(site: str, items: list[tuple[str, str, str]], language: str = "zh-CN") -> bytes:
    body = "".join(
        f"<item><title>{title}</title><link>{site}{slug}/</link><guid>{site}{slug}/</guid>"
        f"<pubDate>{date}</pubDate><description>{title}</description></item>"
        for slug, title, date in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>支部</title><link>{site}</link><description>d</description>"
        f"<language>{language}</language>{body}</channel></rss>"
    ).encode()


def registry(path: Path, url: str, feeds: dict[str, str], **extra: object) -> Path:
    data = {
        "name": "门户",
        "url": url,
        **extra,
        "branches": [{"id": k, "name": k, "feed": v} for k, v in feeds.items()],
        "allow_networks": ["127.0.0.1"],
    }
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_hugos_zero_date_is_counted_undated_and_files_no_archive(
    server: FeedServer, tmp_path: Path
) -> None:
    # a trial: gohugoio/hugo's embedded rss.xml writes .Date of an undated page as year 1;
    # the portal showed 1年1月1日 and made archives/0001/01/
    items = [
        ("about", "关于我们", "Mon, 01 Jan 0001 00:00:00 +0000"),
        ("news", "主题党日", "Sun, 22 Nov 2026 07:00:00 +0800"),
    ]
    server.route("/a/rss", body=rss(server.url("/a/"), items))
    path = registry(tmp_path / "r.yaml", server.url("/p/"), {"a": server.url("/a/rss")})
    federate(path, tmp_path / "portal")
    by_title = {e.title: e for e in stored(tmp_path / "portal")}
    assert by_title["关于我们"].published is None
    assert not (tmp_path / "portal/archives/0001").exists()
    health = json.loads((tmp_path / "portal/health.json").read_text(encoding="utf-8"))
    (row,) = health["branches"]
    assert row["inspection"]["undated"] == 1, row


def test_zone_less_and_chinese_dates_land_on_the_branch_pages_day_and_month(
    server: FeedServer, tmp_path: Path
) -> None:
    items = [
        ("a", "十一月一日早会", "2026-11-01 07:00:00"),  # 2026-10-31 23:00 UTC
        ("b", "年月日通知", "2026年11月20日"),
        ("c", "斜线通知", "2026/11/21 08:30"),
        ("d", "偏移通知", "Sun, 22 Nov 2026 07:00:00 GMT+08:00"),
    ]
    server.route("/a/rss", body=rss(server.url("/a/"), items))
    path = registry(tmp_path / "r.yaml", server.url("/p/"), {"a": server.url("/a/rss")})
    federate(path, tmp_path / "portal")
    by_title = {e.title: e for e in stored(tmp_path / "portal")}
    assert by_title["十一月一日早会"].published == datetime(2026, 10, 31, 23, tzinfo=UTC)
    assert by_title["年月日通知"].published == datetime(2026, 11, 19, 16, tzinfo=UTC)
    assert by_title["偏移通知"].published == datetime(2026, 11, 21, 23, tzinfo=UTC)
    home = (tmp_path / "portal/index.html").read_text(encoding="utf-8")
    for day in ("2026年11月1日", "2026年11月20日", "2026年11月21日", "2026年11月22日"):
        assert day in home, day
    assert "2026年10月31日" not in home
    # The archive month is the local one: no October page for a November entry.
    assert (tmp_path / "portal/archives/2026/11/index.html").is_file()
    assert not (tmp_path / "portal/archives/2026/10").exists()


def test_a_registry_timezone_moves_zone_less_dates(server: FeedServer, tmp_path: Path) -> None:
    server.route("/a/rss", body=rss(server.url("/a/"), [("a", "早会", "2026-11-01 07:00:00")]))
    path = registry(
        tmp_path / "r.yaml", server.url("/p/"), {"a": server.url("/a/rss")}, timezone="UTC"
    )
    federate(path, tmp_path / "portal")
    (entry,) = stored(tmp_path / "portal")
    assert entry.published == datetime(2026, 11, 1, 7, tzinfo=UTC)


def test_a_date_far_ahead_is_clamped_to_the_fetch_with_a_note_on_health(
    server: FeedServer, tmp_path: Path
) -> None:
    items = [("a", "置顶永远", "Fri, 31 Dec 9999 00:00:00 +0800"), ("b", "正常", "2026/11/20")]
    server.route("/a/rss", body=rss(server.url("/a/"), items))
    path = registry(tmp_path / "r.yaml", server.url("/p/"), {"a": server.url("/a/rss")})
    before = datetime.now(UTC)
    federate(path, tmp_path / "portal")
    by_title = {e.title: e for e in stored(tmp_path / "portal")}
    clamped = by_title["置顶永远"].published
    assert clamped is not None and before - timedelta(seconds=5) <= clamped
    assert clamped <= datetime.now(UTC)
    health = json.loads((tmp_path / "portal/health.json").read_text(encoding="utf-8"))
    (row,) = health["branches"]
    assert row["status"] == "ok" and "抓取时间" in (row["error"] or "")


def test_a_document_with_items_that_yields_none_is_an_error(
    server: FeedServer, tmp_path: Path
) -> None:
    # <item>s in the Atom namespace: not Atom, but readable (the forgiving parser reads them).
    atom_items = (
        '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>'
        "<item><title>一</title><link href='http://x/1'/></item></feed>"
    ).encode()
    # <item>s in a namespace no reader knows: nothing can be read, and that is an error.
    foreign = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
        b'<x:item xmlns:x="urn:x"><x:title>a</x:title></x:item></channel></rss>'
    )
    server.route("/a/atom", body=atom_items)
    server.route("/b/rss", body=foreign)
    feeds = {"a": server.url("/a/atom"), "b": server.url("/b/rss")}
    federate(registry(tmp_path / "r.yaml", server.url("/p/"), feeds), tmp_path / "portal")
    health = json.loads((tmp_path / "portal/health.json").read_text(encoding="utf-8"))
    rows = {row["id"]: row for row in health["branches"]}
    assert rows["a"]["status"] == "ok" and rows["a"]["entries"] == 1
    assert rows["b"]["status"] == "error" and "条目" in rows["b"]["error"]


def test_a_feed_of_undated_entries_is_not_stale_after_a_good_fetch(
    server: FeedServer, tmp_path: Path
) -> None:
    body = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
        "<link>http://x/</link><description>d</description>"
        "<item><title>无日期</title><link>http://x/1</link></item></channel></rss>"
    ).encode()
    server.route("/a/rss", body=body)
    path = registry(tmp_path / "r.yaml", server.url("/p/"), {"a": server.url("/a/rss")})
    federate(path, tmp_path / "portal")
    health = json.loads((tmp_path / "portal/health.json").read_text(encoding="utf-8"))
    (row,) = health["branches"]
    assert row["entries"] == 1 and row["status"] == "ok"


def test_every_date_form_reads_alike_on_both_parse_paths(
    server: FeedServer, tmp_path: Path
) -> None:
    """Issue 11, point 2, over loopback: dots, epoch seconds, ``+08:00`` in RFC 822, zone-less
    CMS dates and ``dcterms:*``, each read the same by the fast path and by feedparser's (a
    blank line before ``<?xml`` sends a feed there)."""
    dct = "http://purl.org/dc/terms/"
    forms = {
        "点": "<pubDate>2026.11.20</pubDate>",
        "纪元": "<pubDate>1763605200</pubDate>",
        "偏移": "<pubDate>Fri, 20 Nov 2026 10:20:00 +08:00</pubDate>",
        "无时区": "<pubDate>2026-11-20 10:20:00</pubDate>",
        "都柏林": "<dcterms:issued>2026-11-20T10:20:00+08:00</dcterms:issued>"
        "<dcterms:modified>2026-11-21T10:20:00+08:00</dcterms:modified>",
    }
    site = server.url("/a/")
    items = "".join(
        f"<item><title>{t}</title><link>{site}{n}/</link>{d}</item>"
        for n, (t, d) in enumerate(forms.items())
    )
    body = (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0" xmlns:dcterms="{dct}">'
        f"<channel><title>t</title><link>{site}</link><description>d</description>"
        f"<language>zh-CN</language>{items}</channel></rss>"
    )
    server.route("/fast/rss", body=body.encode())
    server.route("/slow/rss", body=("\n\n" + body).encode())
    feeds = {"fast": server.url("/fast/rss"), "slow": server.url("/slow/rss")}
    federate(registry(tmp_path / "r.yaml", server.url("/p/"), feeds), tmp_path / "portal")
    read: dict[str, dict[str, tuple]] = {"fast": {}, "slow": {}}
    for entry in stored(tmp_path / "portal"):
        read[entry.branch_id][entry.title] = (entry.published, entry.updated)
    ten_past_two = datetime(2026, 11, 20, 2, 20, tzinfo=UTC)
    assert read["fast"] == read["slow"]
    assert read["fast"]["点"][0] == datetime(2026, 11, 19, 16, tzinfo=UTC)
    assert read["fast"]["纪元"][0] == datetime(2025, 11, 20, 2, 20, tzinfo=UTC)
    assert read["fast"]["偏移"][0] == read["fast"]["无时区"][0] == ten_past_two
    assert read["fast"]["都柏林"] == (ten_past_two, ten_past_two + timedelta(days=1))
