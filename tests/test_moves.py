"""Hijack by 301: a permanent redirect moves a branch only when believable.

Real HTTP on loopback: the branch's own address answers 301 to another server (the "attacker"
on 127.0.0.2). The original address must keep being asked; the move takes effect only after
consistent runs over days or the operator's ``tongxin moves confirm``; health shows it; a
signed branch cannot move to a host that does not sign with its key.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from feedserver import FeedServer
from test_pipeline import NOW, Item, atom, federate, write_registry
from tongxin.federation import moves
from tongxin.federation.store import Store

from tongxin.signing import generate_keypair, sign

TONGXIN = str(Path(sys.executable).with_name("tongxin"))


def _health(out: Path, branch: str) -> dict:
    rows = json.loads((out / "health.json").read_text("utf-8"))["branches"]
    return next(row for row in rows if row["id"] == branch)


def _setup(tmp_path: Path, home: FeedServer, other: FeedServer, **branch) -> Path:
    home.route("/a.xml", status=301, headers={"Location": other.url("/a.xml")})
    other.route("/a.xml", body=atom(other.url("/"), "A", [Item("x", "迁移后的文章")]))
    registry = write_registry(
        tmp_path / "registry.yaml",
        "门户",
        "https://portal.example/",
        [{"id": "a", "name": "A", "feed": home.url("/a.xml"), **branch}],
    )
    # both servers are on loopback: open 127.0.0.0/8 (the default reaches public addresses only)
    text = registry.read_text("utf-8").replace("- 127.0.0.1", "- 127.0.0.0/8")
    registry.write_text(text, "utf-8")
    return registry


def test_one_301_does_not_move_a_branch_and_a_repaired_host_keeps_it(tmp_path: Path) -> None:
    with FeedServer() as home, FeedServer(host="127.0.0.2") as other:
        registry = _setup(tmp_path, home, other)
        out = tmp_path / "out"
        federate(registry, out, now=NOW)
        health = _health(out, "a")
        assert "127.0.0.2" in (
            health["error"] or ""
        )  # the pending move's host is noted  # the pending move's host is noted
        # The hacked host is repaired: the original address answers again, and is asked.
        home.route("/a.xml", body=atom(home.url("/"), "A", [Item("y", "原址文章")]))
        federate(registry, out, now=NOW + timedelta(days=1))
        assert len(home.requests("/a.xml")) == 2
        assert not _health(out, "a")["error"]
        with Store(tmp_path / "out.sqlite3") as store:
            assert moves.pending(store, "a") is None


def test_a_consistent_move_over_days_takes_effect_and_health_shows_it(tmp_path: Path) -> None:
    with FeedServer() as home, FeedServer(host="127.0.0.2") as other:
        registry = _setup(tmp_path, home, other)
        out = tmp_path / "out"
        for day in (0, 0.1, 1):  # three runs, but within one day: still pending
            federate(registry, out, now=NOW + timedelta(days=day))
        assert "127.0.0.2" in _health(out, "a")["error"]  # pending
        assert len(home.requests("/a.xml")) == 3
        federate(registry, out, now=NOW + timedelta(days=2.5))
        assert other.url("/a.xml") in _health(out, "a")["error"]  # moved, and shown
        asked = len(home.requests("/a.xml"))
        federate(registry, out, now=NOW + timedelta(days=3))
        assert len(home.requests("/a.xml")) == asked  # moved: the new address is asked


def test_the_operator_confirms_a_move_with_a_command(tmp_path: Path) -> None:
    with FeedServer() as home, FeedServer(host="127.0.0.2") as other:
        registry = _setup(tmp_path, home, other)
        out = tmp_path / "out"
        db = tmp_path / "out.sqlite3"
        federate(registry, out, now=NOW)
        listed = subprocess.run([TONGXIN, "moves", "list", "--db", str(db), "--language", "en"],
                                capture_output=True, text=True, timeout=60)  # fmt: skip
        assert other.url("/a.xml") in listed.stdout
        done = subprocess.run([TONGXIN, "moves", "confirm", "a", "--db", str(db)],
                              capture_output=True, text=True, timeout=60)  # fmt: skip
        assert done.returncode == 0, done.stderr
        federate(registry, out, now=NOW + timedelta(minutes=5))
        assert other.url("/a.xml") in _health(out, "a")["error"]


def test_a_signed_branch_cannot_move_to_a_host_without_its_key(tmp_path: Path) -> None:
    private, public = generate_keypair()
    attacker_private, _ = generate_keypair()
    with FeedServer() as home, FeedServer(host="127.0.0.2") as other:
        registry = _setup(tmp_path, home, other, public_key=public)
        body = atom(other.url("/"), "A", [Item("x", "冒充")])
        other.route("/a.xml", body=body)
        other.route("/a.xml.sig", body=sign(body, attacker_private), content_type="text/plain")
        out = tmp_path / "out"
        for day in (0, 1, 2, 3):
            federate(registry, out, now=NOW + timedelta(days=day))
        health = _health(out, "a")
        assert health["status"] == "error" and other.url("/a.xml") not in health["error"]
        assert len(home.requests("/a.xml")) == 4
        del private
