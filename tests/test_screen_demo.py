"""Zero false positives: the screen holds back nothing of the demo branches' real content.

Each demo branch (content/ and demo/branches/*) is built with the real `tongxin build` (from a
copy, so the source tree stays clean), its Atom feed parsed and screened entry by entry in
publication order, with the new-domain rule armed from the very first entry (grace 0): stricter
than a real portal, which gives a new branch a grace period.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from tongxin.federation.model import Branch
from tongxin.federation.parse import parse_feed
from tongxin.federation.screen import (
    History,
    ScreenRules,
    screen_entry,
    site_domain,
)

ROOT = Path(__file__).resolve().parent.parent
TONGXIN = ROOT / ".venv" / "bin" / "tongxin"
DEMO = [ROOT] + sorted(p for p in (ROOT / "demo" / "branches").iterdir() if p.is_dir())


@pytest.mark.slow
def test_demo_content_has_no_false_positives(tmp_path: Path) -> None:
    rules = ScreenRules.load({"grace_entries": 0}, language="en")
    screened = 0
    flagged = []
    for source in DEMO:
        copy = tmp_path / (source.name or "root")
        copy.mkdir()
        shutil.copytree(source / "content", copy / "content")
        out = tmp_path / f"{copy.name}-out"
        build = subprocess.run([str(TONGXIN), "build", str(copy), "-o", str(out)],
                               capture_output=True, text=True, timeout=120)  # fmt: skip
        assert build.returncode == 0, build.stdout + build.stderr
        branch = Branch(copy.name, copy.name, "http://127.0.0.1:8000/feeds/all.atom.xml")
        body = (out / "feeds" / "all.atom.xml").read_bytes()
        entries = parse_feed(body, url=branch.feed, branch=branch).entries
        history = History(domains={site_domain(branch.feed)})
        for entry in sorted(entries, key=lambda e: (e.published or e.updated, e.entry_id)):
            reason = screen_entry(entry, None, history, rules)
            if reason:
                flagged.append((source.name, entry.title, reason))
            history.published_count += 1
            history.domains.add(site_domain(entry.url))
            for href in re.findall(r'href="(https?://[^"]+)"', entry.content_html):
                history.domains.add(site_domain(href))
            screened += 1
    assert screened >= 40  # every demo entry went through the screen
    assert flagged == []
