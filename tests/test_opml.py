"""OPML import and export, as planet aggregators offer."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree
from tongxin.federation.model import Branch, Registry
from tongxin.federation.opml import export_opml, import_opml
from tongxin.federation.registry import RegistryError, parse_registry

REGISTRY = Registry(
    name="东城区门户",
    url="https://portal.example.org/",
    branches=(
        Branch("b1", "第一支部", "https://b1.example.org/feeds/all.atom.xml", region="东城"),
        Branch("b2", "Second & Co", "https://b2.example.org/rss.xml", public_keys=("k1", "k2")),
        Branch("b3", "第三支部", "https://b3.example.org/feeds/all.atom.xml", region="东城",
               parent="b1"),
    ),
)  # fmt: skip


def test_export_is_opml_2_with_rss_outlines_grouped_by_region() -> None:
    root = etree.fromstring(export_opml(REGISTRY).encode("utf-8"))
    assert root.tag == "opml" and root.get("version") == "2.0"
    assert root.findtext("head/title") == "东城区门户"
    region = root.find("body/outline[@text='东城']")
    assert region is not None and len(region) == 2
    first = region[0]
    assert first.get("type") == "rss"
    assert first.get("xmlUrl") == "https://b1.example.org/feeds/all.atom.xml"
    assert first.get("htmlUrl") == "https://b1.example.org/"
    assert first.get("text") == "第一支部"


def test_round_trip_keeps_every_branch(tmp_path: Path) -> None:
    path = tmp_path / "portal.opml"
    path.write_text(export_opml(REGISTRY), encoding="utf-8")
    back = parse_registry(import_opml(path))
    assert back.name == REGISTRY.name and back.url == REGISTRY.url

    def fields(registry: Registry) -> list[tuple[object, ...]]:
        return sorted(
            (b.id, b.name, b.feed, b.region, b.parent, b.public_keys) for b in registry.branches
        )

    assert fields(back) == fields(REGISTRY)


def test_foreign_opml_imports_with_derived_ids_and_categories(tmp_path: Path) -> None:
    path = tmp_path / "reader.opml"
    path.write_text(
        """<?xml version="1.0"?>
<opml version="1.0"><head><title>My feeds</title></head><body>
  <outline text="Unions">
    <outline text="Riverside Branch" type="rss" xmlUrl="https://union.example.net/feed/"/>
    <outline text="Riverside Branch" type="rss" xmlUrl="https://union2.example.net/feed/"/>
  </outline>
  <outline text="化学系" type="rss" xmlUrl="https://dept.example.edu/feeds/all.atom.xml"
           category="/Universities/Science"/>
  <outline text="bad" type="rss" xmlUrl="javascript:alert(1)"/>
</body></opml>""",
        encoding="utf-8",
    )
    registry = parse_registry(import_opml(path, url="https://mine.example.org"))
    ids = [b.id for b in registry.branches]
    assert ids[:2] == ["riverside-branch", "riverside-branch-2"]
    assert registry.branches[0].region == "Unions"
    assert registry.branches[2].region == "Science"
    assert registry.branches[2].id  # derived from the URL when the name is not ASCII
    assert len(registry.branches) == 3  # the javascript: outline is dropped
    assert registry.url == "https://mine.example.org/"


def test_broken_opml_is_a_registry_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.opml"
    path.write_text("<opml><body><outline", encoding="utf-8")
    with pytest.raises(RegistryError):
        import_opml(path)
    path.write_text("<opml><body></body></opml>", encoding="utf-8")
    with pytest.raises(RegistryError):
        import_opml(path)


PORTAL_FILE = """\
name: 江城区门户
url: https://portal.example.org/
timezone: Asia/Taipei
stale_days: 21
allow_networks: [10.20.0.0/16, intranet.example]
inspection:
  home_days: 10
  kinds: {study: 60}
retract_hold_percent: 30
branches:
  - id: dj
    name: 东江
    feed: http://10.20.1.5/feeds/all.atom.xml
    region: 城区
    max_entries: 800
  - id: nh
    name: 南湖
    feed: https://nh.example.org/feeds/all.atom.xml
"""


def test_a_round_trip_keeps_the_portals_settings(tmp_path: Path) -> None:
    # (an operator's trial: export then import dropped allow_networks, and every intranet
    # branch of the new registry was refused as a non-public address)
    from tongxin.federation.registry import load_registry

    source = tmp_path / "registry.yaml"
    source.write_text(PORTAL_FILE, encoding="utf-8")
    opml = tmp_path / "portal.opml"
    # the published list (feeds/branches.opml) never names the intranet
    assert "10.20.0.0" not in export_opml(load_registry(source))
    opml.write_text(export_opml(load_registry(source), settings=True), encoding="utf-8")
    text = import_opml(opml)
    assert text.startswith("# 以下设置取自 OPML 文件的 tongxin:settings，请核对")
    assert "allow_networks, inspection, max_entries, retract_hold_percent" in text.splitlines()[0]
    back, before = parse_registry(text), load_registry(source)
    for field in ("allow_networks", "timezone", "stale_days", "inspection",
                  "retract_hold_percent", "name", "url"):  # fmt: skip
        assert getattr(back, field) == getattr(before, field), field
    assert back.branches[0].extra == {"max_entries": 800} and back.branches[1].extra == {}
    assert [b.timezone for b in back.branches] == ["Asia/Taipei", "Asia/Taipei"]


def test_carried_settings_cannot_rename_a_branch_and_bad_ones_are_refused(tmp_path: Path) -> None:
    opml = tmp_path / "foreign.opml"
    opml.write_text(
        '<?xml version="1.0"?><opml version="2.0" xmlns:tongxin="https://tongxin.dev/ns/opml">'
        '<head><title>t</title><tongxin:settings>{"name": "冒名", "stale_days": 9}'
        '</tongxin:settings></head><body><outline type="rss" text="甲" '
        'xmlUrl="https://a.example/feed.xml" tongxin:settings=\'{"feed": "http://10.0.0.1/", '
        '"id": "x"}\'/></body></opml>',
        encoding="utf-8",
    )
    back = parse_registry(import_opml(opml))
    assert back.name == "t" and back.stale_days == 9
    assert [(b.name, b.feed) for b in back.branches] == [("甲", "https://a.example/feed.xml")]
    assert back.branches[0].id != "x"
    opml.write_text(
        opml.read_text(encoding="utf-8").replace('"stale_days": 9', '"stale_days": "soon"'),
        encoding="utf-8",
    )
    with pytest.raises(RegistryError) as caught:
        import_opml(opml)
    assert "tongxin:settings" in str(caught.value.problems[0])
