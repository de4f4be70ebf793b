"""Traditional → Simplified folding at the character level, for search.

Search must find 網絡黨建 when the reader types 网络党建 and the reverse, so both the index and
the query are folded to Simplified before tokenizing. The fold is one character to one
character (never a phrase conversion): positions stay put, the JavaScript side can apply the
same table (``search/t2s.json``) without OpenCC, and folding is idempotent.

The table is generated from OpenCC's own dictionaries by converting every CJK code point on its
own (``t2s``, then the Taiwan and Hong Kong variant tables for what ``t2s`` leaves alone), and
cached as a generated JSON file: it is never committed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path

import opencc

# Han ideograph blocks worth folding: URO, Ext A, compatibility ideographs, Ext B–F.
_HAN_RANGES = (
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xF900, 0xFAFF),
    (0x20000, 0x2EBEF),
)
# t2s covers OpenCC's TSCharacters; the tw/hk configs add the regional variant tables
# (e.g. 綫/線, 衞/衛) so every written variant lands on the same Simplified character.
_CONFIGS = ("t2s", "tw2s", "hk2s")
#: Characters OpenCC leaves alone but converts inside these words (a Taiwan text's 瞭解 is
#: 了解, 隨著 随着, 憑藉 凭借, 甦醒 苏醒: a reader's trial found 了解 missing 瞭解). Folded
#: everywhere, since the index and the query fold alike: 瞭望 and 著名 fold to 了望 and 着名
#: on both sides and are still found.
_IN_WORDS = ("瞭解", "隨著", "憑藉", "甦醒")
_TABLE_VERSION = 2  # (a new table needs a new search FORMAT too: the caches key on that)


def _code_points() -> Iterator[str]:
    for low, high in _HAN_RANGES:
        for cp in range(low, high + 1):
            yield chr(cp)


def generate_table() -> dict[str, str]:
    """Build the character map from OpenCC (a few seconds); only differing characters kept."""
    chars = list(_code_points())
    # One newline-separated string per config: OpenCC never matches a phrase across a newline,
    # so each character is converted alone, and one call is far faster than 100k calls.
    joined = "\n".join(chars)
    table: dict[str, str] = {}
    for config in _CONFIGS:
        converted = opencc.OpenCC(config).convert(joined).split("\n")
        if len(converted) != len(chars):  # a conversion changed the line structure: skip it
            continue
        for source, target in zip(chars, converted, strict=True):
            if source in table or len(target) != 1 or target == source:
                continue
            table[source] = target
    for word in _IN_WORDS:
        converted = opencc.OpenCC("tw2s").convert(word)
        for source, target in zip(word, converted, strict=True):
            if source != target:
                table.setdefault(source, target)
    # Resolve chains (A→B, B→C) so that folding is idempotent.
    for source, target in list(table.items()):
        seen = {source}
        while target in table and target not in seen:
            seen.add(target)
            target = table[target]
        table[source] = target
    return table


_cache_override: Path | None = None


def use_cache_dir(directory: Path) -> None:
    """Keep the generated table under a build's own cache folder (the search plugin does)."""
    global _cache_override
    _cache_override = Path(directory)


def cache_dir() -> Path:
    """Where the table is kept: the build's cache, ``TONGXIN_CACHE_DIR``, else the user cache."""
    if _cache_override is not None:
        return _cache_override
    explicit = os.environ.get("TONGXIN_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "tongxin"


def _cache_file(directory: Path) -> Path:
    version = getattr(opencc, "__version__", "unknown")
    return directory / f"t2s-v{_TABLE_VERSION}-opencc{version}.json"


@cache
def load_table(directory: Path | None = None) -> Mapping[str, str]:
    """The fold table, read from the cache or generated (and cached) on first use."""
    path = _cache_file(directory or cache_dir())
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    table = generate_table()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(table, ensure_ascii=False, separators=(",", ":")), "utf-8")
        tmp.replace(path)  # atomic: parallel builds never read half a file
    except OSError:
        pass  # a read-only home must not break a build; we just regenerate next time
    return table


@cache
def _translation() -> dict[int, str]:
    return {ord(source): target for source, target in load_table().items()}


def fold(text: str) -> str:
    """``text`` with every Traditional (or variant) character replaced by its Simplified form."""
    return text.translate(_translation())


def write_js_table(path: Path) -> int:
    """Write the table as compact JSON for the browser (``search/t2s.json``); returns bytes."""
    data = json.dumps(dict(load_table()), ensure_ascii=False, separators=(",", ":"))
    encoded = data.encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(encoded)
    return len(encoded)


if __name__ == "__main__":  # ``python -m tongxin.fold OUT.json``: the table for the JS tests
    import sys

    write_js_table(Path(sys.argv[1]))
