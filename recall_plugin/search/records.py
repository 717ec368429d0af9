"""Details on demand: the timeline around an observation id or a date."""

from __future__ import annotations

import sqlite3

from ..records import StoredObservation
from ..store import observations


def timeline(conn: sqlite3.Connection, *, around_id: int | None = None, date: str | None = None,
             before: int = 5, after: int = 5, project: str | None = None) -> list[StoredObservation]:
    """Observations in time order around an observation id or an ISO date (default: now)."""
    return observations.timeline(conn, _anchor(conn, around_id, date), before, after, project)


def _anchor(conn: sqlite3.Connection, around_id: int | None, date: str | None) -> str:
    if around_id is not None:
        found = observations.get_one(conn, around_id)
        if found is not None:
            return found.created_at
    if date:
        return date
    return "9999"
