"""Real fetch failures over 127.0.0.1 (and one unresolvable name) as the health page names
them: a class in the portal's language, never the library's English."""

from __future__ import annotations

import socket

import pytest
from feedserver import FeedServer
from tongxin.federation.errors import describe, error_class
from tongxin.federation.fetch import fetch_feeds
from tongxin.federation.model import Branch


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_real_failures_fall_into_classes() -> None:
    with FeedServer() as server:
        server.route("/missing.xml", status=404, body=b"")
        server.route("/page.xml", body=b"<!doctype html><html><body>hi</body></html>",
                     content_type="text/html")  # fmt: skip
        server.route("/broken.xml", status=502, body=b"")
        server.route("/slow.xml", body=b"<feed/>", delay=5)
        branches = [
            Branch("missing", "m", server.url("/missing.xml")),
            Branch("page", "p", server.url("/page.xml")),
            Branch("broken", "b", server.url("/broken.xml")),
            Branch("slow", "s", server.url("/slow.xml")),
            Branch("refused", "r", f"http://127.0.0.1:{_closed_port()}/feed.xml"),
        ]
        results = fetch_feeds(
            branches, total_timeout=1.5, read_timeout=1.0, allow_networks=["127.0.0.1"]
        )
    found = {r.branch_id: error_class(r.error, r.status) for r in results}
    assert found == {
        "missing": "not_found", "page": None, "broken": "server", "slow": "timeout",
        # a closed port and an unreachable host read alike in public: no port-scan oracle
        "refused": "connection",
    }, {r.branch_id: r.error for r in results}  # fmt: skip
    text = describe("zh-CN", next(r.error for r in results if r.branch_id == "refused"))
    assert "Connect" not in text and "127.0.0.1" not in text and text
    assert describe("en", "HTTP 404", 404).startswith("No feed at this address")


def test_the_library_english_from_the_issue_is_a_dns_class() -> None:
    raw = (
        "连接失败：Cannot connect to host dongjiang.example:443 ssl:default "
        "[Name or service not known]"
    )
    assert error_class(raw) == "dns"
    assert describe("zh-TW", raw).startswith("網域名稱無法解析")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("HTTP 410：订阅已永久删除", "gone"),
        ("取到的是网页（HTML），不是订阅（Atom/RSS/JSON Feed）", "not_a_feed"),
        ("签名校验失败：订阅内容与登记的公钥不符", "signature"),
        (
            "连接失败：Cannot connect to host x:443 ssl:True "
            "[SSLCertVerificationError: certificate verify failed]",
            "tls",
        ),
        ("HTTP 429：服务器要求 60 秒后再试", "retry_later"),
        ("响应太大：超过 5242880 字节", "too_large"),
    ],
)
def test_messages_of_the_fetch_stage_are_classified(raw: str, expected: str) -> None:
    assert error_class(raw) == expected


@pytest.mark.parametrize("language", ["zh-CN", "zh-TW", "en"])
def test_a_blocked_address_points_to_allow_networks_not_to_a_down_server(language: str) -> None:
    """The address policy's refusal, as the fetch stores it in the portal's language, is not
    "the site refused the connection": it says which registry key opens an intranet branch."""
    from tongxin.i18n import translate

    raw = translate(language, "federation.fetch.blocked")
    assert error_class(raw) == "blocked"
    shown = describe(language, raw)
    assert "allow_networks" in shown and shown != translate(language, "health.error_class.refused")
