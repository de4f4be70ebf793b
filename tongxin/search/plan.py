"""What files an index is made of: shards by term hash, hot terms, parts of heavy buckets.

- a term goes to bucket ``term_hash(term) % shards``, file ``shards/<k>.json``;
- a term of at least ``hot_postings`` postings (a common bigram) gets files of its own,
  ``shards/h<hash>.json``, listed in the manifest's ``hot``: it no longer drags the other
  terms of its bucket into every query that holds it;
- a bucket (or hot term) of more than ``split_postings`` postings is written as parts
  ``<name>-<part>.json``, a document going to part ``n % parts`` (``n % 32`` is a hash of
  its branch: a branch whose entries changed rebuilds one part of each). No file of a first
  query is huge, and the parts download in parallel.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from tongxin.tokenizer import term_hash

from .format import Prepared, Route
from .refs import PART_KEYS, base36

# A shard aims at about this many postings (≈ 50 kB of JSON, ≈ 10 kB gzipped): a query's
# term that is not hot costs its bucket.
POSTINGS_PER_SHARD = 2000
MAX_SHARDS = 4096
SMALL_SHARDS = 128
SMALL_POSTINGS = 100
#: A bucket of more postings than this is written as parts (a part aims at 3/8 of it).
SPLIT_POSTINGS = 16_000
#: A term of at least this many postings has files of its own.
HOT_POSTINGS = 1000
#: Flags added to a hot term's number of parts in the manifest's ``hot`` (parts ≤ 32): the
#: term has a first-screen file (:mod:`.first`); the bigram is extended (:mod:`.grams`).
FIRST_FLAG = 64
EXTENDED_FLAG = 128


@dataclass
class TextGroups:
    """The documents of each distinct (field text, part key): a portal repeats boilerplate,
    and every entry of a branch and type shares its filter terms, so what depends only on a
    text is worked out once per group, not once per document. Texts are told apart by the
    identity of their :data:`Prepared` (equal texts share one)."""

    members: dict[tuple[int, int], list[int]] = field(default_factory=dict)
    prepared: dict[int, Prepared] = field(default_factory=dict)

    @classmethod
    def of(cls, fields: Sequence[Sequence[Prepared]], keys: Sequence[int]) -> TextGroups:
        groups = cls()
        for i, (by_field, key) in enumerate(zip(fields, keys, strict=True)):
            for prepared in by_field:
                group = groups.members.get((id(prepared), key))
                if group is None:
                    groups.members[id(prepared), key] = [i]
                    groups.prepared[id(prepared)] = prepared
                else:
                    group.append(i)
        return groups

    def frequency(self) -> Counter[str]:
        """The document frequency of every term (its postings)."""
        uses: Counter[int] = Counter()
        for (pid, _key), members in self.members.items():
            uses[pid] += len(members)
        frequency: Counter[str] = Counter()
        for pid, count in uses.items():
            terms = self.prepared[pid][0]
            if count == 1:
                frequency.update(terms)  # counts a list in C
            else:
                for term in terms:
                    frequency[term] += count
        return frequency


@dataclass
class Layout:
    """The files of an index and the route of every term to them."""

    shard_count: int
    hot_base: int  # file numbers from here on are hot terms' (below: buckets and their parts)
    shard_of: dict[str, Route] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)  # every file: number -> name
    weights: Counter[int] = field(default_factory=Counter)  # postings per file (about)
    #: what a file holds besides its documents' terms (the hot terms a bucket leaves out,
    #: a hot file's terms): part of its cache key
    extra: dict[int, str] = field(default_factory=dict)
    parts: dict[int, int] = field(default_factory=dict)  # split bucket or hot file -> parts
    of_parts: dict[int, int] = field(default_factory=dict)  # a part's number of parts
    hot_of: dict[str, int] = field(default_factory=dict)  # hot term -> its file number
    #: the bigrams whose trigrams are indexed (:mod:`.grams`): part of every file's key
    extended: list[str] = field(default_factory=list)

    def total_weight(self) -> int:
        """The postings of every file (about: :attr:`weights`' own measure)."""
        return sum(self.weights[k] for k in self.names)

    def manifest_parts(self) -> dict[str, int]:
        return {str(k): n for k, n in sorted(self.parts.items()) if k < self.hot_base}

    def manifest_hot(self, first: Sequence[str] = ()) -> dict[str, int]:
        """Hot terms and their number of parts (0: one file), plus :data:`FIRST_FLAG` for
        the ``first`` terms and :data:`EXTENDED_FLAG` for the extended bigrams (each term of
        the manifest once: it is on every first query's way)."""
        hot = {t: self.parts.get(k, 0) for t, k in sorted(self.hot_of.items())}
        for flag, terms in ((FIRST_FLAG, first), (EXTENDED_FLAG, self.extended)):
            for term in terms:
                hot[term] |= flag  # both are hot: at least as many postings
        return hot


def choose_shards(postings: int) -> int:
    """A power of two of buckets holding about :data:`POSTINGS_PER_SHARD` postings each; a
    small index has up to :data:`SMALL_SHARDS` buckets of about :data:`SMALL_POSTINGS`: a
    query of three terms then downloads a few kB, not three quarters of the index."""
    wanted = max(
        1,
        math.ceil(postings / POSTINGS_PER_SHARD),
        min(SMALL_SHARDS, math.ceil(postings / SMALL_POSTINGS)),
    )
    return min(MAX_SHARDS, 1 << (wanted - 1).bit_length())


def plan_layout(
    frequency: Counter[str],
    split_keys: bool,
    shards: int | None = None,
    split_postings: int = SPLIT_POSTINGS,
    hot_postings: int = HOT_POSTINGS,
) -> Layout:
    """The layout for terms of this ``frequency``; ``split_keys``: the documents have more
    than one part key (else a split would put everything in one part)."""
    hashes = {term: term_hash(term) for term in frequency}
    hot_terms = sorted(t for t, c in frequency.items() if c >= hot_postings)
    hot_total = sum(frequency[t] for t in hot_terms)
    count = shards or choose_shards(frequency.total() - hot_total)
    layout = Layout(count, count * (1 + PART_KEYS))
    hot = set(hot_terms)
    bucket_of = {term: h % count for term, h in hashes.items() if term not in hot}
    for term, k in bucket_of.items():
        layout.weights[k] += frequency[term]
    hot_names = _hot_files(layout, hot_terms, hashes, frequency)
    if split_keys:
        for k, weight in layout.weights.items():
            if weight > split_postings:
                wanted = max(2, math.ceil(weight / max(1, split_postings * 3 // 8)))
                layout.parts[k] = min(PART_KEYS, 1 << (wanted - 1).bit_length())
    routes = {
        k: tuple(_part_number(layout, k, key % n) for key in range(PART_KEYS))
        for k, n in layout.parts.items()
    }
    for term, k in [*bucket_of.items(), *layout.hot_of.items()]:
        layout.shard_of[term] = routes.get(k, k)
    _name_files(layout, hot_names)
    return layout


def _hot_files(
    layout: Layout, hot_terms: list[str], hashes: dict[str, int], frequency: Counter[str]
) -> dict[int, str]:
    """Number the hot terms' files (one per distinct hash: a collision shares); their names."""
    names: dict[int, str] = {}
    number_of: dict[int, int] = {}
    members: defaultdict[int, list[str]] = defaultdict(list)
    for term in sorted(hot_terms, key=hashes.__getitem__):
        h = hashes[term]
        if h not in number_of:
            number_of[h] = layout.hot_base + len(number_of) * PART_KEYS
            names[number_of[h]] = f"h{base36(h, 7)}"
        k = layout.hot_of[term] = number_of[h]
        layout.weights[k] += frequency[term]
        members[k].append(term)
    excluded: defaultdict[int, list[str]] = defaultdict(list)
    for term in hot_terms:
        excluded[hashes[term] % layout.shard_count].append(term)
    for k in range(layout.shard_count):
        layout.extra[k] = " ".join(excluded.get(k, ()))
    for k, terms in members.items():
        layout.extra[k] = " ".join(terms)
    return names


def _part_number(layout: Layout, k: int, part: int) -> int:
    if k >= layout.hot_base:
        return k + part
    return layout.shard_count + k * PART_KEYS + part


def _name_files(layout: Layout, hot_names: dict[int, str]) -> None:
    """Every file to write: whole buckets and hot files, then the parts of split ones."""
    for k in range(layout.shard_count):
        if k not in layout.parts:
            layout.names[k] = f"{k}"
    for k, name in hot_names.items():
        if k not in layout.parts:
            layout.names[k] = name
    for k, count in layout.parts.items():
        for part in range(count):
            number = _part_number(layout, k, part)
            name = hot_names.get(k, str(k))
            layout.names[number] = f"{name}-{part}"
            layout.of_parts[number] = count
            layout.weights[number] = layout.weights[k] // count
            layout.extra[number] = layout.extra[k]


def pass_groups(needed: list[int], weights: Counter[int], passes: int) -> list[list[int]]:
    """Split ``needed`` files into ``passes`` groups of about equal postings (one pass over
    the documents writes a group: it bounds the memory of a pass)."""
    if not needed:
        return []
    per = (sum(weights[k] for k in needed) or 1) / max(passes, 1)
    groups: list[list[int]] = [[]]
    size = 0
    for k in needed:
        if groups[-1] and size + weights[k] > per:
            groups.append([])
            size = 0
        groups[-1].append(k)
        size += weights[k]
    return groups
