"""Sign the branch's feeds at build time when CI provides a key.

When the environment variable ``TONGXIN_SIGNING_KEY`` (a CI secret, base64 Ed25519 seed) is
set, ``feeds/all.atom.xml``, ``feeds/all.rss.xml`` and ``feeds/all.json`` each get a detached
signature beside them (``all.atom.xml.sig`` …). The key is only ever read from the
environment, never from the repository or the settings, so it cannot be committed by mistake.

Runs on the ``tongxin_feeds_written`` signal that ``feeds`` sends once its files are on disk,
so it always signs the final bytes whatever the order of PLUGINS. Without a key, signatures
left by an earlier signed build are removed: a stale signature beside a new feed would only
make the portal reject it. A key that is set but malformed fails the build loudly: a branch
that believes it signs but does not would be rejected by its portal.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from blinker import signal

from tongxin.i18n import translate
from tongxin.signing import KEY_ENV, SIGNATURE_SUFFIX, SigningKeyError, public_key_for, sign_file

logger = logging.getLogger(__name__)

#: The feeds a portal verifies (paths relative to the output folder).
SIGNED_FEEDS = ("feeds/all.atom.xml", "feeds/all.rss.xml", "feeds/all.json")


class SigningConfigError(RuntimeError):
    """The signing key in the environment cannot be used."""


def sign_feeds(output_path: str | os.PathLike[str], language: str | None = None) -> list[Path]:
    """Sign the feeds under ``output_path`` with the key in the environment; return the .sig paths.

    Without a key nothing is signed and leftover signatures are deleted.
    """
    out = Path(output_path)
    key = os.environ.get(KEY_ENV, "").strip()
    targets = [out / name for name in SIGNED_FEEDS]
    if not key:
        for path in _signature_paths(targets):
            path.unlink(missing_ok=True)
        return []
    try:
        public_key_for(key)  # validates the key once, before touching any file
    except SigningKeyError as exc:
        raise SigningConfigError(translate(language, "feeds.signing_bad_key", error=exc)) from None
    signatures = [sign_file(path, key) for path in targets if path.is_file()]
    logger.info(translate(language, "feeds.signing_signed", count=len(signatures)))
    return signatures


def _signature_paths(targets: Iterable[Path]) -> list[Path]:
    return [path.with_name(path.name + SIGNATURE_SUFFIX) for path in targets]


def _on_feeds_written(output_path: Any, **extra: Any) -> None:
    settings = extra.get("settings") or {}
    language = (settings.get("TONGXIN_SITE") or {}).get("language") or settings.get("DEFAULT_LANG")
    sign_feeds(output_path, language)


def register() -> None:
    signal("tongxin_feeds_written").connect(_on_feeds_written)
