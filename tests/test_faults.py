"""Dead, slow and hostile feed servers: the run finishes, reports each fault, loses nothing.

One registry mixes a branch per fault (tests/faults.py) with two healthy branches. A first run
stores every branch's entries while all are healthy; then each faulty branch's server starts
misbehaving and a second run must finish within its time bound, report the right status and
message for that branch (health.json and the health page), keep publishing its stored entries,
and leave the healthy branches untouched (their new entries published).
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import lxml.html
import pytest
import yaml
from faults import (
    FAULTS,
    SECRET_MARKER,
    atom_feed,
    fault_handler,
    fault_names,
    faults_table,
)
from feedserver import FeedServer
from tongxin.federation import fetch
from tongxin.federation.pipeline import run
from tongxin.federation.store import Store

ROOT = Path(__file__).resolve().parent.parent
TONGXIN = ROOT / ".venv" / "bin" / "tongxin"
#: Short limits for the in-process runs, so three hangs cost seconds, not minutes.
LIMITS = {"connect_timeout": 2.0, "read_timeout": 2.0, "total_timeout": 4.0}
RUN_BOUND = 40.0  # seconds: total timeout + parse/render of a small portal, with margin


@dataclass
class FaultRun:
    server: FeedServer
    registry: Path
    out: Path
    db: Path
    elapsed: float
    health: dict[str, dict]
    health_page: lxml.html.HtmlElement
    published_ids: set[str]
    old_ids: dict[str, str]
    new_healthy_ids: list[str]
    secret: Path


def _branch(branch_id: str, url: str) -> dict:
    return {"id": branch_id, "name": f"分支 {branch_id}", "feed": url}


def _healthy(server: FeedServer, branch_id: str, items: list[tuple[str, str]]) -> None:
    site = server.url(f"/site/{branch_id}/")
    server.route(f"/feeds/{branch_id}.xml", body=atom_feed(site, branch_id, items))


def _serve_faults(server: FeedServer, secret: Path) -> None:
    base = server.url("")
    for name in fault_names():
        handler = fault_handler(name, base, secret_path=str(secret))
        server.route(f"/fault/{name}", handler=handler)


def _run(registry: Path, out: Path, db: Path) -> float:
    started = time.monotonic()
    run(registry, out, db)
    return time.monotonic() - started


@pytest.fixture(scope="module")
def fault_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FaultRun]:
    tmp = tmp_path_factory.mktemp("faults")
    secret = tmp / "secret.txt"
    secret.write_text(SECRET_MARKER, encoding="utf-8")
    with FeedServer() as server, pytest.MonkeyPatch.context() as patch:
        patch.setattr(fetch, "fetch_all", functools.partial(fetch.fetch_all, **LIMITS))
        branches = []
        old_ids = {}
        for fault in faults_table():
            path = f"/fault/{fault.name}"
            site = server.url(f"/site/{fault.name}/")
            server.route(path, body=atom_feed(site, fault.name, [("old", f"{fault.name} 旧闻")]))
            branches.append(_branch(f"f-{fault.name}", server.url(path)))
            old_ids[fault.name] = f"{site}news/old/"
        for healthy in ("h-a", "h-b"):
            _healthy(server, healthy, [("one", f"{healthy} 第一条")])
            branches.append(_branch(healthy, server.url(f"/feeds/{healthy}.xml")))
        registry = tmp / "registry.yaml"
        registry.write_text(
            yaml.safe_dump(
                {
                    "name": "故障门户",
                    "url": "https://portal.example/",
                    "branches": branches,
                    "allow_networks": ["127.0.0.1"],
                },
                allow_unicode=True,
            ),
            encoding="utf-8",
        )
        out, db = tmp / "portal", tmp / "portal.sqlite3"
        _run(registry, out, db)
        # Now every faulty branch misbehaves, and the healthy ones publish something new.
        base = server.url("")
        for name in fault_names():
            server.route(
                f"/fault/{name}", handler=fault_handler(name, base, secret_path=str(secret))
            )
        new_ids = []
        for healthy in ("h-a", "h-b"):
            _healthy(server, healthy, [("two", f"{healthy} 第二条"), ("one", f"{healthy} 第一条")])
            new_ids.append(server.url(f"/site/{healthy}/news/two/"))
        elapsed = _run(registry, out, db)
        health = json.loads((out / "health.json").read_text(encoding="utf-8"))
        api = json.loads((out / "api" / "index.json").read_text(encoding="utf-8"))
        page = lxml.html.fromstring((out / "health" / "index.html").read_bytes())
        yield FaultRun(
            server=server,
            registry=registry,
            out=out,
            db=db,
            elapsed=elapsed,
            health={row["id"]: row for row in health["branches"]},
            health_page=page,
            published_ids={entry["id"] for entry in api["entries"]},
            old_ids=old_ids,
            new_healthy_ids=new_ids,
            secret=secret,
        )


def test_a_run_with_every_fault_finishes_within_its_bound(fault_run: FaultRun) -> None:
    assert fault_run.elapsed < RUN_BOUND


@pytest.mark.parametrize("name", list(FAULTS))
def test_faulty_branch_shows_status_and_message_on_health(fault_run: FaultRun, name: str) -> None:
    fault = FAULTS[name]
    row = fault_run.health[f"f-{name}"]
    assert row["status"] == fault.status, row
    if fault.message:
        assert fault.message in (row["error"] or ""), row
    else:
        assert row["error"] is None, row
    # The same status on the health page an operator reads, and the error as its class in the
    # portal's language (the raw text stays in health.json and the operator's log).
    [cell] = fault_run.health_page.xpath(f'//tr[@id="branch-f-{name}"]')
    assert cell.xpath(".//*[@data-status]/@data-status") == [fault.status]
    if fault.message:
        shown = cell.xpath('string(.//*[contains(@class, "health-error")])').strip()
        assert shown and "127.0.0.1" not in shown and "Error" not in shown, shown


@pytest.mark.parametrize("name", list(FAULTS))
def test_faulty_branch_keeps_its_stored_entries_published(fault_run: FaultRun, name: str) -> None:
    assert fault_run.old_ids[name] in fault_run.published_ids


def test_healthy_branches_are_unaffected(fault_run: FaultRun) -> None:
    for healthy in ("h-a", "h-b"):
        assert fault_run.health[healthy]["status"] == "ok"
        assert fault_run.health[healthy]["error"] is None
    for entry_id in fault_run.new_healthy_ids:
        assert entry_id in fault_run.published_ids


def test_misdeclared_encodings_are_read_as_chinese(fault_run: FaultRun) -> None:
    with Store(fault_run.db) as store:
        titles = {e.branch_id: e.title for e in store.entries() if e.url.endswith("/gbk/")}
    assert titles == {
        "f-gbk-declared-utf8": "南湖社区编码测试",
        "f-gbk-undeclared": "南湖社区编码测试",
    }


def test_xxe_never_reads_the_local_file(fault_run: FaultRun) -> None:
    for path in fault_run.out.rglob("*"):
        if path.is_file():
            assert SECRET_MARKER.encode() not in path.read_bytes(), path
    assert SECRET_MARKER.encode() not in fault_run.db.read_bytes()


def test_retry_after_is_honoured_on_the_next_run(fault_run: FaultRun) -> None:
    fault_run.server.clear_log()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fetch, "fetch_all", functools.partial(fetch.fetch_all, **LIMITS))
        _run(fault_run.registry, fault_run.out, fault_run.db)
    assert fault_run.server.requests("/fault/429") == []
    assert fault_run.server.requests("/fault/404") != []  # the others are asked again


def _write_registry(path: Path, branches: list[dict]) -> Path:
    document = {
        "name": "故障门户",
        "url": "https://portal.example/",
        "branches": branches,
        "allow_networks": ["127.0.0.1"],
    }
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return path


def _cli_federate(registry: Path, out: Path, timeout: float) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "tests")}
    return subprocess.run(
        [str(TONGXIN), "federate", str(registry), "-o", str(out), "--db", f"{out}.sqlite3", "-q"],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


@pytest.mark.parametrize(
    "names, bound",
    [
        (["reset", "huge", "gzip-bomb", "xxe", "redirect-file", "410", "429", "500"], 60.0),
        pytest.param(["hang-headers", "hang-body"], 45.0, marks=pytest.mark.slow),
    ],
    ids=["fast-faults", "hangs-at-default-timeouts"],
)
def test_real_federate_command_survives_faults(
    names: list[str], bound: float, tmp_path: Path
) -> None:
    """The real `tongxin federate`, default limits: exit 0, faults reported, healthy published."""
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET_MARKER, encoding="utf-8")
    with FeedServer() as server:
        base = server.url("")
        for name in fault_names():
            server.route(
                f"/fault/{name}", handler=fault_handler(name, base, secret_path=str(secret))
            )
        _healthy(server, "h-a", [("one", "健康分支")])
        branches = [_branch(f"f-{n}", server.url(f"/fault/{n}")) for n in names]
        branches.append(_branch("h-a", server.url("/feeds/h-a.xml")))
        registry = _write_registry(tmp_path / "registry.yaml", branches)
        out = tmp_path / "portal"
        started = time.monotonic()
        done = _cli_federate(registry, out, timeout=bound + 30)
        elapsed = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    assert elapsed < bound
    health = {r["id"]: r for r in json.loads((out / "health.json").read_text())["branches"]}
    assert health["h-a"]["status"] == "ok"
    for name in names:
        assert health[f"f-{name}"]["status"] == FAULTS[name].status
        assert FAULTS[name].message in health[f"f-{name}"]["error"]


def test_fault_server_script_serves_every_fault_url() -> None:
    """scripts/fault-server starts, lists one URL per fault and answers on 127.0.0.1."""
    import urllib.request

    script = ROOT / "scripts" / "fault-server"
    assert os.access(script, os.X_OK)
    process = subprocess.Popen(
        [sys.executable, str(script), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "tests")},
    )
    try:
        lines = []
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            line = process.stdout.readline()  # type: ignore[union-attr]
            if not line:
                break
            lines.append(line.strip())
            if len([x for x in lines if "/fault/" in x]) >= len(FAULTS):
                break
        urls = [x.split()[-1] for x in lines if "/fault/" in x]
        assert len(urls) == len(FAULTS)
        assert all(u.startswith("http://127.0.0.1:") for u in urls)
        with urllib.request.urlopen(urls[0].rsplit("/fault/", 1)[0] + "/fault/404") as response:
            pytest.fail(f"404 fault answered {response.status}")
    except urllib.error.HTTPError as error:
        assert error.code == 404
    finally:
        process.terminate()
        process.wait(10)
