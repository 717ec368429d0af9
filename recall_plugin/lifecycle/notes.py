"""``save_memory``: a note Claude stores on purpose (through the MCP server).

The note becomes one observation like those the extractor writes: ``title`` is its title,
``text`` its narrative, ``files`` its ``files_read``. It goes through the same privacy filter as
captured text (``<private>`` blocks and secrets never reach the store). Without a session id
it belongs to the day's ``manual:<YYYY-MM-DD>`` session.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from ..capture.privacy import scrub
from ..extract.work import now_iso
from ..index import VectorIndex
from ..records import Observation
from ..store import observations
from ..store.db import write
from ..vocab import OBSERVATION_TYPES, utc_day
from . import update_index


def _clean(text: str) -> str:
    return scrub(text)[0].strip()


def _validate(title: str, project: str, type: str) -> None:
    if type not in OBSERVATION_TYPES:
        raise ValueError(f"type must be one of {', '.join(OBSERVATION_TYPES)}, not {type!r}")
    if not title.strip():
        raise ValueError("a memory needs a non-empty title")
    if not project.strip():
        raise ValueError("a memory needs a project")


def _strings(values: Sequence[str], what: str) -> list[str]:
    if isinstance(values, str) or not all(isinstance(v, str) for v in values):
        raise ValueError(f"{what} must be a list of strings")
    return [_clean(v) for v in values if v.strip()]


def save_memory(conn: sqlite3.Connection, *, title: str, text: str, project: str,
                type: str = "discovery", concepts: Sequence[str] = (), files: Sequence[str] = (),
                session_id: str | None = None, index: VectorIndex | None = None) -> int:
    """Store one note as an observation; index it when ``index`` is given. Returns its id."""
    _validate(title, project, type)
    note = Observation(type, _clean(title), narrative=_clean(text),
                       concepts=tuple(_strings(concepts, "concepts")),
                       files_read=tuple(_strings(files, "files")))
    with write(conn):
        rowid = observations.insert(
            conn, note, session_id=session_id or f"manual:{utc_day()}",
            project=project.strip(), created_at=now_iso())
    if index is not None:
        update_index(conn, index, f"save_memory (observation {rowid})")
    return rowid
