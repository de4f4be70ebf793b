"""Document refs: the key of an entry in every posting and meta block.

A ref is six base-36 digits: three of the day of the entry's date (since 1970; 0 when
undated) and three of a hash of its id whose value mod :data:`PART_KEYS` is a hash of its
branch. The browser reads ``n = parseInt(ref, 36)``: a bigger ``n`` is a later day (newest
first is a sort by ``n``), a year filter is a range of ``n``, a meta block is ``n // width``
and an entry's part of a split term is ``n % parts``.

Entries of one day whose hashes collide share the six digits; in order of id the first keeps
them and the others add ``.1``, ``.2``… (``parseInt`` stops at the dot, so they share ``n``).
There is no capacity: any number of entries fit on one day, dated or not. A ref depends only
on the entries of its six digits, so adding an entry never renumbers the others unless it
collides with them (the delta recomputes exactly those).
"""

from __future__ import annotations

import functools
import hashlib
import math
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from tongxin.tokenizer import term_hash

DISC = 36**3  # the three digits of day, then the three of the id's hash
#: A split term's parts are chosen by ``n % parts``: the branch key in a ref's low bits.
PART_KEYS = 32  # divides DISC
REF_BASE = 6  # characters of a ref before its collision suffix
_EPOCH = date(1970, 1, 1).toordinal()
_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


def day_number(when: str) -> int:
    """Days since 1970-01-01 of an ISO date (0 when undated or unreadable; past 2097, the
    last day: such dates share it, which costs nothing but order)."""
    try:
        day = date.fromisoformat(when[:10]).toordinal() - _EPOCH
    except ValueError:
        return 0
    return min(max(day, 0), DISC - 1)


def base36(number: int, width: int = 0) -> str:
    """``number`` in base 36, left-padded with zeros to ``width`` digits."""
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = _DIGITS[rest] + out
        if not number:
            return out.rjust(width, "0")


@functools.cache
def part_key(group: str) -> int:
    """The low bits of a ref: its branch's hash (a hot term splits by branch)."""
    return term_hash(group) % PART_KEYS


def _id_hash(doc_id: str) -> int:
    # only Python reads it (the browser never recomputes a ref): blake2b is C speed
    digest = hashlib.blake2b(doc_id.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def base_ref(day: int, doc_id: str, key: int) -> str:
    """The six digits of a document's ref: its day, then a hash of its id whose value mod
    :data:`PART_KEYS` is ``key``."""
    disc = _id_hash(doc_id) % (DISC // PART_KEYS) * PART_KEYS + key
    return base36(day, 3) + base36(disc, 3)


def ref_number(ref: str) -> int:
    """A ref's ``n``, as the browser's ``parseInt(ref, 36)`` reads it (the suffix aside)."""
    return int(ref[:REF_BASE], 36)


def assign_refs(
    days: Sequence[int], ids: Sequence[str], groups: Sequence[str] | None = None
) -> list[str]:
    """The ref of each document, from its day, its id and its group (branch)."""
    keys = [part_key(g) for g in groups] if groups is not None else [part_key("")] * len(ids)
    by_base: dict[str, list[tuple[str, int]]] = {}
    for i, (day, doc_id) in enumerate(zip(days, ids, strict=True)):
        by_base.setdefault(base_ref(day, doc_id, keys[i]), []).append((doc_id, i))
    refs = [""] * len(days)
    for base, members in by_base.items():
        for i, ref in settle(base, members):
            refs[i] = ref
    return refs


def settle(base: str, members: Iterable[tuple[str, Any]]) -> Iterable[tuple[Any, str]]:
    """The refs of the documents of one base, given as (id, tag): (tag, ref) each."""
    for number, (_doc_id, tag) in enumerate(sorted(members)):
        yield tag, base if number == 0 else f"{base}.{base36(number)}"


def year_ranges(keys: Iterable[str]) -> dict[str, list[int]]:
    """The manifest's ``years``: each year's range of ``n``, newest first."""
    years: dict[str, list[int]] = {}
    for key in sorted({k for k in keys if k.isdigit()}, reverse=True):
        year = int(key)
        first = day_number(f"{key}-01-01")
        last = day_number(f"{year + 1:04d}-01-01") - 1 if year < 2097 else DISC - 1
        years[key] = [first * DISC, last * DISC + DISC - 1]
    return years


def meta_width(numbers: Sequence[int], target: int) -> int:
    """A power of two W such that a meta block ``n // W`` holds about ``target`` documents
    (dates: a new entry touches one block)."""
    dated = [n for n in numbers if n >= DISC] or [0]
    span = (max(dated) // DISC - min(dated) // DISC + 1) * DISC
    if not numbers:
        return DISC
    ideal = target * span / len(numbers)
    return 1 << max(0, round(math.log2(max(ideal, 1))))
