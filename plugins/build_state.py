"""What several plugins share in one Pelican build: its generators, file manifests, writes.

Not a plugin itself (no ``register``): the feeds, JSON API, search and incremental plugins
each need the build's generators after ``all_generators_finalized``, two of them keep a
manifest of the files they wrote in the build cache, and the page writer and the API write
thousands of small files on a background thread. One implementation serves them all.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pelican import signals

logger = logging.getLogger(__name__)


class BuildGenerators:
    """The generators of the running build, remembered on ``all_generators_finalized``.

    :meth:`take` hands them over once and forgets them, so that a second build in the same
    process (tests, ``tongxin serve``) never sees the first one's content.
    """

    def __init__(self) -> None:
        self._generators: list[Any] = []

    def remember(self, generators: Any) -> None:
        self._generators[:] = list(generators)

    def peek(self) -> list[Any]:
        return list(self._generators)

    def take(self) -> list[Any]:
        generators, self._generators = self._generators, []
        return generators

    def connect(self) -> None:
        # A bound method: blinker holds it weakly, which is fine for a module-level object.
        signals.all_generators_finalized.connect(self.remember)


def read_files_manifest(path: Path | None, output: str | Path) -> dict[str, list[Any]]:
    """The ``files`` of a manifest ``{"output": …, "files": {rel: [...]}}`` in the cache.

    ``{}`` when there is none, it cannot be read, or it was written for another output
    folder (its records say nothing about this one).
    """
    if path is None:
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("output") != str(output):
        return {}
    files = data.get("files")
    return files if isinstance(files, dict) else {}


class WriteBehind:
    """Writes files on a background thread while the build goes on rendering.

    Creating folders and files waits on the file system (the journal, a busy disk), and
    Python releases the GIL while it waits: handing each finished file to one thread lets
    the next page render meanwhile. One thread, first in first out, so two writes of one
    path land in the order they were asked for; the queue is bounded so memory stays flat.
    The first error is raised again by the next :meth:`submit` or by :meth:`wait`, so a
    failed write still fails the build.
    """

    def __init__(self, depth: int = 64) -> None:
        self._queue: queue.Queue[tuple[Callable[..., Any], tuple[Any, ...]] | None] = queue.Queue(
            maxsize=depth
        )
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None

    def submit(self, function: Callable[..., Any], *args: Any) -> None:
        self._raise()
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="tongxin-writes", daemon=True)
            self._thread.start()
        self._queue.put((function, args))

    def wait(self) -> None:
        """Return once everything submitted is on disk; raise the first error, if any."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None
        self._raise()

    def _raise(self) -> None:
        error, self._error = self._error, None
        if error is not None:
            raise error

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            if self._error is not None:
                continue  # the build has failed: drain without writing
            function, args = item
            try:
                function(*args)
            except BaseException as error:  # noqa: BLE001 - raised again in the build's thread
                self._error = error


def usable_cpus() -> int:
    """The CPUs this process may run on (a CI container sees the host's count otherwise)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1
