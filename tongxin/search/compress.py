"""Gzip copies (``NAME.gz``) written beside the search data and static assets, for web
servers that send a precompressed file when the browser accepts gzip (nginx ``gzip_static``,
Apache rewrite rules: docs/deploy.md). A server that compresses on the fly needs them not; one
that does not sends the search data at a quarter of its size with them.

A ``.gz`` carries its source's modification time (``st_mtime_ns``, set on the file): one
whose time still equals its source's is up to date and kept (a rebuild of 100,000 entries
links most files unchanged); any other is written again. Brotli is not written: it needs a
dependency, and on this JSON it saves a further ~10 % (measured: docs/deploy.md). Level 6:
on the search data of 2,000 articles it is 0.8 % bigger than level 9 in half the time.
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Collection
from pathlib import Path

#: What is worth compressing (text); images and fonts are compressed already.
SUFFIXES = (".json", ".js", ".css", ".html", ".svg", ".xml", ".txt", ".map")
#: Below this, a response is one packet whatever its encoding.
MIN_BYTES = 256


def compress_tree(folder: Path, *, level: int = 6, skip: Collection[str] = ()) -> tuple[int, int]:
    """Write or refresh ``.gz`` beside every text file under ``folder`` but those named in
    ``skip`` (paths relative to ``folder``: another process's files, written meanwhile);
    (written, kept)."""
    written = kept = 0
    skipped = {os.path.join(folder, name) for name in skip}
    for root, _dirs, files in os.walk(folder):
        names = set(files)
        for name in files:
            path = os.path.join(root, name)
            if path in skipped:
                continue
            done = compress_file(path, name + ".gz" in names, level)
            written += done is True
            kept += done is False
    return written, kept


def compress_file(source: str, has_gz: bool = True, level: int = 6) -> bool | None:
    """Write or refresh ``source.gz`` (``has_gz``: it may exist); True written, False kept up
    to date, None not worth compressing (a ``.gz`` left from a bigger version is removed)."""
    name = os.path.basename(source)
    if not name.endswith(SUFFIXES) or name.startswith("."):
        return None
    stat = os.stat(source)
    target = source + ".gz"
    if stat.st_size < MIN_BYTES:
        if has_gz and os.path.exists(target):
            os.unlink(target)
        return None
    if has_gz and os.path.exists(target) and os.stat(target).st_mtime_ns == stat.st_mtime_ns:
        return False
    _write_gz(source, target, stat.st_mtime_ns, level)
    return True


def _write_gz(source: str, target: str, mtime_ns: int, level: int) -> None:
    with open(source, "rb") as raw:
        data = gzip.compress(raw.read(), compresslevel=level, mtime=0)
    tmp = f"{target}.{os.getpid()}.tmp"
    with open(tmp, "wb") as out:
        out.write(data)
    os.utime(tmp, ns=(mtime_ns, mtime_ns))
    # a hard link shared with the previous version or the cache is replaced, never written
    os.replace(tmp, target)


#: The search page's own scripts: shipped without their comments and indentation (a third
#: of their size compressed; the sources in theme/static/js/ keep them).
SCRIPTS = ("search.js", "tokenizer.js")


def slim_js(source: str) -> str:
    """``source`` without whole-line comments (``//…``, and ``/* … */`` blocks that open a
    line and close at the end of one) and without indentation or blank lines. Nothing inside
    a line is touched: strings, regular expressions and code stay as written."""
    out = []
    in_block = False
    for line in source.splitlines():
        text = line.strip()
        if in_block:
            in_block = not text.endswith("*/")
            continue
        if text.startswith("/*"):
            in_block = not text.endswith("*/") or text == "/*"
            continue
        if not text or text.startswith("//"):
            continue
        out.append(text)
    return "\n".join(out) + "\n"


def slim_scripts(js_dir: Path) -> int:
    """Rewrite the search page's scripts in ``js_dir`` (an output's ``theme/js``) slimmed;
    how many (a hard link shared with another version is replaced, never written through)."""
    done = 0
    for name in SCRIPTS:
        path = js_dir / name
        if not path.is_file():
            continue
        source = path.read_text("utf-8")
        slim = slim_js(source)
        if slim != source:
            tmp = path.with_name(f".{name}.{os.getpid()}.tmp")
            tmp.write_text(slim, "utf-8")
            os.replace(tmp, path)
            done += 1
    return done
