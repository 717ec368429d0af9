"""The extractor's side of the store: which events to send next, and what became of them.

Event states: ``pending`` -> ``processing`` (claimed) -> ``done``, or on a provider error
``failed`` (with ``next_attempt_at``, exponential backoff honouring Retry-After) and after
``CLAUDE_RECALL_MAX_ATTEMPTS`` ``dead``. Only one extractor runs per data dir, so rows found
``processing`` at start-up belong to one that died: they go back to ``pending``. Results are
written in the same transaction that marks their events done, so a crash never stores an
observation twice.
"""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass

from ..providers.base import Message
from ..store import calls, events, summaries
from ..store.db import write
from ..store.rows import StoredEvent
from ..vocab import utc_stamp_ms

TOOL_KINDS = ("tool", "tool_failure")
SUMMARY_KINDS = ("stop", "session_end")
MAX_BACKOFF_S = 3600
Sizer = Callable[[StoredEvent], int]


def now_iso(offset_s: float = 0.0) -> str:
    return utc_stamp_ms(time.time() + offset_s)


@dataclass(frozen=True)
class Batch:
    session_id: str
    project: str
    events: tuple[StoredEvent, ...]
    summarize: bool

    @property
    def event_ids(self) -> list[int]:
        return [e.id for e in self.events]

    @property
    def tool_events(self) -> list[StoredEvent]:
        return [e for e in self.events if e.kind in TOOL_KINDS]

    @property
    def prompt_number(self) -> int | None:
        numbers = [e.prompt_number for e in self.events if e.prompt_number]
        return max(numbers) if numbers else None


@dataclass(frozen=True)
class Limits:
    max_events: int
    max_chars: int
    wait_s: float
    drain: bool  # send whatever is due, without waiting for a turn to finish


def reset_stale(conn: sqlite3.Connection) -> int:
    with write(conn):
        return events.reset_processing(conn)


def due_sessions(conn: sqlite3.Connection, skip: set[str]) -> list[str]:
    """Sessions whose oldest unfinished event is due now, oldest first."""
    return [session for session, retry_at in events.due_heads(conn)
            if session not in skip and (retry_at is None or retry_at <= now_iso())]


def _take(rows: list[StoredEvent], limits: Limits, size: Sizer) -> list[StoredEvent]:
    taken: list[StoredEvent] = []
    chars = 0
    for event in rows:
        chars += size(event)
        if taken and (len(taken) >= limits.max_events or chars > limits.max_chars):
            break
        taken.append(event)
        if event.kind in SUMMARY_KINDS:
            break
    return taken


def next_batch(conn: sqlite3.Connection, limits: Limits, skip: set[str],
               size: Sizer) -> Batch | None:
    """The next batch that is ready to send, or None."""
    for session in due_sessions(conn, skip):
        rows = events.unfinished(conn, session, limits.max_events + 1)
        taken = _take(rows, limits, size)
        if taken and (limits.drain or _ready(taken, rows, limits)):
            summarize = taken[-1].kind in SUMMARY_KINDS
            return Batch(session, taken[0].project, tuple(taken), summarize)
    return None


def _ready(taken: list[StoredEvent], rows: list[StoredEvent], limits: Limits) -> bool:
    if taken[-1].kind in SUMMARY_KINDS or len(taken) < len(rows):
        return True  # the turn finished, or the batch is full
    newest = max(e.created_at for e in taken)
    return newest <= now_iso(-limits.wait_s)


def claim(conn: sqlite3.Connection, batch: Batch) -> None:
    _set_state(conn, batch, "processing")


def release(conn: sqlite3.Connection, batch: Batch) -> None:
    """Back to pending, no attempt counted (a pause or budget, not the batch's fault)."""
    _set_state(conn, batch, "pending")


def _set_state(conn: sqlite3.Connection, batch: Batch, state: str) -> None:
    with write(conn):
        events.set_state(conn, batch.event_ids, state)


def backoff_s(attempt: int, base_s: float, retry_after: float | None) -> float:
    computed: float = min(base_s * 2 ** (attempt - 1), MAX_BACKOFF_S) * random.uniform(0.8, 1.2)
    return max(computed, retry_after or 0.0)


def fail(conn: sqlite3.Connection, batch: Batch, error: str, max_attempts: int, base_s: float,
         retry_after: float | None) -> str:
    """Count a failed attempt; returns the new state ('failed' or 'dead')."""
    attempts = 1 + events.most_attempts(conn, batch.event_ids)
    state = "dead" if attempts >= max_attempts else "failed"
    retry_at = now_iso(backoff_s(attempts, base_s, retry_after)) if state == "failed" else None
    with write(conn):
        events.mark_failed(conn, batch.event_ids, state, attempts, retry_at, error[:1000])
        set_state(conn, "last_error", f"{now_iso()} {error[:500]}")
    return state


def history(conn: sqlite3.Connection, session_id: str, digests: bool = True) -> list[Message]:
    """The session's stored conversation; earlier user turns as their digests when asked."""
    return [Message(t.role, t.digest if digests and t.digest else t.content)
            for t in calls.turns(conn, session_id)]


def set_state(conn: sqlite3.Connection, name: str, value: str) -> None:
    calls.set_status(conn, name, value)


def summary_is_current(conn: sqlite3.Connection, batch: Batch) -> bool:
    """True when the session's summary already covers every tool call before this batch."""
    covered = summaries.last_event_id(conn, batch.session_id)
    if covered is None:
        return False
    last_tool = events.last_tool_before(conn, batch.session_id, batch.event_ids[0])
    return last_tool is None or covered >= last_tool


def skip_done(conn: sqlite3.Connection, batch: Batch) -> None:
    """Nothing to ask the model: mark the batch done without a call."""
    with write(conn):
        events.set_state(conn, batch.event_ids, "done")
