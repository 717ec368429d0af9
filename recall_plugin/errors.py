"""The one small error hierarchy of claude-recall."""

from __future__ import annotations


class RecallError(Exception):
    """Base class of every error claude-recall raises on purpose."""


class SettingsError(RecallError):
    """A setting has a bad name or value."""


class StoreError(RecallError):
    """The SQLite store cannot be opened, migrated or written."""


class QueueError(RecallError):
    """The capture spool cannot be written or read."""


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


class ConfigError(ProviderError):
    """Retrying cannot help until a setting changes: missing or invalid key (401/403), unknown
    model (404). The provider is paused until its settings change."""


class HookDeadline(RecallError):
    """A hook ran out of its time budget while scrubbing; only the event's metadata is kept."""
