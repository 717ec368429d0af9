"""The Anthropic Messages API wire format: ``/v1/messages``, JSON or SSE, for the SDK provider
and for driving the real Claude Code (which always streams).

``FakeAnthropic`` answers scripted ``Response`` objects first (``push``: messages, errors with
Anthropic's ``{"type": "error", "error": {...}}`` body, delays, drops), else its default
message: a ``Script``'s turn. A ``Script`` is stateless: ``turns[n]`` answers a main-conversation
request that already holds n assistant messages (so ``--continue`` picks up where it left off);
a turn is a string (one text block) or a list of blocks (``{"type": "text", "text": ...}`` or
``{"type": "tool_use", "name": ..., "input": ...}``). ``routes`` answer other conversations
(subagents) by a substring of their first user message; a request offering no tools (an
extraction request) gets "OK". ``count_tokens`` is answered without touching the queue. With
``prompt_cache=True`` the default message's usage reports what Anthropic's prompt cache would
(``PromptCache``). Every POST body is logged in ``script.requests`` as well as ``requests``.
"""

from __future__ import annotations

import itertools
import json
import threading
from typing import Any

from .server import JSON, FakeServer, Recorded, Response, retry_headers

_ids = itertools.count(1)


def blocks_of(turn: str | list[JSON]) -> list[JSON]:
    """Content blocks for a turn; each tool_use gets an id."""
    if isinstance(turn, str):
        return [{"type": "text", "text": turn}]
    return [{"id": f"toolu_fake{next(_ids):06d}", **block} if block["type"] == "tool_use" else block
            for block in turn]


def text_of(content: Any) -> str:
    """The text of message content: a string, or the text blocks joined."""
    if isinstance(content, str):
        return content
    return " ".join(b.get("text", "") for b in content if isinstance(b, dict))


class Script:
    def __init__(self, turns: list[Any], routes: dict[str, list[Any]] | None = None) -> None:
        self.turns, self.routes = turns, routes or {}
        self.requests: list[JSON] = []  # {"path", "body"} of every POST
        self.lock = threading.Lock()

    def answer(self, body: JSON) -> list[JSON]:
        messages = body.get("messages", [])
        done = sum(1 for m in messages if m.get("role") == "assistant")
        users = [m for m in messages if m.get("role") == "user"]
        first = text_of(users[0]["content"]) if users else ""
        for needle, turns in self.routes.items():
            if needle in first:
                return blocks_of(turns[done] if done < len(turns) else "done")
        if not body.get("tools"):
            return blocks_of("OK")
        return blocks_of(self.turns[done] if done < len(self.turns) else "done")


class FakeAnthropic(FakeServer):
    """The Messages API (see the module's docstring)."""

    def __init__(self, script: Script | None = None, *, prompt_cache: bool = False) -> None:
        super().__init__()
        self.script = script or Script([])
        self.cache = PromptCache() if prompt_cache else None

    @staticmethod
    def message(content: str | list[JSON] = "OK", *, model: str = "claude-haiku-4-5",
                input_tokens: int = 100, output_tokens: int = 20, cache_read: int = 0,
                cache_write: int = 0) -> Response:
        """A message of one text block (``content`` a string) or of the blocks given."""
        blocks = blocks_of(content)
        stop = "tool_use" if any(b["type"] == "tool_use" for b in blocks) else "end_turn"
        usage = {"input_tokens": input_tokens, "output_tokens": output_tokens,
                 "cache_read_input_tokens": cache_read, "cache_creation_input_tokens": cache_write}
        return Response(body={"id": f"msg_fake{next(_ids):06d}", "type": "message", "role": "assistant",
                              "model": model, "content": blocks, "stop_reason": stop,
                              "stop_sequence": None, "usage": usage})

    @staticmethod
    def error(status: int, kind: str, message: str, *, retry_after: str | None = None) -> Response:
        """``kind``: rate_limit_error, overloaded_error, authentication_error, not_found_error..."""
        body = {"type": "error", "error": {"type": kind, "message": message}}
        return Response(status, body, retry_headers(retry_after))

    def answer(self, request: Recorded) -> str | list[JSON]:
        """What the default message says (subclasses may override): the script's turn."""
        return self.script.answer(request.body if isinstance(request.body, dict) else {})

    def next_response(self, request: Recorded) -> Response:
        body = request.body if isinstance(request.body, dict) else {}
        if request.method == "POST":
            with self.script.lock:
                self.script.requests.append({"path": request.path, "body": body})
        if "count_tokens" in request.path:
            with self.lock:
                self.requests.append(request)
            return Response(body={"input_tokens": 100})
        return super().next_response(request)

    def default(self, request: Recorded) -> Response:
        body = request.body if isinstance(request.body, dict) else {}
        answer, model = self.answer(request), body.get("model", "claude-fake")
        if self.cache is None:
            return self.message(answer, model=model)
        with self.lock:
            fresh, read, write = self.cache.account(body)
        return self.message(answer, model=model, input_tokens=fresh, output_tokens=len(text_of(answer)) // 4,
                            cache_read=read, cache_write=write)

    def encode(self, request: Recorded, response: Response) -> tuple[bytes, str]:
        streams = isinstance(request.body, dict) and request.body.get("stream")
        if streams and response.status == 200 and isinstance(response.body, dict) \
                and response.body.get("type") == "message":
            return sse(response.body), "text/event-stream"
        return super().encode(request, response)


def _event(event: str, data: JSON) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data)}\n\n".encode()


def sse(message: JSON) -> bytes:
    """``message`` as the Messages API streams it: start, each block (start, delta, stop), end."""
    head = dict(message, content=[], stop_reason=None)
    out = [_event("message_start", {"type": "message_start", "message": head})]
    for i, block in enumerate(message["content"]):
        start: JSON
        delta: JSON
        if block["type"] == "text":
            start, delta = {"type": "text", "text": ""}, {"type": "text_delta", "text": block["text"]}
        else:
            start = {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}
            delta = {"type": "input_json_delta", "partial_json": json.dumps(block["input"])}
        out.append(_event("content_block_start", {"type": "content_block_start", "index": i,
                                                  "content_block": start}))
        out.append(_event("content_block_delta", {"type": "content_block_delta", "index": i,
                                                  "delta": delta}))
        out.append(_event("content_block_stop", {"type": "content_block_stop", "index": i}))
    out.append(_event("message_delta", {"type": "message_delta", "usage": message["usage"],
                                        "delta": {"stop_reason": message["stop_reason"],
                                                  "stop_sequence": None}}))
    out.append(_event("message_stop", {"type": "message_stop"}))
    return b"".join(out)


class PromptCache:
    """What Anthropic's prompt cache would report for a request, at ~4 characters a token.

    The prompt is the system blocks, then every message block, in order. A block marked
    ``cache_control`` writes the prefix ending there; a later request reads the longest prefix
    written before that ends at one of its own block boundaries at or before its last marker
    (Anthropic looks back from each marker). Returns (uncached input, cache read, cache write).
    """

    def __init__(self) -> None:
        self.written: set[str] = set()

    @staticmethod
    def blocks(body: JSON) -> list[JSON]:
        system = body.get("system") or []
        out = [dict(b) for b in ([{"text": system}] if isinstance(system, str) else system)]
        for message in body.get("messages", []):
            content = message.get("content")
            parts = [{"type": "text", "text": content}] if isinstance(content, str) else content
            out += [{"role": message.get("role"), **b} for b in parts]
        return out

    def account(self, body: JSON) -> tuple[int, int, int]:
        raw = self.blocks(body)
        marks = [i for i, b in enumerate(raw) if "cache_control" in b]
        sizes = [len(str(b.get("text", ""))) // 4 for b in raw]
        blocks = [json.dumps({k: v for k, v in b.items() if k != "cache_control"}, sort_keys=True)
                  for b in raw]  # moving a marker does not change the cached content
        prefixes = ["\n".join(blocks[: i + 1]) for i in range(len(blocks))]
        last = marks[-1] if marks else -1
        hit = max((i for i in range(last + 1) if prefixes[i] in self.written), default=-1)
        read = sum(sizes[: hit + 1])
        write = sum(sizes[hit + 1: last + 1])
        self.written.update(prefixes[i] for i in marks)
        return sum(sizes) - read - write, read, write
