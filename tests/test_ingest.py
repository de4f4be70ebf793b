"""The ingest stage: fetched bodies parsed, sanitised and screened into the rows to store."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

from tongxin.federation.ingest import Job, ingest, reading_key, unchanged_body
from tongxin.federation.model import Branch, Entry, FetchResult, Registry
from tongxin.federation.screen import rules_for_registry
from tongxin.federation.store import Store, body_hash

SPAM = "百家乐 六合彩 时时彩 北京赛车 真人娱乐 网上赌场 彩票投注"


def branch(n: int) -> Branch:
    return Branch(f"b{n}", f"第{n}支部", f"https://b{n}.example.org/feeds/all.atom.xml")


def atom(n: int, entries: int = 3, spam: bool = False) -> bytes:
    site = f"https://b{n}.example.org/"
    items = "".join(
        f"<entry><id>{site}news/{i}/</id><title>新闻 {n}-{i}</title>"
        f'<link href="{site}news/{i}/"/><updated>2026-01-0{i + 1}T08:00:00+08:00</updated>'
        f'<content type="html">&lt;p onclick="x()"&gt;第{i}条&lt;a href="../{i}/"&gt;链接&lt;/a&gt;'
        f"{SPAM if spam and i == 0 else ''}&lt;/p&gt;&lt;script&gt;alert(1)&lt;/script&gt;"
        "</content></entry>"
        for i in range(entries)
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f'<title>第{n}支部</title><link href="{site}"/>{items}</feed>'
    ).encode()


def result(n: int, body: bytes | None = None) -> FetchResult:
    b = branch(n)
    return FetchResult(b.id, b.feed, status=200, body=atom(n) if body is None else body)


def jobs(count: int) -> list[Job]:
    return [Job.of(branch(n), result(n)) for n in range(count)]


def test_bodies_are_ingested_in_order_across_workers() -> None:
    work = jobs(20)
    work[5] = Job.of(branch(5), result(5, b"<html><body>not a feed</body></html>"))
    done = ingest(work, workers=2)
    assert [i.branch_id for i in done] == [f"b{n}" for n in range(20)]
    assert done[5].rows is None and done[5].error and not done[5].entries
    first = done[0].entries[0]
    assert isinstance(first, Entry) and first.published == datetime(2026, 1, 1, tzinfo=UTC)
    # Sanitised on the way: no script, no handler, the relative link resolved.
    assert "script" not in first.content_html and "onclick" not in first.content_html
    assert 'href="https://b0.example.org/news/0/"' in first.content_html
    assert done[0].body_hash == reading_key(work[0].body, work[0].branch)
    assert done[0].body_hash.startswith(body_hash(work[0].body)) and done[0].seconds["parse"] > 0


def test_screening_holds_spam_and_keeps_the_verdict_of_the_branch_history(
    tmp_path: Path,
) -> None:
    branches = tuple(branch(n) for n in range(10))
    rules = rules_for_registry(Registry("门户", "https://portal.example.org/", branches))
    results = [result(n, atom(n, spam=n == 3)) for n in range(10)]
    with Store(tmp_path / "store.sqlite3") as store:
        # b4's first entry is already stored, with a verdict the screen must not redo.
        stored = ingest([Job.of(branches[4], results[4])])[0].entries[0]
        stored.quarantine_reason = "held by an earlier run"
        store.record_fetch(branches[4], results[4], [stored], status="ok")
        work = [
            Job.of(b, r, store.entries(branch_id=b.id, include_quarantined=True))
            for b, r in zip(branches, results, strict=True)
        ]
    done = ingest(work, rules, workers=2)
    spam = done[3].entries[0]
    assert spam.quarantine_reason and done[3].seconds["screen"] > 0
    assert all(e.quarantine_reason is None for i in (0, 1, 2, 5) for e in done[i].entries)
    assert done[4].entries[0].quarantine_reason == "held by an earlier run"


def test_an_unchanged_body_needs_no_parsing(tmp_path: Path) -> None:
    with Store(tmp_path / "s.sqlite3") as store:
        b, r = branch(0), result(0)
        assert not unchanged_body(r, store.branch_state(b.id), b)
        (done,) = ingest([Job.of(b, r)])
        store.record_fetch(b, r, done.entries, status="ok", content_hash=done.body_hash)
        state = store.branch_state(b.id)
        assert state.content_hash == reading_key(r.body, b) and unchanged_body(r, state, b)
        assert not unchanged_body(result(0, atom(0, entries=4)), state, b)
        # The same bytes are read again once the branch is read another way (a lower portal
        # flagged, another zone): their entries may differ.
        assert not unchanged_body(r, state, dataclasses.replace(b, portal=True))
        assert not unchanged_body(r, state, dataclasses.replace(b, timezone="UTC"))


def test_the_rows_are_the_stores_own(tmp_path: Path) -> None:
    got = ingest(jobs(3))
    with Store(tmp_path / "s.sqlite3") as store:
        b, r = branch(0), result(0)
        first = store.record_fetch(b, r, None, status="ok", rows=got[0].rows)
        # Storing the same entries again without rows finds them unchanged: same hashes.
        again = store.record_fetch(b, r, got[0].entries, status="ok")
        assert (first.new, again.new, again.updated, again.unchanged) == (3, 0, 0, 3)
        # Rows that do not match the entries are ignored, never stored under the wrong ids.
        other = store.record_fetch(b, r, got[0].entries, status="ok", rows=got[0].rows[:1])
        assert (other.new, other.updated) == (0, 0)


def test_a_bug_on_one_body_fails_that_branch_alone(monkeypatch) -> None:
    import tongxin.federation.ingest as ingest_module

    real = ingest_module.parse_feed

    def broken_on_b2(body: bytes, **kw):
        if "b2.example" in kw["url"]:
            raise RuntimeError("a bug")
        return real(body, **kw)

    # The workers fork from this process after the patch, so they run it too.
    monkeypatch.setattr(ingest_module, "parse_feed", broken_on_b2)
    done = ingest(jobs(20), workers=2)
    assert done[2].rows is None and done[2].error == "RuntimeError: a bug"
    assert done[2].bug and "broken_on_b2" in done[2].bug
    assert all(len(d.entries) == 3 for n, d in enumerate(done) if n != 2)


def test_a_lost_worker_has_its_bodies_done_here(monkeypatch) -> None:
    import os

    import tongxin.federation.ingest as ingest_module

    real, parent = ingest_module.parse_feed, os.getpid()

    def dies_in_a_worker(body: bytes, **kw):
        if os.getpid() != parent and "b3.example" in kw["url"]:
            os._exit(1)  # killed (out of memory, say): the pool is broken
        return real(body, **kw)

    monkeypatch.setattr(ingest_module, "parse_feed", dies_in_a_worker)
    done = ingest(jobs(20), workers=2)
    assert [d.branch_id for d in done] == [f"b{n}" for n in range(20)]
    assert all(len(d.entries) == 3 for d in done)
