"""What the portal's index reads from each entry: tags, the written summary, the branch's
region (registry), and a region moved in the registry re-indexing that branch's entries."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from feedserver import FeedServer

from federation.index import build_portal_index, plan_portal_index, search_docs
from federation.model import Branch, Entry, FetchResult
from federation.morelink import without_more_link
from federation.store import Store
from tongxin.search.model import title_field


def _entry(branch: str, k: int, **fields) -> Entry:
    url = f"https://{branch}.example/news/e{k}/"
    defaults = {
        "entry_id": url,
        "branch_id": branch,
        "url": url,
        "title": f"第{k}号通知",
        "origin_branch_name": f"{branch}支部",
        "content_html": "<p>支部书记带队走访老党员。</p>",
        "published": datetime(2026, 5, k + 1, tzinfo=UTC),
    }
    defaults.update(fields)
    return Entry(**defaults)


ENTRIES = [
    _entry("b1", 1, tags=["敬老"]),
    _entry("b1", 2, summary_html="<p>The <b>AGM</b> agenda.</p>"),
    _entry("b2", 3),
]


def test_tags_summary_and_region_reach_the_search_documents() -> None:
    docs = {d.id: d for d in search_docs(ENTRIES, {"b1": "东城区"})}
    first, second, third = (docs[e.entry_id] for e in ENTRIES)
    assert first.tags == ("敬老",) and first.region == "东城区"
    assert "AGM" in second.summary
    assert third.region == ""


def test_a_result_knows_its_entrys_language(tmp_path: Path) -> None:
    """A hit from an English branch on a Chinese portal is marked English (WCAG 3.1.2): the
    language the feed declares goes into the result's meta row (after its tags)."""
    entries = [_entry("en", 1, language="en", title="Annual meeting"), _entry("cn", 2)]
    entries.append(_entry("tw", 3, language="zh-TW", tags=["志願"]))
    docs = {d.id: d for d in search_docs(entries)}
    assert [docs[e.entry_id].lang for e in entries] == ["en", "", "zh-TW"]
    written = search_docs([_entry("cn", 4, author="陈立军")])[0]
    assert written.author == "陈立军" and "陈立军" in title_field(written)
    build_portal_index(entries, tmp_path / "v1", None, None)
    rows: dict = {}
    for block in (tmp_path / "v1" / "search" / "meta").glob("*.json"):
        rows.update(json.loads(block.read_text("utf-8")))
    by_url = {row[0]: row for row in rows.values()}
    assert by_url[entries[0].url][6:] == ["", "en"]  # no tags: an empty tags slot, then en
    assert len(by_url[entries[1].url]) == 6  # nothing more for an entry that declares none
    assert by_url[entries[2].url][6:] == ["志願", "zh-TW"]


def _manifest(version: Path) -> dict:
    return json.loads((version / "search" / "manifest.json").read_text("utf-8"))


def test_regions_are_a_filter_with_counts(tmp_path: Path) -> None:
    build_portal_index(ENTRIES, tmp_path / "v1", None, None, regions={"b1": "东城区"})
    manifest = _manifest(tmp_path / "v1")
    assert manifest["regions"] == ["东城区"] and manifest["facets"]
    facets = json.loads((tmp_path / "v1" / "search" / "facets.json").read_text("utf-8"))
    assert sorted(tuple(facets["values"][i]) for i in facets["refs"].values()) == [
        ("b1支部", "news", "东城区"),
        ("b1支部", "news", "东城区"),
        ("b2支部", "news", ""),
    ]
    assert (tmp_path / "v1" / "search" / "manifest.json.gz").exists()


def test_a_region_moved_in_the_registry_reindexes_that_branch(tmp_path: Path) -> None:
    store = Store(tmp_path / "portal.sqlite3")
    for branch_id in ("b1", "b2"):
        branch = Branch(branch_id, branch_id, f"https://{branch_id}.example/feed")
        own = [e for e in ENTRIES if e.branch_id == branch_id]
        store.record_fetch(
            branch, FetchResult(branch_id, branch.feed, status=200, body=b"x"), own, status="ok"
        )
    cache = tmp_path / "cache"

    def plan(previous, regions):
        return plan_portal_index(
            store.listing_rows(), previous, cache, load=store.entries_by_id,
            load_all=store.entries, regions=regions,
        )  # fmt: skip

    first = plan(None, {"b1": "东城区"})
    build_portal_index(first, tmp_path / "v1", None, cache)
    assert plan(tmp_path / "v1", {"b1": "东城区"}).mode == "reused"
    moved = plan(tmp_path / "v1", {"b1": "西城区"})
    assert moved.mode != "reused"
    build_portal_index(moved, tmp_path / "v2", tmp_path / "v1", cache)
    assert "西城区" in json.dumps(_manifest(tmp_path / "v2"), ensure_ascii=False) or (
        "西城区" in (tmp_path / "v2" / "search" / "delta" / "facets.json").read_text("utf-8")
    )


# WordPress shapes, cleaned as the pipeline stores them: the RSS excerpt (zh_CN), Twenty
# Seventeen's more link (its "Continue reading<span class="screen-reader-text"> "%s"</span>"
# in zh_CN), core's class="more-link", underscores' "Continue reading %s →".
WORDPRESS = [
    (
        "<p>西湖村党支部组织党员参加培训&#8230; "
        '<a href="https://wp.example/2026/12/05/hello/">继续阅读</a></p>',
        "西湖村党支部组织党员参加培训…",
    ),
    (
        '<p>支部召开组织生活会。</p><p class="link-more"><a href="https://wp.example/p/5/#more-5"'
        ' class="more-link">继续阅读<span class="screen-reader-text">“组织生活会”</span></a></p>',
        "支部召开组织生活会。",
    ),
    (
        "<p>Volunteers cleaned the park. [&#8230;]</p>",
        "Volunteers cleaned the park.",
    ),
    (
        '<p>Members met. <a href="https://wp.example/p/6/">Continue reading Members met '
        '<span class="meta-nav">&rarr;</span></a></p>',
        "Members met.",
    ),
]


def test_a_blogs_continue_reading_link_is_not_searched_or_shown() -> None:
    from federation.sanitise import clean_html
    from tongxin.search.model import excerpt

    for i, (raw, text) in enumerate(WORDPRESS):
        html = clean_html(raw, "https://wp.example/")
        entry = _entry("wp", i, content_html=None, summary_html=html)
        (doc,) = search_docs([entry])
        assert doc.text == text and excerpt(doc, 120) == text, (raw, doc.text)
    # a link in the middle that happens to say 继续阅读 is text
    middle = '<p>请<a href="https://wp.example/x/">继续阅读相关材料</a>后讨论。</p>'
    (doc,) = search_docs([_entry("wp", 9, content_html=middle)])
    assert doc.text == "请继续阅读相关材料后讨论。"


def test_more_link_search_is_linear_in_a_hostile_body() -> None:
    """20,000 unclosed links (an attacker's body): one match is tried, at the last <a; trying
    each, every one scanning to the end, took 24 s for 8,000."""
    body = "<p>正文</p>" + '<a href="#">继续阅读 ' * 20_000
    started = time.perf_counter()
    assert without_more_link(body) == body
    assert time.perf_counter() - started < 2.0
    closed = '<p>正文</p><p><a href="/x" class="more-link">继续阅读</a></p>'
    assert without_more_link(closed) == "<p>正文</p><p></p>"
    # 200,000 spaces before the end (the excerpt's […] was looked for after each one: 9 s for
    # 80,000), and 20,000 […] in a row
    for body in ("<p>正文" + " " * 200_000 + "x</p>", "<p>正文" + " [&#8230;]" * 20_000 + "</p>"):
        started = time.perf_counter()
        without_more_link(body)
        assert time.perf_counter() - started < 2.0
    assert "".join(without_more_link("<p>正文 [&#8230;] [&#8230;] </p>").split()) == "<p>正文</p>"
    assert without_more_link("<p>[…]正文</p>") == "<p>[…]正文</p>"


def test_results_show_the_portal_day_not_the_utc_one(tmp_path: Path) -> None:
    """Stored times are UTC: an entry dated 2025-01-01 in Beijing (its midnight) is
    2024-12-31 16:00 UTC. The portal's search showed 2024年12月31日 for it and filed it under
    2024; every entry published before 08:00 was a day early. It shows the portal's day."""
    from zoneinfo import ZoneInfo

    from test_pipeline import Item, atom, write_registry

    from federation.pipeline import run

    with FeedServer() as server:
        site = server.url("/a/")
        feed = atom(site, "东江社区", [Item("x", "新年通知", 1)]).decode()
        midnight = "2025-01-01T00:00:00+08:00"
        feed = re.sub(r"<published>[^<]*</published>", f"<published>{midnight}</published>", feed)
        feed = re.sub(r"<updated>[^<]*</updated>", f"<updated>{midnight}</updated>", feed)
        server.route("/a/feed", body=feed.encode())
        registry = write_registry(
            tmp_path / "r.yaml", "门户", "https://p.example/",
            [{"id": "a", "name": "东江社区", "feed": server.url("/a/feed")}],
        )  # fmt: skip
        out = tmp_path / "portal"
        run(registry, out, tmp_path / "portal.sqlite3")
    manifest = _manifest(out)
    rows = [
        row
        for block in (out / "search" / "meta").glob("*.json")
        for row in json.loads(block.read_text("utf-8")).values()
    ]
    (row,) = [r for r in rows if r[1] == "新年通知"]
    assert row[4] == "2025-01-01", row
    assert "2025" in json.dumps(manifest["years"]) and "2024" not in json.dumps(manifest["years"])
    # the document itself carries the day in the portal's zone
    entry = Entry(entry_id="e", branch_id="a", url="u", title="t",
                  published=datetime(2024, 12, 31, 16, tzinfo=UTC))  # fmt: skip
    (doc,) = search_docs([entry], zone=ZoneInfo("Asia/Shanghai"))
    assert str(doc.date).startswith("2025-01-01")


def test_a_branch_of_a_new_region_joining_in_a_delta_is_in_the_region_filter(
    tmp_path: Path,
) -> None:
    """The delta kept the base's regions: the region select never offered the new one."""
    store = Store(tmp_path / "portal.sqlite3")

    def fetched(branch_id: str, count: int) -> None:
        branch = Branch(branch_id, branch_id, f"https://{branch_id}.example/feed")
        when = datetime(2026, 5, 1, tzinfo=UTC)
        own = [
            Entry(
                entry_id=f"https://{branch_id}.example/e{k}/", branch_id=branch_id,
                url=f"https://{branch_id}.example/e{k}/", title=f"第{k}号通知",
                origin_branch_name=f"{branch_id}支部", content_html="<p>走访老党员。</p>",
                published=when + timedelta(hours=k),
            )
            for k in range(count)
        ]  # fmt: skip
        store.record_fetch(
            branch, FetchResult(branch_id, branch.feed, status=200, body=b"x"), own, status="ok"
        )

    fetched("b1", 100)
    cache, regions = tmp_path / "cache", {"b1": "东城区", "b2": "西城区"}

    def plan(previous):
        return plan_portal_index(
            store.listing_rows(), previous, cache, load=store.entries_by_id,
            load_all=store.entries, regions=regions,
        )  # fmt: skip

    build_portal_index(plan(None), tmp_path / "v1", None, cache)
    assert _manifest(tmp_path / "v1")["regions"] == ["东城区"]
    fetched("b2", 2)
    joined = plan(tmp_path / "v1")
    assert joined.mode == "delta"
    build_portal_index(joined, tmp_path / "v2", tmp_path / "v1", cache)
    assert _manifest(tmp_path / "v2")["regions"] == ["东城区", "西城区"]
