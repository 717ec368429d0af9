"""The life of a memory after extraction: forget it, save one on purpose, move it, backfill it.

* ``forget``: remove records (and, for whole sessions, what they were made from) from SQLite,
  FTS and the vector index, then check that nothing of them remains.
* ``notes``: ``save_memory``, the note Claude stores on purpose (MCP).
* ``transfer``: export and import observations, summaries and prompts as JSONL.
* ``backfill``: build memory from existing Claude Code transcripts.

The vector index is optional: ``index.open_for_search`` says why there is none, and the work is
then done on SQLite (and FTS) alone; the index catches up at its next sync.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence

from .. import log
from ..index import VectorIndex

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")  # how every stored time begins


def update_index(conn: sqlite3.Connection, index: VectorIndex, what: str) -> str:
    """Bring ``index`` in step with SQLite; returns "" or what went wrong (also logged).

    A failure never undoes what SQLite stored: SQLite is the truth, the next sync catches up.
    """
    from ..index.sync import sync

    try:
        sync(conn, index)
    except Exception as exc:
        problem = f"vector index not updated after {what}: {type(exc).__name__}: {exc}"
        log.warning(problem)
        return problem
    return ""


def drop_from_index(conn: sqlite3.Connection, index: VectorIndex, refs: Sequence[str]) -> list[str]:
    """Delete doc ids from the index and from its record of what it holds; [] or the problem."""
    from ..index import sync

    try:
        index.delete(list(refs))
        sync.forget(conn, refs)
    except Exception as exc:  # SQLite is the truth: the next sync removes them from the index
        return [f"vector index delete failed: {type(exc).__name__}: {exc}"]
    return []


def index_leftovers(index: VectorIndex, refs: Sequence[str]) -> list[str]:
    """Which of ``refs`` the index still holds, as problems ([] when none)."""
    try:
        left = sorted(index.ids().intersection(refs))
    except Exception as exc:
        return [f"vector index could not be checked: {type(exc).__name__}: {exc}"]
    return [f"vector index still holds {', '.join(left[:20])}"] if left else []
