"""The ``summaries`` table (one summary per session): the one place that writes and reads it.

Writers hand in a ``Summary`` with its session and times; readers get ``StoredSummary``
records. The flag (``store.flags``) is computed here, on every write. Like
``store.observations`` it runs inside the SessionStart hook: no ``json``, ``sqlite3`` or
``typing`` at run time, and a column an older schema lacks reads as its default.
"""

from __future__ import annotations

from ..records import StoredSummary, Summary

TYPE_CHECKING = False
if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Iterator, Sequence
    from typing import Any

TABLE = "summaries"
CHUNK = 500  # ids per statement (SQLite limits the variables of one)
# The columns that make a summary's searchable text (FTS5 indexes these, in this order).
TEXT_COLUMNS = Summary.FIELDS


def record(values: dict[str, Any]) -> StoredSummary:
    """The record of one row (column name -> value); missing columns take their default."""
    get = values.get
    prompt, last = get("prompt_number"), get("last_event_id")
    return StoredSummary(
        int(values["id"]), str(values["session_id"]), str(values["project"]),
        None if prompt is None else int(prompt), str(get("request") or ""),
        str(get("investigated") or ""), str(get("learned") or ""), str(get("completed") or ""),
        str(get("next_steps") or ""), str(get("notes") or ""), int(get("input_tokens") or 0),
        int(get("output_tokens") or 0), str(get("created_at") or ""), str(get("updated_at") or ""),
        None if last is None else int(last), str(get("flagged") or ""))


def from_cursor(cursor: sqlite3.Cursor) -> Iterator[StoredSummary]:
    """The records of the rows a ``SELECT *`` on the table returns."""
    names = [d[0] for d in cursor.description]
    return (record(dict(zip(names, row, strict=True))) for row in cursor)


def _read(conn: sqlite3.Connection, sql: str, args: Sequence[object] = ()) -> list[StoredSummary]:
    return list(from_cursor(conn.execute(sql, args)))


def _flag(summary: Summary) -> str:
    from .flags import summary_flag

    return summary_flag(summary.values())


# -- write --------------------------------------------------------------------------------
def upsert(conn: sqlite3.Connection, summary: Summary, *, session_id: str, project: str,
           prompt_number: int | None, stamp: str, last_event_id: int | None,
           input_tokens: int = 0, output_tokens: int = 0) -> None:
    """The session's summary is ``summary`` from now (``stamp``): inserted, or replacing the
    one before it (its tokens added up, its ``created_at`` kept). Inside the caller's transaction."""
    conn.execute(
        "INSERT INTO summaries (session_id, project, prompt_number, request, investigated,"
        " learned, completed, next_steps, notes, input_tokens, output_tokens, created_at,"
        " updated_at, last_event_id, flagged) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
        " ON CONFLICT(session_id) DO UPDATE SET prompt_number = excluded.prompt_number,"
        " request = excluded.request, investigated = excluded.investigated,"
        " learned = excluded.learned, completed = excluded.completed,"
        " next_steps = excluded.next_steps, notes = excluded.notes,"
        " input_tokens = summaries.input_tokens + excluded.input_tokens,"
        " output_tokens = summaries.output_tokens + excluded.output_tokens,"
        " updated_at = excluded.updated_at, last_event_id = excluded.last_event_id,"
        " flagged = excluded.flagged",
        (session_id, project, prompt_number, *summary.values(), input_tokens, output_tokens,
         stamp, stamp, last_event_id, _flag(summary)))


def insert(conn: sqlite3.Connection, summary: Summary, *, session_id: str, project: str,
           created_at: str, updated_at: str, prompt_number: int | None = None) -> int:
    """Store the summary of a session that has none (an import); returns its id."""
    cursor = conn.execute(
        "INSERT INTO summaries (session_id, project, prompt_number, request, investigated,"
        " learned, completed, next_steps, notes, created_at, updated_at, flagged)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        (session_id, project, prompt_number, *summary.values(), created_at, updated_at,
         _flag(summary)))
    return int(cursor.lastrowid or 0)


def date_by_events(conn: sqlite3.Connection, session_id: str) -> None:
    """Date the session's summary by its events: created at the first, updated at the last."""
    conn.execute("UPDATE summaries SET created_at = coalesce((SELECT min(created_at) FROM events"
                 " WHERE session_id = :s), created_at), updated_at = coalesce((SELECT"
                 " max(created_at) FROM events WHERE session_id = :s), updated_at)"
                 " WHERE session_id = :s", {"s": session_id})


def exists(conn: sqlite3.Connection, session_id: str) -> bool:
    return conn.execute("SELECT 1 FROM summaries WHERE session_id = ?",
                        (session_id,)).fetchone() is not None


# -- read ---------------------------------------------------------------------------------
def get(conn: sqlite3.Connection, ids: Sequence[int], project: str | None = None) -> list[StoredSummary]:
    """The summaries ``ids`` (of ``project`` when given), in the order asked; unknown ids are
    left out."""
    scope, extra = (" AND +project = ?", [project]) if project is not None else ("", [])  # by id
    found: dict[int, StoredSummary] = {}
    for start in range(0, len(ids), CHUNK):
        part = list(ids[start:start + CHUNK])
        found.update((s.id, s) for s in _read(
            conn, f"SELECT * FROM summaries WHERE id IN ({','.join('?' * len(part))}){scope}",
            [*part, *extra]))
    return [found[i] for i in ids if i in found]


def of_session(conn: sqlite3.Connection, session_id: str) -> StoredSummary | None:
    found = _read(conn, "SELECT * FROM summaries WHERE session_id = ?", (session_id,))
    return found[0] if found else None


def last_event_id(conn: sqlite3.Connection, session_id: str) -> int | None:
    """The last event the session's summary covers (None: no summary yet)."""
    row = conn.execute("SELECT last_event_id FROM summaries WHERE session_id = ?",
                       (session_id,)).fetchone()
    return None if row is None or row[0] is None else int(row[0])


def recent(conn: sqlite3.Connection, project: str, limit: int, *,
           unflagged: bool = False) -> list[StoredSummary]:
    """The project's most recently updated ``limit`` summaries, newest first; ``unflagged``:
    none that reads as an instruction to the agent."""
    flagged = " AND flagged = ''" if unflagged else ""
    return _read(conn, f"SELECT * FROM summaries WHERE project = ?{flagged}"
                 " ORDER BY updated_at DESC LIMIT ?", (project, limit))


def each(conn: sqlite3.Connection, project: str | None = None) -> Iterator[StoredSummary]:
    """Every summary (of ``project``), oldest first."""
    where, args = ("WHERE project = ?", [project]) if project else ("", [])
    yield from from_cursor(conn.execute(f"SELECT * FROM summaries {where} ORDER BY created_at, id", args))


def count(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM summaries").fetchone()[0])


def max_id(conn: sqlite3.Connection) -> int:
    """The highest id stored so far (0 when empty)."""
    return int(conn.execute("SELECT coalesce(max(id), 0) FROM summaries").fetchone()[0])


def after(conn: sqlite3.Connection, last_id: int) -> list[StoredSummary]:
    """The records with an id above ``last_id`` (stored since it was the highest), by id."""
    return _read(conn, "SELECT * FROM summaries WHERE id > ? ORDER BY id", (last_id,))


def page(conn: sqlite3.Connection, *, project: str | None, before: int | None,
         limit: int) -> list[StoredSummary]:
    """Newest summaries first (by id), of ``project`` when given, older than ``before`` when
    given (the viewer's feed)."""
    clauses: list[str] = []
    args: list[object] = []
    if project:
        clauses.append("project = ?")
        args.append(project)
    if before is not None:
        clauses.append("id < ?")
        args.append(before)
    return _read(conn, f"SELECT * FROM summaries WHERE {' AND '.join(clauses) or '1'}"
                 " ORDER BY id DESC LIMIT ?", [*args, limit])


def updated_since(conn: sqlite3.Connection, stamp: str, limit: int) -> list[StoredSummary]:
    """Summaries written or replaced after ``stamp`` (a replaced summary keeps its id), in
    that order."""
    return _read(conn, "SELECT * FROM summaries WHERE updated_at > ? ORDER BY updated_at, id"
                 " LIMIT ?", (stamp, limit))


def max_updated(conn: sqlite3.Connection) -> str:
    """The newest ``updated_at`` (``""`` when empty)."""
    return str(conn.execute("SELECT coalesce(max(updated_at), '') FROM summaries").fetchone()[0])
