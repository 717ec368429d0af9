"""What ``status`` shows: queue by state, counts, usage, and the last extractor run.

Read-only and no SQL of its own: each figure comes from its table's module (``events``,
``sessions``, ``observations``, ``summaries``, ``calls``, ``pauses``).
"""

from __future__ import annotations

import sqlite3
from dataclasses import asdict, dataclass, field

from . import calls, events, observations, pauses, sessions, summaries
from .calls import DayUsage, SessionUsage, UsageToday

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
    usage_today: UsageToday = field(default_factory=UsageToday)
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
    return {**dict.fromkeys(QUEUE_STATES, 0), **events.count_by_state(conn), "spooled": spooled}


def paused(conn: sqlite3.Connection) -> list[dict[str, str | None]]:
    """Every pause as ``{"scope", "reason", "setting"}``, oldest first."""
    return [{"scope": p.scope, "reason": p.reason, "setting": p.setting} for p in pauses.listed(conn)]


def collect(conn: sqlite3.Connection, data_dir: str, provider: str, spooled: int = 0,
            notes: tuple[str, ...] = ()) -> Status:
    return Status(
        data_dir=data_dir,
        provider=provider,
        queue=queue_counts(conn, spooled),
        sessions=sessions.count(conn),
        prompts=sessions.count_prompts(conn),
        events=events.count(conn),
        observations=observations.count(conn),
        summaries=summaries.count(conn),
        last_extractor_run=calls.status(conn, "last_extractor_run"),
        last_error=calls.status(conn, "last_error"),
        usage_today=calls.usage_today(conn),
        usage_by_day=calls.usage_by_day(conn, 7),
        usage_by_session=calls.usage_by_session(conn, 10),
        paused=paused(conn),
        notes=notes,
    )
