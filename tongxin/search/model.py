"""What the search indexes: documents, the figures of a build, and the small shared helpers."""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

#: Written in the manifest; a cache, a base or a delta of another format is not reused.
# 6: tags and summary indexed, CJK characters alone, symbols; 7: English words stemmed;
# 8: trigrams of the commonest bigrams (grams.py); 9: a result's language in its meta row,
# and fold table 2 (tongxin/fold.py: 瞭 著 藉 甦). The caches key on FORMAT: a change to
# the fold table or the tokenizer needs a new one. 10: 3,000 is the number 3000.
FORMAT = "tongxin-search-10"
FIELDS = ("title", "text", "f")


@dataclass(frozen=True)
class SearchDoc:
    """One entry as the search sees it; ``text`` is plain text (no HTML)."""

    id: str
    url: str
    title: str
    text: str
    branch: str = ""
    type: str = ""
    date: datetime | date | str | None = None
    summary: str = ""
    tags: tuple[str, ...] = ()
    region: str = ""
    #: the entry's language (a portal: as its feed declares it; a branch: when not the
    #: site's), so that a result marks its text with it (WCAG 3.1.2); "" when unknown
    lang: str = ""
    #: who wrote it, as its page says (作者：…): found like a tag
    author: str = ""


@dataclass
class IndexStats:
    """What a build wrote and how long each stage took."""

    docs: int = 0
    shards: int = 0
    postings: int = 0
    bytes: int = 0
    seconds: float = 0.0
    files: int = 0
    built: int = 0  # shards and meta blocks computed by this run
    reused: int = 0  # taken from the cache
    tokenized: int = 0  # documents tokenized by this run (the others came from the cache)
    refs: dict[str, str] = field(default_factory=dict)  # document id -> ref
    phases: dict[str, float] = field(default_factory=dict)  # seconds per stage

    def lap(self, name: str, since: float) -> float:
        now = time.perf_counter()
        self.phases[name] = round(self.phases.get(name, 0.0) + now - since, 3)
        return now


def date_key(value: datetime | date | str | None) -> str:
    """The ISO text of a document's date ("" when undated): what refs and years read."""
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def doc_hash(doc: SearchDoc, when: str) -> str:
    """A hash of everything a document shows or is found by (what the cache keys on)."""
    parts = [doc.id, doc.url, doc.title, doc.text, doc.branch, doc.type, when, doc.summary]
    parts += [doc.region, *doc.tags]
    if doc.lang:  # (documents without one keep the hash they had)
        parts.append("lang:" + doc.lang)
    if doc.author:
        parts.append("author:" + doc.author)
    joined = "\x1f".join(parts) + "\x1f"
    return hashlib.blake2b(joined.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def title_field(doc: SearchDoc) -> str:
    """What field ``title`` indexes: the title, then each tag and the author on a line of its
    own (a line break ends a CJK run, so no bigram spans a title and a tag). A reader's trial
    found no article by searching the name its page shows as 作者."""
    lines = (*doc.tags, doc.author) if doc.author else doc.tags
    return "\n".join((doc.title, *lines)) if lines else doc.title


def _own_summary(doc: SearchDoc) -> str:
    """The summary when it says something the text does not (a written summary, not the
    head of the text that Pelican makes when there is none)."""
    summary = " ".join(doc.summary.split()).rstrip(" .…")
    if not summary or summary in " ".join(doc.text.split()):
        return ""
    return summary


def body_field(doc: SearchDoc) -> str:
    """What field ``text`` indexes: the summary (when it is not the text's head) and the text."""
    summary = _own_summary(doc)
    return f"{summary}\n{doc.text}" if summary else doc.text


# White space that markup left before punctuation ("时间 ：", "Note :"): not in excerpts.
_SPACE_BEFORE_PUNCTUATION = re.compile(r"\s+(?=[：:，,。.；;！!？?、）)」』】》])")


def excerpt(doc: SearchDoc, chars: int) -> str:
    # a summary shown before the text keeps its full stop ("…how to join. The union…"); a
    # trailing ellipsis (a cut summary) goes
    summary = _own_summary(doc) and " ".join(doc.summary.split()).rstrip(" …").removesuffix("...")
    text = " ".join((f"{summary} {doc.text}" if summary else doc.text or doc.summary).split())
    text = _SPACE_BEFORE_PUNCTUATION.sub("", text)
    return text if len(text) <= chars else text[:chars] + "…"


def meta_row(doc: SearchDoc, when: str, chars: int) -> list[str]:
    """A document's row in its meta block: what a result shows (then its tags and its
    language, each if any: a language after "" for no tags)."""
    row = [doc.url, doc.title, doc.branch, doc.type, when[:10], excerpt(doc, chars)]
    if doc.tags or doc.lang:
        row.append(" · ".join(doc.tags))
    return [*row, doc.lang] if doc.lang else row


def facet_terms(branch: str, kind: str, region: str = "") -> dict[str, list[int]]:
    """The filters are terms of field f: a branch, type or region filter is one more AND-ed
    term."""
    terms = {f"b:{branch}": [0], f"t:{kind}": [1]}
    if region:
        terms[f"r:{region}"] = [2]
    return terms


def encode(data: object) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def write_atomic(path: Path, data: bytes) -> None:
    """Write through a temporary file: a reader (or a build sharing the cache) never sees half."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
