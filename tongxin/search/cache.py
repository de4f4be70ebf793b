"""Reuse between builds (``cache_dir``): the terms of each text, and the built files.

Every shard and meta block is keyed by the (ref, content hash) pairs of the documents in it
and by what else shapes it; a key already in ``cache_dir/files`` is hard-linked (or copied)
into the output instead of being built, and the terms of each distinct text are cached by
content in ``cache_dir/terms.marshal``. The output is byte for byte that of a cold build.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import shutil
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from itertools import chain
from pathlib import Path
from typing import Any

from .format import Prepared, prepare_text
from .model import FORMAT, write_atomic
from .plan import Layout, TextGroups

#: The terms cache's file in a build's ``cache_dir``.
TERMS_FILE = "terms.marshal"


def link_or_copy(source: str | Path, target: str | Path) -> None:
    """Hard-link ``source`` to ``target`` (a copy across file systems)."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


class FileCache:
    """Built files kept by key: a file whose key is cached is linked, not built."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.placed: list[tuple[Path, Path]] = []  # (cache file, output file)
        self.reused = 0
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True)

    def target(self, name: str, output: Path) -> Path | None:
        """Where to build ``output``, cached as ``name``; None: the cache has it."""
        if self.folder is None:
            return output
        cached = self.folder / name
        self.placed.append((cached, output))
        if cached.exists():
            self.reused += 1
            return None
        return cached

    def place(self) -> None:
        """Link every file of this build into the output."""
        for source, target in self.placed:
            link_or_copy(source, target)

    def prune(self) -> None:
        """Drop what this build did not use: a cache of the last build only, never growing."""
        if self.folder is None:
            return
        used = {source.name for source, _ in self.placed}
        for old in self.folder.iterdir():
            if old.name not in used:
                old.unlink(missing_ok=True)


def shard_keys(
    layout: Layout, groups: TextGroups, marks: Sequence[bytes]
) -> tuple[dict[int, str], dict[int, list[list[int]]]]:
    """(file -> cache key, file -> its text groups' documents). ``marks``: each document's
    ``ref:hash;``. A file's key: the digests of its groups, sorted, and what else shapes it
    (a bucket that starts or stops being split leaves the others alone)."""
    digests: defaultdict[int, list[bytes]] = defaultdict(list)
    members_of: defaultdict[int, list[list[int]]] = defaultdict(list)
    fixed_of: dict[int, list[int]] = {}
    split_of: dict[int, list[Sequence[int]]] = {}
    for (pid, key), members in groups.members.items():
        if pid not in fixed_of:
            routes = {layout.shard_of[term] for term in groups.prepared[pid][0]}
            fixed_of[pid] = [r for r in routes if isinstance(r, int)]
            split_of[pid] = [r for r in routes if not isinstance(r, int)]
        files = fixed_of[pid]
        if split_of[pid]:
            files = list({*files, *[route[key] for route in split_of[pid]]})
        digest = hashlib.blake2b(b"".join(map(marks.__getitem__, members)), digest_size=12)
        for k in files:
            digests[k].append(digest.digest())
            members_of[k].append(members)
    salt = f"{FORMAT}|{layout.shard_count}|{''.join(layout.extended)}|"
    keys = {}
    for k, found in digests.items():
        found.sort()
        head = f"{salt}{layout.names[k]}|{layout.of_parts.get(k, 1)}|{layout.extra.get(k, '')}|"
        keys[k] = hashlib.blake2b(head.encode() + b"".join(found), digest_size=12).hexdigest()
    return keys, members_of


def documents_of(lists: list[list[int]]) -> list[int]:
    return lists[0] if len(lists) == 1 else sorted(set(chain.from_iterable(lists)))


def meta_key(head: str, marks: Iterable[bytes]) -> str:
    """A meta block's cache key: its width, excerpt size, number and documents."""
    data = f"{FORMAT}|{head}|".encode() + b"".join(marks)
    return hashlib.blake2b(data, digest_size=12).hexdigest()


class TermsCache:
    """The terms of each distinct text by content: a base file, then the texts added since
    (``…-new``) over it, so that a few new entries do not rewrite a portal's millions of
    postings; everything is folded into a new base once the new texts are many.

    ``analyse_text`` makes a text's terms (default: its tokens); ``label`` names what it
    makes (a file of another label is not read): the trigrams of a set of extended bigrams
    are cached the same way (:mod:`.grams`)."""

    def __init__(
        self,
        path: Path | None,
        analyse_text: Callable[[str], Prepared] = prepare_text,
        label: str = FORMAT,
    ) -> None:
        self.path = path
        self.analyse_text = analyse_text
        self.label = label
        self.known: dict[bytes, Prepared] = {}
        self.fresh: set[bytes] = set()
        self.used: list[bytes] = []
        self.new_texts: set[str] = set()  # tokenized by this run
        if path is not None:
            self.known.update(_load(path, label))
            self.known.update(_load(_new_path(path), label))

    def analyse(self, texts: Iterable[str]) -> dict[str, Prepared]:
        """text -> its terms, from the cache or tokenized now."""
        out: dict[str, Prepared] = {}
        for text in texts:
            if text in out:
                continue
            key = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()
            found = self.known.get(key)
            if found is None:
                found = self.known[key] = self.analyse_text(text)
                self.fresh.add(key)
                self.new_texts.add(text)
            out[text] = found
            self.used.append(key)
        return out

    def save(self) -> None:
        path = self.path
        if path is None or (not self.fresh and path.exists()):
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        keep = dict.fromkeys(self.used)
        earlier = _load(_new_path(path), self.label)
        added = {key: self.known[key] for key in keep if key in self.fresh or key in earlier}
        if path.exists() and len(added) * 8 < len(keep):  # (another label: nothing was known)
            write_atomic(_new_path(path), marshal.dumps({"format": self.label, "texts": added}))
            return
        texts = {key: self.known[key] for key in keep}
        write_atomic(path, marshal.dumps({"format": self.label, "texts": texts}))
        _new_path(path).unlink(missing_ok=True)


def warm_terms(texts: Iterable[str], path: Path) -> None:
    """Tokenize ``texts`` (as they come) into the terms cache at ``path``: a build that
    starts without one (a fresh clone's) has its texts tokenized while its pages are still
    being read, and its index then finds each text there (any other is tokenized then)."""
    terms = TermsCache(path)
    terms.analyse(texts)
    terms.save()


def _new_path(path: Path) -> Path:
    return path.with_name(path.stem + "-new" + path.suffix)


def _load(path: Path, label: str) -> dict[bytes, Prepared]:
    try:
        data: Any = marshal.loads(path.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        return {}
    return data["texts"] if isinstance(data, dict) and data.get("format") == label else {}
