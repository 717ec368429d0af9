"""Extractor staleness: a lock or ``processing`` events left behind by an extractor that died.

The next extractor recovers both by itself; ``claude-recall doctor`` reports them and
``--fix`` resets them now.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3

from .. import paths
from ..locks import held_elsewhere
from ..store import events
from ..store.db import connect, open_store
from .work import reset_stale as reset


def lock_holder(root: str) -> int | None:
    """The pid written in extractor.lock when that process still holds it, else None."""
    path = paths.extractor_lock(root)
    if not os.path.exists(path) or not held_elsewhere(path):
        return None
    try:
        with open(path, encoding="utf-8") as handle:
            return int(handle.read().strip() or 0) or None
    except (OSError, ValueError):
        return None


def stale_lock_pid(root: str) -> int | None:
    """The pid a lock file names when nobody holds the lock and that process is gone."""
    path = paths.extractor_lock(root)
    if not os.path.exists(path) or held_elsewhere(path):
        return None
    try:
        with open(path, encoding="utf-8") as handle:
            pid = int(handle.read().strip() or 0)
    except (OSError, ValueError):
        return None
    return pid if pid and not _alive(pid) else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stale_processing(root: str) -> int:
    """Events left ``processing`` although no extractor runs (it died mid-batch)."""
    if not os.path.exists(paths.db_file(root)) or held_elsewhere(paths.extractor_lock(root)):
        return 0
    conn = connect(paths.db_file(root), readonly=True)
    try:
        return events.count_in(conn, ("processing",))
    except sqlite3.Error:
        return 0
    finally:
        conn.close()


def reset_stale(root: str) -> str:
    done: list[str] = []
    pid = stale_lock_pid(root)
    if pid:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(paths.extractor_lock(root))
        done.append(f"removed extractor.lock of dead process {pid}")
    if stale_processing(root):
        conn = open_store(root)
        try:
            done.append(f"reset {reset(conn)} processing event(s) to pending")
        finally:
            conn.close()
    return "; ".join(done) or "nothing stale"
