"""Migrations and the FTS triggers, on real SQLite files."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from recall_plugin.store import db
from recall_plugin.store.migrations import MIGRATIONS, migrate


def schema(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    return sorted(tuple(r) for r in conn.execute("SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL"))


def test_migrations_from_empty_then_again_change_nothing(tmp_path: Path) -> None:
    conn = db.open_store(str(tmp_path))
    names = [r[0] for r in conn.execute("SELECT name FROM migrations ORDER BY rowid")]
    assert names == [name for name, _ in MIGRATIONS]
    before = schema(conn)
    assert migrate(conn) == []
    conn.close()
    again = db.open_store(str(tmp_path))
    assert schema(again) == before
    assert again.execute("SELECT count(*) FROM migrations").fetchone()[0] == len(MIGRATIONS)
    tables = {r[0] for r in again.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"sessions", "prompts", "events", "observations", "summaries",
            "provider_calls"} <= tables


def test_store_is_wal_and_private(tmp_path: Path) -> None:
    conn = db.open_store(str(tmp_path))
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == db.BUSY_TIMEOUT_MS
    assert (tmp_path / "recall.db").stat().st_mode & 0o077 == 0


def insert_observation(conn: sqlite3.Connection, title: str, narrative: str) -> int:
    with db.write(conn):
        cur = conn.execute(
            "INSERT INTO observations (session_id, project, type, title, narrative, created_at)"
            " VALUES ('s1', 'proj', 'bugfix', ?, ?, '2026-11-21T00:00:00Z')", (title, narrative))
    return int(cur.lastrowid or 0)


def fts_hits(conn: sqlite3.Connection, table: str, query: str) -> list[int]:
    return [r[0] for r in conn.execute(
        f"SELECT rowid FROM {table}_fts WHERE {table}_fts MATCH ?", (query,))]


def test_fts_follows_insert_update_delete(tmp_path: Path) -> None:
    conn = db.open_store(str(tmp_path))
    oid = insert_observation(conn, "Fix flaky retry in uploader", "backoff ignored Retry-After")
    assert fts_hits(conn, "observations", "uploader") == [oid]
    with db.write(conn):
        conn.execute("UPDATE observations SET title = 'Fix retry in downloader' WHERE id = ?",
                     (oid,))
    assert fts_hits(conn, "observations", "uploader") == []
    assert fts_hits(conn, "observations", "downloader") == [oid]
    with db.write(conn):
        conn.execute("DELETE FROM observations WHERE id = ?", (oid,))
    assert fts_hits(conn, "observations", "downloader") == []
    conn.execute("INSERT INTO observations_fts(observations_fts) VALUES ('integrity-check')")


def test_summary_and_prompt_fts(tmp_path: Path) -> None:
    conn = db.open_store(str(tmp_path))
    with db.write(conn):
        conn.execute("INSERT INTO sessions (session_id, project, started_at, last_event_at)"
                     " VALUES ('s1', 'p', 't', 't')")
        conn.execute("INSERT INTO prompts (session_id, prompt_id, prompt_number, project, text,"
                     " created_at) VALUES ('s1', 'p1', 1, 'p', 'migrate the billing schema', 't')")
        conn.execute("INSERT INTO summaries (session_id, project, learned, created_at,"
                     " updated_at) VALUES ('s1', 'p', 'sqlite needs BEGIN IMMEDIATE', 't', 't')")
    assert len(fts_hits(conn, "prompts", "billing")) == 1
    assert len(fts_hits(conn, "summaries", "immediate")) == 1


def test_write_rolls_back_on_error(tmp_path: Path) -> None:
    conn = db.open_store(str(tmp_path))
    try:
        with db.write(conn):
            conn.execute("INSERT INTO queue_state VALUES ('a', 'b')")
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert conn.execute("SELECT count(*) FROM queue_state").fetchone()[0] == 0


def test_concurrent_migrators_apply_each_migration_once(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def open_one(_: int) -> int:
        conn = db.open_store(str(tmp_path))
        conn.close()
        return 0

    with ThreadPoolExecutor(6) as pool:
        list(pool.map(open_one, range(6)))
    conn = db.connect(str(tmp_path / "recall.db"))
    assert conn.execute("SELECT count(*) FROM migrations").fetchone()[0] == len(MIGRATIONS)
