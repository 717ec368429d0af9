"""What every provider is: a name, the settings it needs, and one call.

A provider turns a ``Request`` (system prompt plus the windowed conversation) into a
``Reply`` (text, model, usage). It raises ``TransientError`` for what may pass (429 with its
Retry-After, 5xx, timeouts, dropped connections, malformed bodies) and ``ProviderSetupError`` for
what only a settings change can fix (no key, 401/403, unknown model), each naming the setting.
Retries, fallback and backoff are the extractor's business, never the provider's: SDK-level
retries are turned off so that no failure is ever retried twice over.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import ClassVar
from urllib.parse import urlsplit

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
    truncated: bool = False  # the output token limit cut it off (length, max_tokens, MAX_TOKENS)


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

    def setting(self, suffix: str) -> int:
        return self.settings.number(f"CLAUDE_RECALL_{self.name.upper()}_{suffix}")

    @property
    def window(self) -> tuple[int, int]:
        return window_of(self.settings, self.name)

    @property
    def max_output_tokens(self) -> int:
        return self.setting("MAX_OUTPUT_TOKENS")

    @property
    def base_url(self) -> str:
        return ""

    @property
    def timeout(self) -> float:
        """Seconds one call may take: the provider's own setting, else the general one, or
        CLAUDE_RECALL_LOCAL_TIMEOUT_S for a server on this machine (local models are slow)."""
        own = self.setting("REQUEST_TIMEOUT_S")
        if own:
            return float(own)
        general = "CLAUDE_RECALL_LOCAL_TIMEOUT_S" if is_loopback(self.base_url) else \
            "CLAUDE_RECALL_REQUEST_TIMEOUT_S"
        return float(self.settings.number(general))

    def billing(self) -> str | None:
        """A note on how calls are billed when it is not per token with an API key, or None."""
        return None

    def unusable(self) -> str | None:
        """Why this provider cannot be called with the current settings, or None."""
        if not self.settings.text(self.key_setting):
            return f"no API key: set {self.key_setting}"
        return None

    def complete(self, request: Request) -> Reply:
        raise NotImplementedError

    def close(self) -> None:
        """Release connections (the extractor calls it when settings change)."""


def window_of(settings: Settings, name: str) -> tuple[int, int]:
    """(max context messages, max estimated prompt tokens) for provider ``name``: the token
    budget, and never more than the context size less the output tokens asked for. (A
    function: the extractor sizes batches with it without importing a provider's module.)"""
    prefix = f"CLAUDE_RECALL_{name.upper()}"
    room = settings.number(f"{prefix}_CONTEXT_TOKENS") - settings.number(f"{prefix}_MAX_OUTPUT_TOKENS")
    return (settings.number(f"{prefix}_MAX_CONTEXT_MESSAGES"),
            max(256, min(settings.number(f"{prefix}_MAX_TOKENS"), room)))


def is_loopback(url: str) -> bool:
    """Whether ``url`` points at this machine (localhost, 127.0.0.0/8, ::1, 0.0.0.0)."""
    host = (urlsplit(url.strip()).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified
