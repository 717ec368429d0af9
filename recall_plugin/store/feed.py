"""The viewer's reads that span tables, as typed records: the live feed's cursor (newest
observation id and summary stamp), one session in order (its row, prompts, observations and
summary), the recent sessions listing (the one join here: sessions, prompts, observations and
summaries) and the projects listing (with their display names).

Single-table reads live with their tables: feed pages and what came after the cursor in
``store.observations``/``store.summaries``, a session's row and prompts in ``store.sessions``,
provider usage and the last call in ``store.calls``. The viewer turns records into JSON at
its edge (``viewer.shapes``).
"""

from __future__ import annotations

import sqlite3
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


def cursor(conn: sqlite3.Connection) -> FeedCursor:
    return FeedCursor(observations.max_id(conn), summaries.max_updated(conn))


def session_view(conn: sqlite3.Connection, session_id: str) -> SessionView | None:
    """Everything stored of one session, in order; None when nothing of it is."""
    session = sessions.get(conn, session_id)
    prompts = sessions.prompts_of(conn, session_id)
    made = observations.of_session(conn, session_id)
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
    return [ProjectListing(project, count, last_at, project_label(conn, project))
            for project, count, last_at in observations.per_project(conn)]


