"""Operator decisions on quarantined entries: a YAML file beside the store, and the store itself.

An operator reviews what the screen held back (``tongxin quarantine list``) and either releases
an entry (it is published although it matched a rule) or rejects it (never published, even when
the feed sends it again). Decisions can be made two ways, which stay in step:

- edit ``quarantine.yaml`` beside the SQLite store — reviewable, diffable, kept in the same
  backup as the store::

      https://branch.example/news/foo/:
        decision: release
        note: 区里的正常通知，误报
      https://branch.example/news/bar/: reject      # short form

- or run ``tongxin quarantine release ID`` / ``reject ID``, which records the decision in the
  store and writes it into the same file.

The store remembers every decision (``store.decide``); :func:`apply_decisions_file` copies the
file into the store and is idempotent, so it is run by the command and at the start of every
federate run. Removing a line from the file does not undo a decision: change it instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import yaml

from tongxin.i18n import translate
from tongxin.problems import Problem
from tongxin.yamlsrc import YamlSyntaxError, load_yaml

from . import heldchanges
from .model import Entry

DECISIONS_FILE = "quarantine.yaml"
DECISIONS = ("release", "reject")

_HEADER = (
    "# Quarantine decisions (tongxin quarantine): entry id -> {decision: release|reject, note}.\n"
    "# 隔离区决定：条目编号 -> {decision: release（放行）| reject（拒绝）, note: 备注}\n"
)


class DecisionStore(Protocol):
    """What this module needs from :class:`federation.store.Store`."""

    path: Path

    def decide(self, entry_id: str, decision: str, note: str = "") -> None: ...
    def decisions(self) -> dict[str, tuple[str, str]]: ...
    def quarantined(self) -> list[Entry]: ...
    def entries(self, *, include_quarantined: bool = False) -> list[Entry]: ...
    def get_meta(self, key: str, default: str | None = None) -> str | None: ...
    def set_meta(self, key: str, value: str) -> None: ...


@dataclass(frozen=True)
class Decision:
    entry_id: str
    decision: str
    note: str = ""


class DecisionsFileError(ValueError):
    """``quarantine.yaml`` cannot be used; ``problems`` say where and why."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def decisions_path(db_path: Path | str) -> Path:
    """``quarantine.yaml`` in the store's folder."""
    return Path(db_path).resolve().parent / DECISIONS_FILE


def read_decisions(path: Path, *, language: str = "zh-CN") -> list[Decision]:
    """The decisions in ``path`` (none when it does not exist); every problem is reported."""
    if not path.exists():
        return []
    shown = str(path)
    try:
        doc = load_yaml(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        message = translate(language, "screen.quarantine.file_invalid", path=shown, error=error)
        raise DecisionsFileError([Problem(shown, 1, message)]) from error
    except YamlSyntaxError as error:
        message = translate(
            language, "screen.quarantine.file_invalid", path=shown, error=error.detail
        )
        raise DecisionsFileError([Problem(shown, error.line, message)]) from error
    data = doc.data
    if data is None:
        return []
    if not isinstance(data, dict):
        message = translate(
            language, "screen.quarantine.file_invalid", path=shown, error=type(data).__name__
        )
        raise DecisionsFileError([Problem(shown, 1, message)])
    decisions: list[Decision] = []
    problems: list[Problem] = []
    for entry_id, value in data.items():
        decision, note = _decision_of(value)
        if decision not in DECISIONS:
            message = translate(
                language,
                "screen.quarantine.file_entry_invalid",
                path=shown,
                id=entry_id,
                found=repr(value),
            )
            problems.append(Problem(shown, doc.line_of((entry_id,)), message))
            continue
        decisions.append(Decision(str(entry_id), decision, note))
    if problems:
        raise DecisionsFileError(problems)
    return decisions


def _decision_of(value: Any) -> tuple[str | None, str]:
    if isinstance(value, str):
        return value.strip().lower(), ""
    if isinstance(value, dict):
        decision = value.get("decision")
        note = value.get("note")
        if isinstance(decision, str) and set(value) <= {"decision", "note"}:
            return decision.strip().lower(), "" if note is None else str(note)
    return None, ""


def apply_decisions_file(
    store: DecisionStore, path: Path | None = None, *, language: str = "zh-CN"
) -> int:
    """Record every decision of ``quarantine.yaml`` in the store; returns how many changed.

    Idempotent (``store.decide`` ignores a decision it already holds), so it is safe to run at
    the start of every federate run. An unknown entry id is kept too: the entry may arrive later.
    """
    path = path or decisions_path(store.path)
    known = store.decisions()
    changed = 0
    items = read_decisions(path, language=language)
    keys = _store_keys(store) if items else {}
    for item in items:
        for key in keys.get(item.entry_id) or [item.entry_id]:
            if store.get_meta(_LAPSED + key):
                continue  # made on content the branch has since changed (lapse_changed)
            if known.get(key) != (item.decision, item.note):
                # A held change to a published entry takes the decision, if there is one.
                if not heldchanges.decide(store, key, item.decision, item.note):
                    store.decide(key, item.decision, item.note)
                changed += 1
    return changed


_LAPSED = heldchanges.LAPSED


def lapse_changed(store: Any, rows: Any) -> list[str]:
    """Forget the decisions whose entry arrives with new content (``rows``: entry rows about
    to be stored); returns their ids.

    A decision holds for the content it was made on: a released entry that is later edited
    (hacked) is screened again and held if it trips a rule; a rejected entry whose branch
    restores a clean version shows again. The lapsed id's line in ``quarantine.yaml`` is then
    ignored until the operator decides on the new content.
    """
    from .entryrows import ROW_COLUMNS

    if not rows:
        return []
    decided = store.decisions()
    ids = [row[0] for row in rows if row[0] in decided]
    if not ids:
        return []
    at = ROW_COLUMNS.index("content_hash")
    incoming = {row[0]: row[at] for row in rows}
    marks = ",".join("?" * len(ids))
    stored = dict(store.db.execute(
        f"SELECT entry_id, content_hash FROM entries WHERE entry_id IN ({marks})", ids
    ).fetchall())  # fmt: skip
    lapsed = [i for i in ids if i in stored and stored[i] != incoming[i]]
    if lapsed:
        with store._transaction():
            for entry_id in lapsed:
                store.db.execute("DELETE FROM decisions WHERE entry_id = ?", (entry_id,))
                store._set_meta(_LAPSED + entry_id, incoming[entry_id])
            store._bump()
    return lapsed


def _store_keys(store: DecisionStore) -> dict[str, list[str]]:
    """Every name an operator may give an entry (its store key ``<branch> <feed id>``, or the
    feed's own id, which may name one entry of several branches) → the store keys."""
    keys: dict[str, list[str]] = {}
    for entry in store.entries(include_quarantined=True):
        keys.setdefault(entry.entry_id, []).append(entry.entry_id)
        if entry.feed_id and entry.feed_id != entry.entry_id:
            keys.setdefault(entry.feed_id, []).append(entry.entry_id)
    return keys


def record_decision(
    store: DecisionStore,
    entry_id: str,
    decision: str,
    note: str = "",
    *,
    path: Path | None = None,
) -> None:
    """Decide in the store and write the decision into ``quarantine.yaml`` (kept in step)."""
    if decision not in DECISIONS:
        raise ValueError(decision)
    path = path or decisions_path(store.path)
    for key in _store_keys(store).get(entry_id) or [entry_id]:
        if heldchanges.decide(store, key, decision, note):
            continue  # a decision on the held change to a published entry
        store.set_meta(_LAPSED + key, "")  # a decision on the content as it is now
        store.decide(key, decision, note)
    existing: dict[str, Any] = {}
    if path.exists():
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
        existing = loaded if isinstance(loaded, dict) else {}
    item: dict[str, str] = {"decision": decision}
    if note:
        item["note"] = note
    if entry_id in existing:
        # Rewrite (comments are lost, the decisions are not): the id already has a line.
        existing[entry_id] = item
        text = _HEADER + yaml.safe_dump(existing, allow_unicode=True, sort_keys=False, width=100)
    else:
        # Append, so the operator's own comments and order stay as written.
        text = path.read_text(encoding="utf-8") if path.exists() else _HEADER
        if text and not text.endswith("\n"):
            text += "\n"
        text += yaml.safe_dump({entry_id: item}, allow_unicode=True, sort_keys=False, width=100)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)  # atomic: a crash never leaves half a decisions file


def find_entry(store: DecisionStore, entry_id: str) -> Entry | None:
    """The stored entry with ``entry_id`` (its store key, or the feed's own id), quarantined
    or not, if any."""
    for entry in store.entries(include_quarantined=True):
        if entry_id in (entry.entry_id, entry.feed_id):
            return entry
    return None
