"""The providers: one small interface (``base``), one module per provider, created by name.

Claude is two providers behind the one name ``claude``: the API through the SDK with a key
(``claude_sdk``), else the user's own Claude Code (``claude_cli``).
``create(name, settings)`` imports the chosen provider's module only then: importing this
package stays cheap (the ``anthropic`` SDK alone costs about a second, and is imported only
when Claude is called with a key).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from ..errors import ProviderSetupError
from ..vocab import PROVIDER_NAMES

if TYPE_CHECKING:
    from ..settings import Settings
    from .base import Provider


# name -> (module, the class or function that makes the provider from the settings)
_MAKERS = {"claude": ("claude", "select"), "gemini": ("gemini", "GeminiProvider"),
           "openrouter": ("openrouter", "OpenRouterProvider")}


def billing_note(settings: Settings) -> str | None:
    """How the chosen provider's calls are billed, when that is not per token (the user's
    Claude subscription through the claude CLI), for status, doctor and the viewer."""
    name = settings.text("CLAUDE_RECALL_PROVIDER")
    if name != "claude":  # the only provider that can run on a subscription (no module import)
        return None
    try:
        provider = create(name, settings)
    except ImportError:  # before the plugin environment is built: nothing to say yet
        return None
    try:
        return provider.billing()
    finally:
        provider.close()


def create(name: str, settings: Settings) -> Provider:
    """A new provider instance; the caller closes it (``close()``) when done."""
    entry = _MAKERS.get(name)
    if entry is None:
        raise ProviderSetupError(f"unknown provider {name!r}: set CLAUDE_RECALL_PROVIDER to one of "
                          f"{', '.join(PROVIDER_NAMES)}", provider=name, setting="CLAUDE_RECALL_PROVIDER")
    module = import_module(f"{__name__}.{entry[0]}")
    provider: Provider = getattr(module, entry[1])(settings)
    return provider
