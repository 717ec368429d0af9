"""A small fake of the Anthropic Messages API on 127.0.0.1, for driving the real Claude Code.

Scripted: ``turns[n]`` answers a main-conversation request that already holds n assistant
messages (stateless, so ``--continue`` picks up where it left off). A turn is a string (one
text block) or a list of blocks (``{"type": "text", "text": ...}`` or ``{"type": "tool_use",
"name": ..., "input": ...}``). ``routes`` answer other conversations (subagents) by a
substring of their first user message. Streams SSE when asked (Claude Code always asks) and
logs every request body.
"""

from __future__ import annotations

import itertools
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_ids = itertools.count(1)


def _blocks(turn: str | list[dict[str, Any]]) -> list[dict[str, Any]]:
    if isinstance(turn, str):
        return [{"type": "text", "text": turn}]
    out = []
    for block in turn:
        if block["type"] == "tool_use":
            block = {"id": f"toolu_fake{next(_ids):06d}", **block}
        out.append(block)
    return out


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    return " ".join(b.get("text", "") for b in content if isinstance(b, dict))


class Script:
    def __init__(self, turns: list[Any], routes: dict[str, list[Any]] | None = None) -> None:
        self.turns, self.routes = turns, routes or {}
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    def answer(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        messages = body.get("messages", [])
        done = sum(1 for m in messages if m.get("role") == "assistant")
        users = [m for m in messages if m.get("role") == "user"]
        first = _text_of(users[0]["content"]) if users else ""
        for needle, turns in self.routes.items():
            if needle in first:
                return _blocks(turns[done] if done < len(turns) else "done")
        if not body.get("tools"):
            return _blocks("OK")
        return _blocks(self.turns[done] if done < len(self.turns) else "done")


def _sse(event: str, data: dict[str, Any]) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data)}\n\n".encode()


def _stream(message: dict[str, Any]) -> bytes:
    head = dict(message, content=[], stop_reason=None)
    out = [_sse("message_start", {"type": "message_start", "message": head})]
    for i, block in enumerate(message["content"]):
        start: dict[str, Any]
        delta: dict[str, Any]
        if block["type"] == "text":
            start, delta = {"type": "text", "text": ""}, {"type": "text_delta", "text": block["text"]}
        else:
            start = {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}
            delta = {"type": "input_json_delta", "partial_json": json.dumps(block["input"])}
        out.append(_sse("content_block_start", {"type": "content_block_start", "index": i,
                                                "content_block": start}))
        out.append(_sse("content_block_delta", {"type": "content_block_delta", "index": i,
                                                "delta": delta}))
        out.append(_sse("content_block_stop", {"type": "content_block_stop", "index": i}))
    out.append(_sse("message_delta", {"type": "message_delta", "usage": message["usage"],
                                      "delta": {"stop_reason": message["stop_reason"],
                                                "stop_sequence": None}}))
    out.append(_sse("message_stop", {"type": "message_stop"}))
    return b"".join(out)


class FakeAnthropic:
    """``with FakeAnthropic(script) as fake: ... fake.url``"""

    def __init__(self, script: Script) -> None:
        self.script = script
        handler = type("Handler", (_Handler,), {"script": script})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> FakeAnthropic:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


class _Handler(BaseHTTPRequestHandler):
    script: Script

    def log_message(self, *args: Any) -> None:
        pass

    def do_HEAD(self) -> None:
        self.send_response(200)
        self.end_headers()

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))) or b"{}")
        with self.script.lock:
            self.script.requests.append({"path": self.path, "body": body})
        if "count_tokens" in self.path:
            return self._send(200, b'{"input_tokens": 100}', "application/json")
        blocks = self.script.answer(body)
        message = {"id": f"msg_fake{next(_ids):06d}", "type": "message", "role": "assistant",
                   "model": body.get("model", "claude-fake"), "content": blocks,
                   "stop_reason": "tool_use" if any(b["type"] == "tool_use" for b in blocks)
                   else "end_turn", "stop_sequence": None,
                   "usage": {"input_tokens": 100, "output_tokens": 20}}
        if body.get("stream"):
            return self._send(200, _stream(message), "text/event-stream")
        return self._send(200, json.dumps(message).encode(), "application/json")

    def _send(self, code: int, payload: bytes, ctype: str) -> None:
        self.send_response(code)
        self.send_header("content-type", ctype)
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)
