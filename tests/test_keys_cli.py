"""`tongxin keys generate` and `tongxin keys verify`: the branch side of signed feeds."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from tongxin.cli import main
from tongxin.signing import KEY_ENV, generate_keypair, public_key_for, sign_file

KEY = re.compile(r"^[A-Za-z0-9+/]{43}=$")
LOCALE = Path(__file__).resolve().parents[1] / "tongxin" / "locale"


def keys(*args: str | Path) -> Result:
    return CliRunner().invoke(main, ["keys", *map(str, args)])


def printed_keys(text: str) -> dict[str, str]:
    return dict(re.findall(r"^(private_key|public_key): (\S+)$", text, re.MULTILINE))


@pytest.fixture
def signed_feed(tmp_path: Path) -> tuple[Path, str, str]:
    private, public = generate_keypair()
    feed = tmp_path / "all.atom.xml"
    feed.write_bytes(
        '<feed xmlns="http://www.w3.org/2005/Atom"><title>同心</title></feed>'.encode()
    )
    sign_file(feed, private)
    return feed, private, public


def test_generate_prints_a_matching_pair_and_warns_about_the_private_key() -> None:
    result = keys("generate")
    assert result.exit_code == 0
    printed = printed_keys(result.stdout)
    assert KEY.match(printed["private_key"]) and KEY.match(printed["public_key"])
    assert public_key_for(printed["private_key"]) == printed["public_key"]
    # The warning goes to stderr, so `tongxin keys generate > pair.txt` keeps only the keys.
    assert "TONGXIN_SIGNING_KEY" in result.stderr and "切勿提交" in result.stderr
    assert "TONGXIN_SIGNING_KEY" not in result.stdout


def test_every_generate_makes_a_new_pair() -> None:
    first, second = printed_keys(keys("generate").stdout), printed_keys(keys("generate").stdout)
    assert first["private_key"] != second["private_key"]
    assert first["public_key"] != second["public_key"]


def test_out_private_writes_a_file_only_its_owner_can_read(tmp_path: Path) -> None:
    target = tmp_path / "branch.key"
    result = keys("generate", "--out-private", target)
    assert result.exit_code == 0, result.output
    private = target.read_text(encoding="ascii").strip()
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert printed_keys(result.stdout) == {"public_key": public_key_for(private)}
    assert private not in result.output  # never echoed to a terminal or a CI log
    assert str(target) in result.stderr and "TONGXIN_SIGNING_KEY" in result.stderr


def test_out_private_never_overwrites_an_existing_key(tmp_path: Path) -> None:
    target = tmp_path / "branch.key"
    target.write_text("the only copy of the key in use\n", encoding="ascii")
    result = keys("generate", "--out-private", target)
    assert result.exit_code == 1
    assert "已存在" in result.stderr
    assert target.read_text(encoding="ascii") == "the only copy of the key in use\n"
    assert "public_key" not in result.stdout


def test_verify_accepts_a_correctly_signed_feed(signed_feed: tuple[Path, str, str]) -> None:
    feed, _, public = signed_feed
    result = keys("verify", feed, "--public-key", public)
    assert result.exit_code == 0, result.output
    assert "签名有效" in result.stdout


def test_verify_rejects_a_feed_changed_after_signing(signed_feed: tuple[Path, str, str]) -> None:
    feed, _, public = signed_feed
    feed.write_bytes(feed.read_bytes().replace("同心".encode(), "赌场".encode()))
    result = keys("verify", feed, "--public-key", public)
    assert result.exit_code == 1
    assert "签名无效" in result.stderr


def test_verify_rejects_another_branchs_key(signed_feed: tuple[Path, str, str]) -> None:
    feed, _, _ = signed_feed
    result = keys("verify", feed, "--public-key", generate_keypair()[1])
    assert result.exit_code == 1
    assert "签名无效" in result.stderr


def test_verify_reports_a_missing_signature(signed_feed: tuple[Path, str, str]) -> None:
    feed, _, public = signed_feed
    feed.with_name(feed.name + ".sig").unlink()
    result = keys("verify", feed, "--public-key", public)
    assert result.exit_code == 1
    assert "缺少签名文件" in result.stderr and "all.atom.xml.sig" in result.stderr


def test_verify_accepts_either_key_during_a_rotation(signed_feed: tuple[Path, str, str]) -> None:
    feed, _, public = signed_feed
    other = generate_keypair()[1]
    assert keys("verify", feed, "--public-key", other, "--public-key", public).exit_code == 0
    assert keys("verify", feed, "--public-key", other).exit_code == 1


def test_verify_says_when_the_public_key_itself_is_malformed(
    signed_feed: tuple[Path, str, str],
) -> None:
    feed, _, public = signed_feed
    result = keys("verify", feed, "--public-key", public[:-4])
    assert result.exit_code == 2
    assert "公钥格式不对" in result.stderr
    assert "签名无效" not in result.output  # a typo is not a forged feed


def test_messages_follow_the_language_option(signed_feed: tuple[Path, str, str]) -> None:
    feed, _, public = signed_feed
    english = keys("verify", feed, "--public-key", public, "--language", "en")
    assert english.stdout.startswith("signature valid:")
    feed.with_name(feed.name + ".sig").write_text("AAAA\n", encoding="ascii")
    traditional = keys("verify", feed, "--public-key", public, "--language", "zh-TW")
    assert traditional.exit_code == 1 and "簽章無效" in traditional.stderr
    assert "私鑰" in keys("generate", "--language", "zh-TW").stderr


def test_keys_messages_exist_in_every_language() -> None:
    catalogues = {
        lang: set(yaml.safe_load((LOCALE / lang / "keys.yaml").read_text(encoding="utf-8")))
        for lang in ("zh-CN", "zh-TW", "en")
    }
    assert catalogues["zh-TW"] == catalogues["zh-CN"] == catalogues["en"]


def test_console_script_keys_round_trip_with_python_m_signing(tmp_path: Path) -> None:
    """The installed `tongxin` script generates, `python -m tongxin.signing` signs, and
    `tongxin keys verify` verifies: the CLI and the module agree on key and signature format."""
    script = Path(sys.executable).with_name("tongxin")
    generated = subprocess.run(
        [str(script), "keys", "generate"], capture_output=True, text=True, timeout=60, check=True
    )
    pair = printed_keys(generated.stdout)
    feed = tmp_path / "all.json"
    feed.write_text('{"version": "https://jsonfeed.org/version/1.1", "items": []}', "utf-8")
    subprocess.run(
        [sys.executable, "-m", "tongxin.signing", "sign", str(feed)],
        env={**os.environ, KEY_ENV: pair["private_key"]},
        capture_output=True,
        timeout=60,
        check=True,
    )
    verified = subprocess.run(
        [str(script), "keys", "verify", str(feed), "--public-key", pair["public_key"]],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert verified.returncode == 0, verified.stderr
