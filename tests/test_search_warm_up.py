"""A cold build tokenizes its search texts while its files are still being read.

The index then finds every text in the terms cache the warm-up wrote (it tokenizes none
itself), and its output is byte for byte that of a build without the warm-up.
"""

from __future__ import annotations

import filecmp
import shutil
from pathlib import Path

import pytest

from tongxin import parallel
from tongxin.build import build_site
from tongxin.scaffold import create_branch
from tongxin.search import SearchDoc, build_search_index
from tongxin.search.cache import TERMS_FILE, TermsCache, warm_terms
from tongxin.search.model import body_field, title_field


def _docs() -> list[SearchDoc]:
    return [
        SearchDoc(
            id=f"e{i}",
            url=f"news/e{i}/",
            title=f"第{i}期党建工作简报",
            text="社区志愿服务与居民学习活动。" * (i + 1),
            summary="摘要写的是别的事。" if i % 2 else "",
            tags=("党建", f"标签{i}"),
            date=f"2025-03-{i + 1:02d}",
        )
        for i in range(12)
    ]


def test_an_index_over_a_warmed_cache_tokenizes_nothing_and_writes_the_same(
    tmp_path: Path,
) -> None:
    docs = _docs()
    cold = build_search_index(docs, tmp_path / "cold", cache_dir=tmp_path / "cache-cold")
    assert cold.tokenized == len(docs)
    cache = tmp_path / "cache-warm"
    warm_terms(iter([t for d in docs for t in (title_field(d), body_field(d))]), cache / TERMS_FILE)
    warmed = build_search_index(docs, tmp_path / "warm", cache_dir=cache)
    assert warmed.tokenized == 0
    assert _same_tree(tmp_path / "cold" / "search", tmp_path / "warm" / "search")


def _same_tree(a: Path, b: Path) -> bool:
    compare = filecmp.dircmp(a, b)
    if compare.left_only or compare.right_only or compare.funny_files:
        return False
    _match, mismatch, errors = filecmp.cmpfiles(a, b, compare.common_files, shallow=False)
    if mismatch or errors:
        return False
    return all(_same_tree(a / d, b / d) for d in compare.common_dirs)


def _branch(root: Path) -> None:
    create_branch(root, name="预热支部", url="https://warm.example/")
    for index in range(30):
        tags = f"tags: [学习, 第{index % 4}组]\n" if index % 3 else ""
        summary = "summary: 这一条写了**自己的**摘要。\n" if index % 5 == 0 else ""
        (root / "content" / "news" / f"warm-{index:02d}.md").write_text(
            f"---\ntitle: 预热的第{index}条消息\ndate: 2025-03-{index % 28 + 1:02d}\n"
            f"{tags}{summary}---\n\n"
            + f"居民学习活动第{index}次，[链接](warm-00.md)。" * 8
            + "\n\n- 一项\n- 两项\n",
            encoding="utf-8",
        )


@pytest.mark.skipif(not parallel.can_fork(), reason="the warm-up needs fork")
def test_a_cold_build_warms_every_text_and_builds_what_it_built_without(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "branch"
    _branch(root)
    build_site(root, progress=False, warnings_to=None)
    terms = root / ".tongxin-cache" / "search" / TERMS_FILE
    warmed = TermsCache(terms)
    # every text the index read was in the warm-up's cache: the index saved nothing (a few
    # texts of its own would be written beside, as terms-new.marshal; many, over the file)
    assert not terms.with_name("terms-new.marshal").exists()
    manifest = root / "output" / "search" / "manifest.json"
    assert terms.stat().st_mtime_ns < manifest.stat().st_mtime_ns

    with_warm_up = root / "output-warm"
    shutil.move(root / "output", with_warm_up)
    shutil.rmtree(root / ".tongxin-cache")
    monkeypatch.setattr(parallel, "can_fork", lambda: False)  # no warm-up, no child at all
    build_site(root, progress=False, warnings_to=None, force=True)
    assert _same_tree(with_warm_up / "search", root / "output" / "search")
    # the same texts, whichever way they were tokenized
    assert set(TermsCache(terms).known) == set(warmed.known)
    assert len(warmed.known) >= 2 * 30
