"""The extractor's bookkeeping: ``provider_calls``, the conversation ``turns`` kept per
session, and the ``queue_state`` values (last run, last error): how they are written (forget's
deletions aside, in ``store.selection``); callers own the transaction. ``store.stats`` reads
usage totals and the ``queue_state`` values for status, ``store.feed`` usage for the viewer.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence

from .rows import ProviderCall, Turn


def record(conn: sqlite3.Connection, call: ProviderCall) -> None:
    """Store one provider call (status ``error`` when it carries an error)."""
    conn.execute(
        "INSERT INTO provider_calls (session_id, provider, model, purpose, status, error,"
        " input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, total_tokens,"
        " cost_usd, messages_in_context, duration_ms, created_at)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (call.session_id, call.provider, call.model, call.purpose,
         "error" if call.error else "ok", call.error, call.input_tokens, call.output_tokens,
         call.cache_read_tokens, call.cache_write_tokens, call.total_tokens, call.cost_usd,
         call.messages_in_context, call.duration_ms, call.created_at))


def tokens_since(conn: sqlite3.Connection, since: str, session_id: str | None = None) -> int:
    """Tokens spent by calls from ``since`` on (of one session when given)."""
    sql = "SELECT coalesce(sum(total_tokens), 0) FROM provider_calls WHERE created_at >= ?"
    args: list[str] = [since]
    if session_id is not None:
        sql += " AND session_id = ?"
        args.append(session_id)
    return int(conn.execute(sql, args).fetchone()[0])


def count_ok(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM provider_calls WHERE status = 'ok'").fetchone()[0])


# -- turns ----------------------------------------------------------------------------------
def append_turn(conn: sqlite3.Connection, turn: Turn, created_at: str) -> None:
    """Add ``turn`` after the session's last one."""
    seq = conn.execute("SELECT coalesce(max(seq), 0) + 1 FROM turns WHERE session_id = ?",
                       (turn.session_id,)).fetchone()[0]
    conn.execute(
        "INSERT INTO turns (session_id, seq, role, content, digest, event_ids, provider, model,"
        " created_at) VALUES (?,?,?,?,?,?,?,?,?)",
        (turn.session_id, seq, turn.role, turn.content, turn.digest, json.dumps(list(turn.event_ids)),
         turn.provider, turn.model, created_at))


def turns(conn: sqlite3.Connection, session_id: str) -> list[Turn]:
    """The session's conversation, in order."""
    return [Turn(session_id, r["role"], r["content"], r["digest"], tuple(json.loads(r["event_ids"])),
                 r["provider"], r["model"])
            for r in conn.execute("SELECT role, content, digest, event_ids, provider, model"
                                  " FROM turns WHERE session_id = ? ORDER BY seq", (session_id,))]


def turns_touching(conn: sqlite3.Connection, session_ids: Sequence[str],
                   event_ids: set[int]) -> list[int]:
    """Ids of the turns of these sessions that rendered or answered one of ``event_ids``."""
    return sorted(int(r[0]) for session in session_ids for r in conn.execute(
        "SELECT id, event_ids FROM turns WHERE session_id = ?", (session,))
        if event_ids.intersection(json.loads(r[1])))


def turns_after(conn: sqlite3.Connection, after: int, event_ids: set[int]) -> list[int]:
    """Ids of the turns stored after turn ``after`` that rendered or answered one of
    ``event_ids``."""
    return [int(r[0]) for r in conn.execute("SELECT id, event_ids FROM turns WHERE id > ?", (after,))
            if event_ids.intersection(json.loads(r[1] or "[]"))]


def max_turn_id(conn: sqlite3.Connection) -> int:
    """The newest turn's id (0: none)."""
    return int(conn.execute("SELECT coalesce(max(id), 0) FROM turns").fetchone()[0])


# -- queue_state ----------------------------------------------------------------------------
def set_status(conn: sqlite3.Connection, name: str, value: str) -> None:
    conn.execute("INSERT INTO queue_state (name, value) VALUES (?, ?)"
                 " ON CONFLICT(name) DO UPDATE SET value = excluded.value", (name, value))
