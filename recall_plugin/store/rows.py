"""Typed records of the activity tables, exchanged between the store and the layers above.

``SpoolEvent`` is one spool line checked by ingest (``queue.ingest.parse_line``): the fields
the ``events`` table has columns for, and the rest (``body``, stored as JSON). ``StoredEvent``
is an event read back for extraction. ``SessionRow``, ``Prompt``, ``Pause``, ``ProviderCall``
and ``Turn`` are rows of ``sessions``, ``prompts``, ``pauses``, ``provider_calls`` and
``turns``. Nothing on the hook path imports this module.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SpoolEvent:
    """One captured event as ingested. Text columns are ``None`` when the line lacks them."""

    key: str
    session_id: str
    kind: str
    ts: str
    project: str | None  # the id (or, from old hooks, the folder name) the hook spooled
    project_name: str | None
    tool_name: str | None
    tool_use_id: str | None
    prompt_id: str | None
    agent_id: str | None
    agent_type: str | None
    private: bool
    body: dict[str, object]  # every other field of the line (prompt, cwd, tool_input, ...)

    def extra(self, name: str) -> object:
        """A field of the body (``None`` when absent)."""
        return self.body.get(name)


@dataclass(frozen=True)
class StoredEvent:
    """An event read back from ``events`` (the extractor's input)."""

    id: int
    session_id: str
    project: str
    kind: str
    tool_name: str
    agent_type: str
    prompt_number: int | None
    body: dict[str, object]
    created_at: str


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


@dataclass(frozen=True)
class Prompt:
    """One row of ``prompts``: a prompt the user typed, numbered within its session."""

    id: int
    session_id: str
    prompt_id: str
    prompt_number: int
    project: str
    text: str
    private: bool
    created_at: str


@dataclass(frozen=True)
class Pause:
    """Why extraction waits on a scope (a row of ``pauses``, without its fingerprint)."""

    scope: str
    reason: str
    setting: str | None


@dataclass(frozen=True)
class ProviderCall:
    """One provider call as recorded in ``provider_calls``."""

    session_id: str
    provider: str
    model: str
    purpose: str
    error: str | None
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    total_tokens: int
    cost_usd: float
    messages_in_context: int
    duration_ms: int
    created_at: str


@dataclass(frozen=True)
class Turn:
    """One turn of a session's conversation with the provider (a row of ``turns``)."""

    session_id: str
    role: str
    content: str
    digest: str | None = None
    event_ids: tuple[int, ...] = ()
    provider: str | None = None
    model: str | None = None
