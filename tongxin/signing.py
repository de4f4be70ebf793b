"""Detached Ed25519 signatures for a branch's feeds.

A branch signs its feeds at build time with a private key that lives only in its CI secrets;
the portal's registry holds the matching public key and rejects a feed whose signature is
missing or wrong. A hacked web host without the build key can then no longer inject into the
portal. Keys and signatures travel as standard base64 text so they fit in a YAML registry and
a CI secret field.

The signature covers the exact bytes of the published file (no canonicalisation): the portal
verifies what it fetched, byte for byte, before parsing it.

Command line (``python -m tongxin.signing``):

    python -m tongxin.signing generate            # prints the private and public key
    python -m tongxin.signing sign FILE...        # key from $TONGXIN_SIGNING_KEY
    python -m tongxin.signing verify FILE PUBLIC_KEY
"""

from __future__ import annotations

import argparse
import base64
import binascii
import os
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

#: The environment variable CI sets from its secret store; never read a key from the repository.
KEY_ENV = "TONGXIN_SIGNING_KEY"
#: Suffix of the detached signature written beside each signed file.
SIGNATURE_SUFFIX = ".sig"


class SigningKeyError(ValueError):
    """A key that is not base64 of 32 bytes (an Ed25519 seed or public key)."""


def _decode_key(key_b64: str, what: str) -> bytes:
    try:
        raw = base64.b64decode(key_b64.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SigningKeyError(f"{what} is not valid base64") from exc
    if len(raw) != 32:
        raise SigningKeyError(f"{what} must decode to 32 bytes, got {len(raw)}")
    return raw


def generate_keypair() -> tuple[str, str]:
    """A new key pair as ``(private_b64, public_b64)``; the private part is the 32-byte seed."""
    key = SigningKey.generate()
    return (
        base64.b64encode(bytes(key)).decode("ascii"),
        base64.b64encode(bytes(key.verify_key)).decode("ascii"),
    )


def public_key_for(private_key_b64: str) -> str:
    """The public key matching a private key, so an operator can recover it from the secret."""
    key = SigningKey(_decode_key(private_key_b64, "private key"))
    return base64.b64encode(bytes(key.verify_key)).decode("ascii")


def sign(data: bytes, private_key_b64: str) -> str:
    """The base64 detached signature of ``data``."""
    key = SigningKey(_decode_key(private_key_b64, "private key"))
    return base64.b64encode(key.sign(data).signature).decode("ascii")


#: A sequenced signature: ``tongxin-sig-v2 <seq> <base64>``, where ``seq`` (the signing time,
#: Unix seconds) is signed with the bytes, so a portal can refuse an older feed replayed.
SEQUENCED = "tongxin-sig-v2"


def signed_message(data: bytes, seq: int) -> bytes:
    """What a sequenced signature covers: the file's bytes, then its sequence number."""
    return data + b"\n--tongxin-signed-seq:" + str(seq).encode("ascii")


def sign_sequenced(data: bytes, private_key_b64: str, seq: int) -> str:
    """The ``.sig`` text of a sequenced signature of ``data``."""
    return f"{SEQUENCED} {seq} {sign(signed_message(data, seq), private_key_b64)}"


def verify_signature_text(
    data: bytes, text: str, public_keys_b64: Iterable[str]
) -> tuple[bool, int | None]:
    """(valid, sequence) of a ``.sig`` file's text: sequenced, or a plain (older) signature."""
    parts = text.split()
    seq = (
        int(parts[1]) if len(parts) == 3 and parts[0] == SEQUENCED and parts[1].isdigit() else None
    )
    return verify_any(data, text, public_keys_b64), seq


def sign_file(path: str | os.PathLike[str], private_key_b64: str, seq: int | None = None) -> Path:
    """Write ``path + '.sig'``, a sequenced signature of the file's exact bytes; its path.

    ``seq`` defaults to now (Unix seconds). A signature already there that is valid for these
    bytes and this key is kept, sequence and mtime included: an unchanged rebuild changes
    nothing, and a sequence only grows.
    """
    source = Path(path)
    data = source.read_bytes()
    target = source.with_name(source.name + SIGNATURE_SUFFIX)
    if target.exists():
        try:
            old = target.read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError):
            old = ""
        valid, old_seq = verify_signature_text(data, old, [public_key_for(private_key_b64)])
        if valid and old_seq is not None:
            return target
    seq = int(time.time()) if seq is None else seq
    signature = (sign_sequenced(data, private_key_b64, seq) + "\n").encode("ascii")
    if not (target.exists() and target.read_bytes() == signature):
        tmp = target.with_name(target.name + ".tmp")
        tmp.write_bytes(signature)
        os.replace(tmp, target)
    return target


def verify(data: bytes, signature_b64: str, public_key_b64: str) -> bool:
    """True when ``signature_b64`` is a valid signature of ``data`` by ``public_key_b64``.

    Never raises on bad input: a malformed key or signature is simply not valid. A sequenced
    signature's text (:data:`SEQUENCED`) is verified over the bytes and its sequence.
    """
    parts = signature_b64.split()
    if len(parts) == 3 and parts[0] == SEQUENCED and parts[1].isdigit():
        data, signature_b64 = signed_message(data, int(parts[1])), parts[2]
    try:
        verify_key = VerifyKey(_decode_key(public_key_b64, "public key"))
        signature = base64.b64decode(signature_b64.strip(), validate=True)
        if len(signature) != 64:
            return False
        verify_key.verify(data, signature)
    except (BadSignatureError, SigningKeyError, binascii.Error, ValueError, TypeError):
        return False
    return True


def verify_any(data: bytes, signature_b64: str, public_keys_b64: Iterable[str]) -> bool:
    """True when any of the keys verifies: during a rotation the registry lists old and new."""
    return any(verify(data, signature_b64, key) for key in public_keys_b64)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tongxin.signing", description="Ed25519 signatures for Tongxin feeds."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("generate", help="print a new private and public key")
    signer = commands.add_parser("sign", help=f"sign files with the key in ${KEY_ENV}")
    signer.add_argument("files", nargs="+")
    checker = commands.add_parser("verify", help="check FILE against FILE.sig")
    checker.add_argument("file")
    checker.add_argument("public_key")
    args = parser.parse_args(argv)

    if args.command == "generate":
        private, public = generate_keypair()
        print(f"private_key: {private}")
        print(f"public_key: {public}")
        print(
            f"# Put private_key in your CI secrets as {KEY_ENV}; never commit it.\n"
            "# Give public_key to your portal operator (registry `public_key:`).",
            file=sys.stderr,
        )
        return 0
    if args.command == "sign":
        key = os.environ.get(KEY_ENV, "").strip()
        if not key:
            print(f"{KEY_ENV} is not set", file=sys.stderr)
            return 2
        for name in args.files:
            print(sign_file(name, key))
        return 0
    data = Path(args.file).read_bytes()
    sig_path = Path(args.file + SIGNATURE_SUFFIX)
    if not sig_path.exists():
        print(f"{sig_path}: missing", file=sys.stderr)
        return 1
    ok, _seq = verify_signature_text(data, sig_path.read_text(encoding="ascii"), [args.public_key])
    print("ok" if ok else "BAD SIGNATURE")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
