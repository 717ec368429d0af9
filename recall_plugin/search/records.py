"""Details on demand: full records by id, and the timeline around an id or a date."""

from __future__ import annotations

import json
import sqlite3

LIST_FIELDS = ("facts", "concepts", "files_read", "files_modified", "source_event_ids")


def observation_dict(row: sqlite3.Row) -> dict[str, object]:
    record: dict[str, object] = dict(zip(row.keys(), tuple(row), strict=True))
    for name in LIST_FIELDS:
        if name in record:
            record[name] = json.loads(str(record[name]))
    record["kind"] = "observation"
    return record


def get_observations(conn: sqlite3.Connection, ids: list[int]) -> list[dict[str, object]]:
    """Full observation records, in the order asked; unknown ids are left out."""
    if not ids:
        return []
    rows = conn.execute(f"SELECT * FROM observations WHERE id IN ({','.join('?' * len(ids))})", ids)
    found = {row["id"]: observation_dict(row) for row in rows}
    return [found[i] for i in ids if i in found]


def get_summary(conn: sqlite3.Connection, session_id: str) -> dict[str, object] | None:
    row = conn.execute("SELECT * FROM summaries WHERE session_id = ?", (session_id,)).fetchone()
    return None if row is None else {**dict(zip(row.keys(), tuple(row), strict=True)), "kind": "summary"}


def timeline(conn: sqlite3.Connection, *, around_id: int | None = None, date: str | None = None,
             before: int = 5, after: int = 5, project: str | None = None) -> list[dict[str, object]]:
    """Observations in time order around an observation id or an ISO date (default: now)."""
    anchor = _anchor(conn, around_id, date)
    scope, args = ("AND project = ?", [project]) if project else ("", [])
    older = conn.execute(f"SELECT * FROM observations WHERE created_at < ? {scope}"
                         " ORDER BY created_at DESC, id DESC LIMIT ?", [anchor, *args, before])
    newer = conn.execute(f"SELECT * FROM observations WHERE created_at >= ? {scope}"
                         " ORDER BY created_at, id LIMIT ?", [anchor, *args, after + 1])
    rows = list(reversed(older.fetchall())) + newer.fetchall()
    return [observation_dict(r) for r in rows]


def _anchor(conn: sqlite3.Connection, around_id: int | None, date: str | None) -> str:
    if around_id is not None:
        row = conn.execute("SELECT created_at FROM observations WHERE id = ?", (around_id,)).fetchone()
        if row:
            return str(row[0])
    if date:
        return date
    return "9999"
