"""The published portal: atomic swap, exit statuses, the `federate` command line."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from feedserver import FeedServer
from test_pipeline import Item, atom, federate, server, two_branches, write_registry
from tongxin.federation.portal import PortalRenderer

__all__ = ["server", "two_branches"]
TONGXIN = str(Path(sys.executable).with_name("tongxin"))
COMPLETE = (
    "index.html",
    "health.json",
    "feeds/all.atom.xml",
    "api/index.json",
    "search/index.html",
)


def test_output_path_always_resolves_to_a_complete_portal(
    two_branches: Path, tmp_path: Path, server: FeedServer
) -> None:
    out = tmp_path / "portal"
    federate(two_branches, out)
    seen: list[str] = []
    broken: list[str] = []
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            try:
                target = os.path.realpath(out)
                missing = [f for f in COMPLETE if not os.path.isfile(os.path.join(target, f))]
            except OSError as error:
                missing = [str(error)]
            seen.append(target)
            if missing:
                broken.append(f"{target}: {missing}")

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for n in range(4):
            server.route(
                "/a/feeds/all.atom.xml",
                body=atom(server.url("/a/"), "东江", [Item(f"n{n}", f"新条目{n}", 0.1)]),
                etag=f'"n{n}"',
            )
            assert federate(two_branches, out).published
    finally:
        stop.set()
        thread.join(10)
    assert not broken, broken[:3]
    assert len(set(seen)) >= 2  # the reader really saw versions being swapped
    versions = [p for p in (tmp_path / ".portal.versions").iterdir()]
    assert len(versions) <= 2  # old versions are cleaned up


def test_failed_render_keeps_the_previous_portal_and_exits_non_zero(
    two_branches: Path, tmp_path: Path, server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "portal"
    first = federate(two_branches, out)
    server.route(
        "/a/feeds/all.atom.xml",
        body=atom(server.url("/a/"), "东江", [Item("z", "新条目", 0.1)]),
        etag='"z"',
    )

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(PortalRenderer, "render", broken)
    with pytest.raises(RuntimeError):
        federate(two_branches, out)
    assert os.path.realpath(out) == str(first.version)
    assert "新条目" not in (out / "index.html").read_text(encoding="utf-8")
    assert not [p for p in (tmp_path / ".portal.versions").iterdir() if p.name.endswith(".tmp")]


def test_federate_command_reports_registry_errors_with_path_and_line(tmp_path: Path) -> None:
    registry = tmp_path / "registry.yaml"
    registry.write_text("name: 门户\nurl: https://p.example/\nbranches:\n  - id: a\n", "utf-8")
    done = subprocess.run(
        [TONGXIN, "federate", str(registry), "-o", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert f"{registry}:4: " in done.stderr
    assert not (tmp_path / "out").exists()


def test_federate_command_publishes_and_exits_zero_even_with_a_dead_branch(
    server: FeedServer, tmp_path: Path
) -> None:
    server.route("/a.xml", body=atom(server.url("/a/"), "A", [Item("a", "甲", 1)]))
    registry = write_registry(
        tmp_path / "r.yaml",
        "门户",
        "https://p.example/",
        [
            {"id": "a", "name": "A", "feed": server.url("/a.xml")},
            {"id": "dead", "name": "D", "feed": "http://127.0.0.1:9/feed.xml"},
        ],
    )
    timings = tmp_path / "t.json"
    done = subprocess.run(
        [
            TONGXIN,
            "federate",
            str(registry),
            "-o",
            str(tmp_path / "out"),
            "--timings",
            str(timings),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out/index.html").is_file() and timings.is_file()
    # Not a terminal: plain log lines, not a progress bar.
    assert "INFO" in done.stderr and "\x1b[" not in done.stderr
