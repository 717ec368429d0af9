"""Small helpers shared by the commands: wording, and reading without creating files."""

from __future__ import annotations

import os
import sqlite3

from .. import paths


def plural(count: int, singular: str, many: str | None = None) -> str:
    """``1 observation``, ``2 observations``, ``1 batch``, ``0 batches``."""
    return f"{count:,} {singular if count == 1 else (many or singular + 's')}"


def open_readable(data_dir: str) -> sqlite3.Connection:
    """The store of ``data_dir`` for a read-only command. Before anything was stored (no
    database file) it is an empty in-memory store, so reading creates no file."""
    from ..store import db
    from ..store.migrations import migrate

    if os.path.exists(paths.db_file(data_dir)):
        return db.open_store(data_dir)
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.row_factory = sqlite3.Row
    migrate(conn)
    return conn
