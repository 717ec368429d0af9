"""Write what one provider call produced: the call itself (always), then, in one transaction,
the conversation turns, observations and summary together with the events marked done.

Forgetting wins every race: that transaction first checks that the batch's events all still
exist and that their session was not forgotten. A ``forget`` that ran while the batch was at
the provider leaves nothing to store (not even the conversation turns); events of the batch
that a narrower forget left behind go back to pending, to be sent again without the rest.
Records that read as instructions to the agent are stored flagged (``store.flags``)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from .. import log
from ..providers.base import Reply, Usage
from ..records import Observation, Summary
from ..store import calls, events, observations, sessions, summaries
from ..store.db import write
from ..store.rows import ProviderCall, Turn
from .parse import ParsedReply
from .work import Batch, now_iso, set_state


@dataclass(frozen=True)
class Call:
    """One provider call, as recorded in provider_calls."""

    session_id: str
    provider: str
    model: str
    purpose: str
    usage: Usage
    cost_usd: float
    messages_in_context: int
    duration_ms: int
    error: str | None = None


def record_call(conn: sqlite3.Connection, call: Call) -> None:
    u = call.usage
    with write(conn):
        calls.record(conn, ProviderCall(
            call.session_id, call.provider, call.model, call.purpose, call.error, u.input_tokens,
            u.output_tokens, u.cache_read_tokens, u.cache_write_tokens, u.total_tokens,
            call.cost_usd, call.messages_in_context, call.duration_ms, now_iso()))


def _append_turn(conn: sqlite3.Connection, batch: Batch, role: str, content: str,
                 reply: Reply | None, provider: str, digest: str | None = None) -> None:
    calls.append_turn(conn, Turn(batch.session_id, role, content, digest, tuple(batch.event_ids),
                                 provider if reply else None, reply.model if reply else None),
                      now_iso())


def _insert_observation(conn: sqlite3.Connection, batch: Batch, obs: Observation,
                        tokens: tuple[int, int]) -> None:
    observations.insert(
        conn, obs, session_id=batch.session_id, project=batch.project, created_at=now_iso(),
        prompt_number=batch.prompt_number, source_event_ids=batch.event_ids,
        batch_key=f"{batch.session_id}:{batch.event_ids[0]}-{batch.event_ids[-1]}",
        input_tokens=tokens[0], output_tokens=tokens[1])


def _upsert_summary(conn: sqlite3.Connection, batch: Batch, summary: Summary, usage: Usage) -> None:
    summaries.upsert(conn, summary, session_id=batch.session_id, project=batch.project,
                     prompt_number=batch.prompt_number, stamp=now_iso(),
                     last_event_id=batch.event_ids[-1], input_tokens=usage.input_tokens,
                     output_tokens=usage.output_tokens)


def still_wanted(conn: sqlite3.Connection, batch: Batch) -> bool:
    """Inside the storing transaction: are all the batch's events still there, and is its
    session not forgotten? If not, the events that remain go back to pending."""
    alive = events.count_present(conn, batch.event_ids)
    forgotten = sessions.is_forgotten(conn, batch.session_id)
    if alive == len(batch.event_ids) and not forgotten:
        return True
    if alive and not forgotten:
        events.set_state(conn, batch.event_ids, "pending")
    log.info(f"session {batch.session_id[:8]}: events {batch.event_ids[0]}-{batch.event_ids[-1]} were"
             f" forgotten while at the provider; its reply is not stored")
    return False


def complete(conn: sqlite3.Connection, batch: Batch, turn: tuple[str, str], reply: Reply,
             provider: str, parsed: ParsedReply) -> bool:
    """Store everything the call produced and mark the batch done, atomically. False (nothing
    stored) when the batch's events were forgotten meanwhile."""
    parts = max(1, len(parsed.observations) + (1 if parsed.summary else 0))
    share = (reply.usage.input_tokens // parts, reply.usage.output_tokens // parts)
    with write(conn):
        if not still_wanted(conn, batch):
            return False
        _append_turn(conn, batch, "user", turn[0], None, provider, turn[1])
        _append_turn(conn, batch, "assistant", reply.text, reply, provider)
        for obs in parsed.observations:
            _insert_observation(conn, batch, obs, share)
        if parsed.summary:
            _upsert_summary(conn, batch, parsed.summary, Usage(*share))
        events.mark_done(conn, batch.event_ids)
        set_state(conn, "last_extractor_run", now_iso())
    return True


def tokens_since(conn: sqlite3.Connection, since: str, session_id: str | None = None) -> int:
    return calls.tokens_since(conn, since, session_id)
