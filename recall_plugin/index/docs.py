"""SQLite rows as index documents: the text that is embedded and the metadata Chroma filters on.

Doc ids are ``obs:<rowid>`` and ``sum:<rowid>``. An observation's text is its title, subtitle,
narrative and facts; a summary's its request, investigated, learned, completed and next steps.
Metadata: kind, project, type ("summary" for summaries), session_id, created_at (ISO) and
created_ts (epoch seconds, for range filters). Each document comes with its row's version
(observations: created_at; summaries: updated_at) so that a changed summary is embedded again.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from ..records import StoredObservation, StoredSummary
from ..store import indexstate, observations, summaries
from ..vocab import utc_epoch
from . import IndexDoc

KINDS = {"obs": "observation", "sum": "summary"}
TABLES = indexstate.TABLES  # doc id prefix -> table
VERSION_COLUMN = {"obs": "created_at", "sum": "updated_at"}
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


def _join(parts: Sequence[str]) -> str:
    return "\n".join(part.strip() for part in parts if part and part.strip())


def observation_text(obs: StoredObservation) -> str:
    return _join([obs.title, obs.subtitle, obs.narrative, *obs.facts])


def summary_text(summary: StoredSummary) -> str:
    return _join([getattr(summary, name) for name in SUMMARY_FIELDS])


def _metadata(record: StoredObservation | StoredSummary, kind: str, type_: str) -> dict[str, str | int]:
    created = record.created_at
    return {"kind": kind, "project": record.project, "type": type_, "session_id": record.session_id,
            "created_at": created, "created_ts": epoch(created)}


def observation_doc(obs: StoredObservation) -> IndexDoc:
    return IndexDoc(doc_id("obs", obs.id), observation_text(obs), _metadata(obs, "observation", obs.type))


def summary_doc(summary: StoredSummary) -> IndexDoc:
    return IndexDoc(doc_id("sum", summary.id), summary_text(summary),
                    _metadata(summary, "summary", "summary"))


def load(conn: sqlite3.Connection, prefix: str, rowids: Sequence[int]) -> list[tuple[IndexDoc, str]]:
    """The documents of the rows ``rowids`` still in SQLite (by id), each with its version."""
    ids = sorted(set(rowids))
    if prefix == "obs":
        return [(observation_doc(obs), obs.created_at) for obs in observations.get(conn, ids)]
    return [(summary_doc(summary), summary.updated_at) for summary in summaries.get(conn, ids)]
