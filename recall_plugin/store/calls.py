"""The extractor's bookkeeping, the only SQL against its tables: ``provider_calls``, the
conversation ``turns`` kept per session, and the ``queue_state`` values (last run, last
error). Writes (forget's deletions aside, in ``store.selection``; callers own the
transaction), and the reads: budgets' token sums, a session's turns, the usage totals that
``status`` (``store.stats``) and the viewer show, and the last call and provider error.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from .rows import ProviderCall, Turn


def record(conn: sqlite3.Connection, call: ProviderCall) -> None:
    """Store one provider call (status ``error`` when it carries an error)."""
    conn.execute(
        "INSERT INTO provider_calls (session_id, provider, model, purpose, status, error,"
        " input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, total_tokens,"
        " cost_usd, messages_in_context, duration_ms, created_at)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (call.session_id, call.provider, call.model, call.purpose,
         "error" if call.error else "ok", call.error, call.input_tokens, call.output_tokens,
         call.cache_read_tokens, call.cache_write_tokens, call.total_tokens, call.cost_usd,
         call.messages_in_context, call.duration_ms, call.created_at))


def tokens_since(conn: sqlite3.Connection, since: str, session_id: str | None = None) -> int:
    """Tokens spent by calls from ``since`` on (of one session when given)."""
    sql = "SELECT coalesce(sum(total_tokens), 0) FROM provider_calls WHERE created_at >= ?"
    args: list[str] = [since]
    if session_id is not None:
        sql += " AND session_id = ?"
        args.append(session_id)
    return int(conn.execute(sql, args).fetchone()[0])


def count_ok(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM provider_calls WHERE status = 'ok'").fetchone()[0])


# -- turns ----------------------------------------------------------------------------------
def append_turn(conn: sqlite3.Connection, turn: Turn, created_at: str) -> None:
    """Add ``turn`` after the session's last one."""
    seq = conn.execute("SELECT coalesce(max(seq), 0) + 1 FROM turns WHERE session_id = ?",
                       (turn.session_id,)).fetchone()[0]
    conn.execute(
        "INSERT INTO turns (session_id, seq, role, content, digest, event_ids, provider, model,"
        " created_at) VALUES (?,?,?,?,?,?,?,?,?)",
        (turn.session_id, seq, turn.role, turn.content, turn.digest, json.dumps(list(turn.event_ids)),
         turn.provider, turn.model, created_at))


def turns(conn: sqlite3.Connection, session_id: str) -> list[Turn]:
    """The session's conversation, in order."""
    return [Turn(session_id, r["role"], r["content"], r["digest"], tuple(json.loads(r["event_ids"])),
                 r["provider"], r["model"])
            for r in conn.execute("SELECT role, content, digest, event_ids, provider, model"
                                  " FROM turns WHERE session_id = ? ORDER BY seq", (session_id,))]


def turns_touching(conn: sqlite3.Connection, session_ids: Sequence[str],
                   event_ids: set[int]) -> list[int]:
    """Ids of the turns of these sessions that rendered or answered one of ``event_ids``."""
    return sorted(int(r[0]) for session in session_ids for r in conn.execute(
        "SELECT id, event_ids FROM turns WHERE session_id = ?", (session,))
        if event_ids.intersection(json.loads(r[1])))


def turns_after(conn: sqlite3.Connection, after: int, event_ids: set[int]) -> list[int]:
    """Ids of the turns stored after turn ``after`` that rendered or answered one of
    ``event_ids``."""
    return [int(r[0]) for r in conn.execute("SELECT id, event_ids FROM turns WHERE id > ?", (after,))
            if event_ids.intersection(json.loads(r[1] or "[]"))]


def max_turn_id(conn: sqlite3.Connection) -> int:
    """The newest turn's id (0: none)."""
    return int(conn.execute("SELECT coalesce(max(id), 0) FROM turns").fetchone()[0])


# -- queue_state ----------------------------------------------------------------------------
def set_status(conn: sqlite3.Connection, name: str, value: str) -> None:
    conn.execute("INSERT INTO queue_state (name, value) VALUES (?, ?)"
                 " ON CONFLICT(name) DO UPDATE SET value = excluded.value", (name, value))


def status(conn: sqlite3.Connection, name: str) -> str | None:
    """The ``queue_state`` value ``name`` (None: never set)."""
    row = conn.execute("SELECT value FROM queue_state WHERE name = ?", (name,)).fetchone()
    return str(row[0]) if row else None


# -- usage and the last call, as the viewer shows them --------------------------------------
@dataclass(frozen=True)
class UsageToday:
    """Provider calls since midnight UTC: how many, tokens in and out, estimated USD."""

    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0


@dataclass(frozen=True)
class DayUsage:
    """Provider calls of one UTC day: tokens, estimated USD, and the providers used."""

    day: str
    calls: int
    input_tokens: int
    total_tokens: int
    cost_usd: float
    providers: str


@dataclass(frozen=True)
class SessionUsage:
    """Provider calls made for one session (``None``: calls outside any session)."""

    session_id: str | None
    calls: int
    input_tokens: int
    total_tokens: int
    cost_usd: float
    providers: str


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


def usage_today(conn: sqlite3.Connection) -> UsageToday:
    row = conn.execute(
        "SELECT count(*), coalesce(sum(input_tokens), 0), coalesce(sum(output_tokens), 0),"
        " coalesce(sum(cost_usd), 0) FROM provider_calls WHERE created_at >= date('now')"
    ).fetchone()
    return UsageToday(int(row[0]), int(row[1]), int(row[2]), round(float(row[3]), 6))


USAGE_BY = ("count(*), sum(input_tokens), sum(total_tokens), sum(cost_usd), group_concat(DISTINCT provider)"
            " FROM provider_calls GROUP BY 1")


def _usage_of(row: sqlite3.Row) -> tuple[int, int, int, float, str]:
    """A ``USAGE_BY`` row's figures after its group key: calls, tokens in, all tokens, USD, providers."""
    return int(row[1]), int(row[2]), int(row[3]), round(float(row[4]), 6), str(row[5])


def usage_by_day(conn: sqlite3.Connection, limit: int) -> tuple[DayUsage, ...]:
    """Calls, tokens and cost per UTC day, newest first."""
    rows = conn.execute(f"SELECT substr(created_at, 1, 10), {USAGE_BY} ORDER BY 1 DESC LIMIT ?",
                        (limit,))
    return tuple(DayUsage(str(r[0]), *_usage_of(r)) for r in rows)


def usage_by_session(conn: sqlite3.Connection, limit: int) -> tuple[SessionUsage, ...]:
    """Calls, tokens and cost per session, the most tokens first."""
    rows = conn.execute(f"SELECT session_id, {USAGE_BY} ORDER BY 4 DESC LIMIT ?", (limit,))
    return tuple(SessionUsage(None if r[0] is None else str(r[0]), *_usage_of(r)) for r in rows)


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
    error = None if row[3] is None else str(row[3])
    return LastCall(str(row[0]), str(row[1]), str(row[2]), error, int(row[4]), float(row[5]),
                    int(row[6]), str(row[7]))


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
