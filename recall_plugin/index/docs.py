"""SQLite rows as index documents: the text that is embedded and the metadata Chroma filters on.

Doc ids are ``obs:<rowid>`` and ``sum:<rowid>``. An observation's text is its title, subtitle,
narrative and facts; a summary's its request, investigated, learned, completed and next steps.
Metadata: kind, project, type ("summary" for summaries), session_id, created_at (ISO) and
created_ts (epoch seconds, for range filters). Each document comes with its row's version
(observations: created_at; summaries: updated_at) so that a changed summary is embedded again.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence

from ..store import indexstate
from ..vocab import utc_epoch
from . import IndexDoc

KINDS = {"obs": "observation", "sum": "summary"}
TABLES = indexstate.TABLES  # doc id prefix -> table
VERSION_COLUMN = {"obs": "created_at", "sum": "updated_at"}
OBSERVATION_COLUMNS = "id, session_id, project, type, title, subtitle, narrative, facts, created_at"
SUMMARY_COLUMNS = ("id, session_id, project, request, investigated, learned, completed, next_steps,"
                   " created_at, updated_at")
SUMMARY_FIELDS = ("request", "investigated", "learned", "completed", "next_steps")


def doc_id(prefix: str, rowid: int) -> str:
    return f"{prefix}:{rowid}"


def parse_id(value: str) -> tuple[str, int]:
    """``("obs", 12)`` from ``"obs:12"``; ``ValueError`` for anything else."""
    prefix, _, number = value.partition(":")
    if prefix not in KINDS or not number.isdigit():
        raise ValueError(f"not an index doc id: {value!r}")
    return prefix, int(number)


def epoch(stamp: str) -> int:
    """Epoch seconds of an ISO UTC timestamp ("2025-01-02T03:04:05.678Z" or a date); 0 if bad."""
    return utc_epoch(stamp)


def _facts(raw: str) -> list[str]:
    try:
        value = json.loads(raw or "[]")
    except ValueError:
        return [raw]
    if isinstance(value, list):
        return [str(item) for item in value if str(item).strip()]
    return [str(value)]


def _join(parts: Sequence[str]) -> str:
    return "\n".join(part.strip() for part in parts if part and part.strip())


def observation_text(row: sqlite3.Row) -> str:
    return _join([row["title"], row["subtitle"], row["narrative"], *_facts(row["facts"])])


def summary_text(row: sqlite3.Row) -> str:
    return _join([row[name] for name in SUMMARY_FIELDS])


def _metadata(row: sqlite3.Row, kind: str, type_: str) -> dict[str, str | int]:
    created = str(row["created_at"])
    return {"kind": kind, "project": str(row["project"]), "type": type_,
            "session_id": str(row["session_id"]), "created_at": created, "created_ts": epoch(created)}


def observation_doc(row: sqlite3.Row) -> IndexDoc:
    return IndexDoc(doc_id("obs", row["id"]), observation_text(row),
                    _metadata(row, "observation", str(row["type"])))


def summary_doc(row: sqlite3.Row) -> IndexDoc:
    return IndexDoc(doc_id("sum", row["id"]), summary_text(row), _metadata(row, "summary", "summary"))


def load(conn: sqlite3.Connection, prefix: str, rowids: Sequence[int]) -> list[tuple[IndexDoc, str]]:
    """The documents of the rows ``rowids`` still in SQLite, each with its version."""
    if not rowids:
        return []
    columns = OBSERVATION_COLUMNS if prefix == "obs" else SUMMARY_COLUMNS
    build = observation_doc if prefix == "obs" else summary_doc
    marks = ",".join("?" * len(rowids))
    cursor = conn.cursor()
    cursor.row_factory = sqlite3.Row  # whatever the connection's own factory is
    rows = cursor.execute(f"SELECT {columns} FROM {TABLES[prefix]} WHERE id IN ({marks}) ORDER BY id",
                          list(rowids)).fetchall()
    return [(build(row), str(row[VERSION_COLUMN[prefix]])) for row in rows]
