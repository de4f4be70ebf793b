"""Feeds broken in the ways real sites break them, over real HTTP.

- A body cut short (a generator that stopped writing, a proxy's size limit): the lenient
  reader salvages the entries before the cut, the last of them with part of its text. Stored,
  that part would replace the stored entry's whole text. The cut entry is left out, the
  whole ones before it are taken, and the health page says where the feed stops; a body cut
  in its only entry is refused like a failed download.
- A body with an unescaped ``&`` (a PHP template): read as the site meant it (``R&D``, not
  the lenient reader's ``R&D;``), with a note naming the line; the note stays on the runs
  that answer 304 (it used to show on the first run only). Other XML errors are read
  leniently and noted with their line.
- More entries than a feed may list: the first ones are read and the health page says so.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from feedserver import FeedServer
from test_pipeline import Item, atom, federate, server, stored, write_registry

from federation import parse
from federation.store import Store
from federation.storeschema import SCHEMA_VERSION
from tongxin.i18n import translate

__all__ = ["server"]

LONG = "<p>" + "全文内容，" * 200 + "结尾。</p>"


def _health(out: Path) -> dict[str, dict]:
    data = json.loads((out / "health.json").read_text("utf-8"))
    return {b["id"]: b for b in data["branches"]}


def _registry(tmp_path: Path, server: FeedServer, *paths: str) -> Path:
    branches = [{"id": p.strip("/").split(".")[0], "name": p, "feed": server.url(p)} for p in paths]
    return write_registry(tmp_path / "r.yaml", "门户", "https://p.example/", branches)


def test_a_feed_cut_short_keeps_the_whole_entries_and_never_stores_the_cut_one(
    server: FeedServer, tmp_path: Path
) -> None:
    items = [Item(k, f"第{k}条", n + 1, body=LONG) for n, k in enumerate("abc")]
    whole = atom(server.url("/cut/"), "截断", items)
    server.route("/cut.xml", body=whole)
    server.route("/ok.xml", body=atom(server.url("/ok/"), "好", [Item("o", "正常", 1)]))
    registry = _registry(tmp_path, server, "/cut.xml", "/ok.xml")
    out = tmp_path / "portal"
    federate(registry, out)
    before = {e.title: e.content_html for e in stored(out, branch_id="cut")}
    assert len(before) == 3 and all("结尾" in text for text in before.values())

    # the first entry edited, the feed cut in the middle of the second entry's text
    edited = whole.replace("结尾".encode(), "改过的结尾".encode(), 2)  # summary and text
    second = edited.index("全文内容".encode(), edited.index(b"</entry>"))
    cut = edited[: second + 300]
    server.route("/cut.xml", body=cut)
    federate(registry, out)

    health = _health(out)
    line = cut.count(b"\n") + 1
    assert health["cut"]["status"] == "ok"
    assert health["cut"]["error"] == translate("zh-CN", "federation.parse.cut_short", line=line)
    assert health["ok"]["status"] == "ok" and not health["ok"]["error"]
    after = {e.title: e.content_html for e in stored(out, branch_id="cut")}
    assert "改过的结尾" in after["第a条"]  # the whole entry before the cut was taken
    assert after["第b条"] == before["第b条"]  # the cut one was not: its stored text stays
    assert after["第c条"] == before["第c条"]


def test_a_feed_cut_in_its_only_entry_is_refused(server: FeedServer, tmp_path: Path) -> None:
    whole = atom(server.url("/one/"), "一条", [Item("a", "唯一", 1, body=LONG)])
    server.route("/one.xml", body=whole)
    registry = _registry(tmp_path, server, "/one.xml")
    out = tmp_path / "portal"
    federate(registry, out)
    cut = whole[: whole.index("全文内容".encode()) + 300]
    server.route("/one.xml", body=cut)
    report = federate(registry, out)
    health = _health(out)["one"]
    assert health["status"] == "error" and "one" in report.failed
    line = cut.count(b"\n") + 1
    assert health["error"] == translate("zh-CN", "federation.parse.cut_off", line=line)
    (entry,) = stored(out, branch_id="one")
    assert "结尾" in entry.content_html
    server.route("/one.xml", body=whole)  # fixed: read again (no validator was kept)
    federate(registry, out)
    assert _health(out)["one"]["status"] == "ok"


def test_a_cut_after_the_last_entry_loses_nothing() -> None:
    from federation.model import Branch

    body = atom("https://s.example/", "S", [Item("a", "一", 1), Item("b", "二", 2)])
    for cut in (body[:-3], body[: body.rindex(b"</entry>") + len(b"</entry>")]):
        feed = parse.parse_feed(cut, url="https://s.example/f.xml", branch=Branch("s", "S", "x"))
        assert [e.title for e in feed.entries] == ["一", "二"]
        assert [key for key, _values in feed.notes] == ["federation.parse.cut_short"]


def test_a_repaired_feed_is_noted_on_every_run_while_it_stays_the_same(
    server: FeedServer, tmp_path: Path
) -> None:
    body = atom(server.url("/amp/"), "和", [Item("a", "第一条", 1), Item("b", "第二条", 2)])
    broken = body.replace("第二条".encode(), "学习 & 讨论".encode(), 1)
    server.route("/amp.xml", body=broken, etag='"amp1"')
    registry = _registry(tmp_path, server, "/amp.xml")
    out = tmp_path / "portal"

    federate(registry, out)
    first = _health(out)["amp"]
    assert first["status"] == "ok"
    assert {e.title for e in stored(out, branch_id="amp")} == {"第一条", "学习 & 讨论"}
    line = broken[: broken.index(b"& ")].count(b"\n") + 1
    expected = translate("zh-CN", "federation.parse.bare_ampersand", line=line)
    assert first["error"] == expected
    assert expected in (out / "health/index.html").read_text("utf-8").replace("&amp;", "&")

    report = federate(registry, out)  # 304: the body is the one read before
    assert report.fetched == 1 and report.new == 0
    assert _health(out)["amp"]["error"] == expected

    server.route("/amp.xml", body=body, etag='"amp2"')  # fixed
    federate(registry, out)
    assert _health(out)["amp"]["error"] in (None, "")


def test_a_feed_listing_too_many_entries_is_noted(monkeypatch) -> None:
    from federation.model import Branch

    monkeypatch.setattr(parse, "MAX_ENTRIES", 3)
    body = atom("https://s.example/", "S", [Item(f"e{i}", f"第{i}条", i + 1) for i in range(5)])
    feed = parse.parse_feed(body, url="https://s.example/f.xml", branch=Branch("s", "S", "x"))
    assert len(feed.entries) == 3
    assert feed.notes == [("federation.parse.too_many", {"count": 3})]


def test_a_store_of_schema_6_gains_the_reading_note(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    with Store(path):
        pass
    db = sqlite3.connect(path)
    db.executescript(
        "CREATE TABLE bs AS SELECT * FROM branch_state; DROP TABLE branch_state;"
        "CREATE TABLE branch_state (branch_id TEXT PRIMARY KEY, registry_feed TEXT,"
        " feed_url TEXT, etag TEXT, last_modified TEXT, http_status INTEGER, status TEXT,"
        " error TEXT, last_attempt TEXT, last_success TEXT, last_entry TEXT,"
        " retry_not_before TEXT, content_hash TEXT);"
        "INSERT INTO branch_state (branch_id, status) VALUES ('old', 'ok');"
        "PRAGMA user_version=6;"
    )
    db.close()
    with Store(path) as store:
        state = store.branch_state("old")
        assert state is not None and state.status == "ok" and state.reading_note is None
        assert store.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def _rss(items: list[str]) -> bytes:
    body = "".join(
        f"<item><title>{t}</title><link>https://w.example/?p={n}</link><guid>w{n}</guid>"
        f"<description>{d}</description></item>\n"
        for n, (t, d) in enumerate(item.split("|") for item in items)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel><title>W</title>\n'
        f"<link>https://w.example/</link>\n{body}</channel></rss>\n"
    ).encode()


def _read(body: bytes):
    from federation.model import Branch

    return parse.parse_feed(body, url="https://w.example/feed/", branch=Branch("w", "W", "x"))


def test_a_bare_ampersand_is_read_as_the_site_meant_it() -> None:
    body = _rss(["会议 R&D 基地|研究了 R&D 基地", "讲座|<![CDATA[<p>问 & 答</p>]]>"])
    feed = _read(body)
    assert feed.format == "rss"  # read whole, not by the lenient reader
    assert [e.title for e in feed.entries] == ["会议 R&D 基地", "讲座"]
    assert feed.entries[0].summary_html == "研究了 R&D 基地"  # the lenient reader: R&D;
    assert feed.entries[1].summary_html == "<p>问 & 答</p>"  # CDATA is left as it is
    line = body[: body.index(b"R&D")].count(b"\n") + 1
    assert feed.notes == [("federation.parse.bare_ampersand", {"line": line})]


def test_a_bare_ampersand_in_a_feed_cut_short_neither_spoils_text_nor_hides_the_cut() -> None:
    whole = _rss(["第一|一 R&D", "第二|二", "第三|三"])
    cut = whole[: whole.index(b"<description>\xe4\xb8\x89")]  # inside the third item
    feed = _read(cut)
    assert [e.title for e in feed.entries] == ["第一", "第二"]  # the cut one left out
    assert feed.entries[0].summary_html == "一 R&D"  # the lenient reader alone: R&D;
    assert [key for key, _values in feed.notes] == ["federation.parse.cut_short"]


def test_an_error_before_the_cut_is_noted_with_the_cut() -> None:
    whole = _rss(["第一|一", "第二 <b>粗|二", "第三|三"])
    cut = whole[: whole.index(b"<description>\xe4\xb8\x89")]
    feed = _read(cut)
    assert [e.title for e in feed.entries][:1] == ["第一"]
    assert "第三" not in [e.title for e in feed.entries]
    keys = [key for key, _values in feed.notes]
    # the unclosed <b> is named in words, not by the parser's English
    assert keys == ["federation.parse.repaired_tag", "federation.parse.cut_short"]
    assert set(feed.notes[0][1]) == {"line"}


def test_a_whole_feed_without_entries_is_not_taken_for_a_cut_one() -> None:
    body = b'<feed version="0.3" xmlns="http://purl.org/atom/ns#"><title>T</title></feed>\n'
    feed = _read(body)  # an empty feed is a feed (read by the lenient reader: Atom 0.3)
    assert feed.entries == [] and feed.notes == []


def test_a_branch_read_with_a_note_is_listed_before_the_fine_ones() -> None:
    from federation.health_table import severity
    from federation.model import BranchHealth

    def row(branch_id: str, error: str | None) -> BranchHealth:
        return BranchHealth(branch_id, branch_id, "ok", 200, None, None, 1, error)

    rows = [row("fine", None), row("noted", "订阅的 XML 在第 3 行有错"), row("also", None)]
    assert [r.id for r in sorted(rows, key=severity)] == ["noted", "fine", "also"]


def test_unclosed_sections_in_a_hostile_body_take_linear_time() -> None:
    """Each unclosed ``<!--`` or ``<![CDATA[`` made the & repair scan to the end of the body:
    8,000 of them took 2 s, 30,000 about 28 s."""
    import time

    from federation.repair import escape_bare_ampersands

    for opening in (b"<!-- & ", b"<![CDATA[ & "):
        body = _rss(["一|一 & 二"]).replace(b"</channel>", opening * 30_000 + b"</channel>")
        started = time.perf_counter()
        fixed = escape_bare_ampersands(body)
        with_feed = _read(body)  # the whole path: lxml twice, then the lenient reader
        assert time.perf_counter() - started < 5
        assert "一 &amp; 二".encode() in fixed and fixed.endswith(body[-1000:])
        assert [e.title for e in with_feed.entries] == ["一"]
    assert escape_bare_ampersands(b"a&b<![CDATA[&]]>c&amp;<!--&-->&") == (
        b"a&amp;b<![CDATA[&]]>c&amp;<!--&-->&amp;"
    )
