"""A build on a busy machine (a CI runner shared with other jobs) finishes in bounded time.

Two busy CPU loops run beside the build, at the build's own priority: nothing the build waits
for may run at a lower priority than it (a lowered child is the last to run and the build
starves waiting for it), so the build must finish about as soon as on a quiet machine.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tongxin.scaffold import create_branch

#: Generous: the build below takes a few seconds on a quiet machine with two cores.
LIMIT_SECONDS = 180

BUILD = """
import sys
from tongxin.build import build_site
result = build_site(sys.argv[1], progress=False, warnings_to=None)
print(result.entries)
"""


@pytest.fixture
def busy_loops() -> Iterator[None]:
    loops = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
    try:
        yield
    finally:
        for loop in loops:
            loop.kill()
            loop.wait()


def test_a_build_beside_two_busy_loops_finishes(tmp_path: Path, busy_loops: None) -> None:
    root = tmp_path / "branch"
    create_branch(root, name="繁忙支部", url="https://busy.example/")
    for index in range(40):
        (root / "content" / "news" / f"busy-{index:02d}.md").write_text(
            f"---\ntitle: 繁忙时的第{index}条消息\ndate: 2025-03-{index % 28 + 1:02d}\n---\n\n"
            + "社区志愿服务与居民学习活动。" * 20
            + "\n",
            encoding="utf-8",
        )
    done = subprocess.run(
        [sys.executable, "-c", BUILD, str(root)],
        capture_output=True,
        text=True,
        timeout=LIMIT_SECONDS,
    )
    assert done.returncode == 0, done.stderr
    out = root / "output"
    assert (out / "news" / "busy-39" / "index.html").is_file()
    assert (out / "feeds" / "all.atom.xml").is_file()
    assert (out / "api" / "news" / "busy-39.json").is_file()
    assert (out / "search" / "manifest.json").is_file()
