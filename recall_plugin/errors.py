"""The one small error hierarchy of claude-recall: every error it raises on purpose.

    RecallError
    ├── SettingsError          a setting has a bad name or value
    ├── StoreError             the SQLite store cannot be opened, migrated or written
    │   └── BarrierTimeout     (also TimeoutError) forget's barrier stayed held too long
    ├── IndexUnavailable       no vector index can be used now (search runs on FTS5 alone)
    ├── ExtractorBusy          another extractor holds this data dir's lock
    ├── ReplyParseError        (also ValueError) a model reply holds nothing usable
    │   └── CutInReasoning     the reply ends inside a reasoning block (output limit)
    ├── BadRecord              (also ValueError) an imported line is not a valid record
    ├── BadInput               (also ValueError) an MCP tool argument Claude can fix
    │   └── BadArguments       arguments that do not fit the tool's input schema
    ├── RpcError               a JSON-RPC error the MCP server answers with (its code)
    ├── UnknownTool            (also LookupError) no MCP tool of that name
    ├── HookDeadline           a hook ran out of its time budget (only metadata is kept)
    └── ProviderError          a provider call failed
        ├── TransientError     worth retrying or falling back (429, 5xx, timeouts)
        │   └── BadReplyError  an answer, but nothing usable in it
        ├── ContextOverflowError  the request is longer than the model's context
        └── ProviderSetupError retrying cannot help until a provider setting changes

Ground floor: imports nothing (the hook hot path may import it).
"""

from __future__ import annotations


class RecallError(Exception):
    """Base class of every error claude-recall raises on purpose."""


class SettingsError(RecallError):
    """A setting has a bad name or value."""


class StoreError(RecallError):
    """The SQLite store cannot be opened, migrated or written."""


class IndexUnavailable(RecallError):
    """No vector index can be used now (the reason says why and what to do).

    ``kind``: "off", "model" (no usable model), "mismatch" (built with another model),
    "unreachable" (server or cloud), "busy" (another process holds the local index's lock) or
    "error" (on a local folder: likely corrupt; a rebuild moves it aside).
    """

    def __init__(self, message: str, *, kind: str = "error") -> None:
        super().__init__(message)
        self.kind = kind


class ExtractorBusy(RecallError):
    """Another extractor holds the lock for this data dir."""


class ReplyParseError(RecallError, ValueError):
    """The reply holds nothing usable (empty, prose only, no block at all)."""


class BadRecord(RecallError, ValueError):
    """A line that is not a valid record; the message says why."""


class BadInput(RecallError, ValueError):
    """An argument Claude can fix: the message goes back as is."""


class ProviderError(RecallError):
    """A provider call failed. ``setting`` names what the user should fix, when that helps."""

    def __init__(self, message: str, *, provider: str = "", status: int | None = None,
                 setting: str | None = None) -> None:
        super().__init__(message)
        self.provider, self.status, self.setting = provider, status, setting


class TransientError(ProviderError):
    """Worth retrying or falling back: 429, 5xx, timeouts, dropped connections."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: object) -> None:
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.retry_after = retry_after


class BadReplyError(TransientError):
    """The provider answered, but not with something usable (malformed body, empty text)."""


class ContextOverflowError(ProviderError):
    """The request is longer than the model's context: only a smaller request can help (the
    extractor shrinks the window and retries at once, then falls back)."""


class ProviderSetupError(ProviderError):
    """Retrying cannot help until a setting changes: missing or invalid key (401/403), unknown
    model (404). The provider is paused until its settings change."""


class HookDeadline(RecallError):
    """A hook ran out of its time budget while scrubbing; only the event's metadata is kept."""


class BarrierTimeout(StoreError, TimeoutError):
    """Forget's barrier stayed held by another process for longer than allowed."""


class CutInReasoning(ReplyParseError):
    """The reply ends inside a reasoning block: the output limit cut it off."""


class BadArguments(BadInput):
    """Arguments that do not fit the tool's input schema (the message says which and why)."""


class RpcError(RecallError):
    """A JSON-RPC error the MCP server answers with."""

    def __init__(self, code: int, message: str, data: object = None) -> None:
        super().__init__(message)
        self.code, self.message, self.data = code, message, data


class UnknownTool(RecallError, LookupError):
    """No MCP tool of that name (the server answers with a protocol error, -32602)."""
