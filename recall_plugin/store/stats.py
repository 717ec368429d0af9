"""What ``status`` shows: queue by state, counts, usage, and the last extractor run."""

from __future__ import annotations

import sqlite3
from dataclasses import asdict, dataclass, field

QUEUE_STATES = ("pending", "processing", "failed", "dead", "done", "skipped")


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
    usage_today: dict[str, float] = field(default_factory=dict)
    usage_by_day: list[dict[str, object]] = field(default_factory=list)
    usage_by_session: list[dict[str, object]] = field(default_factory=list)
    paused: list[dict[str, str | None]] = field(default_factory=list)
    notes: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["notes"] = list(self.notes)
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


def usage_today(conn: sqlite3.Connection) -> dict[str, float]:
    row = conn.execute(
        "SELECT count(*), coalesce(sum(input_tokens), 0), coalesce(sum(output_tokens), 0),"
        " coalesce(sum(cost_usd), 0) FROM provider_calls WHERE created_at >= date('now')"
    ).fetchone()
    return {"calls": row[0], "input_tokens": row[1], "output_tokens": row[2],
            "cost_usd": round(float(row[3]), 6)}


def usage_by(conn: sqlite3.Connection, key: str, limit: int) -> list[dict[str, object]]:
    """Calls, tokens and cost grouped by day or by session, newest or biggest first."""
    group = "substr(created_at, 1, 10)" if key == "day" else "session_id"
    order = "1 DESC" if key == "day" else "4 DESC"
    rows = conn.execute(
        f"SELECT {group}, count(*), sum(input_tokens), sum(total_tokens), sum(cost_usd),"
        f" group_concat(DISTINCT provider) FROM provider_calls GROUP BY 1 ORDER BY {order}"
        f" LIMIT {int(limit)}").fetchall()
    return [{key: r[0], "calls": r[1], "input_tokens": r[2], "total_tokens": r[3],
             "cost_usd": round(float(r[4]), 6), "providers": r[5]} for r in rows]


def paused(conn: sqlite3.Connection) -> list[dict[str, str | None]]:
    return [{"scope": r[0], "reason": r[1], "setting": r[2]}
            for r in conn.execute("SELECT scope, reason, setting FROM pauses ORDER BY created_at")]


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
        usage_by_day=usage_by(conn, "day", 7),
        usage_by_session=usage_by(conn, "session_id", 10),
        paused=paused(conn),
        notes=notes,
    )
