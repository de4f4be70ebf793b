"""The portal's static files: the theme's assets, lunr.min.js and a favicon."""

from __future__ import annotations

import functools
import logging
import os
import struct
import zlib
from pathlib import Path

from tongxin.i18n import translate

from .versions import VersionWriter

THEME_DIR = Path(__file__).resolve().parents[2] / "theme"
try:  # the installed package name is authoritative (editable or wheel install)
    import tongxin.theme as _theme  # type: ignore[import-not-found]

    THEME_DIR = Path(_theme.__file__).resolve().parent
except ImportError:  # pragma: no cover - only when run from a bare checkout
    pass
TEMPLATE_DIR = THEME_DIR / "templates"
STATIC_DIR = THEME_DIR / "static"

logger = logging.getLogger(__name__)


def write_static(writer: VersionWriter, language: str) -> None:
    """Every asset a branch build ships: theme/static/**, lunr.min.js and a favicon.

    ``search/t2s.json`` comes with the search index (:mod:`federation.index`).
    """
    writer.copy_tree(STATIC_DIR, "theme")
    lunr = find_lunr(language)
    if lunr is not None:
        writer.copy_file(lunr, "theme/js/lunr.min.js")
    # Browsers ask for /favicon.ico on every site; without one each first page view
    # logs a 404. The icon is the project's concentric circles (同心圆).
    icon = favicon_png()
    writer.put("favicon.ico", writer.fingerprint("favicon", icon.hex()), lambda: icon)


def lunr_candidates() -> list[Path]:
    """The folders the search plugin looks for lunr in (``node_modules_candidates(None)`` of
    ``tongxin.plugins.search_index``: ``TONGXIN_NODE_MODULES``, then this checkout's), named
    here because importing the plugin imports Pelican: 0.6 s of every run that renders.
    tests/test_render_store.py holds the two lists equal."""
    import tongxin

    found = []
    if os.environ.get("TONGXIN_NODE_MODULES"):
        found.append(Path(os.environ["TONGXIN_NODE_MODULES"]))
    found.append(Path(tongxin.__file__).resolve().parents[1] / "node_modules")
    return found


def find_lunr(language: str | None = None) -> Path | None:
    """``lunr.min.js`` where the branch build finds it (the search plugin's candidates).

    Missing lunr does not stop a portal from publishing (every page but search works); it is
    logged with the search plugin's own message saying how to install it.
    """
    candidates = lunr_candidates()
    for folder in candidates:
        source = folder / "lunr" / "lunr.min.js"
        if source.is_file():
            return source
    logger.warning(
        translate(language, "search.lunr_missing", where=", ".join(str(c) for c in candidates))
    )
    return None


@functools.cache
def favicon_png(size: int = 32) -> bytes:
    """Three concentric circles in the theme's accent red, as PNG bytes.

    Drawn here rather than shipped as a binary file: a few lines of code, reviewable in a diff.
    Browsers accept PNG data served as ``/favicon.ico``.
    """
    centre = size / 2
    unit = size / 32
    # (outer radius, inner radius) of each ring, in 32-pixel units; the last is the dot.
    rings = ((16, 13), (10, 7), (4, 0))
    samples = [(i + 0.5) / 4 for i in range(4)]  # 4x4 samples a pixel: smooth edges
    rows = []
    for y in range(size):
        row = bytearray(b"\0")  # PNG filter type 0 for this scanline
        for x in range(size):
            covered = 0
            for sy in samples:
                for sx in samples:
                    r = ((x + sx - centre) ** 2 + (y + sy - centre) ** 2) ** 0.5 / unit
                    covered += any(inner <= r < outer for outer, inner in rings)
            row += bytes((0xA4, 0x16, 0x1A, round(255 * covered / 16)))
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + chunk(b"IEND", b"")
    )
