"""What several plugins share in one Pelican build: its generators, file manifests, writes.

Not a plugin itself (no ``register``): the feeds, JSON API, search and incremental plugins
each need the build's generators after ``all_generators_finalized``, two of them keep a
manifest of the files they wrote in the build cache, and the page writer and the API write
thousands of small files on a background thread. One implementation serves them all.
"""

from __future__ import annotations

import collections
import json
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pelican import signals

logger = logging.getLogger(__name__)


#: CPU priority (``nice``) of the build's forked work (feeds, API, search index). The page
#: rendering is the build's critical path: at equal priority, three children and the
#: writing thread would share the cores with it evenly and slow it down, while each of
#: them only has to be done by the end of the build; lower priority lets them fill the
#: time the renderer leaves, and have every core once it is done.
BACKGROUND_NICE = 10


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


def warm_entries(generators: Any) -> None:
    """Render every published entry's content and summary once, here, before work is forked.

    Pelican memoizes both on the entry, and the pages need them anyway: computed before the
    fork, the feeds, API and search children inherit them instead of each redoing the
    Markdown-to-summary truncation of every entry. Cheap when already done (memo hits).
    """
    for generator in generators:
        for name in ("articles", "pages"):
            for entry in getattr(generator, name, None) or ():
                _ = entry.content, entry.summary


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
    path land in the order they were asked for. The queue is bounded by the size it holds
    (``limit``), not by a count of files: the renderer must not wait behind a slow disk
    while a few megabytes of pages would do, and memory still stays flat. The first error
    is raised again by the next :meth:`submit` or by :meth:`wait`, so a failed write still
    fails the build.
    """

    def __init__(self, depth: int = 64, limit: int = 8 * 1024 * 1024) -> None:
        # A call submitted without a ``size`` (a folder job, a bare call) holds
        # ``limit // depth``: at most ``depth`` of them are queued at once.
        self._depth, self._limit = max(1, depth), max(1, limit)
        self._items: collections.deque[tuple[Callable[..., Any], tuple[Any, ...], int] | None]
        self._items = collections.deque()
        self._held = 0  # size queued and not yet written
        self._room = threading.Condition()
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None

    def submit(self, function: Callable[..., Any], *args: Any, size: int = 0) -> None:
        """Queue ``function(*args)``; ``size`` (the length of what it writes, characters or
        bytes) is what it holds of the queue's room (a call without one: ``limit // depth``).
        Waits only while the queue holds more than ``limit``."""
        self._raise()
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="tongxin-writes", daemon=True)
            self._thread.start()
        cost = min(size if size > 0 else self._limit // self._depth, self._limit)
        with self._room:
            while self._held and self._held + cost > self._limit:
                self._room.wait()
            self._held += cost
            self._items.append((function, args, cost))
            self._room.notify_all()

    def wait(self) -> None:
        """Return once everything submitted is on disk; raise the first error, if any."""
        if self._thread is not None:
            with self._room:
                self._items.append(None)
                self._room.notify_all()
            self._thread.join()
            self._thread = None
        self._raise()

    def _raise(self) -> None:
        error, self._error = self._error, None
        if error is not None:
            raise error

    def _run(self) -> None:
        while True:
            with self._room:
                while not self._items:
                    self._room.wait()
                item = self._items.popleft()
            if item is None:
                return
            function, args, cost = item
            if self._error is None:  # after a failure: drain without writing
                try:
                    function(*args)
                except BaseException as error:  # noqa: BLE001 - raised again in the build's thread
                    self._error = error
            with self._room:
                self._held -= cost
                self._room.notify_all()


def usable_cpus() -> int:
    """The CPUs this process may run on (a CI container sees the host's count otherwise)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1
