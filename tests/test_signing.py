"""Signed feeds: tongxin/signing.py and the feed_signing build plugin."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from tongxin.plugins.feed_signing import SIGNED_FEEDS, SigningConfigError, sign_feeds

from tongxin.signing import (
    KEY_ENV,
    generate_keypair,
    main,
    public_key_for,
    sign,
    sign_file,
    verify,
    verify_any,
)

try:
    from test_feeds_sitekit import DEFAULT_FILES, build_site
except ImportError:  # tests/ turned into a package
    from tests.test_feeds_sitekit import DEFAULT_FILES, build_site

FEED_PLUGINS = (
    "tongxin.plugins.feeds",
    "tongxin.plugins.json_api",
    "tongxin.plugins.feed_signing",
)


def _check(path: Path, public: str) -> bool:
    sig = path.with_name(path.name + ".sig").read_text(encoding="ascii")
    return verify(path.read_bytes(), sig, public)


def test_keypair_is_base64_of_32_bytes_and_matches() -> None:
    private, public = generate_keypair()
    assert len(base64.b64decode(private)) == 32
    assert len(base64.b64decode(public)) == 32
    assert public_key_for(private) == public
    assert generate_keypair()[0] != private


def test_sign_file_round_trip(tmp_path: Path) -> None:
    private, public = generate_keypair()
    feed = tmp_path / "all.atom.xml"
    feed.write_bytes("<feed>同心</feed>".encode())
    sig_path = sign_file(feed, private)
    assert sig_path == tmp_path / "all.atom.xml.sig"
    assert _check(feed, public)


def test_tampered_file_fails_verification(tmp_path: Path) -> None:
    private, public = generate_keypair()
    feed = tmp_path / "all.json"
    feed.write_bytes(b'{"items": []}')
    sign_file(feed, private)
    feed.write_bytes(b'{"items": [{"title": "spam"}]}')
    assert not _check(feed, public)


def test_signature_by_another_key_fails() -> None:
    private, _ = generate_keypair()
    _, other_public = generate_keypair()
    assert not verify(b"data", sign(b"data", private), other_public)


@pytest.mark.parametrize(
    ("signature", "key"),
    [("not base64!", None), ("", None), (base64.b64encode(b"x" * 10).decode(), None),
     (None, "short"), (None, "")],
)  # fmt: skip
def test_malformed_signature_or_key_is_simply_invalid(signature: str | None, key: str | None):
    private, public = generate_keypair()
    good = sign(b"data", private)
    assert verify(b"data", good, public)
    assert not verify(
        b"data", good if signature is None else signature, public if key is None else key
    )


def test_rotation_accepts_old_or_new_key() -> None:
    old_private, old_public = generate_keypair()
    new_private, new_public = generate_keypair()
    keys = [old_public, new_public]
    assert verify_any(b"feed", sign(b"feed", old_private), keys)
    assert verify_any(b"feed", sign(b"feed", new_private), keys)
    stranger, _ = generate_keypair()
    assert not verify_any(b"feed", sign(b"feed", stranger), keys)


def test_resigning_an_unchanged_file_leaves_the_signature_untouched(tmp_path: Path) -> None:
    private, _ = generate_keypair()
    feed = tmp_path / "all.rss.xml"
    feed.write_bytes(b"<rss/>")
    sig = sign_file(feed, private)
    before = (sig.read_bytes(), sig.stat().st_mtime_ns)
    sign_file(feed, private)
    assert (sig.read_bytes(), sig.stat().st_mtime_ns) == before


def test_build_signs_the_three_feeds_with_the_ci_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    private, public = generate_keypair()
    monkeypatch.setenv(KEY_ENV, private)
    out = build_site(tmp_path, DEFAULT_FILES, plugins=FEED_PLUGINS)
    for name in SIGNED_FEEDS:
        assert _check(out / name, public), name
    # Per-type feeds and the API are not part of the signed set.
    assert not (out / "feeds/news.atom.xml.sig").exists()


def test_signing_runs_after_feeds_whatever_the_plugin_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    private, public = generate_keypair()
    monkeypatch.setenv(KEY_ENV, private)
    plugins = ("tongxin.plugins.feed_signing", "tongxin.plugins.feeds")
    out = build_site(tmp_path, DEFAULT_FILES, plugins=plugins)
    files = dict(DEFAULT_FILES)
    files["news/flood-drill.md"] += "\n新增一段。\n"
    build_site(tmp_path, files, plugins=plugins)
    for name in SIGNED_FEEDS:
        assert _check(out / name, public), name


def test_build_without_key_signs_nothing_and_drops_stale_signatures(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    private, _ = generate_keypair()
    monkeypatch.setenv(KEY_ENV, private)
    out = build_site(tmp_path, DEFAULT_FILES, plugins=FEED_PLUGINS)
    assert (out / "feeds/all.atom.xml.sig").exists()
    monkeypatch.delenv(KEY_ENV)
    build_site(tmp_path, plugins=FEED_PLUGINS)
    assert (out / "feeds/all.atom.xml").exists()
    assert not list((out / "feeds").glob("*.sig"))


def test_malformed_ci_key_fails_loudly_in_the_site_language(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "feeds").mkdir()
    (tmp_path / "feeds/all.atom.xml").write_bytes(b"<feed/>")
    monkeypatch.setenv(KEY_ENV, "not-a-key")
    with pytest.raises(SigningConfigError, match="TONGXIN_SIGNING_KEY"):
        sign_feeds(tmp_path, "zh-CN")
    with pytest.raises(SigningConfigError, match="签名私钥无效"):
        sign_feeds(tmp_path, "zh-CN")
    assert not (tmp_path / "feeds/all.atom.xml.sig").exists()


def test_command_line_generate_sign_verify(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["generate"]) == 0
    lines = dict(line.split(": ", 1) for line in capsys.readouterr().out.splitlines())
    private, public = lines["private_key"], lines["public_key"]
    assert public_key_for(private) == public
    feed = tmp_path / "all.atom.xml"
    feed.write_bytes(b"<feed/>")
    monkeypatch.setenv(KEY_ENV, private)
    assert main(["sign", str(feed)]) == 0
    assert main(["verify", str(feed), public]) == 0
    feed.write_bytes(b"<feed>injected</feed>")
    assert main(["verify", str(feed), public]) == 1
