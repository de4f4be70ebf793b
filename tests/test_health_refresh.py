"""The health refresh of a run where nothing changed: the store's per-branch facts (counts,
newest entry, activity, held entries) are remembered per generation, and never go stale."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from test_store import B1, entry, ok
from tongxin.federation.health import branch_health, sparkline_svg
from tongxin.federation.model import Branch, FetchResult, Registry
from tongxin.federation.portal import PortalRenderer
from tongxin.federation.store import Store

B2 = Branch("b2", "第二支部", "https://b2.example.org/feeds/all.atom.xml")
REGISTRY = Registry(name="门户", url="https://p.example/", branches=[B1, B2], path=Path("r.yaml"))
NOW = datetime(2026, 1, 20, tzinfo=UTC)


def not_modified(branch: Branch) -> FetchResult:
    return FetchResult(branch.id, branch.feed, status=304, not_modified=True, etag='"e"')


def facts(store: Store) -> tuple[object, ...]:
    return (
        store.branch_summary(),
        store.activity_by_branch(3, NOW),
        store.held_by_branch(),
    )


def test_remembered_facts_equal_a_fresh_scan_after_every_kind_of_change(tmp_path: Path) -> None:
    with Store(tmp_path / "p.sqlite") as store:
        store.record_fetch(B1, ok(), [entry(1), entry(2)], status="ok")
        first = facts(store)
        assert facts(store) == first  # the second read is the remembered one
        assert first[0] == {"b1": (2, "2026-01-02T00:00:00+00:00")}
        # a new entry
        store.record_fetch(B1, ok(), [entry(1), entry(2), entry(3)], status="ok")
        assert store.branch_summary()["b1"] == (3, "2026-01-03T00:00:00+00:00")
        assert store.activity_by_branch(3, NOW)["b1"] == [0, 0, 3]
        # a held entry, then the operator's decision on it
        spam = entry(4, quarantine_reason="赌博", quarantine_rule="terms:gambling")
        store.record_fetch(B1, ok(), [entry(1), entry(2), entry(3), spam], status="ok")
        assert store.held_by_branch() == {"b1": (1, "terms:gambling")}
        assert store.branch_summary()["b1"][0] == 3
        store.decide(spam.entry_id, "release")
        assert store.held_by_branch() == {}
        assert store.branch_summary()["b1"] == (4, "2026-01-04T00:00:00+00:00")
        # a new month shows other months, though no entry changed
        later = datetime(2026, 3, 1, tzinfo=UTC)
        assert store.activity_by_branch(3, later)["b1"] == [4, 0, 0]
        # nothing but 304s: the facts stay as they were
        before = facts(store)
        store.record_fetch(B1, not_modified(B1), None, status="ok")
        assert facts(store) == before
    with Store(tmp_path / "p.sqlite") as store:  # remembered across runs (a new process)
        assert facts(store) == before


def test_remembered_facts_from_another_connection_are_not_trusted_after_a_change(
    tmp_path: Path,
) -> None:
    path = tmp_path / "p.sqlite"
    with Store(path) as writer, Store(path) as other:
        writer.record_fetch(B1, ok(), [entry(1)], status="ok")
        assert other.branch_summary() == {"b1": (1, "2026-01-01T00:00:00+00:00")}
        writer.record_fetch(B2, ok(B2), [entry(5, branch=B2, entry_id="x5")], status="ok")
        assert other.branch_summary()["b2"] == (1, "2026-01-05T00:00:00+00:00")


def test_a_read_only_store_answers_without_remembering(tmp_path: Path) -> None:
    path = tmp_path / "p.sqlite"
    with Store(path) as store:
        store.record_fetch(B1, ok(), [entry(1)], status="ok")
    reader = Store.reader(path)
    try:
        assert reader.branch_summary() == {"b1": (1, "2026-01-01T00:00:00+00:00")}
        assert reader.get_meta("remembered:branch_summary") is None
    finally:
        reader.close()


def test_health_rows_name_the_newest_held_entrys_rule_and_count(tmp_path: Path) -> None:
    held = [
        entry(n, quarantine_reason="x", quarantine_rule=rule)
        for n, rule in ((1, "hidden_links"), (2, "terms:gambling"))
    ]
    with Store(tmp_path / "p.sqlite") as store:
        store.record_fetch(B1, ok(), held, status="ok")
        [row, never] = branch_health(REGISTRY, store, now=NOW)
    assert row.status == "quarantined" and never.status == "error"
    from tongxin.federation.screen import rule_label

    newest, older = rule_label("zh-CN", "terms:gambling"), rule_label("zh-CN", "hidden_links")
    assert newest != older
    assert "2" in (row.error or "") and newest in (row.error or "")


def test_health_page_is_unchanged_by_the_sparkline_cache(tmp_path: Path) -> None:
    with Store(tmp_path / "p.sqlite") as store:
        store.record_fetch(B1, ok(), [entry(1), entry(2)], status="ok")
        store.record_fetch(B2, ok(B2), [entry(3, branch=B2, entry_id="y3")], status="ok")
        rows = branch_health(REGISTRY, store, now=NOW)
    renderer = PortalRenderer(REGISTRY, now=NOW)
    page = renderer.health_html(rows)
    for row in rows:
        assert sparkline_svg(row.activity, language="zh-CN", branch_name=row.name, now=NOW) in page
    assert renderer.health_html(rows) == page


def test_the_stores_summary_equals_the_renderers_from_the_listing(tmp_path: Path) -> None:
    from tongxin.federation.store import listing_summary

    spam = entry(4, quarantine_reason="赌博", quarantine_rule="terms:gambling")
    with Store(tmp_path / "p.sqlite") as store:
        store.record_fetch(B1, ok(), [entry(1), entry(2), spam], status="ok")
        store.record_fetch(B2, ok(B2), [entry(3, branch=B2, entry_id="y3")], status="ok")
        assert (
            store.branch_summary()
            == listing_summary(store.listing_rows())
            == {
                "b1": (2, "2026-01-02T00:00:00+00:00"),
                "b2": (1, "2026-01-03T00:00:00+00:00"),
            }
        )


def test_branch_summary_counts_only_visible_entries_and_their_newest_date(
    tmp_path: Path,
) -> None:
    b3 = Branch("b3", "第三支部", "https://b3.example.org/feeds/all.atom.xml")
    b4 = Branch("b4", "第四支部", "https://b4.example.org/feeds/all.atom.xml")
    b5 = Branch("b5", "第五支部", "https://b5.example.org/feeds/all.atom.xml")

    def held(n: int, branch: Branch = B1) -> object:
        return entry(n, branch=branch, entry_id=f"{branch.id}-{n}", quarantine_reason="x")

    with Store(tmp_path / "p.sqlite") as store:
        # b1: its newest entry is held, an older one released, another rejected
        store.record_fetch(B1, ok(), [entry(1), held(5), held(3), entry(2)], status="ok")
        store.decide("b1-3", "release")
        store.decide(entry(2).entry_id, "reject")
        # b2: nothing but held entries; b3: undated entries only; b4: plain; b5: rejected only
        store.record_fetch(B2, ok(B2), [held(1, B2)], status="ok")
        undated = [entry(n, branch=b3, entry_id=f"b3-{n}", published=None) for n in (1, 2)]
        undated[1].updated = datetime(2026, 1, 9, tzinfo=UTC)
        store.record_fetch(b3, ok(b3), undated, status="ok")
        store.record_fetch(b4, ok(b4), [entry(7, branch=b4, entry_id="b4-7")], status="ok")
        store.record_fetch(b5, ok(b5), [entry(8, branch=b5, entry_id="b5-8")], status="ok")
        store.decide("b5-8", "reject")
        assert store.branch_summary() == {
            "b1": (2, "2026-01-03T00:00:00+00:00"),
            "b3": (2, "2026-01-09T00:00:00+00:00"),
            "b4": (1, "2026-01-07T00:00:00+00:00"),
        }
