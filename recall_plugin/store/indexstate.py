"""The ``index_state`` table (migration 004): which rows the vector index holds, embedded
with which model, at which version of the row. The only SQL against it; callers own
the transaction.

An entry's ``kind`` names the table of its row (``TABLES``: "obs" observations, "sum"
summaries); its version is the row's value of a version column (created_at, updated_at),
passed in by the index layer that knows which.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

TABLES = {"obs": "observations", "sum": "summaries"}  # kind -> table of its rows
_PENDING = """
SELECT t.id FROM {table} t LEFT JOIN index_state s ON s.kind = ? AND s.row_id = t.id
WHERE s.row_id IS NULL OR s.model_id != ? OR s.version != t.{version} ORDER BY t.id
"""
_GONE = """
SELECT s.row_id FROM index_state s LEFT JOIN {table} t ON t.id = s.row_id
WHERE s.kind = ? AND t.id IS NULL
"""


def pending(conn: sqlite3.Connection, kind: str, table: str, version: str, model_id: str) -> list[int]:
    """Ids of ``table`` rows not embedded, embedded with another model or at an older version."""
    return [int(r[0]) for r in conn.execute(_PENDING.format(table=table, version=version),
                                            (kind, model_id))]


def gone(conn: sqlite3.Connection, kind: str, table: str) -> list[int]:
    """Row ids recorded as embedded whose ``table`` row no longer exists."""
    return [int(r[0]) for r in conn.execute(_GONE.format(table=table), (kind,))]


def entries(conn: sqlite3.Connection) -> set[tuple[str, int]]:
    """Every recorded ``(kind, row id)``."""
    return {(str(kind), int(rowid)) for kind, rowid in conn.execute("SELECT kind, row_id FROM index_state")}


def count(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM index_state").fetchone()[0])


def delete(conn: sqlite3.Connection, keys: Iterable[tuple[str, int]]) -> None:
    """Drop these ``(kind, row id)`` entries."""
    conn.executemany("DELETE FROM index_state WHERE kind = ? AND row_id = ?", list(keys))


def record(conn: sqlite3.Connection, embedded: Iterable[tuple[str, int, str]], model_id: str,
           at: str) -> None:
    """Record ``(kind, row id, version)`` entries as embedded with ``model_id`` at ``at``."""
    conn.executemany("INSERT OR REPLACE INTO index_state (kind, row_id, model_id, version, indexed_at)"
                     " VALUES (?, ?, ?, ?, ?)",
                     [(kind, rowid, model_id, version, at) for kind, rowid, version in embedded])


def drop_of_project(conn: sqlite3.Connection, project: str, session_id: str | None = None) -> None:
    """Drop the entries of the rows of ``project`` (of one session when given): rows about to
    move to another project, to be embedded again with its name."""
    where, args = ("project = ?", [project]) if session_id is None else (
        "session_id = ? AND project = ?", [session_id, project])
    for kind, table in TABLES.items():
        conn.execute(f"DELETE FROM index_state WHERE kind = ? AND row_id IN"
                     f" (SELECT id FROM {table} WHERE {where})", [kind, *args])


def clear(conn: sqlite3.Connection) -> None:
    conn.execute("DELETE FROM index_state")
