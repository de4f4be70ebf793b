"""What several plugins share in one Pelican build: its generators and file manifests.

Not a plugin itself (no ``register``): the feeds, JSON API, search and incremental plugins
each need the build's generators, which Pelican hands out once, on its public
``all_generators_finalized`` signal; two of them keep a manifest of the files they wrote in
the build cache.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pelican import signals


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
