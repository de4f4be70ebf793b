"""Signed feeds cannot be rolled back: an old feed replayed with its valid signature is refused
and shown on health (real HTTP on loopback)."""

from __future__ import annotations

import json
from pathlib import Path

from feedserver import FeedServer
from test_pipeline import Item, atom, federate, write_registry

from tongxin.i18n import translate
from tongxin.signing import generate_keypair, sign, sign_sequenced


def _health(out: Path) -> dict:
    return json.loads((out / "health.json").read_text("utf-8"))["branches"][0]


def _titles(out: Path) -> set[str]:
    api = json.loads((out / "api" / "index.json").read_text("utf-8"))
    return {entry["title"] for entry in api["entries"]}


def test_an_old_signed_feed_replayed_is_refused(tmp_path: Path) -> None:
    private, public = generate_keypair()
    with FeedServer() as server:
        old = atom(server.url("/"), "A", [Item("m", "会议地点：三楼")])
        new = atom(server.url("/"), "A", [Item("m", "会议地点：五楼（更正）")])
        registry = write_registry(
            tmp_path / "registry.yaml", "门户", "https://p.example/",
            [{"id": "a", "name": "A", "feed": server.url("/a.xml"), "public_key": public}],
        )  # fmt: skip
        out = tmp_path / "out"

        def serve(body: bytes, signature: str) -> None:
            server.route("/a.xml", body=body)
            server.route("/a.xml.sig", body=signature, content_type="text/plain")

        serve(old, sign_sequenced(old, private, 100))
        federate(registry, out)
        serve(new, sign_sequenced(new, private, 200))
        federate(registry, out)
        assert "会议地点：五楼（更正）" in _titles(out) and _health(out)["status"] == "ok"
        serve(old, sign_sequenced(old, private, 100))  # the attacker replays the old pair
        federate(registry, out)
        rollback = translate("zh-CN", "federation.fetch.signature_rollback")
        assert _health(out)["status"] == "error" and _health(out)["error"] == rollback
        assert "会议地点：五楼（更正）" in _titles(out)
        assert "会议地点：三楼" not in _titles(out)
        serve(old, sign(old, private))  # an unsequenced (older-format) signature: refused too
        federate(registry, out)
        assert _health(out)["error"] == rollback
        newer = atom(server.url("/"), "A", [Item("m", "会议地点：六楼")])
        serve(newer, sign_sequenced(newer, private, 300))
        federate(registry, out)
        assert _health(out)["status"] == "ok" and "会议地点：六楼" in _titles(out)


def test_re_signing_an_unchanged_file_keeps_its_sequence(tmp_path: Path) -> None:
    from tongxin.signing import sign_file

    private, _public = generate_keypair()
    feed = tmp_path / "all.atom.xml"
    feed.write_bytes(b"<feed/>")
    first = sign_file(feed, private, seq=5).read_text("ascii")
    assert sign_file(feed, private, seq=9).read_text("ascii") == first
    feed.write_bytes(b"<feed>changed</feed>")
    assert " 9 " in sign_file(feed, private, seq=9).read_text("ascii")
