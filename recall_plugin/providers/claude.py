"""Claude, the ``claude`` provider: two providers behind one name, chosen by the settings.

**With a key** (CLAUDE_RECALL_CLAUDE_API_KEY, or ANTHROPIC_API_KEY): the Anthropic API through
the ``anthropic`` SDK (``claude_sdk``). **Without one**: the user's own Claude Code, headless
(``claude_cli``), when CLAUDE_RECALL_CLAUDE_CLI finds it; otherwise that provider says there is
no key. Both share the settings (``CLAUDE_RECALL_CLAUDE_*``), Anthropic's usage figures and the
message for neither being there, written here.
"""

from __future__ import annotations

from typing import Any

from ..settings import Settings
from .base import Provider, Usage
from .http import as_int

KEY_SETTING = "CLAUDE_RECALL_CLAUDE_API_KEY"
NO_KEY = "no API key: set CLAUDE_RECALL_CLAUDE_API_KEY (or ANTHROPIC_API_KEY), or install the claude CLI"


class ClaudeBase(Provider):
    """What both ways of calling Claude declare: the name, the key and model settings."""

    name = "claude"
    label = "Anthropic"
    key_setting = KEY_SETTING
    model_setting = "CLAUDE_RECALL_CLAUDE_MODEL"

    @property
    def key(self) -> str:
        return self.settings.text(self.key_setting)

    @property
    def base_url(self) -> str:
        return self.settings.text("CLAUDE_RECALL_CLAUDE_BASE_URL")


def select(settings: Settings) -> Provider:
    """The ``claude`` provider for ``settings``: the SDK with a key, else the claude CLI. (The
    modules are imported only here: the SDK's is cheap, ``anthropic`` itself loads on a call.)"""
    if settings.text(KEY_SETTING):
        from .claude_sdk import ClaudeSdkProvider

        return ClaudeSdkProvider(settings)
    from .claude_cli import ClaudeCliProvider

    return ClaudeCliProvider(settings)


def anthropic_usage(raw: Any, cost: float | None = None) -> Usage:
    """Anthropic usage (input_tokens excludes the cache) -> ``Usage`` (input counts every prompt token)."""
    raw = raw if isinstance(raw, dict) else {}
    read, write = as_int(raw.get("cache_read_input_tokens")), as_int(raw.get("cache_creation_input_tokens"))
    return Usage(input_tokens=as_int(raw.get("input_tokens")) + read + write,
                 output_tokens=as_int(raw.get("output_tokens")), cache_read_tokens=read,
                 cache_write_tokens=write, cost_usd=cost)
