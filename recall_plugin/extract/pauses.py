"""Why extraction is waiting, recorded so that ``status`` can say it and nothing spins.

A pause has a scope (``provider:openrouter``, ``budget:daily``, ``budget:session:<id>``,
``no-provider``), a reason naming the setting to fix, and a fingerprint of the settings it
depends on: when those settings change, the pause lifts by itself.
"""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass

from ..settings import Settings
from ..store.db import write
from .work import now_iso


@dataclass(frozen=True)
class Pause:
    scope: str
    reason: str
    setting: str | None


def fingerprint(settings: Settings, prefix: str) -> str:
    """A digest of every setting whose name starts with ``prefix``."""
    items = sorted((k, str(v)) for k, v in settings.values.items() if k.startswith(prefix))
    return hashlib.sha256(repr(items).encode()).hexdigest()[:16]


def pause(conn: sqlite3.Connection, scope: str, reason: str, setting: str | None,
          print_: str = "") -> None:
    with write(conn):
        conn.execute("INSERT INTO pauses (scope, reason, setting, fingerprint, created_at)"
                     " VALUES (?,?,?,?,?) ON CONFLICT(scope) DO UPDATE SET reason = excluded.reason,"
                     " setting = excluded.setting, fingerprint = excluded.fingerprint",
                     (scope, reason, setting, print_, now_iso()))


def active(conn: sqlite3.Connection, scope: str, print_: str = "") -> Pause | None:
    """The pause on ``scope``, unless its settings changed since (then it is lifted)."""
    row = conn.execute("SELECT reason, setting, fingerprint FROM pauses WHERE scope = ?",
                       (scope,)).fetchone()
    if row is None:
        return None
    if row["fingerprint"] != print_:
        lift(conn, scope)
        return None
    return Pause(scope, row["reason"], row["setting"])


def lift(conn: sqlite3.Connection, scope: str) -> None:
    with write(conn):
        conn.execute("DELETE FROM pauses WHERE scope = ?", (scope,))


def lift_all(conn: sqlite3.Connection) -> int:
    with write(conn):
        return conn.execute("DELETE FROM pauses").rowcount


def listed(conn: sqlite3.Connection) -> list[Pause]:
    return [Pause(r["scope"], r["reason"], r["setting"])
            for r in conn.execute("SELECT scope, reason, setting FROM pauses ORDER BY created_at")]
