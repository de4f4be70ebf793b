"""Incremental builds: a rebuild after a change is byte-identical to a full build, and skips
pages whose inputs did not change; Unicode tag pages; one page per study series."""

from __future__ import annotations

import filecmp
import json
import shutil
from pathlib import Path
from urllib.parse import quote

import pytest

from tongxin.build import MARKER, build_site
from tongxin.scaffold import create_branch
from tongxin.settings import CACHE_DIR


def write(root: Path, rel: str, text: str) -> Path:
    path = root / "content" / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def news(title: str, tags: str, body: str, day: int = 1) -> str:
    # An explicit `modified`: a rewritten file keeps it, so only the named change differs.
    return (
        f"---\ntitle: {title}\ndate: 2026-03-{day:02d}\nmodified: 2026-03-20\n"
        f"tags: [{tags}]\n---\n\n{body}\n"
    )


def study(title: str, series: str, order: int) -> str:
    return (
        f"---\ntitle: {title}\ndate: 2026-02-{order:02d}\nmodified: 2026-03-20\n"
        f"series: {series}\norder: {order}\n"
        f"---\n\n第{order}讲的内容。\n"
    )


@pytest.fixture
def branch(tmp_path: Path) -> Path:
    root = tmp_path / "branch"
    create_branch(root, name="测试支部", url="https://t.example/")
    for index in range(30):  # more than one listing page (20 per page)
        write(
            root, f"news/item-{index:02d}.md", news(f"简报{index}", "党建, 社区", f"正文{index}。")
        )
    write(root, "news/alike.md", news("同音标签", "当建", "同音不同字。", day=2))
    for order in (1, 2, 3):
        write(root, f"study/part-{order}.md", study(f"党章第{order}讲", "党章学习", order))
    return root


def build(root: Path, out: Path) -> None:
    build_site(root, out, progress=False, warnings_to=None)


def tree_differences(one: Path, two: Path) -> list[str]:
    """Files that differ or exist on one side only (the build marker aside)."""
    found: list[str] = []

    def walk(cmp: filecmp.dircmp, prefix: str) -> None:
        found.extend(prefix + n for n in cmp.left_only + cmp.right_only if n != MARKER)
        found.extend(prefix + n for n in cmp.diff_files + cmp.funny_files if n != MARKER)
        for name, sub in cmp.subdirs.items():
            walk(sub, f"{prefix}{name}/")

    # filecmp's default compares size and mtime only: compare bytes instead.
    filecmp.clear_cache()
    walk(filecmp.dircmp(one, two), "")
    return [
        rel
        for rel in found
        if not ((one / rel).is_file() and (two / rel).is_file())
        or (one / rel).read_bytes() != (two / rel).read_bytes()
    ]


CHANGES = {
    "body": lambda root: write(
        root, "news/item-05.md", news("简报5", "党建, 社区", "正文改过了。")
    ),
    "title": lambda root: write(
        root, "news/item-06.md", news("简报六（改题）", "党建, 社区", "正文6。")
    ),
    "tags": lambda root: write(root, "news/item-08.md", news("简报8", "社区, 新标签", "正文8。")),
    "date": lambda root: write(root, "news/item-09.md", news("简报9", "党建, 社区", "正文9。", 9)),
    "deleted": lambda root: (root / "content/news/item-07.md").unlink(),
    "series": lambda root: write(root, "study/part-4.md", study("党章第4讲", "党章学习", 4)),
    "reordered": lambda root: write(root, "study/part-1.md", study("党章第1讲", "党章学习", 5)),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_incremental_rebuild_equals_a_full_build(branch: Path, tmp_path: Path, change: str):
    out = branch / "output"
    build(branch, out)
    CHANGES[change](branch)
    build(branch, out)

    shutil.rmtree(branch / CACHE_DIR)
    fresh = tmp_path / "fresh"
    build(branch, fresh)
    # search/ is the last cold build's base plus a delta (tests/js/delta.test.js: the same
    # results as a cold build); every other file is byte for byte a full build's
    assert [d for d in tree_differences(out, fresh) if not d.startswith("search/")] == []
    manifest = json.loads((out / "search/manifest.json").read_text(encoding="utf-8"))
    cold = json.loads((fresh / "search/manifest.json").read_text(encoding="utf-8"))
    assert {k: v for k, v in manifest.items() if k != "delta"} == cold | {
        k: manifest[k] for k in ("shards", "parts", "hot", "first", "metaWidth") if k in manifest
    }


def test_a_one_entry_rebuild_writes_a_search_delta_not_every_shard(branch: Path) -> None:
    out = branch / "output"
    build(branch, out)
    shards = {p.name: p.stat().st_ino for p in (out / "search/shards").iterdir()}
    write(branch, "news/item-05.md", news("简报5", "党建, 社区", "正文改过了：独有词语。"))
    build(branch, out)
    manifest = json.loads((out / "search/manifest.json").read_text(encoding="utf-8"))
    assert len(manifest["delta"]["refs"]) == 1 and len(manifest["delta"]["dead"]) == 1
    rows = {}
    for block in (out / "search/delta/meta").glob("*.json"):
        rows.update(json.loads(block.read_text(encoding="utf-8")))
    assert [row[1] for row in rows.values()] == ["简报5"]
    assert "独有" in "".join(p.read_text("utf-8") for p in (out / "search/delta").rglob("*.json"))
    # the base's shards are the same files (hard links), none rewritten
    assert {p.name: p.stat().st_ino for p in (out / "search/shards").iterdir()} == shards


def test_rebuild_rewrites_only_pages_whose_inputs_changed(branch: Path) -> None:
    out = branch / "output"
    build(branch, out)
    untouched = out / "news/item-20/index.html"
    edited_page = out / "news/item-21/index.html"
    before = untouched.stat().st_mtime_ns, edited_page.stat().st_mtime_ns
    # A body change past the summary: only the entry's own page changes.
    write(branch, "news/item-21.md", news("简报21", "党建, 社区", "正文21。\n\n" + "补充。" * 3))
    build(branch, out)
    assert untouched.stat().st_mtime_ns == before[0]
    assert edited_page.stat().st_mtime_ns != before[1]
    assert "补充。" in edited_page.read_text(encoding="utf-8")


def test_a_page_removed_from_the_output_is_written_again(branch: Path) -> None:
    out = branch / "output"
    build(branch, out)
    (out / "news/item-03/index.html").unlink()
    write(branch, "news/item-04.md", news("简报4", "党建, 社区", "正文四。"))  # force a build
    build(branch, out)
    assert (out / "news/item-03/index.html").is_file()


def test_tags_that_sound_alike_get_their_own_pages(branch: Path) -> None:
    out = branch / "output"
    build(branch, out)
    party = (out / "tags/党建/index.html").read_text(encoding="utf-8")
    alike = (out / "tags/当建/index.html").read_text(encoding="utf-8")
    assert "简报1" in party and "同音标签" not in party
    assert "同音标签" in alike and "简报1" not in alike
    article = (out / "news/alike/index.html").read_text(encoding="utf-8")
    assert f'href="../../tags/{quote("当建")}/"' in article  # relative: any origin works


def test_each_study_series_gets_a_page_linked_from_listing_and_parts(branch: Path) -> None:
    out = branch / "output"
    build(branch, out)
    page = (out / "study/series/党章学习/index.html").read_text(encoding="utf-8")
    assert page.index("党章第1讲") < page.index("党章第2讲") < page.index("党章第3讲")
    link = f'study/series/{quote("党章学习")}/"'  # relative: any origin works
    assert 'href="../' + link in (out / "study/index.html").read_text(encoding="utf-8")
    assert 'href="../../' + link in (out / "study/part-2/index.html").read_text(encoding="utf-8")


def test_a_preview_build_writes_only_the_edited_page_then_the_full_build_the_rest(
    branch: Path,
) -> None:
    """``tongxin serve`` shows an edit first with a preview build of the entry's own page; the
    listings, feeds, API, search and the build record wait for the full build after it."""
    out = branch / "output"
    build(branch, out)
    others = ["index.html", "news/index.html", "feeds/all.atom.xml", "api/index.json", MARKER]
    before = {rel: (out / rel).read_bytes() for rel in others}
    write(branch, "news/item-05.md", news("简报五（预览）", "党建, 社区", "正文5。"))
    build_site(branch, out, progress=False, warnings_to=None, preview=["news/item-05/index.html"])
    assert "简报五（预览）" in (out / "news/item-05/index.html").read_text(encoding="utf-8")
    assert {rel: (out / rel).read_bytes() for rel in others} == before
    build(branch, out)
    assert "简报五（预览）" in (out / "news/index.html").read_text(encoding="utf-8")
    assert "简报五（预览）" in (out / "feeds/all.atom.xml").read_text(encoding="utf-8")
    shutil.rmtree(branch / CACHE_DIR)
    fresh = branch.parent / "fresh"
    build(branch, fresh)
    assert [d for d in tree_differences(out, fresh) if not d.startswith("search/")] == []
