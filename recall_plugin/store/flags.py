"""Flagging stored memories that read as instructions to the agent (see ``directives``).

``observations.flagged`` and ``summaries.flagged`` (migration 005_flags) hold the reason, or
'' when the record is clean. Every path that stores a record computes it with the functions
here; ``backfill`` checks rows stored before the column existed (or by an older version).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from ..directives import detect
from .observations import decode_list

OBSERVATION_TEXT = ("title", "subtitle", "narrative", "facts", "concepts")
OBSERVATION_LISTS = ("facts", "concepts")
SUMMARY_TEXT = ("request", "investigated", "learned", "completed", "next_steps", "notes")


def _listed(value: object) -> list[str]:
    """A JSON list column (or an already decoded list) as strings."""
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return list(decode_list(value))


def observation_flag(title: object, subtitle: object, narrative: object, facts: object,
                     concepts: object) -> str:
    """Why this observation reads as an instruction to the agent ('' when it does not)."""
    return detect(str(title or ""), str(subtitle or ""), str(narrative or ""),
                  _listed(facts), _listed(concepts))


def summary_flag(fields: Iterable[object]) -> str:
    """Why a summary with these field values reads as an instruction ('' when it does not)."""
    return detect(*(str(v or "") for v in fields))


def flag_row(conn: sqlite3.Connection, table: str, rowid: int) -> str:
    """Check one stored row again and record the result; returns the reason."""
    columns = OBSERVATION_TEXT if table == "observations" else SUMMARY_TEXT
    row = conn.execute(f"SELECT {', '.join(columns)} FROM {table} WHERE id = ?", (rowid,)).fetchone()
    if row is None:
        return ""
    reason = observation_flag(*row) if table == "observations" else summary_flag(tuple(row))
    conn.execute(f"UPDATE {table} SET flagged = ? WHERE id = ? AND flagged != ?", (reason, rowid, reason))
    return reason


def backfill(conn: sqlite3.Connection) -> int:
    """Run the detector over every observation and summary (inside the caller's transaction);
    returns how many are flagged now."""
    flagged = 0
    for table in ("observations", "summaries"):
        ids = [int(r[0]) for r in conn.execute(f"SELECT id FROM {table}")]
        flagged += sum(1 for rowid in ids if flag_row(conn, table, rowid))
    return flagged
