"""What the health page notes about a feed that was read is in the portal's language.

A branch whose CMS dates an entry next week (a typo in the year's month) gets the
"date after the fetch" note; a zh-TW or en portal used to show it in Simplified Chinese.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from feedserver import FeedServer
from test_pipeline import Item, atom, federate, server, write_registry

from tongxin.i18n import translate

__all__ = ["server"]


@pytest.mark.parametrize("language", ["zh-CN", "zh-TW", "en"])
def test_the_future_date_note_is_in_the_portal_language(
    server: FeedServer, tmp_path: Path, language: str
) -> None:
    items = [Item("a", "下周的活动", -7), Item("b", "昨天的活动", 1)]
    server.route("/f.xml", body=atom(server.url("/f/"), "F", items))
    path = write_registry(
        tmp_path / "r.yaml", "Portal", "https://p.example/",
        [{"id": "f", "name": "F", "feed": server.url("/f.xml")}],
    )  # fmt: skip
    data = yaml.safe_load(path.read_text("utf-8"))
    path.write_text(yaml.safe_dump({**data, "language": language}, allow_unicode=True), "utf-8")
    out = tmp_path / "portal"
    federate(path, out)
    (row,) = json.loads((out / "health.json").read_text("utf-8"))["branches"]
    assert row["error"] == translate(language, "federation.parse.future")
    page = (out / "health/index.html").read_text("utf-8")
    assert translate(language, "federation.parse.future") in page
    if language != "zh-CN":
        assert translate("zh-CN", "federation.parse.future") not in page


def test_an_english_health_page_and_csv_use_english_punctuation(
    server: FeedServer, tmp_path: Path
) -> None:
    server.route("/old.xml", body=atom(server.url("/o/"), "Old", [Item("a", "Old news", 200)]))
    server.route("/new.xml", body=atom(server.url("/n/"), "New", [Item("b", "New news", 1)]))
    path = write_registry(
        tmp_path / "r.yaml", "Portal", "https://p.example/",
        [{"id": "old", "name": "Old branch", "feed": server.url("/old.xml")},
         {"id": "new", "name": "New branch", "feed": server.url("/new.xml")}],
    )  # fmt: skip
    data = yaml.safe_load(path.read_text("utf-8"))
    path.write_text(yaml.safe_dump({**data, "language": "en"}, allow_unicode=True), "utf-8")
    out = tmp_path / "portal"
    federate(path, out)
    page = (out / "health/index.html").read_text("utf-8")
    csv_text = (out / "health.csv").read_text("utf-8")
    for text in (page, csv_text):
        found = sorted({c for c in text if c in "、；：，（）"})
        assert not found, found
    assert "News" in page and "Old branch" in csv_text


def test_the_retraction_log_line_is_in_the_portal_language() -> None:
    from tongxin.federation.retractions import Outcome

    done = Outcome(retracted=2)
    assert done.summary("zh-CN") == "已移除该支部撤回的 2 篇"
    assert done.summary("zh-TW") == "已移除該支部撤回的 2 篇"
    assert done.summary("en") == "2 entries the branch withdrew were removed"
