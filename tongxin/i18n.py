"""Interface strings and messages in the site's language.

Catalogues live in ``tongxin/locale/<language>/<section>.yaml``; each module owns its
section (``check``, ``theme``, ``federation`` …), so keys read as ``section.key``.
Simplified Chinese is the reference catalogue: a key missing elsewhere falls back to it,
then to English, then to the key itself, so a missing translation never breaks a build.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import yaml

LANGUAGES = ("zh-CN", "zh-TW", "en")
DEFAULT_LANGUAGE = "zh-CN"
_LOCALE_DIR = Path(__file__).parent / "locale"


def normalise_language(language: str | None) -> str:
    """Map ``zh``, ``zh_CN``, ``zh-Hant`` … onto one of :data:`LANGUAGES`."""
    if not language:
        return DEFAULT_LANGUAGE
    tag = language.replace("_", "-").lower()
    if tag in ("zh-tw", "zh-hk", "zh-mo", "zh-hant") or tag.startswith("zh-hant"):
        return "zh-TW"
    if tag.startswith("zh"):
        return "zh-CN"
    if tag.startswith("en"):
        return "en"
    return DEFAULT_LANGUAGE


#: libyaml's safe loader when PyYAML was built with it (ten times faster on the catalogues).
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@cache
def catalogue(language: str) -> dict[str, str]:
    """All strings of one language, flattened to ``section.key``."""
    strings: dict[str, str] = {}
    folder = _LOCALE_DIR / language
    if folder.is_dir():
        for path in sorted(folder.glob("*.yaml")):
            data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER) or {}
            _flatten(path.stem, data, strings)
    return strings


def _flatten(prefix: str, data: Any, into: dict[str, str]) -> None:
    if isinstance(data, dict):
        for key, value in data.items():
            _flatten(f"{prefix}.{key}", value, into)
    else:
        into[prefix] = str(data)


def translate(language: str | None, key: str, /, **values: Any) -> str:
    """The string for ``key`` in ``language``, with ``{name}`` fields filled in."""
    lang = normalise_language(language)
    for candidate in (lang, DEFAULT_LANGUAGE, "en"):
        text = catalogue(candidate).get(key)
        if text is not None:
            break
    else:
        text = key
    try:
        return text.format(**values) if values else text
    except (KeyError, IndexError, ValueError):
        return text


def translate_count(language: str | None, key: str, count: int, /, **values: Any) -> str:
    """:func:`translate` of ``key``, or of ``key_one`` when ``count`` is 1 and the language
    has one ("Checked 1 file"; every catalogue holds the same keys, Chinese repeating its one
    form)."""
    one = f"{key}_one"
    if count == 1 and one in catalogue(normalise_language(language)):
        key = one
    return translate(language, key, **values)


def translator(language: str | None) -> Callable[..., str]:
    """A translate function bound to a language, for Jinja2: ``t('theme.home')``."""

    def t(key: str, **values: Any) -> str:
        return translate(language, key, **values)

    return t
