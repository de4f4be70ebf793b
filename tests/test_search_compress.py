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
