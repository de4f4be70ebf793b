"""Gzip copies beside the search data and static assets (tongxin.search.compress)."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

from tongxin.search.compress import compress_tree


def test_a_gz_is_written_beside_each_text_file_and_refreshed_when_it_changes(tmp_path: Path):
    data = tmp_path / "search" / "shards" / "0.json"
    data.parent.mkdir(parents=True)
    data.write_text('{"a":"' + "网络党建" * 200 + '"}', "utf-8")
    tiny = tmp_path / "search" / "small.json"
    tiny.write_text("{}", "utf-8")
    image = tmp_path / "search" / "logo.png"
    image.write_bytes(b"\x89PNG" + bytes(4000))
    assert compress_tree(tmp_path / "search") == (1, 0)
    packed = Path(f"{data}.gz")
    assert gzip.decompress(packed.read_bytes()) == data.read_bytes()
    assert packed.stat().st_size * 4 < data.stat().st_size
    assert not Path(f"{tiny}.gz").exists() and not Path(f"{image}.gz").exists()
    # unchanged: kept; changed (another mtime): written again
    assert compress_tree(tmp_path / "search") == (0, 1)
    data.write_text('{"b":"' + "两学一做" * 200 + '"}', "utf-8")
    os.utime(data, ns=(data.stat().st_mtime_ns + 10**9,) * 2)
    assert compress_tree(tmp_path / "search") == (1, 0)
    assert gzip.decompress(packed.read_bytes()) == data.read_bytes()


def test_a_gz_shared_by_hard_link_is_replaced_not_written_through(tmp_path: Path):
    old, new = tmp_path / "old", tmp_path / "new"
    for folder in (old, new):
        folder.mkdir()
    (old / "m.json").write_text("1" * 1000, "utf-8")
    compress_tree(old)
    os.link(old / "m.json.gz", new / "m.json.gz")  # as a portal version links the last one
    (new / "m.json").write_text("2" * 1000, "utf-8")
    compress_tree(new)
    assert gzip.decompress((old / "m.json.gz").read_bytes()) == b"1" * 1000
    assert gzip.decompress((new / "m.json.gz").read_bytes()) == b"2" * 1000


def test_the_search_scripts_ship_without_comments_and_still_parse(tmp_path: Path):
    import shutil
    import subprocess

    from tongxin.search.compress import SCRIPTS, slim_js, slim_scripts

    source = Path(__file__).resolve().parent.parent / "theme" / "static" / "js"
    for name in SCRIPTS:
        shutil.copyfile(source / name, tmp_path / name)
    assert slim_scripts(tmp_path) == 2 and slim_scripts(tmp_path) == 0  # once: idempotent
    for name in SCRIPTS:
        slim = (tmp_path / name).read_text("utf-8")
        assert len(slim) * 4 < len((source / name).read_text("utf-8")) * 3
        assert "\n//" not in slim and "\n/*" not in slim and "\n " not in slim
        subprocess.run(["node", "--check", str(tmp_path / name)], check=True)
    assert (
        slim_js('a = "//x";\n  /* b\n * c */\n  // d\nf(); /* e */\n')
        == 'a = "//x";\nf(); /* e */\n'
    )


def test_skipped_files_are_left_alone(tmp_path: Path):
    for name in ("index.html", "a.json"):
        (tmp_path / name).write_text("x" * 1000, encoding="utf-8")
    assert compress_tree(tmp_path, skip=["index.html"]) == (1, 0)
    assert (tmp_path / "a.json.gz").exists() and not (tmp_path / "index.html.gz").exists()


def test_the_portal_index_leaves_the_search_page_to_the_render(tmp_path: Path):
    """The index child compresses search/ while the render writes search/index.html,
    unlinking a copy linked from the previous version first: a child that read the page
    failed the run at random with FileNotFoundError (96 cron runs in a row, tests/
    test_schedule.py). The page is the render's; IndexAside.result compresses it after."""
    from datetime import UTC, datetime

    from federation.index import build_portal_index
    from federation.model import Entry

    page = tmp_path / "v1" / "search" / "index.html"
    page.parent.mkdir(parents=True)
    page.write_text("<!doctype html>" + "页" * 400, encoding="utf-8")
    url = "https://b1.example/news/e1/"
    entry = Entry(
        entry_id=url, branch_id="b1", url=url, title="第1号通知", origin_branch_name="b1支部",
        content_html="<p>支部书记带队走访老党员。</p>", published=datetime(2026, 5, 1, tzinfo=UTC),
    )  # fmt: skip
    build_portal_index([entry], tmp_path / "v1", None, None)
    assert (tmp_path / "v1" / "search" / "manifest.json.gz").exists()
    assert not (tmp_path / "v1" / "search" / "index.html.gz").exists()
