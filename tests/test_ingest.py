"""Parsing, sanitising and screening many feeds across worker processes, as one process would."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from tongxin.federation.ingest import (
    IngestPool,
    Screening,
    ingest_bodies,
    unchanged_body,
)
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


def items(count: int) -> list[tuple[Branch, FetchResult]]:
    return [(branch(n), result(n)) for n in range(count)]


def test_pooled_ingest_equals_in_process_and_keeps_order() -> None:
    work = items(12)
    work[5] = (branch(5), result(5, b"<html><body>not a feed</body></html>"))
    alone = ingest_bodies(work, workers=1)
    pooled = ingest_bodies(work, workers=2)
    assert [i.branch_id for i in pooled] == [f"b{n}" for n in range(12)]
    assert [i.entries for i in pooled] == [i.entries for i in alone]
    assert pooled[5].feed is None and pooled[5].error and not pooled[5].entries
    first = pooled[0].entries[0]
    assert isinstance(first, Entry) and first.published == datetime(2026, 1, 1, tzinfo=UTC)
    # Sanitised on the way: no script, no handler, the relative link resolved.
    assert "script" not in first.content_html and "onclick" not in first.content_html
    assert 'href="https://b0.example.org/news/0/"' in first.content_html


def test_bodiless_results_are_skipped_and_raw_entries_kept_on_request() -> None:
    gone = FetchResult("b1", branch(1).feed, status=410, error="gone")
    done = ingest_bodies([(branch(0), result(0)), (branch(1), gone)], workers=1, keep_raw=True)
    assert [i.branch_id for i in done] == ["b0"]
    assert done[0].raw is not None and "<script>" in done[0].raw[0].content_html


def test_streaming_pool_gives_each_result_as_submitted() -> None:
    for workers in (1, 2):
        with IngestPool(workers=workers) as pool:
            futures = [pool.submit(b, r) for b, r in items(4)]
            got = [f.result(timeout=60) for f in futures]
        assert [g.branch_id for g in got] == ["b0", "b1", "b2", "b3"]
        assert all(len(g.entries) == 3 for g in got)


def test_screening_in_workers_holds_spam_and_reads_the_branch_history(tmp_path: Path) -> None:
    db = tmp_path / "store.sqlite3"
    branches = tuple(branch(n) for n in range(10))
    rules = rules_for_registry(Registry("门户", "https://portal.example.org/", branches))
    work = [(b, result(n, atom(n, spam=n == 3))) for n, b in enumerate(branches)]
    with Store(db) as store:
        # b4's first entry is already stored, with a verdict the screen must not redo.
        stored = ingest_bodies(work[4:5], workers=1)[0].entries[0]
        stored.quarantine_reason = "held by an earlier run"
        store.record_fetch(branches[4], work[4][1], [stored], status="ok")
        done = ingest_bodies(work, workers=2, screening=Screening(rules, db))
    spam = done[3].entries[0]
    assert spam.quarantine_reason and done[3].screen_seconds > 0
    assert all(e.quarantine_reason is None for i in (0, 1, 2, 5) for e in done[i].entries)
    assert done[4].entries[0].quarantine_reason == "held by an earlier run"


def test_an_unchanged_body_needs_no_parsing(tmp_path: Path) -> None:
    with Store(tmp_path / "s.sqlite3") as store:
        b, r = branch(0), result(0)
        assert not unchanged_body(r, store.branch_state(b.id))
        store.record_fetch(b, r, ingest_bodies([(b, r)], workers=1)[0].entries, status="ok")
        state = store.branch_state(b.id)
        assert state.content_hash == body_hash(r.body) and unchanged_body(r, state)
        assert not unchanged_body(result(0, atom(0, entries=4)), state)


def test_store_rows_from_the_workers_are_the_stores_own(tmp_path: Path) -> None:
    from tongxin.federation.store import entry_row

    with IngestPool(workers=2, store_rows=True) as pool:
        got = [pool.submit(b, r).result(timeout=60) for b, r in items(3)]
    for ingested in got:
        assert ingested.rows == [entry_row(e) for e in ingested.entries]
    with Store(tmp_path / "s.sqlite3") as store:
        b, r = items(1)[0]
        first = store.record_fetch(b, r, got[0].entries, status="ok", rows=got[0].rows)
        # Storing the same entries again without rows finds them unchanged: same hashes.
        again = store.record_fetch(b, r, got[0].entries, status="ok")
        assert (first.new, again.new, again.updated, again.unchanged) == (3, 0, 0, 3)
        # Rows that do not match the entries are ignored, never stored under the wrong ids.
        other = store.record_fetch(b, r, got[0].entries, status="ok", rows=got[0].rows[:1])
        assert (other.new, other.updated) == (0, 0)


def test_pool_sends_bodies_in_batches_yet_none_waits_for_a_full_batch() -> None:
    import concurrent.futures

    with IngestPool(workers=2) as pool:
        futures = [pool.submit(b, r) for b, r in items(6)]  # one full batch and two held back
        # Nobody asks for the last two and nothing follows them: they are sent anyway.
        done, pending = concurrent.futures.wait(futures, timeout=60)
        assert not pending
        assert [f.result().branch_id for f in futures] == [f"b{n}" for n in range(6)]
        # The same for a later batch begun after that one was sent: one flusher serves the run.
        for first in (7, 9, 11):
            later = [pool.submit(b, r) for b, r in items(first + 2)[first:]]
            done, pending = concurrent.futures.wait(later, timeout=20)
            assert not pending
            assert [f.result().branch_id for f in later] == [f"b{first}", f"b{first + 1}"]
        # Asking for a held body sends it at once (no timer needed).
        lone = pool.submit(*items(7)[6])
        assert lone.result(timeout=60).branch_id == "b6"


def test_a_bug_on_one_body_fails_that_branch_alone(monkeypatch) -> None:
    import tongxin.federation.ingest as ingest_module

    real = ingest_module.parse_feed

    def broken_on_b2(body: bytes, **kw):
        if "b2.example" in kw["url"]:
            raise RuntimeError("a bug")
        return real(body, **kw)

    # The workers fork from this process after the patch, so they run it too.
    monkeypatch.setattr(ingest_module, "parse_feed", broken_on_b2)
    with IngestPool(workers=2) as pool:
        futures = [pool.submit(b, r) for b, r in items(4)]  # one task for all four
        for n, future in enumerate(futures):
            if n == 2:
                assert isinstance(future.exception(timeout=60), RuntimeError)
            else:
                assert len(future.result(timeout=60).entries) == 3
