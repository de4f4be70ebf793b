"""One federate run at a time: an advisory ``flock`` on a lock file beside the output.

cron may start a run while the previous one is still fetching (a slow branch, a big portal).
Two runs writing the same store and swapping the same output would race, so the second run
must give up at once and say why, rather than queue behind the first.
``flock`` is released by the kernel when the process dies, so a crashed run never leaves a
stale lock behind (unlike a PID file).
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType


class LockHeld(RuntimeError):
    """Another run holds the lock."""

    def __init__(self, path: Path, holder: str = "") -> None:
        self.path = path
        self.holder = holder
        super().__init__(f"{path}: held by {holder or 'another run'}")


def lock_path_for(out_dir: Path) -> Path:
    """The lock file for an output folder: a hidden sibling, so it survives output swaps."""
    out_dir = Path(os.path.abspath(out_dir))
    return out_dir.parent / f".{out_dir.name}.lock"


class RunLock:
    """A non-blocking exclusive lock; use as a context manager.

    The holder's PID is written into the file only to make the "another run holds the lock"
    message useful to an operator; the lock itself is the ``flock``, not the file's content.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._fd: int | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            try:
                holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip()
            finally:
                os.close(fd)
            raise LockHeld(self.path, f"PID {holder}" if holder else "") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode("ascii"), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            # Truncate before unlocking so a reader never sees our PID on a free lock.
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
