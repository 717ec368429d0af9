"""Details on demand: full records by id, and the timeline around an id or a date."""

from __future__ import annotations

import sqlite3

from ..records import StoredObservation
from ..store import observations


def as_dict(obs: StoredObservation) -> dict[str, object]:
    """An observation as a JSON object: every column (lists as lists) and ``kind``."""
    record = {name: list(value) if isinstance(value, tuple) else value
              for name, value in obs.as_dict().items()}
    record["kind"] = "observation"
    return record


def observation_dict(row: sqlite3.Row) -> dict[str, object]:
    """``as_dict`` of a row the viewer selected itself (until the viewer reads records)."""
    return as_dict(observations.record(dict(zip(row.keys(), tuple(row), strict=True))))


def get_observations(conn: sqlite3.Connection, ids: list[int]) -> list[dict[str, object]]:
    """Full observation records as JSON objects, in the order asked; unknown ids are left out."""
    return [as_dict(obs) for obs in observations.get(conn, ids)]


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
