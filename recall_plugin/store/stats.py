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
        notes=notes,
    )
