"""Refs have no capacity: thousands of entries of one day (or undated) build, publish and
are found. The old six-character refs gave each (day, branch key) 1,458 slots and looped for
ever past them, in ``tongxin build`` and in ``tongxin federate`` alike."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from tongxin.cli import main
from tongxin.scaffold import create_branch
from tongxin.search import SearchDoc, build_search_index
from tongxin.tokenizer import tokenize

sys.path.insert(0, str(Path(__file__).parent))
from feedserver import FeedServer  # noqa: E402
from test_pipeline import Item, atom, federate, write_registry  # noqa: E402

COUNT = 5000


def word(i: int) -> str:
    """A word of entry ``i`` alone (letters and a digit: one token, which the stemmer leaves
    as it is, so no two of them meet)."""
    letters = ""
    while True:
        i, rest = divmod(i, 26)
        letters = "abcdefghijklmnopqrstuvwxyz"[rest] + letters
        if not i:
            return "w" + letters + "0"


def found(search_dir: Path, terms: list[str]) -> dict[str, list[str]]:
    """term -> urls of the entries whose title or text holds it, read from the files."""
    refs: dict[str, set[str]] = {t: set() for t in terms}
    for shard in (search_dir / "shards").glob("[!f]*.json"):  # f…: first-screen files
        for name, posting in json.loads(shard.read_text(encoding="utf-8"))["invertedIndex"]:
            if name in refs:
                refs[name].update(posting["title"], posting["text"])
    rows = all_rows(search_dir)
    return {t: sorted(rows[ref] for ref in found_refs) for t, found_refs in refs.items()}


def all_rows(search_dir: Path) -> dict[str, str]:
    """ref -> url of every entry in the meta blocks."""
    rows: dict[str, str] = {}
    for block in (search_dir / "meta").glob("*.json"):
        rows.update((ref, row[0]) for ref, row in json.loads(block.read_text("utf-8")).items())
    return rows


def terms_of(numbers: range) -> dict[str, int]:
    return {tokenize(word(i))[0]: i for i in numbers}


def test_thousands_of_one_day_and_undated_entries_build_quickly(tmp_path: Path) -> None:
    docs = [
        SearchDoc(f"d{i}", f"/d/{i}/", f"{word(i)} 通知", "党建", "一支部", "news", "2026-03-01")
        for i in range(COUNT)
    ] + [
        SearchDoc(f"u{i}", f"/u/{i}/", f"{word(COUNT + i)}", "学习", "一支部", "news", None)
        for i in range(COUNT)
    ]
    started = time.perf_counter()
    stats = build_search_index(docs, tmp_path)
    assert time.perf_counter() - started < 60
    assert len(set(stats.refs.values())) == 2 * COUNT
    rows = all_rows(tmp_path / "search")
    assert sorted(rows.values()) == sorted(d.url for d in docs)
    wanted = terms_of(range(0, 2 * COUNT, 7))
    for term, urls in found(tmp_path / "search", list(wanted)).items():
        assert urls == [docs[wanted[term]].url]


@pytest.mark.slow
def test_a_branch_of_thousands_of_articles_on_one_day_builds(tmp_path: Path) -> None:
    root = tmp_path / "branch"
    create_branch(root, name="档案支部", url="https://archive.example/")
    news = root / "content" / "news"
    news.mkdir(parents=True, exist_ok=True)
    for i in range(COUNT):
        (news / f"a{i}.md").write_text(
            f"---\ntitle: 档案 {word(i)}\ndate: 2026-03-01 09:00\n---\n\n迁移的旧文。\n",
            encoding="utf-8",
        )
    out = tmp_path / "out"
    started = time.perf_counter()
    result = CliRunner().invoke(main, ["build", str(root), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert time.perf_counter() - started < 120
    manifest = json.loads((out / "search" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["docs"] >= COUNT
    urls = set(all_rows(out / "search").values())
    # each page's path relative to the site root: the search page resolves it where it is
    assert all(f"news/a{i}/" in urls for i in range(COUNT))
    wanted = terms_of(range(0, COUNT, 7))
    for term, found_urls in found(out / "search", list(wanted)).items():
        assert found_urls == [f"news/a{wanted[term]}/"]


@pytest.mark.slow
def test_a_feed_of_thousands_of_entries_on_one_day_publishes(tmp_path: Path) -> None:
    with FeedServer() as server:
        _publish_one_day(server, tmp_path)


def _publish_one_day(server: FeedServer, tmp_path: Path) -> None:
    items = [Item(f"e{i}", f"条目 {word(i)}", 1.0) for i in range(COUNT)]  # one timestamp
    server.route("/a/feeds/all.atom.xml", body=atom(server.url("/a/"), "东江", items))
    registry = write_registry(
        tmp_path / "registry.yaml",
        "测试门户",
        "https://portal.example.org/",
        [{"id": "a", "name": "东江", "feed": server.url("/a/feeds/all.atom.xml")}],
    )
    out = tmp_path / "portal"
    report = federate(registry, out)
    assert report.published
    manifest = json.loads((out / "search" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["docs"] == COUNT
    assert len(all_rows(out / "search")) == COUNT
    wanted = terms_of(range(0, COUNT, 7))
    for term, urls in found(out / "search", list(wanted)).items():
        assert urls == [server.url(f"/a/news/e{wanted[term]}/")]
