"""What ``status`` shows: queue by state, counts, usage, and the last extractor run."""

from __future__ import annotations

import sqlite3
from dataclasses import asdict, dataclass, field

from . import pauses

QUEUE_STATES = ("pending", "processing", "failed", "dead", "done", "skipped")


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
class Status:
    data_dir: str
    provider: str
    queue: dict[str, int]
    sessions: int
    prompts: int
    events: int
    observations: int
    summaries: int
    last_extractor_run: str | None
    last_error: str | None
    usage_today: UsageToday = UsageToday()
    usage_by_day: tuple[DayUsage, ...] = ()
    usage_by_session: tuple[SessionUsage, ...] = ()
    paused: list[dict[str, str | None]] = field(default_factory=list)
    notes: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, object]:
        data = asdict(self)
        data.update(notes=list(self.notes), usage_by_day=list(data["usage_by_day"]),
                    usage_by_session=list(data["usage_by_session"]))
        return data


def queue_counts(conn: sqlite3.Connection, spooled: int) -> dict[str, int]:
    counts = dict.fromkeys(QUEUE_STATES, 0)
    for state, n in conn.execute("SELECT state, count(*) FROM events GROUP BY state"):
        counts[str(state)] = int(n)
    counts["spooled"] = spooled
    return counts


def count(conn: sqlite3.Connection, table: str) -> int:
    return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def state_value(conn: sqlite3.Connection, name: str) -> str | None:
    row = conn.execute("SELECT value FROM queue_state WHERE name = ?", (name,)).fetchone()
    return str(row[0]) if row else None


def usage_today(conn: sqlite3.Connection) -> UsageToday:
    row = conn.execute(
        "SELECT count(*), coalesce(sum(input_tokens), 0), coalesce(sum(output_tokens), 0),"
        " coalesce(sum(cost_usd), 0) FROM provider_calls WHERE created_at >= date('now')"
    ).fetchone()
    return UsageToday(int(row[0]), int(row[1]), int(row[2]), round(float(row[3]), 6))


USAGE_BY = ("count(*), sum(input_tokens), sum(total_tokens), sum(cost_usd), group_concat(DISTINCT provider)"
            " FROM provider_calls GROUP BY 1")


def usage_by_day(conn: sqlite3.Connection, limit: int) -> tuple[DayUsage, ...]:
    """Calls, tokens and cost per UTC day, newest first."""
    rows = conn.execute(f"SELECT substr(created_at, 1, 10), {USAGE_BY} ORDER BY 1 DESC LIMIT ?",
                        (limit,))
    return tuple(DayUsage(str(r[0]), int(r[1]), int(r[2]), int(r[3]), round(float(r[4]), 6), str(r[5]))
                 for r in rows)


def usage_by_session(conn: sqlite3.Connection, limit: int) -> tuple[SessionUsage, ...]:
    """Calls, tokens and cost per session, the most tokens first."""
    rows = conn.execute(f"SELECT session_id, {USAGE_BY} ORDER BY 4 DESC LIMIT ?", (limit,))
    return tuple(SessionUsage(None if r[0] is None else str(r[0]), int(r[1]), int(r[2]), int(r[3]),
                              round(float(r[4]), 6), str(r[5])) for r in rows)


def paused(conn: sqlite3.Connection) -> list[dict[str, str | None]]:
    """Every pause as ``{"scope", "reason", "setting"}``, oldest first."""
    return [{"scope": p.scope, "reason": p.reason, "setting": p.setting} for p in pauses.listed(conn)]


def collect(conn: sqlite3.Connection, data_dir: str, provider: str, spooled: int = 0,
            notes: tuple[str, ...] = ()) -> Status:
    return Status(
        data_dir=data_dir,
        provider=provider,
        queue=queue_counts(conn, spooled),
        sessions=count(conn, "sessions"),
        prompts=count(conn, "prompts"),
        events=count(conn, "events"),
        observations=count(conn, "observations"),
        summaries=count(conn, "summaries"),
        last_extractor_run=state_value(conn, "last_extractor_run"),
        last_error=state_value(conn, "last_error"),
        usage_today=usage_today(conn),
        usage_by_day=usage_by_day(conn, 7),
        usage_by_session=usage_by_session(conn, 10),
        paused=paused(conn),
        notes=notes,
    )
