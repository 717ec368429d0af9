"""Forget's row-level SQL, one statement for any of its tables by name (``observations``,
``summaries``, ``prompts``, ``events``, ``turns``, ``sessions``): which rows pass a forget's
selectors, which sessions rows belong to, removing rows by id and checking that they are
gone (from the table and from its full-text index).

``table`` is one of ``TABLES`` (anything else is a ValueError: names are spelled into SQL);
ids go in chunks of ``CHUNK`` per statement.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence

TABLES = ("observations", "summaries", "prompts", "events", "turns", "sessions")
FTS_TABLES = ("observations", "summaries", "prompts")
OPERATORS = ("=", ">=", "<")
COLUMNS = ("session_id", "project", "created_at")
CHUNK = 500

Condition = tuple[str, str, str]  # column, operator, value


def _table(name: str) -> str:
    if name not in TABLES:
        raise ValueError(f"not a table rows knows: {name!r}")
    return name


def _chunks(conn: sqlite3.Connection, sql: str, ids: Sequence[int]) -> Iterator[sqlite3.Row]:
    """Rows of ``sql`` (with one ``{}`` for the id placeholders) over ``ids`` in chunks."""
    for start in range(0, len(ids), CHUNK):
        part = list(ids[start:start + CHUNK])
        yield from conn.execute(sql.format(",".join("?" * len(part))), part)


def select_ids(conn: sqlite3.Connection, table: str, conditions: Sequence[Condition],
               match: str | None = None, wanted: Iterable[int] | None = None) -> list[int]:
    """Ids of ``table`` passing every condition, matching the FTS ``match`` (tables with a
    full-text index), among ``wanted``; in id order."""
    if any(column not in COLUMNS or op not in OPERATORS for column, op, _ in conditions):
        raise ValueError(f"conditions are on {COLUMNS} with {OPERATORS}")
    clauses = [f"{column} {op} ?" for column, op, _ in conditions]
    args = [value for _, _, value in conditions]
    if match and table in FTS_TABLES:
        clauses.append(f"id IN (SELECT rowid FROM {table}_fts WHERE {table}_fts MATCH ?)")
        args.append(match)
    if wanted is not None:  # ints only: safe to spell out
        clauses.append(f"id IN ({','.join(str(int(i)) for i in sorted(wanted))})")
    rows = conn.execute(f"SELECT id FROM {_table(table)} WHERE {' AND '.join(clauses) or '1'}"
                        " ORDER BY id", args)
    return [int(r[0]) for r in rows]


def sessions_of_project(conn: sqlite3.Connection, table: str, project: str) -> set[str]:
    """The sessions ``table`` holds rows of ``project`` for."""
    return {str(r[0]) for r in conn.execute(
        f"SELECT DISTINCT session_id FROM {_table(table)} WHERE project = ?", (project,))}


def sessions_of(conn: sqlite3.Connection, table: str, ids: Sequence[int]) -> set[str]:
    """The sessions the rows ``ids`` of ``table`` belong to."""
    return {str(r[0]) for r in _chunks(
        conn, f"SELECT DISTINCT session_id FROM {_table(table)} WHERE id IN ({{}})", ids)}


def ids_of_session(conn: sqlite3.Connection, table: str, session_id: str) -> list[int]:
    return [int(r[0]) for r in conn.execute(
        f"SELECT id FROM {_table(table)} WHERE session_id = ?", (session_id,))]


def delete(conn: sqlite3.Connection, table: str, ids: Sequence[int]) -> None:
    """Delete the rows ``ids`` (their FTS entries follow through the triggers)."""
    list(_chunks(conn, f"DELETE FROM {_table(table)} WHERE id IN ({{}})", ids))


def left(conn: sqlite3.Connection, table: str, ids: Sequence[int], *, fts: bool = False) -> int:
    """How many of ``ids`` are still in ``table`` (``fts``: in its full-text index, whose
    ``_docsize`` shadow table the FTS ``delete`` command clears)."""
    stored = f"{_table(table)}_fts_docsize" if fts else _table(table)
    return len(list(_chunks(conn, f"SELECT id FROM {stored} WHERE id IN ({{}})", ids)))


def count_of_session(conn: sqlite3.Connection, table: str, session_id: str) -> int:
    return int(conn.execute(f"SELECT count(*) FROM {_table(table)} WHERE session_id = ?",
                            (session_id,)).fetchone()[0])
