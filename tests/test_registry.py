"""The registry: valid files load, every mistake is reported as path:line: message."""

from __future__ import annotations

from pathlib import Path

import pytest
from tongxin.federation.registry import RegistryError, load_registry

VALID = """\
name: 东城区门户
url: https://portal.example.org/
language: zh-CN
stale_days: 14
branches:
  - id: b1
    name: 第一支部
    feed: https://b1.example.org/feeds/all.atom.xml
    region: 东城
  - id: county-2
    name: Second
    feed: http://b2.example.org/feed.xml
    parent: b1
    public_key: AAAAC3NzaC1lZDI1NTE5AAAAIGr1
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "registry.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(RegistryError) as caught:
        load_registry(write(tmp_path, text))
    return [str(p) for p in caught.value.problems]


def test_valid_registry_loads_every_field(tmp_path: Path) -> None:
    registry = load_registry(write(tmp_path, VALID))
    assert registry.name == "东城区门户"
    assert registry.stale_days == 14
    assert [b.id for b in registry.branches] == ["b1", "county-2"]
    assert registry.branches[0].region == "东城"
    assert registry.branches[1].parent == "b1"
    assert registry.branches[1].public_keys == ("AAAAC3NzaC1lZDI1NTE5AAAAIGr1",)
    assert registry.branches[1].requires_signature
    assert not registry.branches[0].requires_signature


def test_text_fields_are_the_text_typed(tmp_path: Path) -> None:
    # as in front matter and site.yaml: an unquoted 0755 is "0755", not the octal number 493
    text = VALID.replace("name: 第一支部", "name: 0755").replace("region: 东城", "region: 2024")
    registry = load_registry(write(tmp_path, text))
    assert (registry.branches[0].name, registry.branches[0].region) == ("0755", "2024")


def test_public_keys_list_is_accepted(tmp_path: Path) -> None:
    text = VALID.replace("public_key: AAAAC3NzaC1lZDI1NTE5AAAAIGr1", "public_keys: [old, new]")
    assert load_registry(write(tmp_path, text)).branches[1].public_keys == ("old", "new")


def test_duplicate_branch_id_names_both_lines(tmp_path: Path) -> None:
    text = VALID.replace("id: county-2", "id: b1")
    found = problems(tmp_path, text)
    assert len(found) == 1
    assert found[0].startswith(f"{tmp_path / 'registry.yaml'}:10: ")
    assert "b1" in found[0] and "6" in found[0]


def test_bad_feed_url_is_reported_on_its_line(tmp_path: Path) -> None:
    found = problems(tmp_path, VALID.replace("http://b2.example.org/feed.xml", "ftp://b2/x"))
    assert len(found) == 1 and ":12: " in found[0] and "ftp://b2/x" in found[0]


def test_missing_field_and_unknown_key_with_suggestion(tmp_path: Path) -> None:
    text = VALID.replace("    name: Second\n", "    nmae: Second\n")
    found = problems(tmp_path, text)
    assert any(":10: " in p and "name" in p for p in found)  # missing, on the branch's line
    assert any(":11: " in p and "nmae" in p and "name" in p for p in found)  # did-you-mean


def test_missing_portal_fields_are_each_reported(tmp_path: Path) -> None:
    found = problems(tmp_path, "branches: []\n")
    assert any("name" in p for p in found)
    assert any("url" in p for p in found)


def test_yaml_syntax_error_has_a_line(tmp_path: Path) -> None:
    found = problems(tmp_path, VALID + "  - id: [unclosed\n")
    assert len(found) == 1 and ":15: " in found[0]


def test_messages_follow_the_registry_language(tmp_path: Path) -> None:
    text = VALID.replace("language: zh-CN", "language: en").replace("id: county-2", "id: b1")
    assert "used twice" in problems(tmp_path, text)[0]
    text = VALID.replace("id: county-2", "id: b1")
    assert "重复" in problems(tmp_path, text)[0]


def test_duplicate_feed_and_both_key_forms_are_errors(tmp_path: Path) -> None:
    text = VALID.replace(
        "http://b2.example.org/feed.xml", "https://b1.example.org/feeds/all.atom.xml"
    )
    assert len(problems(tmp_path, text)) == 1
    text = VALID + "    public_keys: [x]\n"
    assert "public_key" in problems(tmp_path, text)[0]


def test_bad_branch_id_is_refused(tmp_path: Path) -> None:
    found = problems(tmp_path, VALID.replace("id: county-2", "id: ../etc"))
    assert ":10: " in found[0]


def test_screen_overrides_are_checked_with_their_lines(tmp_path: Path) -> None:
    text = VALID.replace("stale_days: 14\n", "stale_days: 14\nscreen:\n  thresold: 2\n")
    found = problems(tmp_path, text)
    assert len(found) == 1 and ":6: " in found[0] and "threshold" in found[0]


@pytest.mark.parametrize(
    ("language", "codec", "expected"),
    [("zh-CN", "gbk", "另存为 UTF-8"), ("zh-TW", "big5", "另存為 UTF-8"),
     ("en", "cp1252", "save it again as UTF-8")],
)  # fmt: skip
def test_a_registry_not_saved_as_utf8_says_how_to_save_it(
    tmp_path: Path, language: str, codec: str, expected: str
) -> None:
    """Notepad or WPS saving the registry as GBK (Big5, Windows-1252): the problem names the
    file and the line of the first bad byte, in the registry's language, never the codec's
    own words."""
    from tongxin.federation.registry import RegistryError, load_registry, load_registry_skipping

    name = {"zh-CN": "东江门户", "zh-TW": "東江入口網站", "en": "Café portal"}[language]
    path = tmp_path / "registry.yaml"
    path.write_bytes(
        f"language: {language}\nurl: https://p.example/\nname: {name}\nbranches:\n"
        "  - {id: a, name: A, feed: 'https://a.example/feed.xml'}\n".encode(codec)
    )
    for load in (load_registry, load_registry_skipping):
        with pytest.raises(RegistryError) as caught:
            load(path)
        (problem,) = caught.value.problems
        assert str(problem).startswith(f"{path}:3:"), problem
        assert expected in str(problem) and "codec" not in str(problem)
