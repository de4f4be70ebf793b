"""`tongxin registry export-opml / import-opml`: the commands planet operators use."""

from __future__ import annotations

from pathlib import Path

import yaml
from click.testing import CliRunner

from tongxin.cli import main

REGISTRY = """\
name: 城关镇门户
url: https://chengguan.example/
branches:
  - id: dongjiang
    name: 东江社区党支部
    feed: https://dongjiang.example/feeds/all.atom.xml
    region: 城区
"""


def test_export_then_import_round_trips_the_branches(tmp_path: Path) -> None:
    registry = tmp_path / "registry.yaml"
    registry.write_text(REGISTRY, encoding="utf-8")
    opml = tmp_path / "branches.opml"
    runner = CliRunner()
    exported = runner.invoke(main, ["registry", "export-opml", str(registry), "-o", str(opml)])
    assert exported.exit_code == 0, exported.output
    assert 'xmlUrl="https://dongjiang.example/feeds/all.atom.xml"' in opml.read_text("utf-8")
    imported = runner.invoke(main, ["registry", "import-opml", str(opml)])
    assert imported.exit_code == 0, imported.output
    branches = yaml.safe_load(imported.output)["branches"]
    assert [(b["id"], b["feed"], b.get("region")) for b in branches] == [
        ("dongjiang", "https://dongjiang.example/feeds/all.atom.xml", "城区")
    ]


def test_export_of_a_broken_registry_prints_path_and_line_and_exits_2(tmp_path: Path) -> None:
    registry = tmp_path / "registry.yaml"
    registry.write_text(REGISTRY.replace("    feed: https", "    feed: ftp"), encoding="utf-8")
    result = CliRunner().invoke(main, ["registry", "export-opml", str(registry)])
    assert result.exit_code == 2
    assert "registry.yaml:6: " in result.output and "feed" in result.output
