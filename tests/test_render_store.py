"""The portal rendered from the store's light rows: the same bytes as from full entries,
and a run with one entry changed rewrites only the pages that show it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tongxin.federation import portal_feeds
from tongxin.federation.health import branch_health
from tongxin.federation.model import Branch, Entry, FetchResult, Registry
from tongxin.federation.portal import PortalContent, PortalRenderer, Publisher
from tongxin.federation.store import Store, entry_from_listing_row

from tongxin.zones import zone

NOW = datetime(2026, 5, 20, tzinfo=UTC)
A = Branch("a", "甲支部", "https://a.example/feeds/all.atom.xml", region="东区")
B = Branch("b", "乙支部", "https://b.example/feeds/all.atom.xml", region="西区")
REGISTRY = Registry("门户", "https://portal.example/", [A, B])
#: Files whose bytes depend on the run, not on the entries: fingerprints and the OPML date.
RUN_FILES = {".tongxin-manifest.json", ".tongxin-api-spans.txt", "feeds/branches.opml"}


def entry(n: int, branch: Branch = A, **changes: object) -> Entry:
    site = f"https://{branch.id}.example/"
    published = NOW - timedelta(hours=7 * n)
    data: dict[str, object] = {
        "entry_id": f"{site}news/{n}/",
        "branch_id": branch.id,
        "url": f"{site}news/{n}/",
        "title": f"条目 <{n}> & “标题”",
        "origin_branch_id": branch.id,
        "origin_branch_name": branch.name,
        "origin_branch_url": site,
        "origin_feed_url": branch.feed,
        "summary_html": f"<p>摘要 {n} &amp; more</p>" if n % 5 else "",
        "content_html": f"<p>正文 {n}</p>",
        "published": published,
        "updated": published + timedelta(hours=1) if n % 4 == 0 else published,
        "type": ("news", "announcements", "study", "pages")[n % 4] if n % 9 else "news",
        "tags": ["学习", "通知"] if n % 3 == 0 else [],
        "author": "王" if n % 2 else "",
        "pinned": n % 4 == 1 and n < 30,
        "expires": NOW - timedelta(days=1) if n % 13 == 1 else None,
    }
    data.update(changes)
    return Entry(**data)  # type: ignore[arg-type]


def store_with(path: Path, entries: list[Entry]) -> Store:
    store = Store(path)
    for branch in (A, B):
        mine = [e for e in entries if e.branch_id == branch.id]
        result = FetchResult(branch.id, branch.feed, status=200, body=b"<feed/>", etag='"e"')
        store.record_fetch(branch, result, mine, status="ok", now=NOW)
    return store


def corpus() -> list[Entry]:
    return [entry(n, A if n % 3 else B) for n in range(1, 260)] + [
        entry(900, quarantine_reason="gambling keywords"),  # held back: never shown
    ]


def from_rows(store: Store) -> PortalContent:
    # dates shown in the registry's zone, as the renderer shows entries given as a list
    local = zone(REGISTRY.timezone)
    return PortalContent.from_rows(store.listing_rows(), NOW, store.entries_by_id, local)


def tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and p.relative_to(root).as_posix() not in RUN_FILES
    }


def test_rendering_from_store_rows_equals_rendering_from_entries(tmp_path: Path) -> None:
    store = store_with(tmp_path / "p.sqlite", corpus())
    health = branch_health(REGISTRY, store, now=NOW)
    rows_out, entries_out = tmp_path / "rows", tmp_path / "entries"
    rows_out.mkdir()
    entries_out.mkdir()
    PortalRenderer(REGISTRY, now=NOW).render(from_rows(store), health, rows_out)
    PortalRenderer(REGISTRY, now=NOW).render(store.entries(), health, entries_out)
    rows_tree, entries_tree = tree(rows_out), tree(entries_out)
    assert rows_tree.keys() == entries_tree.keys()
    assert [k for k in rows_tree if rows_tree[k] != entries_tree[k]] == []
    assert "gambling" not in rows_tree["api/index.json"].decode()


def test_a_listing_row_holds_the_stored_entry_but_its_body(tmp_path: Path) -> None:
    store = store_with(tmp_path / "p.sqlite", corpus())
    full = store.entries()
    light = [entry_from_listing_row(row) for row in store.listing_rows()]
    assert [e.entry_id for e in light] == [e.entry_id for e in full]
    for lean, whole in zip(light, full, strict=True):
        assert lean.content_html == ""
        assert lean.__dict__ | {"content_html": whole.content_html} == whole.__dict__
    ids = [full[5].entry_id, full[0].entry_id, "https://nowhere.example/"]
    assert store.entries_by_id(ids) == [full[5], full[0]]


def test_one_new_entry_rewrites_only_the_pages_that_show_it(tmp_path: Path) -> None:
    entries = corpus()
    store = store_with(tmp_path / "p.sqlite", entries)
    publisher = Publisher(tmp_path / "out")
    first = publisher.new_version("1")
    health = branch_health(REGISTRY, store, now=NOW)
    PortalRenderer(REGISTRY, now=NOW).render(from_rows(store), health, first)
    publisher.publish(first)

    # A new entry of branch b, one of a's entries edited, and every fetch an hour later.
    later = NOW + timedelta(hours=1)
    changed = [entry(0, B, title="最新条目"), entry(2, A, title="改过的标题")]
    for branch in (A, B):
        mine = [e for e in changed if e.branch_id == branch.id]
        result = FetchResult(branch.id, branch.feed, status=200, body=b"<x/>", etag='"f"')
        store.record_fetch(branch, result, mine, status="ok", now=later)
    health = branch_health(REGISTRY, store, now=NOW)
    warm = publisher.new_version("2")
    stats = PortalRenderer(REGISTRY, now=NOW).render(
        from_rows(store), health, warm, previous=publisher.current()
    )
    assert "api/index.json" in stats.pages and "feeds/all.atom.xml" in stats.pages
    assert "branches/b/index.html" in stats.pages
    # Older numbered pages keep their bytes; so does a branch page whose entries did not
    # change although its fetch time did.
    assert not [p for p in stats.pages if "/page-" in p and not p.startswith("archives/")]
    assert stats.reused >= 10, stats.pages

    cold = tmp_path / "cold"
    cold.mkdir()
    PortalRenderer(REGISTRY, now=NOW).render(from_rows(store), health, cold)
    assert tree(warm) == tree(cold)


def test_a_branch_page_is_linked_when_only_its_fetch_time_changed(tmp_path: Path) -> None:
    store = store_with(tmp_path / "p.sqlite", corpus())
    publisher = Publisher(tmp_path / "out")
    first = publisher.new_version("1")
    PortalRenderer(REGISTRY, now=NOW).render(
        from_rows(store), branch_health(REGISTRY, store, now=NOW), first
    )
    publisher.publish(first)
    for branch in (A, B):  # fetched again, nothing new: only last_success moves
        result = FetchResult(branch.id, branch.feed, status=304, body=None, not_modified=True)
        store.record_fetch(branch, result, None, status="ok", now=NOW + timedelta(hours=1))
    second = publisher.new_version("2")
    stats = PortalRenderer(REGISTRY, now=NOW).render(
        from_rows(store),
        branch_health(REGISTRY, store, now=NOW),
        second,
        previous=publisher.current(),
    )
    assert "branches/a/index.html" not in stats.pages
    assert sorted(p for p in stats.pages if p.endswith(".html")) == ["health/index.html"]


def test_the_api_index_copied_in_runs_equals_one_dump() -> None:
    site = PortalRenderer(REGISTRY, now=NOW).site
    entries = [entry(n) for n in range(60)]
    data, spans = portal_feeds.api_index_spans(site, entries, NOW)
    previous = portal_feeds.PreviousApiIndex.parse(
        data, "".join(f"{key} {start} {end}\n" for key, start, end in spans)
    )
    # New at the top, one edited, one dropped, two swapped: runs break at each of them.
    edited = [
        entry(-1),
        *entries[:10],
        entry(10, title="新标题"),
        *entries[11:20],
        entries[21],
        entries[20],
        *entries[23:],
    ]
    keys = [portal_feeds.api_entry_key(e) for e in edited]
    got, got_spans = portal_feeds.api_index_spans(site, edited, NOW, previous, keys=keys)
    assert got == portal_feeds.api_index(site, edited, NOW)
    for key, start, end in got_spans:
        assert got[start:end].startswith(b'{"id":') and key in keys
    # A span that no longer frames an entry is not trusted.
    damaged = portal_feeds.PreviousApiIndex(data, [(keys[1], 0, 10)])
    assert damaged(keys[1]) is None


def test_health_from_batched_queries_equals_one_query_per_branch(tmp_path: Path) -> None:
    store = store_with(tmp_path / "p.sqlite", corpus())

    class PerBranch:
        """The store seen through the per-branch readers only."""

        def __getattr__(self, name: str) -> object:
            if name in ("branch_states", "branch_summary", "activity_by_branch"):
                raise AttributeError(name)
            return getattr(store, name)

    batched = branch_health(REGISTRY, store, now=NOW)
    assert batched == branch_health(REGISTRY, PerBranch(), now=NOW)  # type: ignore[arg-type]
    assert sum(row.entries for row in batched) == len(store.entries())


def test_branch_pages_escape_names_and_feed_addresses(tmp_path: Path) -> None:
    from tongxin.federation.model import BranchHealth

    c = Branch("c", "丙支部 <&>", "https://c.example/feeds/all.atom.xml?x=1&y=2")
    d = Branch("d", "丁支部", "https://d.example/feeds/all.atom.xml", region="东区")
    registry = Registry("门户", "https://portal.example/", [A, B, c, d])
    # a: older pages; b: a few entries; c: no region, no health row; d: no entries at all.
    entries = [entry(n, A) for n in range(1, 200)] + [entry(n, B) for n in range(300, 305)]
    entries += [entry(n, c) for n in range(400, 452)]
    health = [
        BranchHealth("a", "甲支部", "ok", 200, None, "2026-05-19T03:00:00+00:00", 199, None),
        BranchHealth("b", "乙支部", "stale", 200, None, None, 5, None),
        BranchHealth("d", "丁支部", "error", None, None, None, 0, "HTTP 500"),
    ]
    out = tmp_path / "out"
    out.mkdir()
    PortalRenderer(registry, now=NOW).render(entries, health, out)
    page = (out / "branches/c/index.html").read_text(encoding="utf-8")
    assert "丙支部 &lt;&amp;&gt;" in page and "x=1&amp;y=2" in page
    assert (out / "branches/d/index.html").is_file()


def test_the_portal_looks_for_lunr_where_the_search_plugin_does(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from tongxin.federation.portal import lunr_candidates
    from tongxin.plugins.search_index import node_modules_candidates

    assert lunr_candidates() == node_modules_candidates(None)
    monkeypatch.setenv("TONGXIN_NODE_MODULES", str(tmp_path))
    assert lunr_candidates() == node_modules_candidates(None)


def test_old_versions_leave_the_versions_folder_at_once_and_are_deleted_behind(
    tmp_path: Path,
) -> None:
    import time

    publisher = Publisher(tmp_path / "www")
    for n in range(4):
        folder = publisher.new_version(str(n))
        (folder / "index.html").write_text(str(n), encoding="utf-8")
        (folder / ".tongxin-manifest.json").write_text("{}", encoding="utf-8")
        publisher.publish(folder)
    versions = sorted(p.name for p in (tmp_path / ".www.versions").iterdir())
    assert len(versions) == 2 and (tmp_path / "www/index.html").read_text() == "3"
    trash = tmp_path / ".www.trash"
    deadline = time.monotonic() + 10
    while trash.exists() and any(trash.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not trash.exists() or not any(trash.iterdir())
