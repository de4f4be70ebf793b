"""Build a tiny branch site with real Pelican for the feed, API and signing tests.

A throwaway Pelican configuration with plain Pelican Markdown metadata, plus a small fake
plugin that sets the per-article attributes docs/internals.md promises (type, entry_id,
pinned, expires, series, order, quiz), so these tests depend only on that seam, not on the
readers and content-type plugins being finished. Holds no tests itself.
"""

from __future__ import annotations

import json
import types
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from blinker import Signal, signal
from pelican import Pelican
from pelican.contents import Article, Page
from pelican.plugins import signals as pelican_signals
from pelican.readers import MarkdownReader
from pelican.settings import read_settings

SITE_URL = "https://dongjiang.example/"
BRANCH = "东江社区党支部"

#: A small realistic branch: three types, a page, a draft, a hidden page.
DEFAULT_FILES: dict[str, str] = {
    "news/spring-festival.md": """Title: 春节主题党日活动
Date: 2024-02-05 09:30
Modified: 2024-02-06 18:00
Tags: 主题党日, 春节
Summary: 支部开展春节主题党日，走访慰问困难党员。
Author: 李明

支部于二月五日开展春节主题党日活动。

![合影](/files/photo.jpg)

详见[上一期活动](../flood-drill/)与[活动安排](#schedule)，或写信给
<a href="mailto:office@dongjiang.example">支部办公室</a>。

<img src="../../files/small.png" srcset="../../files/a.png 1x, /files/b.png 2x" alt="图">

FULL-CONTENT-MARKER 这一段只在全文里出现，不在摘要里。
""",
    "news/flood-drill.md": """Title: 防汛应急演练
Date: 2023-06-12 14:00
Tags: 防汛

社区组织防汛应急演练。
""",
    "announcements/meeting.md": """Title: 关于召开支部党员大会的通知
Date: 2024-03-01 08:00
Pinned: true
Expires: 2024-03-20

全体党员于三月十日下午参加支部党员大会。
""",
    "study/lesson-1.md": """Title: 党章学习（一）
Date: 2024-01-10 10:00
Series: 党章学习
Order: 1
Quiz: [{"question": "党的最高理想是什么？", "options": ["共产主义", "小康"], "answer": 0}]

第一讲：总纲。
""",
    "news/draft-note.md": """Title: 草稿
Date: 2024-03-05 10:00
Status: draft

还没写完。
""",
    "pages/about.md": """Title: 关于我们
Slug: about

东江社区党支部简介。
""",
}


def _fake_content_attributes(instance: Any) -> None:
    """What plugins/content_types.py promises, from plain Pelican metadata (strings)."""
    if not isinstance(instance, Article | Page):
        return
    meta = instance.metadata
    folder = Path(instance.source_path).relative_to(instance.settings["PATH"]).parts[0]
    kind = "pages" if isinstance(instance, Page) else folder
    instance.type = kind
    meta["type"] = kind
    instance.entry_id = SITE_URL + (
        f"{instance.slug}/" if kind == "pages" else f"{kind}/{instance.slug}/"
    )
    instance.pinned = str(meta.get("pinned", "")).lower() == "true"
    instance.expires = date.fromisoformat(meta["expires"]) if meta.get("expires") else None
    instance.series = meta.get("series") or None
    instance.order = int(meta["order"]) if meta.get("order") else None
    instance.quiz = json.loads(meta["quiz"]) if meta.get("quiz") else None


fake_content_types = types.ModuleType("tongxin_test_fake_content_types")
fake_content_types.register = lambda: pelican_signals.content_object_init.connect(  # type: ignore[attr-defined]
    _fake_content_attributes
)


def write_content(root: Path, files: dict[str, str]) -> Path:
    content = root / "content"
    for name, text in files.items():
        path = content / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (content / "files").mkdir(parents=True, exist_ok=True)
    return content


@contextmanager
def isolated_signals() -> Iterator[None]:
    """Run a build with no receivers but its own, then put the previous ones back.

    Blinker signals are process-global: plugins registered by other tests' builds (the
    strict-build checks, say) would otherwise run in ours, and our fake and writers in theirs.
    """
    sigs = [value for value in vars(pelican_signals).values() if isinstance(value, Signal)] + [
        signal("tongxin_feeds_written")
    ]
    saved = [
        (
            s,
            dict(s.receivers),
            {k: s.set_class(v) for k, v in s._by_sender.items()},
            {k: s.set_class(v) for k, v in s._by_receiver.items()},
        )
        for s in sigs
    ]
    for s in sigs:
        s.receivers.clear()
        s._by_sender.clear()
        s._by_receiver.clear()
    try:
        yield
    finally:
        for s, receivers, by_sender, by_receiver in saved:
            s.receivers.clear()
            s.receivers.update(receivers)
            s._by_sender.clear()
            s._by_sender.update(by_sender)
            s._by_receiver.clear()
            s._by_receiver.update(by_receiver)


def build_site(
    root: Path,
    files: dict[str, str] | None = None,
    *,
    plugins: tuple[str, ...] = ("tongxin.plugins.feeds", "tongxin.plugins.json_api"),
    settings: dict[str, Any] | None = None,
) -> Path:
    """Write ``files`` under ``root/content`` (when given), build with Pelican; the output dir."""
    if files is not None:
        write_content(root, files)
    output = root / "output"
    override = {
        "PATH": str(root / "content"),
        "OUTPUT_PATH": str(output),
        "SITENAME": BRANCH,
        "SITEURL": SITE_URL.rstrip("/"),
        "DEFAULT_LANG": "zh-CN",
        "TIMEZONE": "Asia/Shanghai",
        "ARTICLE_PATHS": ["news", "announcements", "study"],
        "PAGE_PATHS": ["pages"],
        "STATIC_PATHS": ["files"],
        "ARTICLE_URL": "{category}/{slug}/",
        "ARTICLE_SAVE_AS": "{category}/{slug}/index.html",
        "PAGE_URL": "{slug}/",
        "PAGE_SAVE_AS": "{slug}/index.html",
        "SLUGIFY_SOURCE": "basename",
        "DIRECT_TEMPLATES": [],
        "TAGS_SAVE_AS": "",
        "CATEGORIES_SAVE_AS": "",
        "AUTHORS_SAVE_AS": "",
        "ARCHIVES_SAVE_AS": "",
        "AUTHOR_SAVE_AS": "",
        "TAG_SAVE_AS": "",
        "FEED_ALL_ATOM": None,
        "CATEGORY_FEED_ATOM": None,
        "TRANSLATION_FEED_ATOM": None,
        "AUTHOR_FEED_ATOM": None,
        "AUTHOR_FEED_RSS": None,
        # Pelican enables every imported BaseReader subclass for its extensions, so once
        # another test imports our own readers, plain Markdown must be asked for by name.
        "READERS": {"md": MarkdownReader, "markdown": MarkdownReader},
        "CACHE_CONTENT": False,
        "LOAD_CONTENT_CACHE": False,
        "PLUGINS": [fake_content_types, *plugins],
        "TONGXIN_SITE": {
            "name": BRANCH,
            "url": SITE_URL,
            "language": "zh-CN",
            "description": "东江社区党支部的新闻、通知和学习园地",
        },
    }
    override.update(settings or {})
    with isolated_signals():
        Pelican(read_settings(None, override=override)).run()
    return output
