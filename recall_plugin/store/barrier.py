"""The forget barrier: a forget verifies only once in-flight work can no longer land.

Writers of derived data outside SQLite (the vector index sync, a rebuild) hold
``<data dir>/forget.lock`` shared while they read rows and write the index; ``forget`` holds it
exclusively while it removes rows, drops their vectors and verifies. So a sync that read a row
before the forget finishes writing before the forget looks, and one that starts after finds the
row gone. SQLite writes need no barrier: they are serialised by SQLite itself, and the storing
transaction checks that its events still exist (``extract.results``).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Iterator

from .. import locks, paths
from ..errors import BarrierTimeout

LOCK_NAME = "forget.lock"
WAIT_S = 120.0
POLL_S = 0.05


def data_dir_of(conn: sqlite3.Connection) -> str:
    """The folder of ``conn``'s main database file ("" for an in-memory database)."""
    row = conn.execute("PRAGMA database_list").fetchone()
    return os.path.dirname(str(row[2])) if row and row[2] else ""


@contextlib.contextmanager
def held(conn: sqlite3.Connection, *, exclusive: bool = False, wait_s: float = WAIT_S) -> Iterator[None]:
    """Hold the barrier of ``conn``'s data dir (shared, or exclusive for forget)."""
    folder = data_dir_of(conn)
    if not folder:
        yield
        return
    fd = os.open(os.path.join(folder, LOCK_NAME), os.O_RDWR | os.O_CREAT, paths.FILE_MODE)
    try:
        if not locks.lock_by(fd, time.monotonic() + wait_s, shared=not exclusive, pause=POLL_S):
            where = os.path.join(folder, LOCK_NAME)
            raise BarrierTimeout(f"{where} held for over {wait_s:.0f} s")
        yield
    finally:
        os.close(fd)  # releases the lock
