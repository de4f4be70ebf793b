"""Rendering the portal from stored entries: pagination, incremental versions, feeds."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from lxml import etree
from tongxin.federation.model import Branch, BranchHealth, Entry, Registry
from tongxin.federation.portal import PortalRenderer, Publisher, paginate

NOW = datetime(2026, 5, 20, tzinfo=UTC)
ATOM = "{http://www.w3.org/2005/Atom}"
REGISTRY = Registry(
    "门户",
    "https://portal.example/",
    (Branch("a", "甲支部", "https://a.example/feeds/all.atom.xml", region="东区"),),
)


def entry(n: int, **changes) -> Entry:
    data = {
        "entry_id": f"https://a.example/news/{n}/",
        "branch_id": "a",
        "url": f"https://a.example/news/{n}/",
        "title": f"条目 <{n}> & 标题",
        "origin_branch_id": "a",
        "origin_branch_name": "甲支部",
        "origin_branch_url": "https://a.example/",
        "origin_feed_url": "https://a.example/feeds/all.atom.xml",
        "summary_html": f"<p>摘要 {n}</p>",
        "content_html": f"<p>正文 {n}</p>",
        "published": NOW - timedelta(hours=n),
        "type": ("news", "announcements", "study")[n % 3],
        "pinned": n % 3 == 1 and n < 4,
    }
    data.update(changes)
    return Entry(**data)


def health() -> list[BranchHealth]:
    return [BranchHealth("a", "甲支部", "ok", 200, None, None, 1, None, activity=[1] * 12)]


def test_numbered_pages_stay_the_same_when_new_entries_arrive() -> None:
    items = list(range(130, 0, -1))  # newest first
    before = dict(paginate(items, 50))
    after = dict(paginate([131, *items], 50))
    assert len(before[0]) == 80 and before[1] == list(range(50, 0, -1))
    assert before[1] == after[1]
    assert after[0][0] == 131
    assert sum(len(p) for p in after.values()) == 131


def test_a_new_entry_rewrites_only_the_pages_that_show_it(tmp_path: Path) -> None:
    entries = [entry(n) for n in range(1, 400)]
    publisher = Publisher(tmp_path / "out")
    first = publisher.new_version("1")
    PortalRenderer(REGISTRY, now=NOW).render(entries, health(), first)
    publisher.publish(first)
    second = publisher.new_version("2")
    newer = [entry(0, title="最新条目"), *entries]
    stats = PortalRenderer(REGISTRY, now=NOW).render(
        newer, health(), second, previous=publisher.current()
    )
    assert stats.reused > stats.written
    assert "news/page-1.html" not in stats.pages  # older pages were linked, not rendered
    assert "index.html" in stats.pages and "branches/a/index.html" in stats.pages
    publisher.publish(second)
    assert "最新条目" in (tmp_path / "out/index.html").read_text(encoding="utf-8")


def test_a_badge_added_to_the_card_template_shows_on_every_listing(tmp_path: Path) -> None:
    """Cards come from the theme's card template, whatever it reads of an entry (here its
    tags, on a few entries only, none of the newest)."""
    import shutil

    from tongxin.federation.portal import TEMPLATE_DIR, RenderOptions

    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATE_DIR, templates)
    card = templates / "_entry_card.html"
    badge = '<span class="badge badge-urgent">!</span>'
    # after the meta line's opening tag, whatever attributes it has
    text, added = re.subn(
        r'(<p class="entry-meta"[^>]*>)',
        lambda tag: tag[1] + '{% if "urgent" in entry.tags %}' + badge + "{% endif %}",
        card.read_text(encoding="utf-8"),
        count=1,
    )
    assert added == 1
    card.write_text(text, encoding="utf-8")
    entries = [entry(n, tags=["urgent"] if n % 10 == 0 else []) for n in range(1, 60)]
    out = tmp_path / "v"
    out.mkdir()
    options = RenderOptions(page_size=3, archive_page_size=2)
    renderer = PortalRenderer(REGISTRY, now=NOW, options=options, template_dir=templates)
    renderer.render(entries, health(), out)
    pages = sorted(out.rglob("*.html"))
    urgent = re.compile(r'<a href="https://a\.example/news/(\d+)/">')
    shown = 0
    for page in pages:
        html = page.read_text(encoding="utf-8")
        expected = sum(int(n) % 10 == 0 for n in urgent.findall(html))
        assert html.count(badge) == expected, page
        shown += expected
    assert shown >= 5 * 4  # each tagged entry on its type, branch, region and month listing
    assert "&lt;1&gt; &amp; 标题" in (out / "index.html").read_text(encoding="utf-8")


def test_every_portal_atom_entry_names_its_original_branch_in_source(tmp_path: Path) -> None:
    other = {"origin_branch_name": "丙支部", "origin_branch_url": "https://c.example/"}
    entries = [entry(1), entry(2, origin_branch_id="https://c.example/feeds/all.atom.xml", **other)]
    out = tmp_path / "v"
    out.mkdir()
    PortalRenderer(REGISTRY, now=NOW).render(entries, health(), out)
    root = etree.parse(str(out / "feeds/all.atom.xml")).getroot()
    sources = {
        e.findtext(f"{ATOM}id"): e.find(f"{ATOM}source") for e in root.findall(f"{ATOM}entry")
    }
    assert all(s is not None for s in sources.values())
    first = sources["https://a.example/news/1/"]
    assert first.findtext(f"{ATOM}id") == "https://a.example/feeds/all.atom.xml"
    assert first.findtext(f"{ATOM}title") == "甲支部"
    second = sources["https://a.example/news/2/"]
    assert second.findtext(f"{ATOM}id") == "https://c.example/feeds/all.atom.xml"
    assert second.findtext(f"{ATOM}title") == "丙支部"


def test_numbered_pages_are_longer_than_the_front_page_and_still_stay_the_same() -> None:
    items = list(range(330, 0, -1))  # newest first
    before = dict(paginate(items, 100, 50))
    after = dict(paginate([331, *items], 100, 50))
    assert len(before[0]) == 130 and before[1] == list(range(100, 0, -1)) and len(before) == 3
    assert before[1] == after[1] and before[2] == after[2]
    assert 50 <= len(after[0]) < 150 and after[0][0] == 331
    assert dict(paginate(list(range(49, 0, -1)), 100, 50)) == {0: list(range(49, 0, -1))}


def test_a_listing_template_computing_from_the_pager_shows_on_numbered_pages(
    tmp_path: Path,
) -> None:
    import shutil

    from tongxin.federation.portal import TEMPLATE_DIR, RenderOptions

    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATE_DIR, templates)
    listing = templates / "portal_list.html"
    # A template doing arithmetic on the page number.
    listing.write_text(
        listing.read_text(encoding="utf-8").replace(
            "{% block content %}", "{% block content %}<p class=n>{{ pager.number + 1 }}</p>", 1
        ),
        encoding="utf-8",
    )
    out = tmp_path / "v"
    out.mkdir()
    options = RenderOptions(page_size=3, archive_page_size=2)
    renderer = PortalRenderer(REGISTRY, now=NOW, options=options, template_dir=templates)
    renderer.render([entry(n) for n in range(1, 60)], health(), out)
    assert "<p class=n>6</p>" in (out / "news/page-5.html").read_text(encoding="utf-8")


def _tree_bytes(root: Path) -> dict[str, bytes]:
    # The OPML export's creation time is the wall clock (kept from the version that wrote it).
    return {
        p.relative_to(root).as_posix(): re.sub(
            rb"<dateCreated>.*?</dateCreated>", b"", p.read_bytes()
        )
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != ".tongxin-manifest.json"  # fingerprints, not output
    }


def test_an_incremental_render_is_byte_identical_to_a_cold_one(tmp_path: Path) -> None:
    entries = [entry(n) for n in range(1, 200)]
    publisher = Publisher(tmp_path / "out")
    first = publisher.new_version("1")
    PortalRenderer(REGISTRY, now=NOW).render(entries, health(), first)
    publisher.publish(first)
    # One entry new, one edited, one gone: the api index copies the rest from the last one.
    changed = [entry(0), *entries[:5], entry(6, title="改过的标题"), *entries[6:150]]
    warm = publisher.new_version("2")
    stats = PortalRenderer(REGISTRY, now=NOW).render(
        changed, health(), warm, previous=publisher.current()
    )
    assert "api/index.json" in stats.pages
    cold = tmp_path / "cold"
    cold.mkdir()
    PortalRenderer(REGISTRY, now=NOW).render(changed, health(), cold)
    assert _tree_bytes(warm) == _tree_bytes(cold)


def test_the_api_index_assembled_from_fragments_equals_one_dump() -> None:
    from tongxin.federation import portal_feeds
    from tongxin.federation.portal import PortalRenderer as Renderer

    site = Renderer(REGISTRY, now=NOW).site
    entries = [entry(n, tags=["学习", "通知"], author="王" * (n % 2)) for n in range(40)]
    whole = portal_feeds.api_index(site, entries, NOW)
    data, spans = portal_feeds.api_index_spans(site, entries, NOW)
    assert data == whole
    old = {key: data[start:end] for key, start, end in spans}
    # Reused fragments (every other entry) and fresh ones join to the same bytes.
    reuse = {k: v for i, (k, v) in enumerate(old.items()) if i % 2}
    assert portal_feeds.api_index_spans(site, entries, NOW, reuse.get)[0] == whole
    # An edit changes the entry's key, so its stale fragment is never reused.
    edited = [entry(3, title="新标题"), *entries[4:]]
    assert portal_feeds.api_index_spans(site, edited, NOW, old.get)[0] == portal_feeds.api_index(
        site, edited, NOW
    )


def test_the_api_key_changes_whenever_the_entrys_api_json_does() -> None:
    import dataclasses

    from tongxin.federation import portal_feeds

    base = entry(7, tags=["学习"], author="王")
    changes = {
        "entry_id": "https://a.example/news/x/",
        "url": "https://a.example/x/",
        "type": "",
        "title": "",
        "published": None,
        "updated": NOW,
        "summary_html": "<p>另一个摘要</p>",
        "tags": ["学习", "通知"],
        "author": "",
        "pinned": True,
        "expires": NOW + timedelta(days=3),
        "origin_branch_id": "https://b.example/feeds/all.atom.xml",
        "branch_id": "lower",
        "origin_branch_name": "乙支部",
        "origin_branch_url": "https://b.example/",
        "origin_feed_url": "https://b.example/feeds/all.atom.xml",
    }

    def key_and_json(e: Entry) -> tuple[str, str]:
        return portal_feeds.api_entry_key(e), repr(portal_feeds.api_entry(e))

    base_key, base_json = key_and_json(base)
    shown = 0
    for field, value in changes.items():
        changed = dataclasses.replace(base, **{field: value})
        key, data = key_and_json(changed)
        if data == base_json:
            continue  # e.g. branch_id, when the origin branch names the source
        shown += 1  # the change shows in the API, so the cached fragment must not be reused
        assert key != base_key, field
    assert shown >= len(changes) - 1
