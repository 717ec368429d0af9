"""The ``events`` table: the only SQL against it.

Ingest inserts (``insert``, exactly once per natural key); the extractor reads what is due
(``due_heads``, ``unfinished``) and moves events through their states: ``pending`` ->
``processing`` -> ``done``, or ``failed`` (retried at ``next_attempt_at``) and ``dead``;
private events are ``skipped``. Callers own the transaction (``store.db.write``).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence

from .rows import SpoolEvent, StoredEvent

UNFINISHED = ("pending", "failed", "processing")


def insert(conn: sqlite3.Connection, event: SpoolEvent, project: str, state: str,
           ingested_at: str) -> int | None:
    """Store one event; its rowid, or None when its key is already stored."""
    cur = conn.execute(
        "INSERT OR IGNORE INTO events (event_key, session_id, project, kind, tool_name,"
        " tool_use_id, prompt_id, agent_id, agent_type, private, body, created_at,"
        " ingested_at, state) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (event.key, event.session_id, project, event.kind, event.tool_name, event.tool_use_id,
         event.prompt_id, event.agent_id, event.agent_type, int(event.private),
         json.dumps(event.body, ensure_ascii=False), event.ts, ingested_at, state))
    return cur.lastrowid if cur.rowcount else None


def set_prompt_number(conn: sqlite3.Connection, event_id: int, number: int | None) -> None:
    conn.execute("UPDATE events SET prompt_number = ? WHERE id = ?", (number, event_id))


def _stored(row: sqlite3.Row) -> StoredEvent:
    return StoredEvent(id=row["id"], session_id=row["session_id"], project=row["project"],
                       kind=row["kind"], tool_name=row["tool_name"] or "",
                       agent_type=row["agent_type"] or "", prompt_number=row["prompt_number"],
                       body=json.loads(row["body"]), created_at=row["created_at"])


def due_heads(conn: sqlite3.Connection) -> list[tuple[str, str | None]]:
    """Each session with pending or failed events, oldest first, with the retry time of its
    oldest such event (None: due now)."""
    rows = conn.execute(
        "SELECT session_id, min(id) AS first FROM events WHERE state IN ('pending', 'failed')"
        " GROUP BY session_id ORDER BY first").fetchall()
    heads = []
    for row in rows:
        head = conn.execute("SELECT next_attempt_at FROM events WHERE id = ?", (row["first"],)).fetchone()
        heads.append((str(row["session_id"]), head[0]))
    return heads


def unfinished(conn: sqlite3.Connection, session_id: str, limit: int) -> list[StoredEvent]:
    """The session's first ``limit`` pending or failed events, in order."""
    rows = conn.execute(
        "SELECT * FROM events WHERE session_id = ? AND state IN ('pending', 'failed')"
        " ORDER BY id LIMIT ?", (session_id, limit)).fetchall()
    return [_stored(row) for row in rows]


def _marks(ids: Sequence[object]) -> str:
    return ",".join("?" * len(ids))


def set_state(conn: sqlite3.Connection, ids: Sequence[int], state: str) -> None:
    conn.execute(f"UPDATE events SET state = ? WHERE id IN ({_marks(ids)})", [state, *ids])


def mark_done(conn: sqlite3.Connection, ids: Sequence[int]) -> None:
    """Done, with any error of an earlier attempt cleared."""
    conn.execute(f"UPDATE events SET state = 'done', last_error = NULL WHERE id IN ({_marks(ids)})",
                 list(ids))


def most_attempts(conn: sqlite3.Connection, ids: Sequence[int]) -> int:
    return max(int(r[0]) for r in conn.execute(
        f"SELECT attempts FROM events WHERE id IN ({_marks(ids)})", list(ids)))


def mark_failed(conn: sqlite3.Connection, ids: Sequence[int], state: str, attempts: int,
                retry_at: str | None, error: str) -> None:
    conn.execute(f"UPDATE events SET state = ?, attempts = ?, next_attempt_at = ?,"
                 f" last_error = ? WHERE id IN ({_marks(ids)})",
                 [state, attempts, retry_at, error, *ids])


def count_present(conn: sqlite3.Connection, ids: Sequence[int]) -> int:
    """How many of ``ids`` are still stored."""
    return int(conn.execute(f"SELECT count(*) FROM events WHERE id IN ({_marks(ids)})",
                            list(ids)).fetchone()[0])


def reset_processing(conn: sqlite3.Connection) -> int:
    """``processing`` events (of an extractor that died) back to pending; how many."""
    return conn.execute("UPDATE events SET state = 'pending' WHERE state = 'processing'").rowcount


def make_failed_due(conn: sqlite3.Connection) -> None:
    conn.execute("UPDATE events SET next_attempt_at = NULL WHERE state = 'failed'")


def revive(conn: sqlite3.Connection) -> int:
    """Dead and failed events back to pending with their attempts reset; how many."""
    return conn.execute(
        "UPDATE events SET state = 'pending', attempts = 0, next_attempt_at = NULL,"
        " last_error = NULL WHERE state IN ('dead', 'failed')").rowcount


def count_in(conn: sqlite3.Connection, states: Sequence[str]) -> int:
    """How many events are in one of ``states``."""
    return int(conn.execute(f"SELECT count(*) FROM events WHERE state IN ({_marks(states)})",
                            list(states)).fetchone()[0])


def count_by_state(conn: sqlite3.Connection) -> dict[str, int]:
    """How many events are in each state that some event is in."""
    return {str(state): int(n) for state, n in conn.execute(
        "SELECT state, count(*) FROM events GROUP BY state")}


def count(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM events").fetchone()[0])


def of_prompts(conn: sqlite3.Connection, prompt_rowids: Sequence[int]) -> list[int]:
    """The ids of the prompt events of these ``prompts`` rows."""
    return [int(r[0]) for r in conn.execute(
        "SELECT e.id FROM events e JOIN prompts p ON e.session_id = p.session_id AND"
        " e.kind = 'prompt' AND p.prompt_id IN (e.prompt_id, e.event_key)"
        f" WHERE p.id IN ({_marks(prompt_rowids)})", list(prompt_rowids))]


def last_tool_before(conn: sqlite3.Connection, session_id: str, before: int) -> int | None:
    """The id of the session's last tool call (or failed one) before event ``before``; None
    when there is none."""
    row = conn.execute(
        "SELECT max(id) FROM events WHERE session_id = ? AND id < ? AND kind IN ('tool', 'tool_failure')",
        (session_id, before)).fetchone()
    return None if row[0] is None else int(row[0])
