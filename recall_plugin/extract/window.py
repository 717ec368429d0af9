"""Fit a session's conversation to a provider's limits.

The newest turns are kept, oldest dropped first, and a user turn always travels with the
model's reply to it. Limits: at most ``max_messages`` messages (history plus the new turn) and
``max_tokens`` estimated tokens (system prompt included). Tokens are estimated at ~4
characters each for prose and down to ~3 for code and other punctuation-dense text.

Older turns are not dropped one at a time: once the history is full, it starts again from
the newest exchange (the kept part always begins at a multiple of the limit), so the history
a request starts with stays the same, byte for byte, for many requests in a row and a
provider's prompt cache keeps matching it. This also sends fewer tokens on average.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..providers.base import Message

WARN_REQUEST_TOKENS = 50_000
_SYMBOLS_RE = re.compile(r"[^\w\s]")


def estimate_tokens(text: str) -> int:
    """~4 chars a token for prose, falling to 3 as symbols get denser (code, JSON, diffs)."""
    if not text:
        return 0
    density = len(_SYMBOLS_RE.findall(text)) / len(text)
    chars_per_token = max(3.0, 4.0 - 8.0 * max(0.0, density - 0.04))
    return int(len(text) / chars_per_token) + 1


@dataclass(frozen=True)
class Window:
    messages: tuple[Message, ...]  # kept history, then the new turn
    dropped: int                   # history messages left out
    estimated_tokens: int

    @property
    def too_big(self) -> bool:
        return self.estimated_tokens > WARN_REQUEST_TOKENS


def pairs(history: list[Message]) -> list[tuple[Message, Message]]:
    """The history as (user, assistant) exchanges; anything unpaired is not sent."""
    out: list[tuple[Message, Message]] = []
    for i in range(len(history) - 1):
        if history[i].role == "user" and history[i + 1].role == "assistant":
            out.append((history[i], history[i + 1]))
    return out


def fit(system: str, history: list[Message], new_turn: Message, max_messages: int,
        max_tokens: int) -> Window:
    exchanges = pairs(history)
    costs = [estimate_tokens(u.content) + estimate_tokens(a.content) for u, a in exchanges]
    fixed = estimate_tokens(system) + estimate_tokens(new_turn.content)
    most = max(0, (max_messages - 1) // 2)  # exchanges that fit the message limit
    start, total = len(exchanges), fixed
    while start > 0 and len(exchanges) - start < most and total + costs[start - 1] <= max_tokens:
        start -= 1
        total += costs[start]
    step = max(1, most)
    aligned = -(-start // step) * step  # the next multiple of step
    if 0 < start < aligned < len(exchanges):  # (never down to no history at all)
        total -= sum(costs[start:aligned])
        start = aligned
    kept = exchanges[start:]
    messages = (*(m for pair in kept for m in pair), new_turn)
    return Window(messages, 2 * start, total)
