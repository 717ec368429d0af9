"""Fit a session's conversation to a provider's limits.

The newest turns are kept, oldest dropped first, and a user turn always travels with the
model's reply to it. Limits: at most ``max_messages`` messages (history plus the new turn) and
``max_tokens`` estimated tokens (system prompt included), at 1 token ~ 4 characters.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..providers.base import Message

CHARS_PER_TOKEN = 4
WARN_REQUEST_TOKENS = 50_000


def estimate_tokens(text: str) -> int:
    return (len(text) + CHARS_PER_TOKEN - 1) // CHARS_PER_TOKEN


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
    tokens = estimate_tokens(system) + estimate_tokens(new_turn.content)
    kept: list[tuple[Message, Message]] = []
    for user, reply in reversed(exchanges):
        cost = estimate_tokens(user.content) + estimate_tokens(reply.content)
        if 2 * (len(kept) + 1) + 1 > max_messages or tokens + cost > max_tokens:
            break
        kept.append((user, reply))
        tokens += cost
    kept.reverse()
    messages = (*(m for pair in kept for m in pair), new_turn)
    return Window(messages, 2 * (len(exchanges) - len(kept)), tokens)
