"""Fetching over real HTTP on 127.0.0.1: conditional GET, redirects, faults, caps, timeouts."""

from __future__ import annotations

import gzip
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from feedserver import FeedServer
from tongxin.federation.fetch import fetch_feeds, parse_retry_after, verify_signature
from tongxin.federation.model import Branch, FetchResult
from tongxin.federation.store import Store

from tongxin.signing import generate_keypair, sign

ATOM = (Path(__file__).parent / "fixtures" / "feeds" / "atom.xml").read_bytes()
QUICK = {
    "total_timeout": 3.0,
    "read_timeout": 2.0,
    "connect_timeout": 2.0,
    "allow_networks": ["127.0.0.1"],
}


@pytest.fixture(scope="module")
def server() -> Iterator[FeedServer]:
    with FeedServer() as running:
        yield running


def branch(server: FeedServer, path: str, **kw: object) -> Branch:
    return Branch(path.strip("/").replace("/", "-") or "root", path, server.url(path), **kw)


def fetch_one(server: FeedServer, path: str, state=None, **kw: object) -> FetchResult:
    b = branch(server, path)
    return fetch_feeds([b], {b.id: state}, **{**QUICK, **kw})[0]


def test_plain_fetch_sends_an_identifying_user_agent(server: FeedServer) -> None:
    server.route("/plain", body=ATOM)
    result = fetch_one(server, "/plain", user_agent="Tongxin/9 (+https://portal.example.org/)")
    assert result.ok and result.status == 200 and result.body == ATOM
    sent = server.requests("/plain")[-1].headers
    assert sent["User-Agent"] == "Tongxin/9 (+https://portal.example.org/)"
    assert "gzip" in sent["Accept-Encoding"]
    default = fetch_one(server, "/plain")
    assert default.ok and server.requests("/plain")[-1].headers["User-Agent"].startswith("Tongxin/")


def test_conditional_get_sends_validators_exactly_and_gets_304(
    server: FeedServer, tmp_path: Path
) -> None:
    odd_etag = 'W/"v1-gzip"'
    last_modified = "Mon, 02 Mar 2026 01:00:00 GMT"
    server.route("/cond", body=ATOM, etag=odd_etag, last_modified=last_modified)
    b = branch(server, "/cond")
    with Store(tmp_path / "portal.sqlite") as store:
        first = fetch_feeds([b], {b.id: store.branch_state(b.id)}, **QUICK)[0]
        assert first.status == 200 and first.etag == odd_etag
        store.record_fetch(b, first, [], status="ok")
        second = fetch_feeds([b], {b.id: store.branch_state(b.id)}, **QUICK)[0]
    headers = server.requests("/cond")[-1].headers
    assert headers["If-None-Match"] == odd_etag
    assert headers["If-Modified-Since"] == last_modified
    assert second.status == 304 and second.not_modified and second.body is None
    assert second.error is None


def test_permanent_redirect_is_remembered_and_used_next_time(
    server: FeedServer, tmp_path: Path
) -> None:
    server.route("/old", status=301, headers={"Location": "/new"})
    server.route("/new", body=ATOM, etag='"n1"')
    b = branch(server, "/old")
    with Store(tmp_path / "portal.sqlite") as store:
        first = fetch_feeds([b], {}, **QUICK)[0]
        assert first.ok and first.permanent_redirect == server.url("/new")
        store.record_fetch(b, first, [], status="ok")
        assert store.branch_state(b.id).feed_url == server.url("/new")
        server.clear_log()
        second = fetch_feeds([b], {b.id: store.branch_state(b.id)}, **QUICK)[0]
    assert second.not_modified
    assert [r.path for r in server.requests()] == ["/new"]


def test_temporary_redirect_is_not_remembered(server: FeedServer) -> None:
    server.route("/tmp-old", status=302, headers={"Location": "/tmp-new"})
    server.route("/tmp-new", body=ATOM)
    result = fetch_one(server, "/tmp-old")
    assert result.ok and result.permanent_redirect is None
    assert result.final_url == server.url("/tmp-new")


def test_410_is_gone(server: FeedServer) -> None:
    server.route("/gone", status=410)
    result = fetch_one(server, "/gone")
    assert result.status == 410 and "410" in result.error and result.body is None


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_seconds_skips_the_branch_until_then(
    server: FeedServer, tmp_path: Path, status: int
) -> None:
    path = f"/busy{status}"
    server.route(path, status=status, headers={"Retry-After": "120"})
    b = branch(server, path)
    with Store(tmp_path / "portal.sqlite") as store:
        first = fetch_feeds([b], {}, **QUICK)[0]
        assert first.retry_after == 120 and first.error
        store.record_fetch(b, first, None, status="error")
        state = store.branch_state(b.id)
        assert state.retry_not_before is not None
        server.clear_log()
        skipped = fetch_feeds([b], {b.id: state}, **QUICK)[0]
        assert skipped.skipped_until == state.retry_not_before and skipped.error is None
        assert server.requests(path) == []
        later = datetime.now(UTC) + timedelta(seconds=300)
        fetch_feeds([b], {b.id: state}, now=later, **QUICK)
        assert len(server.requests(path)) == 1


def test_retry_after_http_date() -> None:
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    when = format_datetime(now + timedelta(minutes=10), usegmt=True)
    assert parse_retry_after(when, now) == 600
    assert parse_retry_after("garbage", now) is None
    assert parse_retry_after("99999999999", now) == 7 * 24 * 3600


def test_hanging_server_is_bounded_by_the_timeout(server: FeedServer) -> None:
    server.route("/hang-headers", body=ATOM, hang="headers")
    server.route("/hang-body", body=ATOM, hang="body")
    server.route("/trickle", body=ATOM, trickle=0.2)
    branches = [branch(server, p) for p in ("/hang-headers", "/hang-body", "/trickle")]
    started = time.monotonic()
    results = fetch_feeds(
        branches,
        {},
        total_timeout=1.5,
        read_timeout=1.0,
        connect_timeout=1.0,
        allow_networks=["127.0.0.1"],
    )
    assert time.monotonic() - started < 4
    for result in results:
        assert result.body is None and result.error


def test_size_cap_refuses_big_bodies(server: FeedServer) -> None:
    server.route("/big", body=b"<feed>" + b"x" * 300_000)
    result = fetch_one(server, "/big", max_bytes=100_000)
    assert result.body is None and "100000" in result.error


def test_gzip_is_decoded_and_a_gzip_bomb_refused(server: FeedServer) -> None:
    server.route("/gz", body=ATOM, gzip=True)
    assert fetch_one(server, "/gz").body == ATOM
    bomb = gzip.compress(b"\0" * (20 * 1024 * 1024))
    assert len(bomb) < 100_000
    server.route("/bomb", body=bomb, headers={"Content-Encoding": "gzip"})
    result = fetch_one(server, "/bomb", max_bytes=1_000_000)
    assert result.body is None and "1000000" in result.error


def test_redirect_loop_and_too_many_redirects(server: FeedServer) -> None:
    server.route("/loop-a", status=302, headers={"Location": "/loop-b"})
    server.route("/loop-b", status=302, headers={"Location": "/loop-a"})
    assert "loop-a" in fetch_one(server, "/loop-a").error
    for hop in range(8):
        server.route(f"/hop{hop}", status=301, headers={"Location": f"/hop{hop + 1}"})
    server.route("/hop8", body=ATOM)
    result = fetch_one(server, "/hop0")
    assert result.body is None and "5" in result.error


@pytest.mark.parametrize("target", ["javascript:alert(1)", "file:///etc/passwd", "ftp://x/f"])
def test_redirect_to_non_http_scheme_is_refused(server: FeedServer, target: str) -> None:
    server.route("/bad-redirect", status=302, headers={"Location": target})
    result = fetch_one(server, "/bad-redirect")
    assert result.body is None and target.split(":")[0] in result.error


def test_connection_reset_truncation_and_refused_port_are_errors(server: FeedServer) -> None:
    server.route("/reset", reset=True)
    server.route("/truncated", body=ATOM, truncate=True)
    results = fetch_feeds(
        [branch(server, "/reset"), branch(server, "/truncated"),
         Branch("dead", "dead", "http://127.0.0.1:9/feed")],
        {},
        **QUICK,
    )  # fmt: skip
    assert all(r.body is None and r.error for r in results)


def test_one_bad_branch_does_not_affect_the_others(server: FeedServer) -> None:
    server.route("/good", body=ATOM)
    server.route("/bad", status=500)
    results = fetch_feeds([branch(server, "/bad"), branch(server, "/good")], {}, **QUICK)
    assert [r.branch_id for r in results] == ["bad", "good"]
    assert results[0].error == "HTTP 500" and results[1].ok


def test_progress_is_reported_per_branch(server: FeedServer) -> None:
    server.route("/p1", body=ATOM)
    seen: list[tuple[int, int]] = []
    fetch_feeds(
        [branch(server, "/p1"), Branch("p2", "p2", server.url("/p1?x"))],
        {},
        progress=lambda done, total, result: seen.append((done, total)),
        **QUICK,
    )
    assert sorted(seen) == [(1, 2), (2, 2)]


def test_signed_feed_is_verified_and_a_wrong_signature_refused(server: FeedServer) -> None:
    private, public = generate_keypair()
    _, other_public = generate_keypair()
    server.route("/signed.xml", body=ATOM)
    server.route("/signed.xml.sig", body=sign(ATOM, private) + "\n", content_type="text/plain")
    good = branch(server, "/signed.xml", public_keys=(public,))
    wrong = Branch("wrong", "wrong", good.feed, public_keys=(other_public,))
    results = fetch_feeds([good, wrong], {}, **QUICK)
    assert results[0].ok and verify_signature(results[0], good) is None
    assert results[1].body is None and results[1].error
    server.route("/unsigned.xml", body=ATOM)
    missing = fetch_one(server, "/unsigned.xml")
    assert missing.ok  # no key registered: no signature needed
    b = branch(server, "/unsigned.xml", public_keys=(public,))
    result = fetch_feeds([b], {}, **QUICK)[0]
    assert result.body is None and ".sig" in result.error


def test_concurrency_is_bounded_per_host(server: FeedServer) -> None:
    server.route("/slow", body=ATOM, delay=0.3)
    branches = [Branch(f"s{i}", "s", server.url(f"/slow?{i}")) for i in range(6)]
    started = time.monotonic()
    results = fetch_feeds(branches, {}, per_host=2, **QUICK)
    assert all(r.ok for r in results)
    assert time.monotonic() - started >= 0.85  # 6 requests, 2 at a time, 0.3 s each
