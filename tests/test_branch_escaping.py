"""Branch builds escape front-matter text and sanitise raw HTML in Markdown (the portal's
allowlist) unless ``site.yaml`` opts in with ``raw_html: true``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tongxin.build import build_site
from tongxin.scaffold import create_branch

POST = """---
title: "<img src=x onerror=alert(1)>标题"
date: 2024-05-01
tags: ["<b onmouseover=alert(2)>标签</b>"]
---
正文。

<script>window.__pwned = 1</script>
<p onclick="alert(3)">段落</p>
<a href="javascript:alert(4)">链接</a>
<iframe src="https://evil.example/"></iframe>
"""


@pytest.fixture
def branch(tmp_path: Path) -> Path:
    root = tmp_path / "branch"
    create_branch(root, name="测试支部", url="https://t.example/")
    (root / "content" / "news" / "hostile.md").write_text(POST, encoding="utf-8")
    return root


def _published(root: Path) -> str:
    return "\n".join(
        p.read_text("utf-8", errors="replace") for p in (root / "output").rglob("*.html")
    )


def test_front_matter_is_escaped_and_raw_html_sanitised(branch: Path) -> None:
    build_site(branch, progress=False, warnings_to=None)
    page = (branch / "output" / "news" / "hostile" / "index.html").read_text("utf-8")
    assert "段落" in page and "正文" in page
    everything = _published(branch)
    for bad in ("<script>window.__pwned", "<iframe", 'href="javascript:'):
        assert bad not in everything, bad
    assert not re.search(r"<[a-z][^<>]*\son\w+\s*=", everything)  # no handler in any tag
    assert not re.search(r"<img src=x", everything)
    assert "&lt;img src=x" in page


def test_site_yaml_can_opt_in_to_raw_html(branch: Path) -> None:
    site = branch / "content" / "site.yaml"
    site.write_text(site.read_text("utf-8") + "raw_html: true\n", encoding="utf-8")
    build_site(branch, progress=False, warnings_to=None)
    page = (branch / "output" / "news" / "hostile" / "index.html").read_text("utf-8")
    assert "<script>window.__pwned" in page
    assert "&lt;img src=x" in page  # front matter stays escaped either way
