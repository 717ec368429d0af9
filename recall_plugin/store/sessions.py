"""The ``sessions``, ``prompts`` and ``forgotten_sessions`` tables: the only SQL against them.

A ``sessions`` row holds no content: when a session began, last showed activity and ended,
and how many prompts it had. ``prompts`` keeps each prompt's text and number. A session the
user forgot is tombstoned in ``forgotten_sessions`` (its queued events are then dropped at
ingest, and a late provider reply for it is not stored). Callers own the transaction.
Rows read back are typed (``SessionRow``, ``Prompt`` of ``store.rows``); the viewer's
listing of recent sessions, which joins them with the memory tables, is in ``store.feed``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence

from .rows import Prompt, SessionRow, SpoolEvent

CHUNK = 500  # ids per statement


def touch(conn: sqlite3.Connection, event: SpoolEvent, project: str) -> None:
    """Record ``event`` on its session: created on first sight, its span widened, its end
    (a ``session_end``) and transcript kept."""
    ended = event.kind == "session_end"
    conn.execute(
        "INSERT INTO sessions (session_id, project, project_root, cwd, transcript_path,"
        " started_at, last_event_at, ended_at, end_reason) VALUES (?,?,?,?,?,?,?,?,?)"
        " ON CONFLICT(session_id) DO UPDATE SET"
        " started_at = min(started_at, excluded.started_at),"
        " last_event_at = max(last_event_at, excluded.last_event_at),"
        " transcript_path = coalesce(excluded.transcript_path, transcript_path),"
        " ended_at = coalesce(excluded.ended_at, ended_at),"
        " end_reason = coalesce(excluded.end_reason, end_reason)",
        (event.session_id, project, event.extra("project_root"), event.extra("cwd"),
         event.extra("transcript_path"), event.ts, event.ts,
         event.ts if ended else None, event.extra("reason") if ended else None))


def add_prompt(conn: sqlite3.Connection, event: SpoolEvent, project: str) -> int:
    """Count a prompt event on its session and keep its text; returns its number."""
    conn.execute("UPDATE sessions SET prompt_count = prompt_count + 1 WHERE session_id = ?",
                 (event.session_id,))
    row = conn.execute("SELECT prompt_count FROM sessions WHERE session_id = ?",
                       (event.session_id,)).fetchone()
    number = int(row[0])
    conn.execute(
        "INSERT OR IGNORE INTO prompts (session_id, prompt_id, prompt_number, project, text,"
        " private, created_at) VALUES (?,?,?,?,?,?,?)",
        (event.session_id, event.prompt_id or event.key, number, project,
         str(event.extra("prompt") or ""), int(event.private), event.ts))
    return number


def prompt_number(conn: sqlite3.Connection, session_id: str, prompt_id: str | None) -> int | None:
    """The number of prompt ``prompt_id`` of the session, else the session's latest prompt
    number; None before its first prompt."""
    row = conn.execute(
        "SELECT prompt_number FROM prompts WHERE session_id = ? AND prompt_id = ?",
        (session_id, prompt_id)).fetchone()
    if row is None:
        row = conn.execute("SELECT prompt_count FROM sessions WHERE session_id = ?",
                           (session_id,)).fetchone()
    return int(row[0]) if row and row[0] else None


def register(conn: sqlite3.Connection, session_id: str, project: str, at: str,
             prompt_count: int) -> None:
    """Record a session known from an import: created if new, else its span widened and its
    prompt count raised to ``prompt_count``."""
    conn.execute(
        "INSERT INTO sessions (session_id, project, started_at, last_event_at, prompt_count)"
        " VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT(session_id) DO UPDATE SET started_at = min(started_at, excluded.started_at),"
        " last_event_at = max(last_event_at, excluded.last_event_at),"
        " prompt_count = max(prompt_count, excluded.prompt_count)",
        (session_id, project, at, at, prompt_count))


def known(conn: sqlite3.Connection, session_id: str) -> bool:
    return conn.execute("SELECT 1 FROM sessions WHERE session_id = ?",
                        (session_id,)).fetchone() is not None


def all_ids(conn: sqlite3.Connection) -> set[str]:
    return {str(r[0]) for r in conn.execute("SELECT session_id FROM sessions")}


def count(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM sessions").fetchone()[0])


def count_prompts(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM prompts").fetchone()[0])


def in_other_project(conn: sqlite3.Connection, session_id: str, project: str) -> bool:
    """True when the session or one of its events is stored under another project."""
    return conn.execute(
        "SELECT 1 FROM events WHERE session_id = ? AND project != ? UNION ALL SELECT 1 FROM"
        " sessions WHERE session_id = ? AND project != ?", (session_id, project) * 2
    ).fetchone() is not None


def insert_prompt(conn: sqlite3.Connection, session_id: str, prompt_id: str, number: int,
                  project: str, text: str, private: bool, created_at: str) -> None:
    """Store an imported prompt (the caller checked it is not stored yet)."""
    conn.execute(
        "INSERT INTO prompts (session_id, prompt_id, prompt_number, project, text, private,"
        " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (session_id, prompt_id, number, project, text, private, created_at))


def prompt_exists(conn: sqlite3.Connection, session_id: str, prompt_id: object) -> bool:
    return conn.execute("SELECT 1 FROM prompts WHERE session_id = ? AND prompt_id = ?",
                        (session_id, prompt_id)).fetchone() is not None


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def get(conn: sqlite3.Connection, session_id: str) -> SessionRow | None:
    """The session's row; None when it was never captured."""
    row = conn.execute("SELECT * FROM sessions WHERE session_id = ?", (session_id,)).fetchone()
    if row is None:
        return None
    return SessionRow(str(row["session_id"]), str(row["project"]), _text(row["project_root"]),
                      _text(row["cwd"]), _text(row["transcript_path"]), str(row["started_at"]),
                      str(row["last_event_at"]), _text(row["ended_at"]), _text(row["end_reason"]),
                      int(row["prompt_count"]))


def _prompt(row: sqlite3.Row) -> Prompt:
    return Prompt(int(row["id"]), str(row["session_id"]), str(row["prompt_id"]),
                  int(row["prompt_number"]), str(row["project"]), str(row["text"]),
                  bool(row["private"]), str(row["created_at"]))


def prompts_by_id(conn: sqlite3.Connection, ids: Sequence[int]) -> list[Prompt]:
    """The stored prompts among the rowids ``ids``."""
    found: list[Prompt] = []
    for start in range(0, len(ids), CHUNK):
        part = list(ids[start:start + CHUNK])
        found += map(_prompt, conn.execute(
            f"SELECT * FROM prompts WHERE id IN ({','.join('?' * len(part))})", part))
    return found


def prompts_of(conn: sqlite3.Connection, session_id: str) -> list[Prompt]:
    """The prompts of one session, by prompt number."""
    return [_prompt(row) for row in conn.execute(
        "SELECT * FROM prompts WHERE session_id = ? ORDER BY prompt_number, id", (session_id,))]


def each_prompt(conn: sqlite3.Connection, project: str | None = None) -> Iterator[Prompt]:
    """Every prompt (of ``project`` when given), oldest first."""
    where, args = ("WHERE project = ?", [project]) if project else ("", [])
    for row in conn.execute(f"SELECT * FROM prompts {where} ORDER BY created_at, id", args):
        yield _prompt(row)


# -- tombstones -----------------------------------------------------------------------------
def is_forgotten(conn: sqlite3.Connection, session_id: str) -> bool:
    return conn.execute("SELECT 1 FROM forgotten_sessions WHERE session_id = ?",
                        (session_id,)).fetchone() is not None


def tombstone(conn: sqlite3.Connection, session_ids: Iterable[str]) -> None:
    """Record these sessions as forgotten (now); already recorded ones keep their date."""
    conn.executemany("INSERT OR IGNORE INTO forgotten_sessions (session_id, forgotten_at)"
                     " VALUES (?, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))",
                     [(s,) for s in session_ids])
