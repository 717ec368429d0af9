"""Ordered, named migrations, each recorded in ``migrations`` once applied.

A migration is a function taking a connection; ``MIGRATIONS`` lists them in order. Each runs
in its own ``BEGIN IMMEDIATE`` transaction and is re-checked inside it, so concurrent
processes never apply one twice. Never edit a released migration: add a new one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from ..vocab import utc_stamp

Migration = Callable[[sqlite3.Connection], None]


def script(conn: sqlite3.Connection, sql: str) -> None:
    """Run each statement of ``sql`` inside the current transaction.

    (``executescript`` would commit first, breaking the one-transaction-per-migration rule.)
    """
    for statement in _split(sql):
        conn.execute(statement)


def m001_core(conn: sqlite3.Connection) -> None:
    script(conn, """
    CREATE TABLE sessions (
        session_id      TEXT PRIMARY KEY,
        project         TEXT NOT NULL,
        project_root    TEXT,
        cwd             TEXT,
        transcript_path TEXT,
        started_at      TEXT NOT NULL,
        last_event_at   TEXT NOT NULL,
        ended_at        TEXT,
        end_reason      TEXT,
        prompt_count    INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX sessions_project ON sessions(project, last_event_at);

    CREATE TABLE prompts (
        id            INTEGER PRIMARY KEY,
        session_id    TEXT NOT NULL REFERENCES sessions(session_id) ON DELETE CASCADE,
        prompt_id     TEXT NOT NULL,
        prompt_number INTEGER NOT NULL,
        project       TEXT NOT NULL,
        text          TEXT NOT NULL,
        private       INTEGER NOT NULL DEFAULT 0,
        created_at    TEXT NOT NULL,
        UNIQUE (session_id, prompt_id)
    );

    CREATE TABLE events (
        id              INTEGER PRIMARY KEY,
        event_key       TEXT NOT NULL UNIQUE,
        session_id      TEXT NOT NULL,
        project         TEXT NOT NULL,
        kind            TEXT NOT NULL CHECK (kind IN
                          ('session_start', 'prompt', 'tool', 'tool_failure', 'stop', 'session_end')),
        tool_name       TEXT,
        tool_use_id     TEXT,
        prompt_id       TEXT,
        prompt_number   INTEGER,
        agent_id        TEXT,
        agent_type      TEXT,
        private         INTEGER NOT NULL DEFAULT 0,
        body            TEXT NOT NULL,
        created_at      TEXT NOT NULL,
        ingested_at     TEXT NOT NULL,
        state           TEXT NOT NULL DEFAULT 'pending' CHECK (state IN
                          ('pending', 'processing', 'done', 'failed', 'dead', 'skipped')),
        attempts        INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT,
        last_error      TEXT
    );
    CREATE INDEX events_state ON events(state, session_id, id);
    CREATE INDEX events_session ON events(session_id, id);

    CREATE TABLE observations (
        id               INTEGER PRIMARY KEY,
        session_id       TEXT NOT NULL,
        project          TEXT NOT NULL,
        prompt_number    INTEGER,
        type             TEXT NOT NULL CHECK (type IN
                           ('bugfix', 'feature', 'refactor', 'discovery', 'decision', 'change')),
        title            TEXT NOT NULL,
        subtitle         TEXT NOT NULL DEFAULT '',
        facts            TEXT NOT NULL DEFAULT '[]',
        narrative        TEXT NOT NULL DEFAULT '',
        concepts         TEXT NOT NULL DEFAULT '[]',
        files_read       TEXT NOT NULL DEFAULT '[]',
        files_modified   TEXT NOT NULL DEFAULT '[]',
        source_event_ids TEXT NOT NULL DEFAULT '[]',
        batch_key        TEXT,
        input_tokens     INTEGER NOT NULL DEFAULT 0,
        output_tokens    INTEGER NOT NULL DEFAULT 0,
        created_at       TEXT NOT NULL
    );
    CREATE INDEX observations_project ON observations(project, created_at);
    CREATE INDEX observations_session ON observations(session_id, id);
    CREATE INDEX observations_batch ON observations(batch_key);

    CREATE TABLE summaries (
        id            INTEGER PRIMARY KEY,
        session_id    TEXT NOT NULL UNIQUE,
        project       TEXT NOT NULL,
        prompt_number INTEGER,
        request       TEXT NOT NULL DEFAULT '',
        investigated  TEXT NOT NULL DEFAULT '',
        learned       TEXT NOT NULL DEFAULT '',
        completed     TEXT NOT NULL DEFAULT '',
        next_steps    TEXT NOT NULL DEFAULT '',
        notes         TEXT NOT NULL DEFAULT '',
        input_tokens  INTEGER NOT NULL DEFAULT 0,
        output_tokens INTEGER NOT NULL DEFAULT 0,
        created_at    TEXT NOT NULL,
        updated_at    TEXT NOT NULL
    );
    CREATE INDEX summaries_project ON summaries(project, updated_at);

    CREATE TABLE provider_calls (
        id                  INTEGER PRIMARY KEY,
        session_id          TEXT,
        provider            TEXT NOT NULL,
        model               TEXT NOT NULL,
        purpose             TEXT NOT NULL DEFAULT 'observe',
        status              TEXT NOT NULL CHECK (status IN ('ok', 'error')),
        error               TEXT,
        input_tokens        INTEGER NOT NULL DEFAULT 0,
        output_tokens       INTEGER NOT NULL DEFAULT 0,
        cache_read_tokens   INTEGER NOT NULL DEFAULT 0,
        cache_write_tokens  INTEGER NOT NULL DEFAULT 0,
        total_tokens        INTEGER NOT NULL DEFAULT 0,
        cost_usd            REAL NOT NULL DEFAULT 0,
        messages_in_context INTEGER NOT NULL DEFAULT 0,
        duration_ms         INTEGER NOT NULL DEFAULT 0,
        created_at          TEXT NOT NULL
    );
    CREATE INDEX provider_calls_day ON provider_calls(created_at);
    CREATE INDEX provider_calls_session ON provider_calls(session_id);

    CREATE TABLE queue_state (
        name  TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    """)


def fts_sql(table: str, columns: tuple[str, ...]) -> str:
    """An external-content FTS5 table over ``table`` and the triggers keeping it in sync."""
    cols = ", ".join(columns)
    new = ", ".join(f"new.{c}" for c in columns)
    old = ", ".join(f"old.{c}" for c in columns)
    fts = f"{table}_fts"
    return f"""
    CREATE VIRTUAL TABLE {fts} USING fts5({cols}, content='{table}', content_rowid='id',
                                          tokenize='unicode61 remove_diacritics 2');
    CREATE TRIGGER {table}_ai AFTER INSERT ON {table} BEGIN
        INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {new});
    END;
    CREATE TRIGGER {table}_ad AFTER DELETE ON {table} BEGIN
        INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.id, {old});
    END;
    CREATE TRIGGER {table}_au AFTER UPDATE ON {table} BEGIN
        INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.id, {old});
        INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {new});
    END;
    """


def m002_fts(conn: sqlite3.Connection) -> None:
    script(conn,
        fts_sql("observations", ("title", "subtitle", "narrative", "facts", "concepts",
                                 "files_read", "files_modified"))
        + fts_sql("summaries", ("request", "investigated", "learned", "completed",
                                "next_steps", "notes"))
        + fts_sql("prompts", ("text",))
    )


def m003_conversations(conn: sqlite3.Connection) -> None:
    """The provider conversation kept per Claude Code session, and why extraction waits."""
    script(conn, """
    CREATE TABLE turns (
        id          INTEGER PRIMARY KEY,
        session_id  TEXT NOT NULL,
        seq         INTEGER NOT NULL,
        role        TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
        content     TEXT NOT NULL,
        digest      TEXT,
        event_ids   TEXT NOT NULL DEFAULT '[]',
        provider    TEXT,
        model       TEXT,
        created_at  TEXT NOT NULL,
        UNIQUE (session_id, seq)
    );
    CREATE TABLE pauses (
        scope       TEXT PRIMARY KEY,
        reason      TEXT NOT NULL,
        setting     TEXT,
        fingerprint TEXT NOT NULL DEFAULT '',
        created_at  TEXT NOT NULL
    );
    CREATE INDEX events_retry ON events(state, next_attempt_at);
    ALTER TABLE summaries ADD COLUMN last_event_id INTEGER;
    """)


def m004_index_state(conn: sqlite3.Connection) -> None:
    """Which observations ("obs") and summaries ("sum") the vector index holds, embedded with
    which model, at which version of the row (observations: created_at; summaries: updated_at)."""
    script(conn, """
    CREATE TABLE index_state (
        kind       TEXT NOT NULL CHECK (kind IN ('obs', 'sum')),
        row_id     INTEGER NOT NULL,
        model_id   TEXT NOT NULL,
        version    TEXT NOT NULL,
        indexed_at TEXT NOT NULL,
        PRIMARY KEY (kind, row_id)
    ) WITHOUT ROWID;
    """)


def m005_flags(conn: sqlite3.Connection) -> None:
    """Observations and summaries that read as instructions to the agent are flagged (a short
    reason; '' for none), kept out of every injection and labelled everywhere else. Existing
    rows are checked now."""
    from .flags import backfill

    script(conn, """
    ALTER TABLE observations ADD COLUMN flagged TEXT NOT NULL DEFAULT '';
    ALTER TABLE summaries ADD COLUMN flagged TEXT NOT NULL DEFAULT '';
    """)
    backfill(conn)


def m005b_tombstones(conn: sqlite3.Connection) -> None:
    """Sessions the user forgot: their events still queued in the spool are dropped at ingest,
    so a forgotten session never comes back."""
    script(conn, """
    CREATE TABLE forgotten_sessions (
        session_id   TEXT PRIMARY KEY,
        forgotten_at TEXT NOT NULL
    ) WITHOUT ROWID;
    """)


def m006_project_identity(conn: sqlite3.Connection) -> None:
    """Projects keyed by a stable id instead of a folder name (see ``store.projects``)."""
    from . import projects

    script(conn, projects.CREATE)
    projects.migrate_legacy(conn)


MIGRATIONS: tuple[tuple[str, Migration], ...] = (
    ("001_core", m001_core),
    ("002_fts", m002_fts),
    ("003_conversations", m003_conversations),
    ("004_index_state", m004_index_state),
    ("005_flags", m005_flags),
    ("005b_tombstones", m005b_tombstones),
    ("006_project_identity", m006_project_identity),
)


def applied(conn: sqlite3.Connection) -> list[str]:
    conn.execute("CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at TEXT)")
    return [row[0] for row in conn.execute("SELECT name FROM migrations ORDER BY rowid")]


def pending(conn: sqlite3.Connection) -> list[str]:
    done = set(applied(conn))
    return [name for name, _ in MIGRATIONS if name not in done]


def migrate(conn: sqlite3.Connection) -> list[str]:
    """Apply every pending migration in order; returns the names applied now."""
    names = []
    for name, step in MIGRATIONS:
        if name in set(applied(conn)):
            continue
        if _apply(conn, name, step):
            names.append(name)
    return names


def _apply(conn: sqlite3.Connection, name: str, step: Migration) -> bool:
    conn.execute("BEGIN IMMEDIATE")
    try:
        if conn.execute("SELECT 1 FROM migrations WHERE name = ?", (name,)).fetchone():
            conn.execute("ROLLBACK")
            return False  # another process got there first
        step(conn)
        stamp = utc_stamp()
        conn.execute("INSERT INTO migrations (name, applied_at) VALUES (?, ?)", (name, stamp))
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return True


def _split(sql: str) -> list[str]:
    """Split a script into complete statements (trigger bodies hold semicolons)."""
    statements, buffer = [], ""
    for line in sql.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements
