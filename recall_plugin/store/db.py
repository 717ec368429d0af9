"""Opening the store: WAL, a busy timeout, foreign keys, and ``BEGIN IMMEDIATE`` writes.

``open_store`` creates the file 0600 before SQLite does (its -wal and -shm files inherit the
mode) and runs pending migrations. Writers use ``write(conn)``, which takes the write lock at
the start of the transaction so two writers never deadlock upgrading a read lock.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager

from .. import paths
from ..errors import StoreError
from .migrations import migrate

BUSY_TIMEOUT_MS = 5000


def connect(path: str, *, readonly: bool = False) -> sqlite3.Connection:
    """A connection with the store's pragmas; no migration."""
    if not readonly and not os.path.exists(path):
        paths.ensure_dir(os.path.dirname(path))
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, paths.FILE_MODE))
    uri = f"file:{path}?mode=ro" if readonly else f"file:{path}"
    try:
        conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False,
                               timeout=BUSY_TIMEOUT_MS / 1000)
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys = ON")
        if not readonly:
            _enable_wal(conn)
            conn.execute("PRAGMA synchronous = NORMAL")
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open {path}: {exc}") from exc
    return conn


def _enable_wal(conn: sqlite3.Connection) -> None:
    """Switch to WAL. The switch needs an exclusive lock that the busy handler does not wait
    for, so a brand-new file opened by several processes at once is retried briefly."""
    for attempt in range(50):
        try:
            if conn.execute("PRAGMA journal_mode = WAL").fetchone()[0] == "wal":
                return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == 49:
                raise
        time.sleep(0.02 * (1 + attempt % 5))


def open_store(data_dir: str | None = None) -> sqlite3.Connection:
    """The migrated store of ``data_dir`` (default: the configured data dir)."""
    conn = connect(paths.db_file(data_dir or paths.data_dir()))
    try:
        migrate(conn)
    except sqlite3.Error as exc:
        conn.close()
        raise StoreError(f"cannot migrate the store: {exc}") from exc
    return conn


@contextmanager
def write(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction: BEGIN IMMEDIATE ... COMMIT, rolled back on any error."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
