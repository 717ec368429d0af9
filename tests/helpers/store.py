"""Reading a test's store: a connection, rows, the events' states."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from recall_plugin.store.db import open_store


def db(data_dir: Path) -> sqlite3.Connection:
    """The store of ``data_dir``, migrated (the caller closes it)."""
    return open_store(str(data_dir))


def rows(data_dir: Path, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    """Every row ``sql`` selects, on a connection closed before returning."""
    conn = db(data_dir)
    try:
        return [tuple(r) for r in conn.execute(sql, args)]
    finally:
        conn.close()


def states(data_dir: Path) -> dict[str, int]:
    """How many events are in each state (pending, processing, done, failed, dead)."""
    return dict(rows(data_dir, "SELECT state, count(*) FROM events GROUP BY state"))
