"""One injection split across the entries of one run (``spread``), and an edit judged as a
change (``update``): the rules of federation/screen_run.py, over the labelled corpus and
through a real federate run on loopback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from feedserver import FeedServer
from test_held_changes import feed
from tongxin.federation.model import Branch, Entry
from tongxin.federation.pipeline import run
from tongxin.federation.screen import ScreenRules, screen_entries

ROOT = Path(__file__).resolve().parent.parent
CORPUS = yaml.safe_load((ROOT / "tests/hostile/screen_corpus.yaml").read_text("utf-8"))
NEAR_MISSES = yaml.safe_load((ROOT / "tests/hostile/clean.yaml").read_text("utf-8"))
BRANCH = Branch("b", "B", "https://branch.example/feed.xml")


class History:
    """A branch's stored entries: ``count`` published ones."""

    def __init__(self, count: int = 20) -> None:
        self.stored = [
            Entry(entry_id=f"old{n}", branch_id="b", url=f"https://branch.example/old/{n}/",
                  title="旧闻", content_html="<p>支部旧闻。</p>")
            for n in range(count)
        ]  # fmt: skip

    def entries(self, **_: object) -> list[Entry]:
        return self.stored


def screen_run(items: list[tuple[str, str]], history: int = 20) -> list[Entry]:
    entries = [
        Entry(entry_id=f"https://branch.example/news/{n}/", branch_id="b",
              url=f"https://branch.example/news/{n}/", title=title, content_html=html)
        for n, (title, html) in enumerate(items)
    ]  # fmt: skip
    return screen_entries(entries, BRANCH, History(history), ScreenRules.load(language="en"))


CLEAN = [(item["title"], item["html"]) for item in CORPUS["clean"]]
CLEAN += [(item["title"], item["content"]) for item in NEAR_MISSES]


@pytest.mark.parametrize("attack", CORPUS["split"], ids=lambda a: a["name"])
def test_an_injection_split_over_a_run_is_held_and_the_clean_entries_beside_it_are_not(
    attack: dict,
) -> None:
    pieces = [(piece["title"], piece["html"]) for piece in attack["entries"]]
    alone = [screen_run([piece])[0] for piece in pieces]
    assert not any(entry.quarantine_reason for entry in alone), "a piece is caught alone"
    screened = screen_run(pieces + CLEAN[:3])
    assert all(entry.quarantine_reason for entry in screened[: len(pieces)])
    assert all("spread" in (entry.quarantine_rule or "") for entry in screened[: len(pieces)])
    assert not any(entry.quarantine_reason for entry in screened[len(pieces) :])


def test_every_clean_item_in_one_run_is_published() -> None:
    """Lottery, Macau, law-enforcement and anti-vice news all arriving at once: none held."""
    held = [entry.title for entry in screen_run(CLEAN) if entry.quarantine_reason]
    assert held == []


def test_a_first_run_is_not_judged_as_a_spread() -> None:
    """Without history every entry is new: three posts linking one new site are news."""
    pieces = [
        (f"活动{n}", "<p><a href='https://partner.example/x'>合作单位</a></p>") for n in "一二三"
    ]
    assert not any(entry.quarantine_reason for entry in screen_run(pieces, history=0))
    assert all(entry.quarantine_reason for entry in screen_run(pieces, history=20))


def test_a_young_branch_is_judged_from_its_second_fetch() -> None:
    """One published entry is history enough: the next fetch's pieces are judged together."""
    pieces = [("永利 最新活动", "<p>详情请咨询。</p>"), ("通知", "<p>77779193</p>")]
    assert all(entry.quarantine_reason for entry in screen_run(pieces, history=1))


def test_the_same_official_site_in_many_entries_is_not_a_spread() -> None:
    pieces = [
        (f"学习{n}", "<p>见<a href='https://www.gov.cn/zhengce/'>政策</a></p>") for n in range(5)
    ]
    assert not any(entry.quarantine_reason for entry in screen_run(pieces))


def test_an_edit_adding_links_to_two_unknown_sites_is_held_as_a_change() -> None:
    history = History(0)  # even a young branch
    published = Entry(entry_id="https://branch.example/news/1/", branch_id="b",
                      url="https://branch.example/news/1/", title="社区新闻",
                      content_html="<p>社区新闻。</p>")  # fmt: skip
    history.stored.append(published)
    edited = Entry(entry_id=published.entry_id, branch_id="b", url=published.url,
                   title="社区新闻", content_html="<p>社区新闻。</p><a href='https://a-play.example/'>"
                   "推荐</a><a href='https://b-play.example/'>热门</a>")  # fmt: skip
    [screened] = screen_entries([edited], BRANCH, history, ScreenRules.load(language="en"))
    assert screened.quarantine_rule == "update"
    assert "a-play.example" in (screened.quarantine_reason or "")


def test_a_spread_over_real_http_is_held_by_the_federate_run(tmp_path: Path) -> None:
    with FeedServer() as server:
        site = server.url("/nanhu/")
        registry = tmp_path / "registry.yaml"
        branches = [{"id": "nanhu", "name": "南湖", "feed": server.url("/nanhu.xml")}]
        registry.write_text(
            yaml.safe_dump({"name": "门户", "url": "https://p.example/", "branches": branches,
                            "allow_networks": ["127.0.0.1"]}, allow_unicode=True),
            encoding="utf-8")  # fmt: skip
        old = [(f"old{n}", f"社区新闻{n}", f"<p>社区新闻第{n}期。</p>") for n in range(12)]
        server.route("/nanhu.xml", body=feed(site, old))
        out, db = tmp_path / "portal", tmp_path / "portal.sqlite3"
        run(registry, out, db)
        spread = [
            (f"new{n}", title, f"<p>详见<a href='https://dh-nav88.example/{n}'>这里</a>。</p>")
            for n, title in enumerate(["工作动态", "学习园地", "通知公告"])
        ]
        server.route("/nanhu.xml", body=feed(site, spread + old))
        run(registry, out, db)
    api = json.loads((out / "api" / "index.json").read_text(encoding="utf-8"))
    assert len(api["entries"]) == 12
    assert "dh-nav88" not in (out / "feeds" / "all.atom.xml").read_text(encoding="utf-8")
    health = json.loads((out / "health.json").read_text(encoding="utf-8"))["branches"][0]
    assert health["status"] == "quarantined"


def test_one_link_added_to_three_published_entries_is_held_as_changes(tmp_path: Path) -> None:
    """A hack that edits old posts, one link each: every edit alone passes the update rule;
    the three together are one injection. The published versions stay."""
    with FeedServer() as server:
        site = server.url("/nanhu/")
        registry = tmp_path / "registry.yaml"
        branches = [{"id": "nanhu", "name": "南湖", "feed": server.url("/nanhu.xml")}]
        registry.write_text(
            yaml.safe_dump({"name": "门户", "url": "https://p.example/", "branches": branches,
                            "allow_networks": ["127.0.0.1"]}, allow_unicode=True),
            encoding="utf-8")  # fmt: skip
        old = [(f"old{n}", f"社区新闻{n}", f"<p>社区新闻第{n}期。</p>") for n in range(12)]
        server.route("/nanhu.xml", body=feed(site, old))
        out, db = tmp_path / "portal", tmp_path / "portal.sqlite3"
        run(registry, out, db)
        link = "<p><a href='https://nav-hub.example/'>更多</a></p>"
        edited = [(slug, title, html + link) if n < 3 else (slug, title, html)
                  for n, (slug, title, html) in enumerate(old)]  # fmt: skip
        server.route("/nanhu.xml", body=feed(site, edited))
        run(registry, out, db)
    text = (out / "feeds" / "all.atom.xml").read_text(encoding="utf-8")
    assert "nav-hub.example" not in text
    assert all(f"社区新闻第{n}期" in text for n in range(3))
    health = json.loads((out / "health.json").read_text(encoding="utf-8"))["branches"][0]
    assert health["status"] == "quarantined"
