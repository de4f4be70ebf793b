"""What several plugins share in one Pelican build: its generators and file manifests.

Not a plugin itself (no ``register``): the feeds, JSON API, search and incremental plugins
each need the build's generators, which Pelican hands out once, on its public
``all_generators_finalized`` signal; two of them keep a manifest of the files they wrote in
the build cache; three run their work in :data:`beside_pages`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pelican import signals

from tongxin.parallel import Aside
from tongxin.settings import PREVIEW_PAGES


class BuildGenerators:
    """The generators of the running build, remembered on ``all_generators_finalized``.

    :meth:`take` hands them over once and forgets them, so that a second build in the same
    process (tests, ``tongxin serve``) never sees the first one's content.
    """

    def __init__(self) -> None:
        self._generators: list[Any] = []

    def remember(self, generators: Any) -> None:
        self._generators[:] = list(generators)

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


class _Failed:
    """A job's exception, carried back to the plugin that asks for its result."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


def _run_jobs(jobs: dict[str, tuple[Callable[..., Any], tuple[Any, ...]]]) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for name, (function, args) in jobs.items():
        try:
            results[name] = function(*args)
        except Exception as error:  # each plugin gets its own job's error, raised there
            results[name] = _Failed(error)
    return results


class BesidePages:
    """The build work that needs the final content but none of the pages (the feeds, the
    JSON API, the search index), run one job after another in one child process
    (:class:`tongxin.parallel.Aside`) while Pelican writes the pages: the one place where a
    build runs work aside.

    Plugins :meth:`add` their job on ``all_generators_finalized``; the child starts at
    ``get_writer`` (entries final, their links resolved, no page written yet) and each plugin
    takes its :meth:`result` on ``finalized`` (the strict-build plugin waits first, so that
    what the jobs logged counts). On two idle cores the jobs cost the build almost no time;
    on a busy machine the child competes at the build's own priority, never last in line.
    """

    def __init__(self) -> None:
        self._jobs: dict[str, tuple[Callable[..., Any], tuple[Any, ...]]] = {}
        self._task: Aside | None = None
        self._results: dict[str, Any] = {}

    def add(self, name: str, function: Callable[..., Any], *args: Any) -> None:
        """A job for the child."""
        self._jobs[name] = (function, args)

    def start(self, _sender: Any = None) -> None:
        jobs = self._jobs
        self.abandon()  # a child a failed build left
        if jobs:
            self._task = Aside(_run_jobs, jobs, name="tongxin build work beside the pages")

    def wait(self, _sender: Any = None) -> None:
        """Collect the child's results (its log records are replayed here)."""
        if self._task is not None:
            task, self._task = self._task, None
            self._results.update(task.result())

    def result(self, name: str) -> Any:
        """The answer of the job ``name``; its exception is raised here."""
        self.wait()
        found = self._results.pop(name, None)
        if isinstance(found, _Failed):
            raise found.error
        return found

    def abandon(self, _sender: Any = None) -> None:
        """Stop what a failed build left running (``tongxin serve`` builds again)."""
        if self._task is not None:
            self._task.abandon()
        self._task, self._jobs, self._results = None, {}, {}

    def connect(self) -> None:
        # Bound methods, held weakly by blinker: fine for the module-level object below.
        signals.initialized.connect(self.abandon)
        signals.get_writer.connect(self.start)


#: The build's one child for work beside the page writing.
beside_pages = BesidePages()


def previewing(settings: Any) -> bool:
    """True in a preview build: it writes only the pages in :data:`PREVIEW_PAGES`, and no
    feed, API, index, editor or manifest (the full build after it does)."""
    return bool(settings.get(PREVIEW_PAGES))
