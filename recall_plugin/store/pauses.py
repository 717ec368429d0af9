"""The ``pauses`` table: why extraction waits, per scope. The only SQL against it; callers
own the transaction. What a scope means and when a pause lifts is ``extract.pauses``'s."""

from __future__ import annotations

import sqlite3

from .rows import Pause


def put(conn: sqlite3.Connection, pause: Pause, fingerprint: str, at: str) -> None:
    """Record ``pause`` (replacing the scope's reason, setting and fingerprint; a scope paused
    again keeps its first date)."""
    conn.execute("INSERT INTO pauses (scope, reason, setting, fingerprint, created_at)"
                 " VALUES (?,?,?,?,?) ON CONFLICT(scope) DO UPDATE SET reason = excluded.reason,"
                 " setting = excluded.setting, fingerprint = excluded.fingerprint",
                 (pause.scope, pause.reason, pause.setting, fingerprint, at))


def get(conn: sqlite3.Connection, scope: str) -> tuple[Pause, str] | None:
    """The pause on ``scope`` and the fingerprint it was recorded with, or None."""
    row = conn.execute("SELECT reason, setting, fingerprint FROM pauses WHERE scope = ?",
                       (scope,)).fetchone()
    return None if row is None else (Pause(scope, row["reason"], row["setting"]), row["fingerprint"])


def delete(conn: sqlite3.Connection, scope: str) -> None:
    conn.execute("DELETE FROM pauses WHERE scope = ?", (scope,))


def delete_all(conn: sqlite3.Connection) -> int:
    return conn.execute("DELETE FROM pauses").rowcount


def listed(conn: sqlite3.Connection) -> list[Pause]:
    """Every pause, oldest first."""
    return [Pause(r["scope"], r["reason"], r["setting"])
            for r in conn.execute("SELECT scope, reason, setting FROM pauses ORDER BY created_at")]
