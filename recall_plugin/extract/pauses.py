"""Why extraction is waiting, recorded so that ``status`` can say it and nothing spins.

A pause has a scope (``provider:openrouter``, ``budget:daily``, ``budget:session:<id>``,
``no-provider``), a reason naming the setting to fix, and a fingerprint of the settings it
depends on: when those settings change, the pause lifts by itself.
"""

from __future__ import annotations

import hashlib
import sqlite3

from ..settings import Settings
from ..store import pauses as stored
from ..store.db import write
from ..store.rows import Pause as Pause  # what callers of this module get back
from .work import now_iso


def fingerprint(settings: Settings, prefix: str) -> str:
    """A digest of every setting whose name starts with ``prefix``."""
    items = sorted((k, str(v)) for k, v in settings.values.items() if k.startswith(prefix))
    return hashlib.sha256(repr(items).encode()).hexdigest()[:16]


def pause(conn: sqlite3.Connection, scope: str, reason: str, setting: str | None,
          print_: str = "") -> None:
    with write(conn):
        stored.put(conn, Pause(scope, reason, setting), print_, now_iso())


def active(conn: sqlite3.Connection, scope: str, print_: str = "") -> Pause | None:
    """The pause on ``scope``, unless its settings changed since (then it is lifted)."""
    found = stored.get(conn, scope)
    if found is None:
        return None
    if found[1] != print_:
        lift(conn, scope)
        return None
    return found[0]


def lift(conn: sqlite3.Connection, scope: str) -> None:
    with write(conn):
        stored.delete(conn, scope)


def lift_all(conn: sqlite3.Connection) -> int:
    with write(conn):
        return stored.delete_all(conn)


def listed(conn: sqlite3.Connection) -> list[Pause]:
    return stored.listed(conn)
