"""A validation problem: where it is and what is wrong, ready to print for an editor."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One problem in a branch, printed as ``path:line: message``.

    ``path`` is relative to the branch root in POSIX style (``content/news/foo.md``) so the
    same line reads the same on every machine and in CI logs; ``line`` is 1-based.
    Field order makes the natural sort "by path, then line".
    """

    path: str
    line: int
    message: str
    #: a warning is printed but does not fail ``check`` or the build
    warning: bool = False

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


def errors_in(problems: Iterable[Problem | str]) -> list[Problem | str]:
    """The problems that stop a build (everything but warnings)."""
    return [p for p in problems if not getattr(p, "warning", False)]


def marked(problem: Problem, mark: str) -> Problem:
    """A warning saying it is one as the first word of its line (``提醒：…``): a reader of the
    build's output tells it from an error without the closing count."""
    if not problem.warning or problem.message.startswith(mark):
        return problem
    return Problem(problem.path, problem.line, mark + problem.message, warning=True)
