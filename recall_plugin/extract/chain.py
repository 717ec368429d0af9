"""The extractor's provider chain, its pauses and its token budgets.

``Chain.providers`` gives the providers to try for a batch, in order: the chosen one, then the
fallback. A provider is made once and kept while its settings (and the general request
settings) stay the same. A provider paused by a configuration error (bad key, unknown model)
stops extraction until its settings change: falling back would hide what to fix. One that is
merely unusable (no key) falls back, said once per run. With no provider left, extraction
pauses (``no-provider``) until any setting changes.

``Chain.over_budget`` is the one budget check: the daily token budget, or one session's. A
budget reached pauses extraction without losing anything; the pause says which setting to raise.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from .. import log, settings
from ..errors import ProviderError
from ..providers import create
from ..providers.base import Provider
from ..vocab import utc_day
from . import pauses
from .results import tokens_since


class Chain:
    def __init__(self, conn: sqlite3.Connection, out: Callable[[str], None]) -> None:
        self.conn, self.out = conn, out
        self.made: dict[str, tuple[str, Provider]] = {}  # name -> (settings fingerprint, provider)
        self.said: set[str] = set()

    def providers(self, conf: settings.Settings) -> list[Provider]:
        """The providers to try, in order. A provider paused by a configuration error (bad
        key, unknown model) stops extraction until fixed; a missing key falls back."""
        primary = conf.text("CLAUDE_RECALL_PROVIDER")
        fallback = conf.text("CLAUDE_RECALL_FALLBACK_PROVIDER")
        names = [primary] + ([fallback] if fallback not in ("none", primary) else [])
        chain, reasons = [], []
        for name in names:
            provider = self._provider(conf, name)
            paused = pauses.active(self.conn, f"provider:{name}", _print(conf, name))
            if paused and name == primary:
                return []  # the pause says what to fix; falling back would hide it
            why = paused.reason if paused else provider.unusable()
            if why is None:
                chain.append(provider)
            else:
                reasons.append(f"{name}: {why}")
        if reasons and chain:
            self._once(f"provider {reasons[0]}; using {chain[0].name}")
        if not chain:
            self._pause_all(conf, "; ".join(reasons))
        else:
            pauses.lift(self.conn, "no-provider")
        return chain

    def pause(self, conf: settings.Settings, provider: Provider, error: ProviderError) -> None:
        """Stop calling ``provider`` until its settings change (a configuration error)."""
        reason = f"{provider.name} paused: {error}"
        pauses.pause(self.conn, f"provider:{provider.name}", reason, error.setting,
                     _print(conf, provider.name))
        log.error(reason)
        self.out(reason)

    def over_budget(self, conf: settings.Settings, session_id: str | None = None) -> bool:
        """Whether the daily token budget (or, given ``session_id``, that session's) is spent:
        then it pauses that scope, else lifts its pause. A budget of 0 is no budget."""
        if session_id is None:
            setting, scope, what = "CLAUDE_RECALL_DAILY_TOKEN_BUDGET", "budget:daily", "daily"
            since, advice = utc_day(), " or wait for tomorrow"
        else:
            setting, scope = "CLAUDE_RECALL_SESSION_TOKEN_BUDGET", f"budget:session:{session_id}"
            what, since, advice = f"session {session_id[:8]}", "", ""
        cap = conf.number(setting)
        spent = tokens_since(self.conn, since, session_id) if cap else 0
        if cap and spent >= cap:
            pauses.pause(self.conn, scope, f"{what} token budget reached ({spent:,} of {cap:,}): "
                         f"raise {setting}{advice}", setting, str(cap))
            return True
        pauses.lift(self.conn, scope)
        return False

    def close(self) -> None:
        for _, provider in self.made.values():
            provider.close()

    def _provider(self, conf: settings.Settings, name: str) -> Provider:
        key = _print(conf, name) + pauses.fingerprint(conf, "CLAUDE_RECALL_REQUEST")
        cached = self.made.get(name)
        if cached and cached[0] == key:
            return cached[1]
        if cached:
            cached[1].close()
        provider = create(name, conf)
        self.made[name] = (key, provider)
        return provider

    def _pause_all(self, conf: settings.Settings, reason: str) -> None:
        pauses.pause(self.conn, "no-provider", f"no usable provider: {reason}", None,
                     pauses.fingerprint(conf, "CLAUDE_RECALL_"))
        self._once(f"extraction paused: no usable provider ({reason})")

    def _once(self, message: str) -> None:
        """A warning logged once per run (the loop asks every half second)."""
        if message not in self.said:
            self.said.add(message)
            log.warning(message)


def _print(conf: settings.Settings, name: str) -> str:
    """The fingerprint of provider ``name``'s own settings: its pause lifts when they change."""
    return pauses.fingerprint(conf, f"CLAUDE_RECALL_{name.upper()}_")
