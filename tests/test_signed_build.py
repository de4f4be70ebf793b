"""Signed feeds end to end: the real `tongxin build` signs with the CI key, and a portal that
holds the branch's public key accepts the feeds it serves (and rejects them under another key).

The portal side alone is pinned by tests/test_signed_feeds.py with hand-signed feeds; this file
checks that a *real build* produces what that portal accepts, i.e. that the signing plugin is
wired into branch builds.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from tongxin.federation.pipeline import run
from tongxin.plugins.feed_signing import SIGNED_FEEDS

from tongxin.cli import main
from tongxin.scaffold import create_branch
from tongxin.signing import KEY_ENV, SIGNATURE_SUFFIX, generate_keypair, verify

TONGXIN = Path(sys.executable).with_name("tongxin")
SITE = "https://signed.example/"


def tongxin_build(root: Path, key: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != KEY_ENV}
    if key is not None:
        env[KEY_ENV] = key
    return subprocess.run(
        [str(TONGXIN), "build", str(root), "-o", str(root / "output")],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
        check=False,
    )


def signatures_verify(output: Path, public: str) -> dict[str, bool]:
    result = {}
    for name in SIGNED_FEEDS:
        feed = output / name
        signature = feed.with_name(feed.name + SIGNATURE_SUFFIX)
        result[name] = signature.is_file() and verify(
            feed.read_bytes(), signature.read_text(encoding="ascii"), public
        )
    return result


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("template") / "branch"
    create_branch(root, name="签名支部", url=SITE)
    return root


@pytest.fixture
def branch(template: Path, tmp_path: Path) -> Path:
    root = tmp_path / "branch"
    shutil.copytree(template, root, symlinks=True)
    return root


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib's name
        pass


@pytest.fixture
def host(branch: Path) -> Iterator[str]:
    """The branch's output folder served on 127.0.0.1, as its web host would serve it."""
    (branch / "output").mkdir(exist_ok=True)
    handler = functools.partial(_QuietHandler, directory=str(branch / "output"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def federate(tmp_path: Path, feed_url: str, public_key: str, name: str) -> tuple[dict, set[str]]:
    """One portal run over the branch; returns its health row and the published entry ids."""
    registry = tmp_path / f"{name}.yaml"
    branch = {"id": "signed", "name": "签名支部", "feed": feed_url, "public_key": public_key}
    document = {
        "name": "门户",
        "url": "https://portal.example/",
        "branches": [branch],
        "allow_networks": ["127.0.0.1"],
    }
    registry.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    out = tmp_path / name
    run(registry, out, tmp_path / f"{name}.sqlite3")
    health = json.loads((out / "health.json").read_text(encoding="utf-8"))
    [row] = [row for row in health["branches"] if row["id"] == "signed"]
    api = json.loads((out / "api" / "index.json").read_text(encoding="utf-8"))
    return row, {entry["id"] for entry in api["entries"]}


def test_build_with_ci_key_signs_feeds_that_the_portal_accepts(
    branch: Path, host: str, tmp_path: Path
) -> None:
    private, public = generate_keypair()
    result = tongxin_build(branch, private)
    assert result.returncode == 0, result.stdout + result.stderr
    output = branch / "output"
    assert signatures_verify(output, public) == dict.fromkeys(SIGNED_FEEDS, True)
    # The branch administrator's own check agrees.
    checked = CliRunner().invoke(
        main, ["keys", "verify", str(output / "feeds/all.atom.xml"), "--public-key", public]
    )
    assert checked.exit_code == 0, checked.output

    row, published = federate(tmp_path, host + "feeds/all.atom.xml", public, "accepting")
    assert row["status"] == "ok", row
    assert f"{SITE}news/first-meeting/" in published

    other_public = generate_keypair()[1]
    row, published = federate(tmp_path, host + "feeds/all.atom.xml", other_public, "rejecting")
    assert row["status"] == "error", row
    assert "签名" in (row["error"] or "")
    assert f"{SITE}news/first-meeting/" not in published


def test_build_without_key_publishes_no_signature(branch: Path) -> None:
    private, public = generate_keypair()
    assert tongxin_build(branch, private).returncode == 0
    (branch / "content/news/first-meeting.md").touch()  # a real rebuild, not "unchanged"
    assert tongxin_build(branch, None).returncode == 0
    for name in SIGNED_FEEDS:
        feed = branch / "output" / name
        assert feed.is_file()
        assert not feed.with_name(feed.name + SIGNATURE_SUFFIX).exists(), name


def test_setting_the_key_on_an_unchanged_branch_signs_its_feeds(branch: Path) -> None:
    # CI gets its secret after a first unsigned build; nothing in content/ changed since.
    assert tongxin_build(branch, None).returncode == 0
    private, public = generate_keypair()
    assert tongxin_build(branch, private).returncode == 0
    assert signatures_verify(branch / "output", public) == dict.fromkeys(SIGNED_FEEDS, True)


def test_malformed_ci_key_fails_the_build_without_publishing_unsigned_feeds(
    branch: Path,
) -> None:
    result = tongxin_build(branch, "this is not a key")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert KEY_ENV in result.stdout + result.stderr
    feed = branch / "output" / "feeds" / "all.atom.xml"
    assert not feed.exists() or feed.with_name(feed.name + SIGNATURE_SUFFIX).exists()
