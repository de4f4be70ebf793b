"""SSRF: a hostile branch cannot make the portal fetch from private addresses.

Real HTTP on loopback: the branch's feed server listens on 127.0.0.1 (opened by the registry's
``allow_networks``), an "intranet" server with a secret on 127.0.0.2 (not opened). The secret
must never be requested, let alone published; the health page names only an error class.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from feedserver import FeedServer
from test_pipeline import Item, atom, federate, write_registry
from tongxin.federation.fetch import fetch_feeds
from tongxin.federation.model import Branch
from tongxin.federation.netguard import BlockedAddress, NetworkPolicy

from tongxin.i18n import translate

QUICK = {"total_timeout": 3.0, "read_timeout": 2.0, "connect_timeout": 2.0}
SECRET = "内部机密-ssrf-7d1e"


@pytest.fixture
def intranet() -> Iterator[FeedServer]:
    with FeedServer(host="127.0.0.2") as server:
        server.route("/feed.xml", body=atom(server.url("/"), "内网", [Item("s", SECRET)]))
        yield server


def _refused(result, server: FeedServer | None = None) -> None:
    assert result.body is None
    assert result.error == translate(None, "federation.fetch.blocked")
    if server is not None:
        assert not server.requests(), "the refused address was connected to"


@pytest.mark.parametrize(
    "host",
    ["localhost", "127.0.0.1", "0.0.0.0", "0x7f000001", "2130706433", "[::ffff:127.0.0.1]",
     "[::1]", "127.1"],
)  # fmt: skip
def test_loopback_in_any_spelling_is_refused_by_default(host: str) -> None:
    with FeedServer() as server:
        server.route("/feed.xml", body=atom(server.url("/"), "x", [Item("a", "A")]))
        url = f"http://{host}:{server.port}/feed.xml"
        (result,) = fetch_feeds([Branch("b", "B", url)], {}, **QUICK)
        if host in ("2130706433", "127.1") and result.error != translate(
            None, "federation.fetch.blocked"
        ):
            assert result.error and not server.requests()  # the URL parser refuses the spelling
        else:
            _refused(result, server)


PRIVATE = ["http://10.1.2.3/feed.xml", "http://169.254.169.254/latest/", "http://[fe80::1]/",
           "http://100.64.0.1/", "http://192.168.1.1/"]  # fmt: skip


@pytest.mark.parametrize("url", PRIVATE)
def test_private_ranges_are_refused_without_a_connection_attempt(url: str) -> None:
    started = time.monotonic()
    (result,) = fetch_feeds([Branch("b", "B", url)], {}, **QUICK)
    _refused(result)
    assert time.monotonic() - started < 1.5  # refused, not timed out


@pytest.mark.parametrize("spelling", ["127.0.0.2", "[::ffff:127.0.0.2]", "[::ffff:7f00:2]"])
def test_redirect_to_an_intranet_address_is_refused(
    intranet: FeedServer, spelling: str, tmp_path: Path
) -> None:
    with FeedServer() as branch:
        target = f"http://{spelling}:{intranet.port}/feed.xml"
        branch.route("/feed.xml", status=302, headers={"Location": target})
        (result,) = fetch_feeds(
            [Branch("b", "B", branch.url("/feed.xml"))], {}, allow_networks=["127.0.0.1"], **QUICK
        )
    _refused(result, intranet)


def test_redirected_secret_never_reaches_the_public_portal(
    intranet: FeedServer, tmp_path: Path
) -> None:
    with FeedServer() as branch:
        branch.route("/good.xml", body=atom(branch.url("/g/"), "好支部", [Item("g", "好消息")]))
        branch.route("/feed.xml", status=302, headers={"Location": intranet.url("/feed.xml")})
        registry = write_registry(
            tmp_path / "registry.yaml",
            "门户",
            "https://portal.example/",
            [{"id": "bad", "name": "坏支部", "feed": branch.url("/feed.xml")},
             {"id": "good", "name": "好支部", "feed": branch.url("/good.xml")}],
        )  # fmt: skip
        federate(registry, tmp_path / "out")
    assert not intranet.requests()
    out = tmp_path / "out"
    published = "".join(
        p.read_text("utf-8", errors="replace") for p in out.rglob("*") if p.is_file()
    )
    assert SECRET not in published and "好消息" in published
    health = {b["id"]: b for b in json.loads((out / "health.json").read_text("utf-8"))["branches"]}
    text = json.dumps(health, ensure_ascii=False) + (out / "health/index.html").read_text("utf-8")
    assert str(intranet.port) not in text and "127.0.0.2" not in text
    assert translate(None, "federation.fetch.blocked") in text


def test_allow_networks_opens_a_range_and_a_host_name(intranet: FeedServer) -> None:
    url = intranet.url("/feed.xml")
    (by_range,) = fetch_feeds([Branch("b", "B", url)], {}, allow_networks=["127.0.0.0/30"], **QUICK)
    assert by_range.ok and SECRET.encode() in (by_range.body or b"")
    named = f"http://localhost:{intranet.port}/feed.xml"
    (other,) = fetch_feeds([Branch("b", "B", named)], {}, allow_networks=["127.0.0.2"], **QUICK)
    _refused(other)  # localhost is 127.0.0.1, which 127.0.0.2 does not open


def test_closed_port_and_open_port_look_alike_on_health_no_port_scan_oracle() -> None:
    with socket.socket() as probe:  # a port that is certainly closed
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    with FeedServer() as open_server:
        open_server.route("/x", body=b"not a feed", content_type="text/plain")
        results = fetch_feeds(
            [Branch("c", "C", f"http://127.0.0.1:{closed}/"),
             Branch("o", "O", f"http://127.0.0.2:{open_server.port}/x")],
            {}, allow_networks=["127.0.0.1"], **QUICK,
        )  # fmt: skip
    closed_result, blocked_result = results
    assert closed_result.error == translate(None, "federation.fetch.unreachable")
    assert str(closed) not in closed_result.error and "Connect call" not in closed_result.error
    assert closed_result.detail and str(closed) in closed_result.detail  # for the operator
    _refused(blocked_result, open_server)


def test_the_socket_factory_refuses_what_the_resolver_would_have_let_through() -> None:
    """The last check sits on the address actually connected (DNS rebinding)."""
    policy = NetworkPolicy(["10.0.0.0/8"])
    for address in ("127.0.0.1", "169.254.169.254", "::1", "::ffff:127.0.0.1", "0.0.0.0"):
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        with pytest.raises(BlockedAddress):
            policy.socket_factory((family, socket.SOCK_STREAM, 6, "", (address, 80)))
    policy.socket_factory((socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.2.3.4", 80))).close()
    policy.socket_factory(
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", 80))
    ).close()


def test_registry_rejects_a_malformed_allow_networks_item(tmp_path: Path) -> None:
    from tongxin.federation.registry import RegistryError, load_registry

    path = tmp_path / "r.yaml"
    path.write_text(
        "name: P\nurl: https://p.example/\nallow_networks:\n  - 10.0.0.0/8\n  - 'not a net!'\n"
        "branches:\n  - id: a\n    name: A\n    feed: https://a.example/feed.xml\n",
        encoding="utf-8",
    )
    with pytest.raises(RegistryError) as caught:
        load_registry(path)
    assert f"{path}:5:" in str(caught.value.problems[0])
    ok = tmp_path / "ok.yaml"
    ok.write_text(path.read_text("utf-8").replace("'not a net!'", "intranet.example"), "utf-8")
    assert load_registry(ok).allow_networks == ("10.0.0.0/8", "intranet.example")


def test_an_allowed_host_name_does_not_open_its_address_literal_to_a_redirect() -> None:
    """``allow_networks: [cms.intranet]``: a compromised branch on that host redirects to the
    address the name resolves to, on another port (``http://10.0.0.5:6379/``). The redirect's
    host is an address literal the registry does not list: refused like a first URL would be."""
    with FeedServer() as inside, FeedServer() as branch:
        inside.route("/secret", body=atom(inside.url("/"), "内网", [Item("s", SECRET)]))
        branch.route("/x", status=302, headers={"Location": inside.url("/secret")})
        branch.route("/ok.xml", body=atom(branch.url("/"), "好", [Item("g", "好消息")]))
        named = f"http://localhost:{branch.port}"
        redirected, direct, ok = fetch_feeds(
            [Branch("r", "R", named + "/x"), Branch("d", "D", inside.url("/secret")),
             Branch("o", "O", named + "/ok.xml")],
            {}, allow_networks=["localhost"], **QUICK,
        )  # fmt: skip
        assert branch.requests("/x")  # the listed name itself is reached
        assert ok.ok and "好消息".encode() in (ok.body or b"")
        _refused(direct, None)
        _refused(redirected, inside)


def test_json_beside_the_feeds_checks_every_redirect_hop_too() -> None:
    """A lower portal's health.json and a branch's api/index.json are read through the same
    policy: a redirect from an allowed host name to an address literal is refused."""
    from tongxin.federation.fetch import read_json_documents

    with FeedServer() as inside, FeedServer() as branch:
        inside.route("/secret.json", body=b'{"secret": 1}', content_type="application/json")
        branch.route("/health.json", status=302, headers={"Location": inside.url("/secret.json")})
        branch.route("/moved.json", status=301, headers={"Location": "/api/index.json"})
        branch.route("/api/index.json", body=b'{"ok": true}', content_type="application/json")
        named = f"http://localhost:{branch.port}"
        got = read_json_documents(
            {"redirected": named + "/health.json", "moved": named + "/moved.json"},
            allow_networks=["localhost"], user_agent="t", max_bytes=10_000, timeout=5.0,
        )  # fmt: skip
        assert got == {"redirected": None, "moved": {"ok": True}}
        assert not inside.requests()
