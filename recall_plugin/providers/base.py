"""What every provider is: a name, the settings it needs, and one call.

A provider turns a ``Request`` (system prompt plus the windowed conversation) into a
``Reply`` (text, model, usage). It raises ``TransientError`` for what may pass (429 with its
Retry-After, 5xx, timeouts, dropped connections, malformed bodies) and ``ConfigError`` for
what only a settings change can fix (no key, 401/403, unknown model), each naming the setting.
Retries, fallback and backoff are the extractor's business, never the provider's: SDK-level
retries are turned off so that no failure is ever retried twice over.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from ..settings import Settings


@dataclass(frozen=True)
class Message:
    role: str  # "user" or "assistant"
    content: str


@dataclass(frozen=True)
class Request:
    system: str
    messages: tuple[Message, ...]
    max_output_tokens: int = 4096
    temperature: float = 0.3


@dataclass(frozen=True)
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cost_usd: float | None = None  # as reported by the provider, when it reports one

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


@dataclass(frozen=True)
class Reply:
    text: str
    model: str
    usage: Usage = field(default_factory=Usage)


class Provider:
    """Base class. Subclasses set the class variables and implement ``complete``."""

    name: ClassVar[str]
    key_setting: ClassVar[str]  # e.g. CLAUDE_RECALL_OPENROUTER_API_KEY
    model_setting: ClassVar[str]

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @property
    def model(self) -> str:
        return self.settings.text(self.model_setting)

    @property
    def window(self) -> tuple[int, int]:
        """(max context messages, max estimated tokens) for this provider."""
        prefix = f"CLAUDE_RECALL_{self.name.upper()}"
        return (self.settings.number(f"{prefix}_MAX_CONTEXT_MESSAGES"),
                self.settings.number(f"{prefix}_MAX_TOKENS"))

    def unusable(self) -> str | None:
        """Why this provider cannot be called with the current settings, or None."""
        if not self.settings.text(self.key_setting):
            return f"no API key: set {self.key_setting}"
        return None

    def complete(self, request: Request) -> Reply:
        raise NotImplementedError

    def close(self) -> None:
        """Release connections (the extractor calls it when settings change)."""
