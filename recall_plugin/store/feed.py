"""The viewer's reads, as typed records: feed pages of observations and summaries, the live
feed's cursor and what came after it, captured sessions with their prompts, and the session
and project listings. The session's row and prompts come from ``store.sessions``; provider
usage and the last call are read by ``store.calls``.

Read-only SQL only; the viewer turns these records into JSON at its edge. Observation and
summary rows become ``StoredObservation``/``StoredSummary`` through their own table modules
(``from_cursor`` of ``store.observations`` and ``store.summaries``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from ..records import StoredObservation, StoredSummary
from . import observations, sessions, summaries
from .projects import project_label
from .rows import Prompt, SessionRow


def _text(value: object) -> str | None:
    return None if value is None else str(value)


@dataclass(frozen=True)
class SessionView:
    """One session in order: its prompts and the observations made from each (ordered by
    prompt number, a prompt before its observations), its summary, and its captured row."""

    session_id: str
    project: str
    session: SessionRow | None
    items: tuple[Prompt | StoredObservation, ...]
    summary: StoredSummary | None
    prompts: int
    observations: int


@dataclass(frozen=True)
class SessionListing:
    """A recent session: when it was last active, what it holds, how it began."""

    session_id: str
    project: str
    last_at: str | None
    observations: int
    prompts: int
    request: str | None
    first_prompt: str | None


@dataclass(frozen=True)
class ProjectListing:
    """A project with observations: its id, how many, the newest, and its display name."""

    project: str
    observations: int
    last_at: str
    name: str


@dataclass(frozen=True)
class FeedCursor:
    """Where a live feed loaded now starts: the newest observation id and the newest summary
    stamp (a replaced summary keeps its id but gets a new ``updated_at``)."""

    observation_id: int
    summary_stamp: str


def _observations(conn: sqlite3.Connection, sql: str, args: Sequence[object]
                  ) -> list[StoredObservation]:
    return list(observations.from_cursor(conn.execute(sql, args)))


def _summaries(conn: sqlite3.Connection, sql: str, args: Sequence[object]) -> list[StoredSummary]:
    return list(summaries.from_cursor(conn.execute(sql, args)))


def _where(project: str | None, before: int | None, types: tuple[str, ...] = ()
           ) -> tuple[str, list[object]]:
    clauses: list[str] = []
    args: list[object] = []
    if project:
        clauses.append("project = ?")
        args.append(project)
    if types:
        clauses.append(f"type IN ({','.join('?' * len(types))})")
        args += types
    if before is not None:
        clauses.append("id < ?")
        args.append(before)
    return " AND ".join(clauses) or "1", args


def observations_page(conn: sqlite3.Connection, *, project: str | None, types: tuple[str, ...],
                      before: int | None, limit: int) -> list[StoredObservation]:
    """Newest observations first (by id), of ``project`` and ``types`` when given, older than
    ``before`` when given."""
    where, args = _where(project, before, types)
    return _observations(conn, f"SELECT * FROM observations WHERE {where} ORDER BY id DESC LIMIT ?",
                         [*args, limit])


def summaries_page(conn: sqlite3.Connection, *, project: str | None, before: int | None,
                   limit: int) -> list[StoredSummary]:
    """Newest summaries first (by id), of ``project`` when given, older than ``before``."""
    where, args = _where(project, before)
    return _summaries(conn, f"SELECT * FROM summaries WHERE {where} ORDER BY id DESC LIMIT ?",
                      [*args, limit])


def observations_after(conn: sqlite3.Connection, after: int, limit: int) -> list[StoredObservation]:
    """Observations stored after id ``after``, oldest first."""
    return _observations(conn, "SELECT * FROM observations WHERE id > ? ORDER BY id LIMIT ?", (after, limit))


def summaries_since(conn: sqlite3.Connection, stamp: str, limit: int) -> list[StoredSummary]:
    """Summaries written or replaced after ``stamp`` (a replaced summary keeps its id)."""
    return _summaries(conn, "SELECT * FROM summaries WHERE updated_at > ? ORDER BY updated_at, id"
                      " LIMIT ?", (stamp, limit))


def cursor(conn: sqlite3.Connection) -> FeedCursor:
    obs = conn.execute("SELECT coalesce(max(id), 0) FROM observations").fetchone()[0]
    stamp = conn.execute("SELECT coalesce(max(updated_at), '') FROM summaries").fetchone()[0]
    return FeedCursor(int(obs), str(stamp))


def session_view(conn: sqlite3.Connection, session_id: str) -> SessionView | None:
    """Everything stored of one session, in order; None when nothing of it is."""
    session = sessions.get(conn, session_id)
    prompts = sessions.prompts_of(conn, session_id)
    made = _observations(conn, "SELECT * FROM observations WHERE session_id = ? ORDER BY id",
                         (session_id,))
    summary = summaries.of_session(conn, session_id)
    if session is None and not prompts and not made and summary is None:
        return None
    stored: list[StoredObservation | StoredSummary] = [*made, *([summary] if summary else [])]
    project = session.project if session else next((r.project for r in stored), "")
    items: list[Prompt | StoredObservation] = [*prompts, *made]
    items.sort(key=_in_session)
    return SessionView(session_id, project, session, tuple(items), summary, len(prompts), len(made))


def _in_session(item: Prompt | StoredObservation) -> tuple[int, int, str, int]:
    """By prompt number (none: last), a prompt before the observations made from it."""
    number = item.prompt_number
    return (number if number is not None else 1 << 30, 0 if isinstance(item, Prompt) else 1,
            item.created_at, item.id)


def sessions_page(conn: sqlite3.Connection, *, project: str | None, limit: int) -> list[SessionListing]:
    """Recent sessions (from captured sessions, or from observations when none were captured)."""
    scope, args = ("WHERE project = ?", [project]) if project else ("", [])
    rows = conn.execute(f"""
        WITH ids AS (SELECT session_id, project, max(created_at) AS at FROM observations {scope}
                     GROUP BY session_id
                     UNION ALL SELECT session_id, project, last_event_at FROM sessions {scope})
        SELECT ids.session_id, min(ids.project) AS project, max(ids.at) AS last_at,
               (SELECT count(*) FROM observations o WHERE o.session_id = ids.session_id) AS observations,
               (SELECT count(*) FROM prompts p WHERE p.session_id = ids.session_id) AS prompts,
               (SELECT request FROM summaries s WHERE s.session_id = ids.session_id) AS request,
               (SELECT text FROM prompts p WHERE p.session_id = ids.session_id AND NOT p.private
                ORDER BY prompt_number LIMIT 1) AS first_prompt
        FROM ids GROUP BY ids.session_id ORDER BY last_at DESC LIMIT ?""", [*args, *args, limit])
    return [SessionListing(str(r[0]), str(r[1]), _text(r[2]), int(r[3]), int(r[4]), _text(r[5]),
                           _text(r[6])) for r in rows]


def projects(conn: sqlite3.Connection) -> list[ProjectListing]:
    """Projects with observations, most recently active first."""
    rows = conn.execute("SELECT project, count(*), max(created_at) FROM observations"
                        " GROUP BY project ORDER BY 3 DESC").fetchall()
    return [ProjectListing(str(r[0]), int(r[1]), str(r[2]), project_label(conn, str(r[0])))
            for r in rows]


