"""Signed feeds: a branch with a public key in the registry publishes only what its build signed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import lxml.html
import pytest
import yaml
from faults import atom_feed
from feedserver import FeedServer
from tongxin.federation.pipeline import run

from tongxin.signing import generate_keypair, sign


class SignedBranch:
    def __init__(self, server: FeedServer, tmp: Path) -> None:
        self.server = server
        self.tmp = tmp
        self.site = server.url("/signed/")
        self.out = tmp / "portal"
        self.db = tmp / "portal.sqlite3"

    def registry(self, *public_keys: str) -> Path:
        branch: dict = {"id": "signed", "name": "签名分支", "feed": self.server.url("/feed.xml")}
        if len(public_keys) == 1:
            branch["public_key"] = public_keys[0]
        else:
            branch["public_keys"] = list(public_keys)
        other = {"id": "plain", "name": "普通分支", "feed": self.server.url("/plain.xml")}
        path = self.tmp / "registry.yaml"
        document = {
            "name": "门户",
            "url": "https://p.example/",
            "branches": [branch, other],
            "allow_networks": ["127.0.0.1"],
        }
        path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
        return path

    def publish(self, slugs: list[str], *, key: str | None, signature: str | None = None) -> None:
        body = atom_feed(self.site, "签名分支", [(s, f"签名新闻 {s}") for s in slugs])
        self.server.route("/feed.xml", body=body)
        if signature is None and key is not None:
            signature = sign(body, key)
        if signature is None:
            self.server.route("/feed.xml.sig", status=404, body=b"no", content_type="text/plain")
        else:
            self.server.route("/feed.xml.sig", body=signature.encode(), content_type="text/plain")

    def run(self, registry: Path) -> dict:
        self.server.route(
            "/plain.xml", body=atom_feed(self.server.url("/p/"), "普通", [("p", "普通")])
        )
        run(registry, self.out, self.db)
        health = json.loads((self.out / "health.json").read_text(encoding="utf-8"))
        return {row["id"]: row for row in health["branches"]}

    def published(self) -> set[str]:
        api = json.loads((self.out / "api" / "index.json").read_text(encoding="utf-8"))
        return {entry["id"] for entry in api["entries"]}

    def id(self, slug: str) -> str:
        return f"{self.site}news/{slug}/"


@pytest.fixture
def branch(tmp_path: Path) -> Iterator[SignedBranch]:
    with FeedServer() as server:
        yield SignedBranch(server, tmp_path)


def test_correctly_signed_feed_is_accepted(branch: SignedBranch) -> None:
    private, public = generate_keypair()
    branch.publish(["one"], key=private)
    health = branch.run(branch.registry(public))
    assert health["signed"]["status"] == "ok"
    assert branch.id("one") in branch.published()


@pytest.mark.parametrize("attack", ["missing", "wrong-key", "tampered", "garbage"])
def test_unsigned_or_forged_feed_is_rejected_and_stored_entries_kept(
    branch: SignedBranch, attack: str
) -> None:
    private, public = generate_keypair()
    registry = branch.registry(public)
    branch.publish(["one"], key=private)
    branch.run(registry)
    # The web host is hacked: the feed changes, but the intruder has no build key.
    if attack == "missing":
        branch.publish(["one", "injected"], key=None)
    elif attack == "wrong-key":
        branch.publish(["one", "injected"], key=generate_keypair()[0])
    elif attack == "tampered":
        genuine = atom_feed(branch.site, "签名分支", [("one", "签名新闻 one")])
        branch.publish(["one", "injected"], key=None, signature=sign(genuine, private))
    else:
        branch.publish(["one", "injected"], key=None, signature="not base64 at all ✗")
    health = branch.run(registry)
    row = health["signed"]
    assert row["status"] == "error"
    assert "签名" in row["error"]
    assert branch.id("injected") not in branch.published()
    assert branch.id("one") in branch.published()  # what it had stays published
    assert health["plain"]["status"] == "ok"  # and nobody else is affected
    page = lxml.html.fromstring((branch.out / "health" / "index.html").read_bytes())
    [cell] = page.xpath('//tr[@id="branch-signed"]//*[contains(@class, "health-error")]')
    assert "签名" in cell.text_content()


def test_key_rotation_accepts_either_key_then_only_the_new_one(branch: SignedBranch) -> None:
    old_private, old_public = generate_keypair()
    new_private, new_public = generate_keypair()
    both = branch.registry(old_public, new_public)
    branch.publish(["one"], key=old_private)
    assert branch.run(both)["signed"]["status"] == "ok"
    branch.publish(["one", "two"], key=new_private)  # CI switched to the new key
    assert branch.run(both)["signed"]["status"] == "ok"
    assert branch.id("two") in branch.published()
    only_new = branch.registry(new_public)  # the old key is retired
    branch.publish(["one", "two", "three"], key=old_private)
    assert branch.run(only_new)["signed"]["status"] == "error"
    assert branch.id("three") not in branch.published()
