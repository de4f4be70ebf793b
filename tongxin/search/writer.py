"""Writing an index's files: shards (a group of them per pass over the documents) and meta
blocks (display rows keyed by ref, a block per range of ``n``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .format import Prepared, Route, ShardWriter
from .model import FIELDS, encode, write_atomic


@dataclass
class ShardJob:
    """What the shard writer needs for one build."""

    refs: list[str]
    keys: list[int]  # part key per document
    fields: list[tuple[Prepared, Prepared, Prepared]]  # title, text, filter terms
    shard_of: Mapping[str, Route]
    #: file -> documents in it (None: scan every document)
    members: Mapping[int, list[int]] | None
    targets: Mapping[int, Path]  # file -> where to write it

    def write_group(self, group: Sequence[int]) -> int:
        """Write the files of ``group`` in one pass over their documents; bytes written."""
        writer = ShardWriter(FIELDS, group)
        narrow = _Narrower(self.shard_of, set(group))
        for i in self._order(group):
            key = self.keys[i]
            fields = [narrow(prepared, key) for prepared in self.fields[i]]
            if fields[0] or fields[1] or fields[2]:
                writer.add(self.refs[i], fields, self.shard_of, key)
        written = 0
        for k in group:
            data = writer.serialise(k).encode("utf-8")
            write_atomic(self.targets[k], data)
            written += len(data)
        return written

    def _order(self, group: Sequence[int]) -> Iterable[int]:
        if self.members is None:
            return range(len(self.refs))
        return sorted(set().union(*(self.members[k] for k in group)))


class _Narrower:
    """A field's terms narrowed to the files being written, once per (text, key) seen twice:
    a text shared by thousands of entries (boilerplate, filter terms) is not walked term by
    term for each of them when only a few files are built."""

    _ONCE: Any = object()

    def __init__(self, shard_of: Mapping[str, Route], wanted: set[int]) -> None:
        self.shard_of, self.wanted = shard_of, wanted
        self.seen: dict[tuple[int, int], Any] = {}

    def __call__(self, prepared: Prepared, key: int) -> Prepared | tuple[()]:
        slot = (id(prepared), key)
        found = self.seen.get(slot)
        if found is None:  # a text of one entry so far: the writer skips its other terms
            self.seen[slot] = self._ONCE
            return prepared
        if found is self._ONCE:
            found = self.seen[slot] = self._narrow(prepared, key)
        return found  # type: ignore[no-any-return]

    def _narrow(self, prepared: Prepared, key: int) -> Prepared | tuple[()]:
        terms, texts = prepared
        keep = []
        for j, term in enumerate(terms):
            k = self.shard_of[term]
            if (k if isinstance(k, int) else k[key]) in self.wanted:
                keep.append(j)
        if len(keep) == len(terms):
            return prepared
        if not keep:
            return ()
        return [terms[j] for j in keep], [texts[j] for j in keep]


def write_meta(target: Path, rows: Mapping[str, list[str]]) -> None:
    write_atomic(target, encode(dict(rows)))
