"""The portal's base + delta search index: what a cold build would give, for a fraction of it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tongxin.federation.index import (
    IndexAside,
    build_portal_index,
    entry_keys,
    plan_portal_index,
    row_keys,
)
from tongxin.federation.model import Branch, Entry, FetchResult
from tongxin.federation.store import Store

from tongxin.search import DeltaRefused, SearchDoc, build_delta_index, build_search_index
from tongxin.search.base import STATE_FILE
from tongxin.search.refs import PART_KEYS, base_ref, day_number, part_key, ref_number

FACETS = ("docs", "branches", "types", "years", "typeCounts")


def _entries(branches: int, per: int, edited: int = -1, tag: str = "") -> list[Entry]:
    base = datetime(2026, 5, 1, tzinfo=UTC)
    out = []
    for b in range(branches):
        for k in range(per):
            url = f"https://b{b}.example/news/e{k}/"
            extra = tag if b == edited else ""
            out.append(
                Entry(
                    entry_id=url,
                    branch_id=f"b{b}",
                    url=url,
                    title=f"第{b}支部 第{k}号通知{extra}",
                    origin_branch_name=f"第{b}党支部",
                    content_html=f"<p>加强网络党建工作，兩學一做常態化。第{k}条{extra}</p>",
                    published=base - timedelta(days=k * 40 + b),
                    type=("news", "study", "announcements")[k % 3],
                )
            )
    return out


def _manifest(version: Path) -> dict:
    return json.loads((version / "search" / "manifest.json").read_text("utf-8"))


def _inodes(version: Path) -> dict[str, int]:
    folder = version / "search"
    return {
        str(p.relative_to(folder)): p.stat().st_ino
        for sub in ("shards", "meta")
        for p in (folder / sub).iterdir()
    }


def _version(root: Path, name: str) -> Path:
    (root / name / "search").mkdir(parents=True)
    return root / name


def test_one_changed_branch_writes_a_delta_and_links_the_base(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    v1, v2, v3 = (_version(tmp_path, n) for n in ("v1", "v2", "v3"))
    build_portal_index(_entries(40, 10), v1, None, cache)
    assert (cache / STATE_FILE).exists(), "the cold build keeps the base's refs for deltas"
    assert "delta" not in _manifest(v1), "a cold build has no delta"

    changed = _entries(40, 10, edited=3, tag="修订")
    result = build_portal_index(changed, v2, v1, cache)
    delta = _manifest(v2)["delta"]
    assert len(delta["refs"]) == 10, "the edited branch's entries, and only those, are in it"
    assert sorted(delta["dead"]) == sorted(delta["refs"]), "each supersedes its base version"
    rewritten = {k for k in _inodes(v1) if _inodes(v2).get(k) != _inodes(v1)[k]}
    # every base file is hard-linked, but for the meta blocks that held a superseded row
    assert rewritten and all(k.startswith("meta/") for k in rewritten)
    assert len({k.removesuffix(".gz") for k in rewritten}) <= len(delta["dead"])
    assert result.docs == 400 and not result.reused

    # Another branch edited, the first one back as it was: the delta is against the base
    build_portal_index(_entries(40, 10, edited=5, tag="再改") + [], v3, v2, cache)
    assert len(_manifest(v3)["delta"]["refs"]) == 10, "only branch 5 differs from the base"


def test_delta_manifest_counts_what_a_cold_build_counts(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    v1, v2, cold = (_version(tmp_path, n) for n in ("v1", "v2", "cold"))
    build_portal_index(_entries(40, 10), v1, None, cache)
    later = _entries(40, 10, edited=2, tag="修订")
    later = [e for e in later if not (e.branch_id == "b2" and e.url.endswith("/e9/"))]
    later.append(
        Entry(
            entry_id="https://new.example/1",
            branch_id="new",
            url="https://new.example/1",
            title="新支部的第一条",
            origin_branch_name="新支部",
            published=datetime(2027, 1, 2, tzinfo=UTC),
            type="study",
        )
    )
    build_portal_index(later, v2, v1, cache)
    build_portal_index(later, cold, None, None)
    merged, fresh = _manifest(v2), _manifest(cold)
    assert "delta" in merged
    assert {k: merged[k] for k in FACETS} == {k: fresh[k] for k in FACETS}


def test_a_big_change_builds_a_new_base(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    v1, v2 = _version(tmp_path, "v1"), _version(tmp_path, "v2")
    build_portal_index(_entries(10, 10), v1, None, cache)
    everything = [
        e
        for b in range(10)
        for e in _entries(10, 10, edited=b, tag="全改")
        if e.branch_id == f"b{b}"
    ]
    build_portal_index(everything, v2, v1, cache)
    assert "delta" not in _manifest(v2), "past the threshold the base is rebuilt cold"


def test_unchanged_entries_link_the_previous_version(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    v1, v2 = _version(tmp_path, "v1"), _version(tmp_path, "v2")
    build_portal_index(_entries(10, 5), v1, None, cache)
    assert build_portal_index(_entries(10, 5), v2, v1, cache).reused


def _colliding_ids(day_doc: str, branch: str, when: str) -> tuple[str, str]:
    """Two ids of the same base ref (same day, branch and hash), the smaller one second."""
    day, key = day_number(when), part_key(branch)
    seen: dict[str, str] = {}
    for n in range(100_000):
        doc_id = f"{day_doc}{n}"
        base = base_ref(day, doc_id, key)
        if base in seen:
            first, other = sorted((seen[base], doc_id))
            return other, first
        seen[base] = doc_id
    raise AssertionError("no collision found")


def test_a_new_entry_taking_an_old_refs_base_moves_the_old_one(tmp_path: Path) -> None:
    old_id, new_id = _colliding_ids("x", "一支部", "2026-03-01")
    assert new_id < old_id  # so a cold build gives the new one the bare base

    def doc(doc_id: str, title: str) -> SearchDoc:
        return SearchDoc(doc_id, f"/{doc_id}/", title, "网络党建", "一支部", "news", "2026-03-01")

    filler = [doc(f"f{i}", f"其他{i}") for i in range(40)]
    before = [doc(old_id, "旧条目"), *filler]
    after = [*before, doc(new_id, "新条目")]
    base = build_search_index(before, tmp_path / "base")
    cold = build_search_index(after, tmp_path / "cold")
    assert cold.refs[old_id] != base.refs[old_id], "the collision moved the old entry's ref"
    current = {d.id: d for d in after}
    stats = build_delta_index(
        tmp_path / "base" / "search",
        tmp_path / "delta",
        [after[-1]],
        [],
        base.refs,
        [(d.branch, d.type, str(d.date)) for d in after],
        lambda ids: [current[i] for i in ids],
        max_share=1.0,
    )
    assert stats.refs == {new_id: cold.refs[new_id], old_id: cold.refs[old_id]}
    delta = _manifest(tmp_path / "delta")["delta"]
    assert delta["dead"] == [base.refs[old_id]]
    refs_now = {**base.refs, **stats.refs}
    assert refs_now == cold.refs, "every live ref is the cold build's"
    assert cold.refs[old_id] == cold.refs[new_id] + ".1"
    assert ref_number(cold.refs[new_id]) % PART_KEYS == part_key("一支部")


def test_removing_the_first_of_a_collision_moves_the_next_to_the_bare_ref(tmp_path: Path) -> None:
    second, first = _colliding_ids("y", "一支部", "2026-03-01")

    def doc(doc_id: str, title: str) -> SearchDoc:
        return SearchDoc(doc_id, f"/{doc_id}/", title, "网络党建", "一支部", "news", "2026-03-01")

    filler = [doc(f"f{i}", f"其他{i}") for i in range(40)]
    before = [doc(first, "先到"), doc(second, "后到"), *filler]
    after = [before[1], *filler]
    base = build_search_index(before, tmp_path / "base")
    assert base.refs[second] == base.refs[first] + ".1"
    cold = build_search_index(after, tmp_path / "cold")
    current = {d.id: d for d in after}
    stats = build_delta_index(
        tmp_path / "base" / "search",
        tmp_path / "delta",
        [],
        [first],
        base.refs,
        [(d.branch, d.type, str(d.date)) for d in after],
        lambda ids: [current[i] for i in ids],
        max_share=1.0,
    )
    assert stats.refs == {second: base.refs[first]}
    delta = _manifest(tmp_path / "delta")["delta"]
    assert delta["dead"] == sorted([base.refs[first], base.refs[second]])
    live = {i: r for i, r in {**base.refs, **stats.refs}.items() if i != first}
    assert live == cold.refs


def test_delta_past_the_share_is_refused_and_writes_nothing(tmp_path: Path) -> None:
    docs = [
        SearchDoc(f"d{i}", f"/{i}/", f"标题{i}", "正文", "支部", "news", "2026-01-01")
        for i in range(40)
    ]
    base = build_search_index(docs, tmp_path / "base")
    with pytest.raises(DeltaRefused):
        build_delta_index(
            tmp_path / "base" / "search",
            tmp_path / "out",
            docs[:5],
            [],
            base.refs,
            [(d.branch, d.type, "2026") for d in docs],
            lambda ids: [],
        )
    assert not (tmp_path / "out").exists()


def _stored(tmp_path: Path, entries: list[Entry]) -> Store:
    store = Store(tmp_path / "portal.sqlite3")
    by_branch: dict[str, list[Entry]] = {}
    for e in entries:
        by_branch.setdefault(e.branch_id, []).append(e)
    for branch_id, own in by_branch.items():
        branch = Branch(branch_id, branch_id, f"https://{branch_id}.example/feed")
        result = FetchResult(branch_id, branch.feed, status=200, body=b"x")
        store.record_fetch(branch, result, own, status="ok")
    return store


def _plan(store: Store, previous: Path | None, cache: Path, reads: list[int]):
    def load(ids: list[str]) -> list[Entry]:
        reads.append(len(ids))
        return store.entries_by_id(ids)

    def load_all() -> list[Entry]:
        reads.append(-1)
        return store.entries()

    return plan_portal_index(store.listing_rows(), previous, cache, load=load, load_all=load_all)


def test_delta_planned_from_listing_rows_reads_only_the_changed_bodies(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    v1, v2, v3, cold = (_version(tmp_path, n) for n in ("v1", "v2", "v3", "cold"))
    store = _stored(tmp_path, _entries(40, 10))
    reads: list[int] = []
    first = build_portal_index(_plan(store, None, cache, reads), v1, None, cache)
    assert first.mode == "cold" and reads == [-1], "no base yet: every body is read"

    # one branch edited (its ten entries), one entry of another branch gone
    _edit_branch_b3(store)
    store.db.execute("DELETE FROM entries WHERE entry_id = ?", ("https://b7.example/news/e2/",))
    reads.clear()
    plan = _plan(store, v1, cache, reads)
    assert plan.mode == "delta" and plan.removed == ["https://b7.example/news/e2/"]
    assert reads and reads[0] < 40, "only the changed entries (and their day's neighbours)"
    result = build_portal_index(plan, v2, v1, cache)
    assert result.mode == "delta" and result.docs == 399
    assert len(_manifest(v2)["delta"]["refs"]) == 10

    # the same change planned from full entries gives the same files, and a cold build the
    # same facets: the row keys and the entry keys agree
    build_portal_index(store.entries(), v3, v1, cache)
    assert _files(v3) == _files(v2)
    build_portal_index(store.entries(), cold, None, None)
    assert {k: _manifest(v2)[k] for k in FACETS} == {k: _manifest(cold)[k] for k in FACETS}

    reads.clear()
    again = _plan(store, v2, cache, reads)
    assert again.mode == "reused" and reads == [], "nothing changed: no body is read"


def test_retitled_branch_changes_the_row_keys(tmp_path: Path) -> None:
    entries = _entries(2, 2)
    store = _stored(tmp_path, entries)
    before = dict(row_keys(store.listing_rows()))
    assert before == dict(entry_keys(store.entries()))
    store.db.execute("UPDATE entries SET origin_branch_name = '改名支部' WHERE branch_id = 'b1'")
    after = dict(row_keys(store.listing_rows()))
    changed = {i for i in before if before[i] != after[i]}
    assert changed == {e.entry_id for e in entries if e.branch_id == "b1"}


def test_refused_planned_delta_is_built_cold_by_the_parent(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    v1, v2, cold = (_version(tmp_path, n) for n in ("v1", "v2", "cold"))
    store = _stored(tmp_path, _entries(40, 10))
    build_portal_index(store.entries(), v1, None, cache)
    _edit_branch_b3(store)
    plan = _plan(store, v1, cache, [])
    assert plan.mode == "delta" and not plan.complete
    (v1 / "search" / "manifest.json").unlink()  # the base cannot be read: the delta is refused
    with pytest.raises(DeltaRefused):
        build_portal_index(plan, v2, v1, cache)
    result = IndexAside(plan, v2, v1, cache, load_all=store.entries).result()
    assert result.mode == "cold"
    build_portal_index(store.entries(), cold, None, None)
    assert _files(v2) == _files(cold)


def _files(version: Path) -> dict[str, bytes]:
    folder = version / "search"
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.name.startswith(".")
    }


def _edit_branch_b3(store: Store) -> None:
    """Branch b3 republishes its ten entries, every one of them edited."""
    edited = [e for e in _entries(40, 10, edited=3, tag="修订") if e.branch_id == "b3"]
    store.record_fetch(
        Branch("b3", "b3", "https://b3.example/feed"),
        FetchResult("b3", "https://b3.example/feed", status=200, body=b"y"),
        edited,
        status="ok",
    )


def test_a_removed_entrys_title_and_text_leave_the_published_files(tmp_path: Path) -> None:
    """The delta marks a removed (retracted, rejected) entry dead, and its row leaves the meta
    blocks and first-screen files of the new version too; the base's own files are untouched."""
    docs = [
        SearchDoc(
            f"d{i}", f"/{i}/", f"网络党建标题{i}", "网络党建正文", "支部", "news", "2026-01-01"
        )
        for i in range(60)
    ]
    secret = SearchDoc(
        "spam", "/spam/", "赌场秘密标题", "网络党建 赌场秘密正文", "支部", "news", "2026-01-02"
    )
    base = build_search_index([*docs, secret], tmp_path / "base", hot_postings=10)
    assert any((tmp_path / "base/search/shards").glob("f*.json")), "first-screen files built"
    build_delta_index(
        tmp_path / "base" / "search",
        tmp_path / "out",
        [],
        ["spam"],
        base.refs,
        [(d.branch, d.type, "2026") for d in docs],
        lambda ids: [],
    )

    def published(root: Path) -> str:
        return "".join(p.read_text("utf-8") for p in (root / "search").rglob("*.json"))

    assert "赌场秘密" not in published(tmp_path / "out")
    assert "网络党建标题7" in published(tmp_path / "out")
    assert "赌场秘密" in published(tmp_path / "base"), "the base's files are not written through"
