"""Push over real HTTP on 127.0.0.1: `tongxin ping` → `tongxin hub` (refuses unregistered
feeds and floods, writes a spool, never builds) → `federate --pinged` fetches only the pinged
branches and pings its own parent."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from feedserver import FeedServer
from test_pipeline import Item, atom, write_registry
from tongxin.federation.hub import Hub, make_server, ping, take_pinged
from tongxin.federation.registry import load_registry

from tongxin.cli import main


@pytest.fixture
def feeds() -> Iterator[FeedServer]:
    with FeedServer() as server:
        for name in ("a", "b"):
            server.route(
                f"/{name}.xml", body=atom(server.url(f"/{name}/"), name, [Item("one", f"{name}一")])
            )
        yield server


def _registry(tmp: Path, feeds: FeedServer, name: str = "portal") -> Path:
    return write_registry(
        tmp / f"{name}.yaml",
        "门户",
        "http://127.0.0.1:9/portal/",
        [{"id": n, "name": f"支部{n}", "feed": feeds.url(f"/{n}.xml")} for n in ("a", "b")],
    )


class RunningHub:
    def __init__(self, hub: Hub) -> None:
        self.server = make_server(hub, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> RunningHub:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def test_hub_accepts_registered_feeds_and_refuses_others_and_floods(
    feeds: FeedServer, tmp_path: Path
) -> None:
    spool = tmp_path / "spool"
    clock = [1000.0]
    hub = Hub(
        load_registry(_registry(tmp_path, feeds)), spool, min_interval=60, clock=lambda: clock[0]
    )
    with RunningHub(hub) as running:
        assert ping(running.url, feeds.url("/a.xml")) == 202
        assert ping(running.url, "http://127.0.0.1:1/unknown.xml") == 403
        assert ping(running.url, feeds.url("/a.xml")) == 429  # flood: within 60 s
        assert ping(running.url, feeds.url("/b.xml")) == 202  # per branch
        clock[0] += 61
        assert ping(running.url, feeds.url("/a.xml")) == 202
        floods = [ping(running.url, feeds.url("/b.xml")) for _ in range(20)]
    assert floods == [202] + [429] * 19  # the clock moved on: one more, then refused
    assert sorted(p.name for p in spool.iterdir()) == ["a", "b"]
    assert take_pinged(spool) == {"a", "b"} and take_pinged(spool) == set()
    assert feeds.requests() == []  # the hub never fetches or builds


def test_federate_pinged_fetches_only_pinged_branches_and_pings_its_parent(
    feeds: FeedServer, tmp_path: Path
) -> None:
    registry = _registry(tmp_path, feeds)
    out = tmp_path / "www"
    runner = CliRunner()
    assert runner.invoke(main, ["federate", str(registry), "-o", str(out), "-q"]).exit_code == 0
    for name in ("a", "b"):
        feeds.route(f"/{name}.xml", body=atom(feeds.url(f"/{name}/"), name,
                    [Item("one", f"{name}一"), Item("two", f"{name}二", 0.1)]))  # fmt: skip
    feeds.clear_log()
    spool, parent_spool = tmp_path / "spool", tmp_path / "parent-spool"
    parent = write_registry(
        tmp_path / "parent.yaml", "上级", "http://127.0.0.1:9/top/",
        [{"id": "portal", "name": "门户", "feed": "http://127.0.0.1:9/portal/feeds/all.atom.xml"}],
    )  # fmt: skip
    hub = Hub(load_registry(registry), spool)
    with RunningHub(hub) as own, RunningHub(Hub(load_registry(parent), parent_spool)) as above:
        assert ping(own.url, feeds.url("/a.xml")) == 202
        args = ["federate", str(registry), "-o", str(out), "-q", "--pinged", str(spool),
                "--parent-hub", above.url]  # fmt: skip
        result = runner.invoke(main, args)
        assert result.exit_code == 0, result.stderr
        assert [r.path for r in feeds.requests()] == ["/a.xml"]
        home = (out / "index.html").read_text(encoding="utf-8")
        assert "a二" in home and "b二" not in home and (out / "branches/b/index.html").is_file()
        assert take_pinged(parent_spool) == {"portal"}
        # nothing pinged since: the next run does nothing at all
        feeds.clear_log()
        assert runner.invoke(main, args).exit_code == 0
        assert feeds.requests() == []


def test_the_hub_command_serves_and_refuses(feeds: FeedServer, tmp_path: Path) -> None:
    import socket
    import subprocess
    import sys
    import time

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    registry, spool = _registry(tmp_path, feeds), tmp_path / "spool"
    command = [sys.executable, "-c", "from tongxin.cli import main; main()", "hub", str(registry),
               "--spool", str(spool), "--port", str(port)]  # fmt: skip
    hub = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        url, deadline = f"http://127.0.0.1:{port}/", time.monotonic() + 20
        while ping(url, feeds.url("/a.xml")) == 0 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert (spool / "a").is_file()
        assert ping(url, "http://127.0.0.1:1/other.xml") == 403
        assert ping(url, feeds.url("/a.xml")) == 429
        result = CliRunner().invoke(main, ["ping", url, "--feed", "http://127.0.0.1:1/x.xml"])
        assert result.exit_code == 1 and "HTTP 403" in result.stderr
    finally:
        hub.terminate()
        hub.wait(timeout=10)


def test_push_latency_script_reaches_the_top_of_three_portals_in_time() -> None:
    """scripts/push-latency, one round: three real federate processes per level on loopback."""
    import re
    import subprocess
    import sys

    script = Path(__file__).resolve().parent.parent / "scripts" / "push-latency"
    done = subprocess.run(
        [sys.executable, str(script), "--rounds", "1"], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    worst = re.search(r"worst: ([\d.]+) s", done.stdout)
    assert worst and float(worst.group(1)) <= 120, done.stdout


def test_a_branch_just_added_is_fetched_by_a_pinged_run(feeds: FeedServer, tmp_path: Path) -> None:
    # (an operator's trial: a branch added to the registry of a push-only portal sat on the
    # health page as 抓取失败 with every column blank until that branch happened to ping)
    registry = _registry(tmp_path, feeds)
    out, spool = tmp_path / "www", tmp_path / "spool"
    spool.mkdir()
    runner = CliRunner()
    args = ["federate", str(registry), "-o", str(out), "-q", "--pinged", str(spool)]
    assert runner.invoke(main, args).exit_code == 0  # nothing pinged, both never fetched
    assert sorted(r.path for r in feeds.requests()) == ["/a.xml", "/b.xml"]
    home = (out / "index.html").read_text(encoding="utf-8")
    assert "a一" in home and "b一" in home
    feeds.clear_log()
    assert runner.invoke(main, args).exit_code == 0  # both known now: nothing is fetched
    assert feeds.requests() == []
