"""An update is screened against what was published before (over real HTTP on loopback).

A clean article later edited into a casino link list, or given a brand-with-digits line, is
held; the version the portal published stays on every page, feed and index until the change
is released, and the spam is never shown. A reject keeps the published version, the same
change sent again stays rejected, and a new change is screened again.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
import yaml
from feedserver import FeedServer
from tongxin.federation.pipeline import run

ROOT = Path(__file__).resolve().parent.parent
TONGXIN = ROOT / ".venv" / "bin" / "tongxin"
NOW = datetime.now(UTC).replace(microsecond=0)

CLEAN = "<p>社区党支部组织志愿者开展垃圾分类宣传活动，发放宣传册二百余份。</p>"
#: Three links to unrelated hosts: under the young-branch link-list limit of five.
LINK_LIST = (
    "<p>相关推荐：<a href='https://lucky-hall.example/'>精彩推荐</a> "
    "<a href='https://star-play.example/'>热门</a> <a href='https://gold-win.example/'>娱乐</a></p>"
)
BRAND_LINE = "<p>77779193永利 官方网站</p>"


def feed(site: str, items: list[tuple[str, str, str]]) -> bytes:
    """An Atom feed of ``(slug, title, content html)``, newest first."""
    entries = []
    for index, (slug, title, html) in enumerate(items):
        when = (NOW - timedelta(days=1 + index)).isoformat()
        url = f"{site}news/{slug}/"
        entries.append(
            f'<entry><id>{url}</id><title>{escape(title)}</title><link href="{url}"/>'
            f"<published>{when}</published><updated>{when}</updated>"
            f'<content type="html">{escape(html)}</content></entry>'
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        f'<id>{site}</id><title>南湖</title><link href="{site}"/>'
        f"<updated>{NOW.isoformat()}</updated>{''.join(entries)}</feed>"
    ).encode()


class Portal:
    def __init__(self, server: FeedServer, tmp: Path) -> None:
        self.server = server
        self.site = server.url("/nanhu/")
        self.registry = tmp / "registry.yaml"
        self.out = tmp / "portal"
        self.db = tmp / "portal.sqlite3"
        branches = [{"id": "nanhu", "name": "南湖", "feed": server.url("/nanhu.xml")}]
        self.registry.write_text(
            yaml.safe_dump({"name": "门户", "url": "https://p.example/", "branches": branches,
                            "allow_networks": ["127.0.0.1"]},
                           allow_unicode=True), encoding="utf-8")  # fmt: skip

    def serve(self, post_html: str, title: str = "社区开展垃圾分类宣传") -> None:
        items = [("post", title, post_html), ("other", "老年大学开学", "<p>秋季班开学。</p>")]
        self.server.route("/nanhu.xml", body=feed(self.site, items))

    def run(self) -> None:
        run(self.registry, self.out, self.db)

    def api_entry(self) -> dict:
        api = json.loads((self.out / "api" / "index.json").read_text(encoding="utf-8"))
        [found] = [e for e in api["entries"] if e["id"] == f"{self.site}news/post/"]
        return found

    def output_text(self) -> str:
        """Every text file the portal published, as one string."""
        return "\n".join(
            p.read_text(encoding="utf-8", errors="replace")
            for p in sorted(self.out.rglob("*"))
            if p.is_file() and p.suffix in {".html", ".json", ".xml", ".js", ".txt", ""}
        )

    def health(self) -> dict:
        return json.loads((self.out / "health.json").read_text(encoding="utf-8"))["branches"][0]

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(TONGXIN), "quarantine", *args, "--db", str(self.db), "--language", "en"],
            capture_output=True, text=True, timeout=60)  # fmt: skip

    @property
    def post(self) -> str:
        return f"{self.site}news/post/"


@pytest.fixture
def portal(tmp_path: Path) -> Iterator[Portal]:
    with FeedServer() as server:
        yield Portal(server, tmp_path)


@pytest.mark.parametrize(
    ("addition", "spam_marks"),
    [(LINK_LIST, ["lucky-hall.example", "gold-win.example"]), (BRAND_LINE, ["77779193"])],
    ids=["casino-link-list", "brand-with-digits"],
)
def test_a_hacked_edit_is_held_and_the_published_version_stays(
    portal: Portal, addition: str, spam_marks: list[str]
) -> None:
    portal.serve(CLEAN)
    portal.run()
    assert "垃圾分类" in json.dumps(portal.api_entry(), ensure_ascii=False)
    portal.serve(CLEAN + addition)
    portal.run()
    # The entry is still published, as it was: never the spam, on no page, feed or index.
    assert portal.api_entry()["title"] == "社区开展垃圾分类宣传"
    text = portal.output_text()
    assert "发放宣传册二百余份" in text
    for mark in spam_marks:
        assert mark not in text
    assert portal.health()["status"] == "quarantined"
    listed = portal.cli("list")
    assert portal.post in listed.stdout and "对已发布条目的修改" in listed.stdout  # zh-CN portal
    # The branch sends the same hacked edit again: still held, still the old version shown.
    portal.run()
    assert all(mark not in portal.output_text() for mark in spam_marks)
    # The operator releases the change: now it replaces the published version.
    done = portal.cli("release", portal.post)
    assert done.returncode == 0, done.stderr
    portal.run()
    assert all(mark in portal.output_text() for mark in spam_marks)
    assert portal.health()["status"] == "ok"


def test_a_rejected_change_keeps_the_published_version_and_a_new_change_is_screened(
    portal: Portal,
) -> None:
    portal.serve(CLEAN)
    portal.run()
    portal.serve(CLEAN + BRAND_LINE)
    portal.run()
    done = portal.cli("reject", portal.post)
    assert done.returncode == 0, done.stderr
    for _ in range(2):  # the same change sent again stays rejected, and is not waiting
        portal.run()
        assert "77779193" not in portal.output_text()
        assert "发放宣传册二百余份" in portal.output_text()
        assert portal.health()["status"] == "ok"
        assert "Quarantine is empty" in portal.cli("list").stdout
    # A different hacked edit: the reject was for the other change, this one waits anew.
    portal.serve(CLEAN + LINK_LIST)
    portal.run()
    assert "lucky-hall.example" not in portal.output_text()
    assert portal.health()["status"] == "quarantined"
    # The branch restores its clean article, corrected: published; nothing waits; and the
    # reject in quarantine.yaml (about the change) never hides the entry.
    portal.serve(CLEAN + "<p>（更正：宣传册三百份）</p>")
    portal.run()
    portal.run()
    assert "更正" in portal.output_text()
    assert portal.health()["status"] == "ok"


def test_a_clean_edit_of_a_published_entry_replaces_it(portal: Portal) -> None:
    """The control: an ordinary correction with a link to an official site is no change to
    hold."""
    portal.serve(CLEAN)
    portal.run()
    portal.serve(CLEAN + "<p>详见<a href='https://www.gov.cn/'>中国政府网</a>。</p>")
    portal.run()
    assert "中国政府网" in portal.output_text()
    assert portal.health()["status"] == "ok"
