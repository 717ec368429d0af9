"""Scriptable fake provider servers on 127.0.0.1 (standard library only).

One base class, ``FakeServer``: a ``ThreadingHTTPServer`` with a queue of scripted
``Response`` objects (status, headers, JSON or raw body, a delay for timeout tests, or
``drop=True`` to close the connection without answering) and a log of every request (path,
headers, parsed JSON body). When the queue is empty the server answers with its wire format's
default success reply. Subclasses speak one wire format each and build replies and errors in
that provider's real shape:

* ``FakeOpenAI``: OpenAI-compatible ``/chat/completions`` (OpenRouter, Ollama, vLLM).
* ``FakeGemini``: ``/models/{model}:generateContent``.
* ``FakeAnthropicAPI``: ``/v1/messages``, JSON or SSE; wraps ``fake_anthropic.Script`` so the
  real Claude Code CLI (which always streams) can be answered too.

``with FakeOpenAI() as fake: fake.push(FakeOpenAI.error(429, "slow down", retry_after="7"))``
"""

from __future__ import annotations

import json
import socket
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from fake_anthropic import Script, _stream

JSON = dict[str, Any]


@dataclass
class Response:
    status: int = 200
    body: JSON | bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering
    drop: bool = False  # close the connection without any answer

    def payload(self) -> bytes:
        return self.body if isinstance(self.body, bytes) else json.dumps(self.body).encode()


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]  # names lower-cased
    body: Any  # parsed JSON, or None when the body was not JSON


class FakeServer:
    """Base class: scripted responses, recorded requests, ``with`` to run."""

    def __init__(self) -> None:
        self.responses: deque[Response] = deque()
        self.requests: list[Recorded] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        handler = type("Handler", (_Handler,), {"fake": self})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> FakeServer:
        threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()  # wakes handlers that are still delaying
        self.server.shutdown()
        self.server.server_close()

    def push(self, *responses: Response) -> None:
        with self.lock:
            self.responses.extend(responses)

    @property
    def last(self) -> Recorded:
        return self.requests[-1]

    def next_response(self, request: Recorded) -> Response:
        with self.lock:
            self.requests.append(request)
            scripted = self.responses.popleft() if self.responses else None
        return scripted if scripted is not None else self.default(request)

    def default(self, request: Recorded) -> Response:
        raise NotImplementedError

    def encode(self, request: Recorded, response: Response) -> tuple[bytes, str]:
        """The bytes and content type sent for ``response`` (subclasses may stream)."""
        ctype = "text/plain" if isinstance(response.body, bytes) else "application/json"
        return response.payload(), ctype


class _Handler(BaseHTTPRequestHandler):
    fake: FakeServer
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        pass

    def do_HEAD(self) -> None:  # connectivity probes (older Claude Code): answered, not recorded
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()

    def do_GET(self) -> None:
        self._answer(b"")

    def do_POST(self) -> None:
        self._answer(self.rfile.read(int(self.headers.get("content-length", 0))))

    def _answer(self, raw: bytes) -> None:
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        request = Recorded(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
        response = self.fake.next_response(request)
        if response.delay and self.fake.stopping.wait(response.delay):
            return
        if response.drop:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self._send(response, *self.fake.encode(request, response))

    def _send(self, response: Response, payload: bytes, ctype: str) -> None:
        try:
            headers = {"content-type": ctype, "content-length": str(len(payload))}
            headers.update((name.lower(), value) for name, value in response.headers.items())
            self.send_response(response.status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)
        except OSError:  # the client gave up (timeout tests)
            self.close_connection = True


def _retry_headers(retry_after: str | None) -> dict[str, str]:
    return {"retry-after": retry_after} if retry_after is not None else {}


class FakeOpenAI(FakeServer):
    """OpenAI-compatible chat completions, with OpenRouter's usage fields (cached tokens, cost)."""

    @staticmethod
    def reply(text: str | None = "OK", *, model: str = "fake/model", prompt_tokens: int = 120,
              completion_tokens: int = 30, cached_tokens: int | None = None,
              cost: float | None = None) -> Response:
        usage: JSON = {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                       "total_tokens": prompt_tokens + completion_tokens}
        if cached_tokens is not None:
            usage["prompt_tokens_details"] = {"cached_tokens": cached_tokens}
        if cost is not None:
            usage["cost"] = cost
        choice = {"index": 0, "finish_reason": "stop",
                  "message": {"role": "assistant", "content": text}}
        return Response(body={"id": "gen-fake", "object": "chat.completion", "model": model,
                              "choices": [choice], "usage": usage})

    @staticmethod
    def error(status: int, message: str, *, retry_after: str | None = None) -> Response:
        """OpenRouter's error shape: ``{"error": {"code", "message", "metadata"}}``."""
        body = {"error": {"code": status, "message": message, "metadata": {}}}
        return Response(status, body, _retry_headers(retry_after))

    def default(self, request: Recorded) -> Response:
        model = request.body.get("model", "fake/model") if isinstance(request.body, dict) else ""
        return self.reply(model=model)


class FakeGemini(FakeServer):
    """Gemini ``generateContent`` with ``usageMetadata`` and Google's error bodies."""

    @staticmethod
    def reply(text: str = "OK", *, prompt_tokens: int = 200, output_tokens: int = 40,
              cached_tokens: int | None = None, model: str = "gemini-2.5-flash") -> Response:
        usage: JSON = {"promptTokenCount": prompt_tokens, "candidatesTokenCount": output_tokens,
                       "totalTokenCount": prompt_tokens + output_tokens}
        if cached_tokens is not None:
            usage["cachedContentTokenCount"] = cached_tokens
        candidate = {"content": {"role": "model", "parts": [{"text": text}]},
                     "finishReason": "STOP", "index": 0}
        return Response(body={"candidates": [candidate], "usageMetadata": usage,
                              "modelVersion": model})

    @staticmethod
    def error(status: int, message: str, google_status: str, *, retry_after: str | None = None,
              details: list[JSON] | None = None) -> Response:
        body = {"error": {"code": status, "message": message, "status": google_status,
                          "details": details or []}}
        return Response(status, body, _retry_headers(retry_after))

    @staticmethod
    def retry_info(delay: str) -> JSON:
        return {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": delay}

    def default(self, request: Recorded) -> Response:
        return self.reply()


class FakeAnthropicAPI(FakeServer):
    """The Messages API: scripted JSON messages and errors, else ``Script`` answers (SSE when the
    request streams, as Claude Code's always do)."""

    def __init__(self, script: Script | None = None) -> None:
        super().__init__()
        self.script = script or Script([])

    @staticmethod
    def message(text: str = "OK", *, model: str = "claude-haiku-4-5", input_tokens: int = 100,
                output_tokens: int = 20, cache_read: int = 0, cache_write: int = 0) -> Response:
        usage = {"input_tokens": input_tokens, "output_tokens": output_tokens,
                 "cache_read_input_tokens": cache_read, "cache_creation_input_tokens": cache_write}
        return Response(body={"id": "msg_fake", "type": "message", "role": "assistant",
                              "model": model, "content": [{"type": "text", "text": text}],
                              "stop_reason": "end_turn", "stop_sequence": None, "usage": usage})

    @staticmethod
    def error(status: int, kind: str, message: str, *, retry_after: str | None = None) -> Response:
        """``kind``: rate_limit_error, overloaded_error, authentication_error, not_found_error..."""
        body = {"type": "error", "error": {"type": kind, "message": message}}
        return Response(status, body, _retry_headers(retry_after))

    def default(self, request: Recorded) -> Response:
        body = request.body if isinstance(request.body, dict) else {}
        blocks = self.script.answer(body)
        text = " ".join(b.get("text", "") for b in blocks if b["type"] == "text")
        return self.message(text, model=body.get("model", "claude-fake"))

    def encode(self, request: Recorded, response: Response) -> tuple[bytes, str]:
        streams = isinstance(request.body, dict) and request.body.get("stream")
        if streams and response.status == 200 and isinstance(response.body, dict):
            return _stream(response.body), "text/event-stream"
        return super().encode(request, response)


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


class CachingAnthropicAPI(FakeAnthropicAPI):
    """``FakeAnthropicAPI`` whose replies report the prompt cache a real API would use; the
    text comes from ``answer(request)`` (by default, the script)."""

    def __init__(self, script: Script | None = None) -> None:
        super().__init__(script)
        self.cache = PromptCache()

    def answer(self, request: Recorded) -> str:
        response = super().default(request)
        assert isinstance(response.body, dict)
        return str(response.body["content"][0]["text"])

    def default(self, request: Recorded) -> Response:
        body = request.body if isinstance(request.body, dict) else {}
        text = self.answer(request)
        with self.lock:
            fresh, read, write = self.cache.account(body)
        return self.message(text, model=body.get("model", "claude-fake"), input_tokens=fresh,
                            output_tokens=len(text) // 4, cache_read=read, cache_write=write)
