"""Where a federate run's progress goes: a rich bar on a terminal, log lines under cron, or
nowhere."""

from __future__ import annotations

import functools
import logging
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from tongxin.i18n import translate

logger = logging.getLogger("tongxin.federate")


def _advance_bar(bar: Any, task: Any, n: int = 1) -> None:
    bar.advance(task, n)


def _advance_nothing(n: int = 1) -> None:
    """Progress reporting when there is no bar: nothing to advance."""


class Progress:
    """Where progress goes: a rich bar on a terminal, log lines under cron, or nowhere."""

    def __init__(self, mode: str = "auto", language: str = "zh-CN") -> None:
        if mode == "auto":
            mode = "bar" if sys.stderr.isatty() else "log"
        self.mode = mode
        self.language = language
        self._rich: Any = None
        self._task: Any = None

    def stage_name(self, stage: str) -> str:
        return translate(self.language, f"portal.stages.{stage}")

    @contextmanager
    def stage(self, stage: str, total: int | None = None) -> Iterator[Callable[[int], None]]:
        started = time.perf_counter()
        if self.mode == "bar":
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                TextColumn,
                TimeElapsedColumn,
            )
            from rich.progress import (
                Progress as RichProgress,
            )

            with RichProgress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                transient=False,
            ) as bar:
                task = bar.add_task(self.stage_name(stage), total=total)
                yield functools.partial(_advance_bar, bar, task)
                bar.update(task, completed=total if total is not None else 1, total=total or 1)
            return
        if self.mode == "log":
            logger.info("%s …", self.stage_name(stage))
        yield _advance_nothing
        if self.mode == "log":
            logger.info(
                translate(
                    self.language,
                    "portal.cli.stage",
                    stage=self.stage_name(stage),
                    seconds=time.perf_counter() - started,
                )
            )

    def warn(self, message: str) -> None:
        if self.mode != "quiet":
            logger.warning(message)
