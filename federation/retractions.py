"""Entries a branch retracts leave the portal within one run; nothing else does.

A feed is usually capped to its newest items, so an entry missing from today's feed proves
nothing: the store keeps it. A branch says what it withdrew in one of two ways:

- **A Tongxin branch** publishes every entry it still has in ``api/index.json``
  (``plugins/json_api.py``). When its feed changed and was read this run, the portal reads that
  file (the same read as :mod:`.backdating`, through the address guard). If the file is usable
  and *complete* (every entry of the feed just read is listed in it: a half-written, stale or
  cut file fails this), each stored entry of that branch's scope it does not list is retracted.
  A lower portal (``portal: true``) is read the same way: its api names each entry's original
  branch, mapped to a scope as its Atom ``<source>`` is (:mod:`.scope`), and every entry
  fetched through it that it no longer lists is retracted, so a retraction climbs the levels.
- **Any other CMS** can write RFC 6721 tombstones in its Atom feed,
  ``<at:deleted-entry ref="ENTRY ID" when="…"/>`` (namespace :data:`TOMBSTONE_NS`). A tombstone
  retracts only the entry of that id in the fetching branch's own scope (it can never name
  another branch's entry) and is ignored while the same feed still carries the entry.

A failed fetch, a 304, an unreadable api file, or a feed that merely drops old items retracts
nothing. Retracted entries are deleted from the store (with any held change), the store's
generation is bumped, and the run's render and search delta publish the portal without them.

A retraction of more than ``retract_hold_percent`` (registry, default 50) of a branch's stored
entries in one run (a hacked branch emptying its api) is not applied: it waits in the store's
``meta`` (``retract:<branch id>``), the health page notes it, and the operator applies it with
``tongxin retractions confirm BRANCH`` or drops it with ``tongxin retractions dismiss BRANCH``.
A later run computing a retraction within the share replaces it. Health shows each branch's
retracted count (``meta`` ``retracted:<branch id>``).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from lxml import etree

from tongxin.i18n import translate

from .entryrows import iso
from .model import Branch, FetchResult
from .scope import entry_key, feed_id_of, origin_scope

if TYPE_CHECKING:
    from .ingest import Ingested
    from .store import Store

TOMBSTONE_NS = "http://purl.org/atompub/tombstones/1.0"
_DELETED = f"{{{TOMBSTONE_NS}}}deleted-entry"
DEFAULT_HOLD_PERCENT = 50
#: Feed ids are stored cut to this length (federation/entrybuilder.py).
_ID_CHARS = 2048
_MAX_TOMBSTONES = 5000
_PENDING = "retract:"
_COUNT = "retracted:"
_IN_CHUNK = 500


@dataclass
class Pending:
    """A retraction held for the operator: the store keys, when computed, of how many."""

    keys: list[str]
    seen: str
    stored: int
    tombstones: int = 0

    def to_json(self) -> str:
        return json.dumps(self.__dict__, ensure_ascii=False)


@dataclass
class Outcome:
    """What one branch's retraction did this run."""

    retracted: int = 0
    held: Pending | None = None

    def summary(self, language: str | None = None, branch: str = "", db: str = "") -> str:
        """One line for the operator's log, in the portal's language; a held retraction names
        the commands that settle it, for ``branch`` in the store ``db``."""
        if self.held is not None:
            return translate(
                language, "federation.retractions.log_held",
                count=len(self.held.keys), stored=self.held.stored, branch=branch, db=db,
            )  # fmt: skip
        return translate(language, "federation.retractions.log_removed", count=self.retracted)


# ------------------------------------------------------------------ what the branch says


def tombstone_refs(body: bytes | None) -> list[str]:
    """Every RFC 6721 ``deleted-entry`` ``ref`` in an Atom body ([] if none or unreadable)."""
    if not body or TOMBSTONE_NS.encode() not in body:
        return []
    from .parse import secure_parser

    try:
        root = etree.fromstring(body, secure_parser())
    except (etree.XMLSyntaxError, ValueError):
        return []
    refs = []
    for element in root.iter(_DELETED):
        ref = (element.get("ref") or "").strip()
        if ref:
            refs.append(ref[:_ID_CHARS])
        if len(refs) >= _MAX_TOMBSTONES:
            break
    return refs


def listed_keys(document: Any, branch: Branch) -> set[str] | None:
    """The store keys of the entries an api/index.json of ``branch`` lists, or None when it
    is not one (any malformed entry makes the whole file unusable: a retraction is never
    guessed from half a list). A lower portal's entries name their original branch
    (``branch``: its ``id``, ``url``, ``feed_url``), read as its Atom ``<source>`` is."""
    if not isinstance(document, dict) or not isinstance(document.get("entries"), list):
        return None
    keys: set[str] = set()
    for entry in document["entries"]:
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str) or not entry["id"]:
            return None
        origin = _origin(entry.get("branch")) if branch.portal else None
        scope, kept = origin_scope(branch, origin)
        keys.add(entry_key(scope, feed_id_of(entry["id"], kept)[:_ID_CHARS]))
    return keys


def _origin(source: Any) -> dict[str, str] | None:
    """A portal api entry's ``branch`` object as the origin Atom ``<source>`` gives."""
    if not isinstance(source, dict) or not isinstance(source.get("id"), str):
        return None
    fields = {"id": "id", "title": "title", "link": "url", "feed": "feed_url"}
    return {name: str(source.get(key) or "") for name, key in fields.items()}


def complete(listed: set[str] | None, feed_keys: Iterable[str]) -> bool:
    """An api list that holds every entry of the feed just read (a stale, cut or foreign
    file misses some)."""
    return listed is not None and all(key in listed for key in feed_keys)


def consistent(
    branches: Iterable[Branch], ingested: Mapping[str, Ingested], documents: Mapping[str, Any]
) -> dict[str, Any]:
    """The api/index.json documents that list every entry of the feed just read: the only
    ones whose word counts, for retractions and for backdated dates alike (an emptied file
    would otherwise clear a branch's 发布时间存疑 count, and a stale one hold a retraction)."""
    by_id = {b.id: b for b in branches}
    kept = {}
    for branch_id, document in documents.items():
        branch, feed_keys = by_id.get(branch_id), feed_keys_of(ingested.get(branch_id))
        if branch is not None and feed_keys is not None:
            if complete(listed_keys(document, branch), feed_keys):
                kept[branch_id] = document
    return kept


# ------------------------------------------------------------------ the store


def _candidates(db: sqlite3.Connection, branch: Branch) -> tuple[set[str], set[str]]:
    """``(keys in branch's own scope, keys it may retract through its api)``: for a lower
    portal, also every entry fetched through it."""
    prefix = entry_key(branch.id, "")  # "<scope> ": keys from it up to "<scope>!" (an index range)
    own = {
        key
        for (key,) in db.execute(
            "SELECT entry_id FROM entries WHERE entry_id >= ? AND entry_id < ?",
            (prefix, prefix[:-1] + chr(ord(" ") + 1)),
        )
    }
    if not branch.portal:
        return own, own
    through = db.execute("SELECT entry_id FROM entries WHERE branch_id = ?", (branch.id,))
    return own, own | {key for (key,) in through}


def counts_before(
    store: Store, branches: Iterable[Branch], ingested: Mapping[str, Ingested]
) -> dict[str, int]:
    """branch id -> entries it could retract, taken before the store stage: the share a
    retraction is held at is of these, so a hacked branch cannot dilute a mass retraction by
    sending as many new ids."""
    return {b.id: len(_candidates(store.db, b)[1]) for b in branches if b.id in ingested}


def delete(store: Store, keys: list[str], *, seen_before: str | None = None) -> int:
    """Delete ``keys`` (and their held changes) from the store, bumping its generation; with
    ``seen_before``, only entries the branch has not sent again since. Returns how many."""
    gone = 0
    with store._transaction():  # noqa: SLF001 - one transaction with the bump below
        for start in range(0, len(keys), _IN_CHUNK):
            chunk = keys[start : start + _IN_CHUNK]
            marks = ",".join("?" * len(chunk))
            since = " AND last_seen <= ?" if seen_before else ""
            params = [*chunk, seen_before] if seen_before else chunk
            cursor = store.db.execute(
                f"DELETE FROM entries WHERE entry_id IN ({marks}){since}", params
            )
            gone += cursor.rowcount
            store.db.execute(
                f"DELETE FROM held_changes WHERE entry_id IN ({marks}) "
                "AND entry_id NOT IN (SELECT entry_id FROM entries)",
                chunk,
            )
        if gone:
            store._bump()  # noqa: SLF001
    return gone


def _count(store: Store, branch_id: str, more: int) -> None:
    total = int(store.get_meta(_COUNT + branch_id, "0") or 0) + more
    store.set_meta(_COUNT + branch_id, str(total))


def pending(store: Store, branch_id: str) -> Pending | None:
    text = store.get_meta(_PENDING + branch_id)
    if not text:
        return None
    try:
        return Pending(**json.loads(text))
    except (TypeError, ValueError):
        return None


def all_pending(store: Store) -> dict[str, Pending]:
    rows = store.db.execute("SELECT key FROM meta WHERE key LIKE ?", (_PENDING + "%",))
    found = {key[len(_PENDING) :]: pending(store, key[len(_PENDING) :]) for (key,) in rows}
    return {branch: held for branch, held in found.items() if held is not None}


def stored(db: sqlite3.Connection) -> dict[str, dict[str, int]]:
    """branch id -> {"retracted": total so far, "retract_held": entries waiting}."""
    found: dict[str, dict[str, int]] = {}
    for key, value in db.execute(
        "SELECT key, value FROM meta WHERE key LIKE ? OR key LIKE ?",
        (_COUNT + "%", _PENDING + "%"),
    ):
        if not value:
            continue
        if key.startswith(_COUNT):
            found.setdefault(key[len(_COUNT) :], {})["retracted"] = int(value)
            continue
        try:
            held = len(json.loads(value)["keys"])
        except (TypeError, ValueError, KeyError):
            continue
        found.setdefault(key[len(_PENDING) :], {})["retract_held"] = held
    return found


def confirm(store: Store, branch_id: str) -> int | None:
    """The operator applies ``branch_id``'s held retraction now; how many entries left the
    store (the branch sent again since are kept), or None when nothing was held."""
    held = pending(store, branch_id)
    if held is None:
        return None
    gone = delete(store, held.keys, seen_before=held.seen)
    _count(store, branch_id, gone)
    store.set_meta(_PENDING + branch_id, "")
    return gone


def dismiss(store: Store, branch_id: str) -> Pending | None:
    """The operator drops ``branch_id``'s held retraction: its entries stay."""
    held = pending(store, branch_id)
    if held is not None:
        store.set_meta(_PENDING + branch_id, "")
    return held


# ------------------------------------------------------------------ one run


def plan(
    store: Store,
    branch: Branch,
    feed_keys: list[str],
    listed: set[str] | None,
    refs: list[str],
) -> tuple[list[str], int, int]:
    """``(store keys to retract, entries it could retract, of the keys how many by
    tombstone)``."""
    own, candidates = _candidates(store.db, branch)
    live = set(feed_keys)
    keys: set[str] = set()
    if listed is not None:
        keys.update(key for key in candidates if key not in listed)
    named = {entry_key(branch.id, ref) for ref in refs}
    by_tombstone = {key for key in named if key in own and key not in live}
    keys |= by_tombstone
    return sorted(keys), len(candidates), len(by_tombstone)


def retract_branch(
    store: Store,
    branch: Branch,
    feed_keys: list[str],
    listed: set[str] | None,
    refs: list[str],
    *,
    hold_percent: int = DEFAULT_HOLD_PERCENT,
    before: int | None = None,
) -> Outcome:
    """Apply (or hold) what ``branch`` retracted this run (see the module docstring);
    ``before``: what it could retract before this run's entries were stored."""
    keys, candidates, by_tombstone = plan(store, branch, feed_keys, listed, refs)
    before = candidates if before is None else min(before, candidates)
    outcome = Outcome()
    if not keys:
        if pending(store, branch.id) is not None and listed is not None:
            store.set_meta(_PENDING + branch.id, "")  # the branch lists them all again
        return outcome
    if len(keys) * 100 > hold_percent * before:
        # the wall clock, as the store stamps last_seen: confirm keeps what was seen since
        outcome.held = Pending(keys, iso(datetime.now(UTC)) or "", before, by_tombstone)
        store.set_meta(_PENDING + branch.id, outcome.held.to_json())
        return outcome
    outcome.retracted = delete(store, keys)
    _count(store, branch.id, outcome.retracted)
    store.set_meta(_PENDING + branch.id, "")
    return outcome


def feed_keys_of(answer: Ingested | None) -> list[str] | None:
    """The store keys of the entries a branch's body yielded this run (None: not read)."""
    if answer is None or answer.rows is None:
        return None
    return [str(row[0]) for row in answer.rows]


def collect(
    branches: Iterable[Branch],
    store: Store,
    results: Iterable[FetchResult],
    ingested: Mapping[str, Ingested],
    documents: Mapping[str, Any],
    *,
    hold_percent: int = DEFAULT_HOLD_PERCENT,
    before: Mapping[str, int] | None = None,
) -> dict[str, Outcome]:
    """Every branch read this run: its api/index.json (``documents``, by branch id) and its
    feed's tombstones, applied to the store. Only a fetch that succeeded with a new body
    that was read counts."""
    by_id = {b.id: b for b in branches}
    done: dict[str, Outcome] = {}
    for result in results:
        branch = by_id.get(result.branch_id)
        feed_keys = feed_keys_of(ingested.get(result.branch_id))
        if branch is None or feed_keys is None or result.error is not None or not result.body:
            continue
        listed = None
        if branch.id in documents:
            found = listed_keys(documents[branch.id], branch)
            listed = found if complete(found, feed_keys) else None
        refs = tombstone_refs(result.body)
        if listed is None and not refs:
            continue
        done[branch.id] = retract_branch(
            store, branch, feed_keys, listed, refs, hold_percent=hold_percent,
            before=(before or {}).get(branch.id),
        )  # fmt: skip
    return done
