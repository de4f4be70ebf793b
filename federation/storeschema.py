"""The store's SQLite schema, its migrations from every earlier version, and its
transactions."""

from __future__ import annotations

import sqlite3
from pathlib import Path

SCHEMA_VERSION = 8

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS branch_state (
    branch_id TEXT PRIMARY KEY,
    registry_feed TEXT,
    feed_url TEXT,
    etag TEXT,
    last_modified TEXT,
    http_status INTEGER,
    status TEXT,
    error TEXT,
    last_attempt TEXT,
    last_success TEXT,
    last_entry TEXT,
    retry_not_before TEXT,
    content_hash TEXT,
    reading_note TEXT
);
CREATE TABLE IF NOT EXISTS entries (
    entry_id TEXT PRIMARY KEY,
    branch_id TEXT NOT NULL,
    origin_branch_id TEXT NOT NULL,
    origin_branch_name TEXT NOT NULL DEFAULT '',
    origin_branch_url TEXT NOT NULL DEFAULT '',
    origin_feed_url TEXT NOT NULL DEFAULT '',
    url TEXT NOT NULL,
    title TEXT NOT NULL,
    summary_html TEXT NOT NULL DEFAULT '',
    content_html TEXT NOT NULL DEFAULT '',
    published TEXT,
    updated TEXT,
    type TEXT NOT NULL DEFAULT 'news',
    tags TEXT NOT NULL DEFAULT '[]',
    author TEXT NOT NULL DEFAULT '',
    pinned INTEGER NOT NULL DEFAULT 0,
    expires TEXT,
    quarantine_reason TEXT,
    quarantine_rule TEXT,
    content_hash TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    feed_id TEXT NOT NULL DEFAULT '',
    attachments TEXT NOT NULL DEFAULT '[]',
    language TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS entries_branch ON entries (branch_id, published);
CREATE INDEX IF NOT EXISTS entries_held ON entries (published) WHERE quarantine_reason IS NOT NULL;
CREATE INDEX IF NOT EXISTS entries_undated ON entries (branch_id, first_seen)
    WHERE published IS NULL;
CREATE TABLE IF NOT EXISTS decisions (
    entry_id TEXT PRIMARY KEY,
    decision TEXT NOT NULL CHECK (decision IN ('release', 'reject')),
    note TEXT NOT NULL DEFAULT '',
    decided_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS held_changes (
    entry_id TEXT PRIMARY KEY,
    branch_id TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    published TEXT,
    row TEXT NOT NULL,
    quarantine_rule TEXT,
    decision TEXT CHECK (decision IS NULL OR decision = 'reject'),
    note TEXT NOT NULL DEFAULT ''
);
"""

# Schema 2 dropped two indexes nothing read through (origin, published): every insert paid for
# them, and each per-branch commit rewrote their scattered pages into the WAL. The render
# reads all entries at once and sorts them in memory faster than walking an index.
# Schema 4 adds a partial index of held entries: the health page counts them on every change
# of the store, and without it that was a scan of every row (0.18 s at 50,000 entries).
# Schema 6 adds held_changes: a published entry's held new version (federation/heldchanges.py).
# Schema 7 keeps what reading the stored body noted (a repaired feed, repeated ids) apart
# from the run's status, so the health page still shows it on the runs that answer 304.
# Schema 8 adds a partial index of undated entries: the health page lists them on every run,
# and without it that was a scan of every row (93 ms at 50,000 entries, in a run of 2 s with
# nothing new); dated entries, nearly all of them, never touch it.
# Schema 3 keeps the rule a held entry tripped apart from the reason's evidence (the public
# health page names the rule and must never quote the evidence).
_MIGRATIONS = {
    1: "DROP INDEX IF EXISTS entries_origin; DROP INDEX IF EXISTS entries_published;",
    2: "ALTER TABLE entries ADD COLUMN quarantine_rule TEXT;",
    # Schema 5 keys entries by branch: ``<branch id> <feed id>`` (federation.scope), keeps the
    # feed's own id in ``feed_id``, and stores attachments. Every stored entry was fetched
    # through ``branch_id``, so that is its scope (a registry flags lower portals only from
    # this version on); decisions follow their entry to its new key.
    4: "ALTER TABLE entries ADD COLUMN feed_id TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE entries ADD COLUMN attachments TEXT NOT NULL DEFAULT '[]';"
    "ALTER TABLE entries ADD COLUMN language TEXT NOT NULL DEFAULT '';"
    "UPDATE decisions SET entry_id = (SELECT e.branch_id || ' ' || e.entry_id FROM entries e "
    "WHERE e.entry_id = decisions.entry_id) WHERE entry_id IN (SELECT entry_id FROM entries);"
    "UPDATE entries SET feed_id = entry_id, entry_id = branch_id || ' ' || entry_id;",
    6: "ALTER TABLE branch_state ADD COLUMN reading_note TEXT;",
}


#: The writer's autocheckpoint, in pages: 64 MB of WAL (a cold run writes ~160 MB in 1,000
#: small transactions; SQLite's default, 4 MB, checkpoints and fsyncs forty times as often).
_WAL_PAGES = 16384


def connect(path: Path, *, read_only: bool = False) -> sqlite3.Connection:
    """A connection to the store at ``path`` (WAL: readers run beside the one writer)."""
    if read_only:
        uri = f"{path.resolve().as_uri()}?mode=ro"
        db = sqlite3.connect(uri, uri=True, timeout=30, isolation_level=None)
        db.row_factory = sqlite3.Row
        return db
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(str(path), timeout=30, isolation_level=None)
    db.row_factory = sqlite3.Row
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable at checkpoints,
    db.execute("PRAGMA foreign_keys=ON")  # never corrupt, and much faster per commit
    # Checkpoint (and fsync) every 64 MB of WAL, and give the file back once checkpointed.
    db.execute(f"PRAGMA wal_autocheckpoint={_WAL_PAGES}")
    db.execute("PRAGMA journal_size_limit=67108864")
    db.execute("PRAGMA cache_size=-32768")  # 32 MB of pages: the render reads it all
    db.execute("PRAGMA temp_store=MEMORY")
    return db


def migrate(db: sqlite3.Connection, path: Path) -> None:
    """Bring the database at ``path`` (open as ``db``) to :data:`SCHEMA_VERSION`."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise RuntimeError(f"{path}: store schema {version} is newer than this Tongxin")
    if version < SCHEMA_VERSION:
        # executescript commits whatever is pending, so the script carries its own BEGIN.
        steps = (
            "".join(_MIGRATIONS.get(v, "") for v in range(version, SCHEMA_VERSION))
            if version
            else ""
        )
        columns = {row[1] for row in db.execute("PRAGMA table_info(entries)")}
        if "quarantine_rule" in columns:  # ALTER TABLE has no IF NOT EXISTS
            steps = steps.replace(_MIGRATIONS[2], "")
        if "feed_id" in columns:  # already keyed by branch
            steps = steps.replace(_MIGRATIONS[4], "")
        if "feed_id" in columns and "language" not in columns:
            steps += "ALTER TABLE entries ADD COLUMN language TEXT NOT NULL DEFAULT '';"
        state = {row[1] for row in db.execute("PRAGMA table_info(branch_state)")}
        steps = steps.replace(_MIGRATIONS[6], "")
        if state and "reading_note" not in state:
            steps += _MIGRATIONS[6]
        db.executescript(
            f"BEGIN IMMEDIATE;{_SCHEMA}{steps}PRAGMA user_version={SCHEMA_VERSION};COMMIT;"
        )


class Transaction:
    """``BEGIN IMMEDIATE`` … ``COMMIT`` (or ``ROLLBACK``); nests by doing nothing inside."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        self.outer = False

    def __enter__(self) -> Transaction:
        if not self.db.in_transaction:
            self.db.execute("BEGIN IMMEDIATE")
            self.outer = True
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if not self.outer:
            return
        if exc_type is None:
            self.db.execute("COMMIT")
        else:
            self.db.execute("ROLLBACK")
