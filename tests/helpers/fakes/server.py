"""The base of every fake provider: a scripted HTTP server on 127.0.0.1 (standard library only).

``FakeServer`` is a ``ThreadingHTTPServer`` with a queue of scripted ``Response`` objects
(status, headers, JSON or raw body, a delay for timeout tests, or ``drop=True`` to close the
connection without answering) and a log of every request (``Recorded``: method, path, headers,
parsed JSON body). When the queue is empty it answers with its wire format's default reply
(``default``, which each subclass defines). ``with Fake() as fake: fake.push(...); fake.url``
"""

from __future__ import annotations

import json
import socket
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

JSON = dict[str, Any]
Server = TypeVar("Server", bound="FakeServer")


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

    def __enter__(self: Server) -> Server:
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


def retry_headers(retry_after: str | None) -> dict[str, str]:
    return {"retry-after": retry_after} if retry_after is not None else {}
