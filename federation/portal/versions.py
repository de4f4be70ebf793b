"""Portal versions: files reused by fingerprint, and the atomic publish.

- :class:`VersionWriter` writes one version into a fresh folder. Each output file has a
  *fingerprint* (a digest of exactly what goes into it); a file whose fingerprint matches the
  previous version's is hard-linked from that version instead of produced again, so a run
  where one branch changed writes a handful of pages, not fifty thousand.
- :class:`Publisher` owns the output path: ``OUT`` is a symlink to a version folder beside it;
  a new version is swapped in with ``os.replace`` of a new symlink (atomic on POSIX), so a
  reader sees the old portal or the new one, never half of one.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

#: Each file's fingerprint in a version (the next version's reuse decisions).
MANIFEST = ".tongxin-manifest.json"


@dataclass
class RenderStats:
    written: int = 0
    reused: int = 0
    seconds: float = 0.0
    pages: list[str] = field(default_factory=list)


class VersionWriter:
    """Writes one portal version; reuses (hard-links) files whose fingerprint is unchanged."""

    def __init__(self, root: Path, previous: Path | None, salt: str) -> None:
        self.root = root
        self.previous = previous
        #: What changes every file's bytes (templates, language, identity): in every fingerprint.
        self.salt = salt
        self.manifest: dict[str, str] = {}
        self.old: dict[str, str] = {}
        self.stats = RenderStats()
        self._dirs: set[Path] = set()
        #: the file being produced (its pages link relatively from there)
        self.current: str | None = None
        if previous is not None:
            try:
                self.old = json.loads((previous / MANIFEST).read_text(encoding="utf-8"))
            except (OSError, ValueError):
                self.old = {}

    def fingerprint(self, *parts: str) -> str:
        h = hashlib.blake2b(self.salt.encode(), digest_size=16)
        if parts:
            h.update(("\x1e" + "\x1e".join(parts)).encode())
        return h.hexdigest()

    def put(self, relative: str, fingerprint: str, produce: Callable[[], str | bytes]) -> None:
        """Write ``relative`` unless the previous version has it with the same fingerprint."""
        target = self.root / relative
        if target.parent not in self._dirs:
            target.parent.mkdir(parents=True, exist_ok=True)
            self._dirs.add(target.parent)
        self.manifest[relative] = fingerprint
        if self.previous is not None and self.old.get(relative) == fingerprint:
            try:
                os.link(self.previous / relative, target)
                self.stats.reused += 1
                return
            except OSError:
                pass  # gone or another filesystem: produce it after all
        self.current = relative  # pages link relatively from here (PortalRenderer.page)
        data = produce()
        _write_new(target, data.encode("utf-8") if isinstance(data, str) else data)
        self.stats.written += 1
        self.stats.pages.append(relative)

    def copy_file(self, path: Path, relative: str) -> None:
        """A static asset: fingerprinted by size and mtime, so an unchanged one is linked."""
        info = path.stat()
        self.put(
            relative,
            self.fingerprint("static", str(info.st_size), str(info.st_mtime_ns)),
            path.read_bytes,
        )

    def copy_tree(self, source: Path, prefix: str) -> None:
        if not source.is_dir():
            return
        for path in sorted(source.rglob("*")):
            if path.is_file():
                self.copy_file(path, f"{prefix}/{path.relative_to(source).as_posix()}")

    def finish(self) -> None:
        (self.root / MANIFEST).write_text(json.dumps(self.manifest), encoding="utf-8")


def _write_new(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` as a new file: a file already there may be a hard link
    into an older version (the search index links its own), and writing through it would
    change that version under its readers."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(target, flags, 0o666)
    except FileExistsError:
        os.unlink(target)
        fd = os.open(target, flags, 0o666)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


class Publisher:
    """``OUT`` as a symlink to the current version in a hidden sibling folder.

    Layout: ``OUT -> .OUT.versions/<version>``. A new version is written to
    ``<version>.tmp``, renamed, then ``OUT`` is replaced by a new symlink in one
    ``os.replace``. The previous version stays until the swap has happened, then versions
    older than the last ``keep`` are removed.
    """

    def __init__(self, out: Path, keep: int = 2) -> None:
        self.out = Path(os.path.abspath(out))
        self.versions = self.out.parent / f".{self.out.name}.versions"
        self.keep = keep

    def current(self) -> Path | None:
        """The published version folder, if ``OUT`` is ours and complete."""
        if self.out.is_symlink():
            target = Path(os.path.realpath(self.out))
            if target.is_dir() and (target / MANIFEST).exists():
                return target
        return None

    def exists(self) -> bool:
        return self.current() is not None or (self.out.is_dir() and any(self.out.iterdir()))

    def new_version(self, label: str) -> Path:
        self.versions.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        folder = self.versions / f"{stamp}-{label}.tmp"
        folder.mkdir()
        return folder

    def publish(self, folder: Path) -> Path:
        final = folder.with_name(folder.name.removesuffix(".tmp"))
        os.rename(folder, final)
        link_tmp = self.out.parent / f".{self.out.name}.swap-{os.getpid()}"
        if link_tmp.is_symlink() or link_tmp.exists():
            link_tmp.unlink()
        # Relative target: the pair OUT + versions can be moved or mounted elsewhere.
        os.symlink(os.path.relpath(final, self.out.parent), link_tmp)
        if self.out.is_dir() and not self.out.is_symlink():
            # First run over a plain folder (an older layout or a hand-made one): move it
            # into the versions folder. The only non-atomic moment, once per installation.
            os.rename(self.out, self.versions / f"{folder.name.removesuffix('.tmp')}-legacy")
        os.replace(link_tmp, self.out)
        self.clean(final)
        return final

    def discard(self, folder: Path) -> None:
        shutil.rmtree(folder, ignore_errors=True)

    def clean(self, current: Path) -> None:
        """Remove unfinished folders and all but the newest ``keep`` versions."""
        if not self.versions.is_dir():
            return
        done = sorted(
            (p for p in self.versions.iterdir() if p.is_dir() and not p.name.endswith(".tmp")),
            key=lambda p: p.name,
        )
        keep = set(done[-self.keep :]) | {current}
        doomed = []
        for path in self.versions.iterdir():
            if path in keep:
                continue
            if path.name.endswith(".tmp") and _younger_than(path, 3600):
                continue  # perhaps another writer's, guarded by the lock anyway
            doomed.append(path)
        self._remove(doomed)

    def _remove(self, paths: list[Path]) -> None:
        """Move ``paths`` into ``.OUT.trash`` (one rename each) and delete that folder with a
        detached ``rm -rf``: a version is thousands of hard links, and unlinking them took
        seconds to tens of seconds on a busy disk, all of it after the new portal was live."""
        trash = self.out.parent / f".{self.out.name}.trash"
        if not paths and not trash.exists():
            return
        with contextlib.suppress(OSError):
            trash.mkdir(exist_ok=True)
        for n, path in enumerate(paths):
            try:
                os.rename(path, trash / f"{path.name}.{os.getpid()}.{n}")
            except OSError:
                shutil.rmtree(path, ignore_errors=True)
        rm = shutil.which("rm")
        try:
            if rm is None:
                raise OSError("no rm")
            # Its own session: a cron run ends without waiting; the next run's clean takes
            # over whatever is left.
            subprocess.Popen(  # noqa: S603 - a fixed program on our own folder
                [rm, "-rf", "--", str(trash)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        except OSError:
            shutil.rmtree(trash, ignore_errors=True)

    def replace_file(self, relative: str, data: str | bytes) -> None:
        """Rewrite one file of the current version in place, atomically (health refresh)."""
        current = self.current()
        if current is None:
            raise FileNotFoundError(self.out)
        target = current / relative
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        tmp.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        # A new inode: a hard-linked copy in an older version keeps its own bytes.
        os.replace(tmp, target)


def _younger_than(path: Path, seconds: float) -> bool:
    try:
        return time.time() - path.stat().st_mtime < seconds
    except OSError:
        return False
