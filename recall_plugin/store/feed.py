"""The viewer's reads, as typed records: feed pages of observations and summaries, the live
feed's cursor and what came after it, captured sessions with their prompts, the session and
project listings, provider usage, and the last provider call.

Read-only SQL only; the viewer turns these records into JSON at its edge. Observation and
summary rows become ``StoredObservation``/``StoredSummary`` through their own table modules
(``from_cursor`` of ``store.observations`` and ``store.summaries``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from ..records import StoredObservation, StoredSummary
from . import observations, summaries
from .projects import project_label


def _text(value: object) -> str | None:
    return None if value is None else str(value)


@dataclass(frozen=True)
class SessionRow:
    """One row of ``sessions``: a session the hooks captured."""

    session_id: str
    project: str
    project_root: str | None
    cwd: str | None
    transcript_path: str | None
    started_at: str
    last_event_at: str
    ended_at: str | None
    end_reason: str | None
    prompt_count: int

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> SessionRow:
        return cls(str(row["session_id"]), str(row["project"]), _text(row["project_root"]),
                   _text(row["cwd"]), _text(row["transcript_path"]), str(row["started_at"]),
                   str(row["last_event_at"]), _text(row["ended_at"]), _text(row["end_reason"]),
                   int(row["prompt_count"]))


@dataclass(frozen=True)
class Prompt:
    """A prompt the user typed, as the viewer shows it in a session."""

    id: int
    prompt_number: int
    text: str
    private: bool
    created_at: str


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
class UsageTotals:
    """Provider calls summed: how many, tokens in, out and in all, estimated USD."""

    calls: int
    input_tokens: int
    output_tokens: int
    total_tokens: int
    cost_usd: float


@dataclass(frozen=True)
class ProviderDayUsage:
    day: str
    provider: str
    totals: UsageTotals


@dataclass(frozen=True)
class ProviderUsage:
    provider: str
    totals: UsageTotals


@dataclass(frozen=True)
class ModelUsage:
    provider: str
    model: str
    totals: UsageTotals


@dataclass(frozen=True)
class Usage:
    """Usage per day and provider over the last ``days`` days, per provider, per model (the
    20 biggest), today, and in all."""

    days: int
    by_day: tuple[ProviderDayUsage, ...]
    by_provider: tuple[ProviderUsage, ...]
    by_model: tuple[ModelUsage, ...]
    today: UsageTotals
    totals: UsageTotals


@dataclass(frozen=True)
class LastCall:
    """The newest provider call, as the viewer's status line shows it."""

    provider: str
    model: str
    status: str
    error: str | None
    total_tokens: int
    cost_usd: float
    duration_ms: int
    created_at: str


@dataclass(frozen=True)
class ProviderError:
    """The extractor's last error still worth a warning: when (``""`` if unknown) and what."""

    at: str
    text: str


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


def session_row(conn: sqlite3.Connection, session_id: str) -> SessionRow | None:
    row = conn.execute("SELECT * FROM sessions WHERE session_id = ?", (session_id,)).fetchone()
    return None if row is None else SessionRow.from_row(row)


def prompts_of(conn: sqlite3.Connection, session_id: str) -> list[Prompt]:
    """The prompts of one session, by prompt number."""
    rows = conn.execute("SELECT id, prompt_number, text, private, created_at FROM prompts"
                        " WHERE session_id = ? ORDER BY prompt_number, id", (session_id,))
    return [Prompt(int(r[0]), int(r[1]), str(r[2]), bool(r[3]), str(r[4])) for r in rows]


def session_view(conn: sqlite3.Connection, session_id: str) -> SessionView | None:
    """Everything stored of one session, in order; None when nothing of it is."""
    session = session_row(conn, session_id)
    prompts = prompts_of(conn, session_id)
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


SUMS = ("count(*), coalesce(sum(input_tokens), 0), coalesce(sum(output_tokens), 0),"
        " coalesce(sum(total_tokens), 0), round(coalesce(sum(cost_usd), 0), 6)")


def _totals(row: tuple[object, ...]) -> UsageTotals:
    calls, tokens_in, tokens_out, total, cost = row
    return UsageTotals(int(str(calls)), int(str(tokens_in)), int(str(tokens_out)), int(str(total)),
                       float(str(cost)))


def usage(conn: sqlite3.Connection, days: int) -> Usage:
    """Tokens and estimated cost per day and provider for the last ``days`` days, and totals."""
    since = f"date('now', '-{int(days) - 1} days')"
    by_day = conn.execute(f"SELECT substr(created_at, 1, 10), provider, {SUMS} FROM provider_calls"
                          f" WHERE created_at >= {since} GROUP BY 1, 2 ORDER BY 1, 2")
    by_provider = conn.execute(f"SELECT provider, {SUMS} FROM provider_calls GROUP BY 1 ORDER BY 5 DESC")
    by_model = conn.execute(f"SELECT provider, model, {SUMS} FROM provider_calls GROUP BY 1, 2"
                            " ORDER BY 6 DESC LIMIT 20")
    today = conn.execute(f"SELECT {SUMS} FROM provider_calls WHERE created_at >= date('now')")
    totals = conn.execute(f"SELECT {SUMS} FROM provider_calls")
    return Usage(int(days),
                 tuple(ProviderDayUsage(str(r[0]), str(r[1]), _totals(tuple(r)[2:])) for r in by_day),
                 tuple(ProviderUsage(str(r[0]), _totals(tuple(r)[1:])) for r in by_provider),
                 tuple(ModelUsage(str(r[0]), str(r[1]), _totals(tuple(r)[2:])) for r in by_model),
                 _totals(tuple(today.fetchone())), _totals(tuple(totals.fetchone())))


def last_call(conn: sqlite3.Connection) -> LastCall | None:
    row = conn.execute("SELECT provider, model, status, error, total_tokens, cost_usd, duration_ms,"
                       " created_at FROM provider_calls ORDER BY id DESC LIMIT 1").fetchone()
    if row is None:
        return None
    return LastCall(str(row[0]), str(row[1]), str(row[2]), _text(row[3]), int(row[4]),
                        float(row[5]), int(row[6]), str(row[7]))


def provider_error(conn: sqlite3.Connection, last_error: str | None) -> ProviderError | None:
    """The extractor's last error (``"<stamp> <text>"`` or bare text), or None once a provider
    call has succeeded after it (the banner then has nothing left to warn about)."""
    if not last_error:
        return None
    stamp, _, text = last_error.partition(" ")
    if not (len(stamp) >= 19 and stamp[4:5] == "-" and stamp[10:11] == "T"):
        stamp, text = "", last_error
    row = conn.execute("SELECT MAX(created_at) FROM provider_calls WHERE status = 'ok'").fetchone()
    last_ok = str(row[0]) if row and row[0] else ""
    if last_ok and (not stamp or last_ok > stamp):
        return None
    return ProviderError(stamp, text)
