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


def sign_file(path: str | os.PathLike[str], private_key_b64: str) -> Path:
    """Write ``path + '.sig'`` holding the signature of the file's exact bytes; return its path.

    Ed25519 signatures are deterministic, so re-signing an unchanged file yields the same
    bytes; the file is then left untouched (its mtime too), like the rest of a rebuild.
    """
    source = Path(path)
    signature = (sign(source.read_bytes(), private_key_b64) + "\n").encode("ascii")
    target = source.with_name(source.name + SIGNATURE_SUFFIX)
    if not (target.exists() and target.read_bytes() == signature):
        tmp = target.with_name(target.name + ".tmp")
        tmp.write_bytes(signature)
        os.replace(tmp, target)
    return target


def verify(data: bytes, signature_b64: str, public_key_b64: str) -> bool:
    """True when ``signature_b64`` is a valid signature of ``data`` by ``public_key_b64``.

    Never raises on bad input: a malformed key or signature is simply not valid.
    """
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
    ok = verify(data, sig_path.read_text(encoding="ascii"), args.public_key)
    print("ok" if ok else "BAD SIGNATURE")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
