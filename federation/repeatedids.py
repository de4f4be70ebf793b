"""Two different items under one id in one feed are two entries, not one.

Some CMSs write the same ``<guid>`` for every item (DedeCMS templates that print the column's
id, a plugin that writes ``<guid>1</guid>``). Keyed by that id, the store would keep the first
item and drop the rest without a word. Instead, when items sharing an id differ, the oldest
keeps the id (what an earlier run stored under it, as a feed grows newest first) and each
other one gets the id plus ``#`` and a short hash of its link and title: stable from run to
run, whatever the order of the items. The health page notes it, so the branch can mend its
feed. An item listed twice alike in every field is still one entry.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from .model import Entry, ParsedFeed

_Signature = tuple[str, str, str, str, datetime | None]


def _signature(entry: Entry) -> _Signature:
    return (entry.url, entry.title, entry.summary_html, entry.content_html, entry.published)


def _age(item: tuple[int, Entry]) -> tuple[bool, datetime, int]:
    """Sort key: dated before undated, oldest first, later in the feed first (a feed lists
    the newest first)."""
    index, entry = item
    moment = entry.published
    return (moment is None, moment or datetime.min, -index)


def _suffix(entry: Entry, taken: set[str]) -> str:
    seed = f"{entry.url}\x00{entry.title}"
    n = 0
    while True:
        made = hashlib.sha1(seed.encode("utf-8")).hexdigest()[:12]
        if made not in taken:
            taken.add(made)
            return made
        n += 1  # same link and title, other text or date: the text decides
        seed = f"{entry.url}\x00{entry.title}\x00{entry.summary_html}{entry.content_html}\x00{n}"


def split_repeated_ids(feed: ParsedFeed) -> int:
    """Give each differing item that repeats another's id an id of its own (see module
    docstring); note it on ``feed``; return how many items were given a new id."""
    groups: dict[str, list[tuple[int, Entry]]] = {}
    for index, entry in enumerate(feed.entries):
        groups.setdefault(entry.entry_id, []).append((index, entry))
    renamed = 0
    example = ""
    for members in groups.values():
        if len(members) < 2 or len({_signature(e) for _i, e in members}) < 2:
            continue
        keeper = _signature(min(members, key=_age)[1])
        suffixes: dict[_Signature, str] = {}
        taken: set[str] = set()
        for _index, entry in members:
            signature = _signature(entry)
            if signature == keeper:
                continue
            if signature not in suffixes:
                suffixes[signature] = _suffix(entry, taken)
                renamed += 1
            example = example or entry.feed_id or entry.entry_id
            entry.entry_id = f"{entry.entry_id}#{suffixes[signature]}"
            if entry.feed_id:
                entry.feed_id = f"{entry.feed_id}#{suffixes[signature]}"
    if renamed:
        feed.notes.append(("federation.parse.repeated_ids", {"count": renamed, "id": example[:80]}))
    return renamed
