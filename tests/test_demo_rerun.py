"""``./scripts/demo`` is idempotent and its output readable: run twice over one folder, both
runs build every site and portal and print no warning (a rerun once printed that the city
portal held a retraction of all 129 of the county's entries: the branches had moved ports)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_a_second_demo_run_is_as_clean_as_the_first(tmp_path: Path) -> None:
    outputs = []
    demo = str(ROOT / "scripts" / "demo.py")
    command = [sys.executable, demo, "--no-serve", "--out", str(tmp_path)]
    for _ in range(2):
        done = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=ROOT)
        assert done.returncode == 0, done.stdout + done.stderr
        outputs.append(done.stdout + done.stderr)
    for text in outputs:
        assert "WARNING" not in text and "ERROR" not in text and "Traceback" not in text, text
        assert "门户已发布" in text and "演示站点已就绪" in text
    assert outputs[0].count("\n") == outputs[1].count("\n")
    for name in ("county", "city", "province"):
        assert (tmp_path / name / "health" / "index.html").is_file()
