"""Roll-up: a portal above lower portals reads their ``health.json`` instead of polling
every branch below them itself.

A branch of the registry is a lower portal when the registry says so (``health:`` the URL
of its health.json) or when its feed is a portal's (``…/feeds/all.atom.xml``) and carries
entries first published by other branches. After the feeds are stored, each lower portal's
health.json is read (15 s, 5 MB at most) and its summary kept in the store, so a run that
cannot reach it still shows the last known figures, with their date.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from .fetch import read_json_documents
from .model import Branch, Registry

FEED_SUFFIX = "feeds/all.atom.xml"
MAX_BYTES = 5 * 1024 * 1024
TIMEOUT = 15.0
_KEY = "rollup:"


def health_url(branch: Branch, relays: set[str]) -> str | None:
    """Where a lower portal publishes its health.json; None for an ordinary branch."""
    given = branch.extra.get("health")
    if given:
        return str(given)
    if (branch.portal or branch.id in relays) and branch.feed.endswith(FEED_SUFFIX):
        return branch.feed[: -len(FEED_SUFFIX)] + "health.json"
    return None


def relaying_branches(db: sqlite3.Connection) -> set[str]:
    """Branches whose feed carries entries first published by others (lower portals)."""
    sql = "SELECT DISTINCT branch_id FROM entries WHERE origin_branch_id != branch_id"
    return {row[0] for row in db.execute(sql)}


def summarise(document: Any) -> dict[str, Any] | None:
    """What the portal above keeps of a lower portal's health.json (None: not one)."""
    if not isinstance(document, dict) or not isinstance(document.get("portal"), dict):
        return None
    portal = document["portal"]
    try:
        direct, at_risk = int(portal["branches"]), int(portal["branches_at_risk"])
        failing = int(portal.get("branches_failing", 0))
        return {
            "generated": str(document.get("generated") or ""),
            "name": str(portal.get("name") or ""),
            "branches": direct,
            "branches_at_risk": at_risk,
            "branches_total": int(portal.get("branches_total", direct)),
            "at_risk_total": int(portal.get("at_risk_total", at_risk)),
            "failing_total": int(portal.get("failing_total", failing)),
        }
    except (KeyError, TypeError, ValueError):
        return None


def collect(registry: Registry, db: sqlite3.Connection, user_agent: str) -> int:
    """Read every lower portal's health.json; keep each summary read in the store. Returns
    how many were read."""
    relays = relaying_branches(db)
    urls = {b.id: u for b in registry.branches if (u := health_url(b, relays))}
    if not urls:
        return 0
    documents = read_json_documents(
        urls,
        allow_networks=registry.allow_networks,
        user_agent=user_agent,
        max_bytes=MAX_BYTES,
        timeout=TIMEOUT,
    )
    answers = {key: summarise(document) for key, document in documents.items()}
    read = {key: value for key, value in answers.items() if value is not None}
    with db:
        db.executemany(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
            [(_KEY + key, json.dumps(value, ensure_ascii=False)) for key, value in read.items()],
        )
    return len(read)


def stored(db: sqlite3.Connection) -> dict[str, dict[str, Any]]:
    """branch id -> the last summary read from that lower portal."""
    rows = db.execute("SELECT key, value FROM meta WHERE key LIKE ?", (_KEY + "%",))
    return {key[len(_KEY) :]: json.loads(value) for key, value in rows}


def totals(rows: Sequence[Any]) -> dict[str, int]:
    """Across the whole tree below this portal: leaf branches, at risk, failing (a lower
    portal counts as the branches below it, an ordinary branch as one)."""
    leaves = at_risk = failing = 0
    for row in rows:
        found = row.inspection or {}
        below = found.get("rollup")
        if below:
            leaves += below["branches_total"]
            at_risk += below["at_risk_total"]
            failing += below["failing_total"]
        else:
            leaves += 1
            at_risk += int(bool(found.get("at_risk")))
            failing += int(bool(found.get("vetoes")))
    return {"branches_total": leaves, "at_risk_total": at_risk, "failing_total": failing}
