"""The viewer's guard: an ASGI middleware in front of every route, static files included.

* **Host** must be the viewer's own (``127.0.0.1:PORT`` or ``localhost:PORT``), or the request
  is refused with 403: a page on another site that rebinds its DNS name to 127.0.0.1 still
  sends its own name as Host, so it can read nothing (DNS rebinding).
* **State-changing methods** (anything but GET, HEAD, OPTIONS) are refused with 403 when they
  carry an ``Origin`` (or, without one, a ``Referer``) that is not the viewer's own origin, or
  when the browser marks them ``Sec-Fetch-Site: cross-site``; POST, PUT and PATCH must also
  send ``Content-Type: application/json`` (415 otherwise), which a cross-site HTML form cannot
  send and a cross-site script cannot send without a CORS preflight, which the viewer never
  answers.
* **Request bodies** are capped: a declared ``Content-Length`` above ``MAX_BODY_BYTES`` gets
  413 before anything is read, and ``read_body`` stops reading (413) as soon as the body
  streamed in passes a route's own cap (``SETTINGS_BODY_BYTES`` for settings).
* Every response carries a strict Content-Security-Policy (scripts and styles from the
  viewer only), ``X-Frame-Options: DENY``, ``nosniff``, ``Referrer-Policy: no-referrer``; API
  responses are ``Cache-Control: no-store``.

PORT is the port the viewer listens on: given explicitly, or read from the ASGI ``server``
of each request (the socket's own address, right even for ``--port 0``).
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY_BYTES = 64 * 1024  # any request (forget takes lists of ids)
SETTINGS_BODY_BYTES = 16 * 1024  # a few KB: every setting's value is at most 2048 characters
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
BODY_METHODS = ("POST", "PUT", "PATCH")
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'")
HEADERS = {"content-security-policy": CSP, "x-frame-options": "DENY",
           "x-content-type-options": "nosniff", "referrer-policy": "no-referrer",
           "cross-origin-resource-policy": "same-origin",
           "cross-origin-opener-policy": "same-origin"}


def own_hosts(port: int) -> set[str]:
    hosts = {f"127.0.0.1:{port}", f"localhost:{port}"}
    return hosts | {"127.0.0.1", "localhost"} if port == 80 else hosts


def refusal(method: str, headers: Headers, port: int) -> tuple[int, str] | None:
    """(status, reason) when the request must be refused, else None."""
    hosts = own_hosts(port)
    if headers.get("host", "").strip().lower() not in hosts:
        return 403, "forbidden: this viewer only answers requests addressed to itself"
    if method.upper() in SAFE_METHODS:
        return None
    origin = headers.get("origin")
    if origin is not None:
        if not _own_origin(origin, hosts):
            return 403, "forbidden: cross-origin request"
    elif headers.get("referer") and not _own_origin(headers["referer"], hosts):
        return 403, "forbidden: cross-origin request"
    if headers.get("sec-fetch-site", "") == "cross-site":
        return 403, "forbidden: cross-site request"
    content_type = headers.get("content-type", "").split(";")[0].strip().lower()
    if method.upper() in BODY_METHODS and content_type != "application/json":
        return 415, "send the body as application/json"
    return body_refusal(headers, MAX_BODY_BYTES)


def body_refusal(headers: Headers, limit: int) -> tuple[int, str] | None:
    """(status, reason) when the declared Content-Length is malformed or above ``limit``."""
    declared = headers.get("content-length")
    if declared is None:
        return None
    if not declared.strip().isdigit():
        return 400, "malformed Content-Length"
    if int(declared) > limit:
        return 413, f"the request body is too large (at most {limit:,} bytes)"
    return None


async def read_body(request: Request, limit: int) -> bytes:
    """The body, read no further than ``limit`` bytes (HTTPException 413 beyond it), whatever
    Content-Length claims (a chunked body declares none)."""
    refused = body_refusal(request.headers, limit)
    if refused:
        raise HTTPException(*refused)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise HTTPException(413, f"the request body is too large (at most {limit:,} bytes)")
    return bytes(body)


def _own_origin(url: str, hosts: set[str]) -> bool:
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    return parts.scheme == "http" and parts.netloc.lower() in hosts


class Guard:
    """Refuses foreign hosts and cross-origin writes; adds the security headers."""

    def __init__(self, app: ASGIApp, port: int | None = None) -> None:
        self.app, self.port = app, port

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        server = scope.get("server") or ("", 0)
        port = self.port or int(server[1] or 0)
        refused = refusal(scope["method"], Headers(scope=scope), port)
        api = str(scope.get("path", "")).startswith("/api/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers.setdefault(name, value)
                if api:
                    headers.setdefault("cache-control", "no-store")
            await send(message)

        if refused is None:
            await self.app(scope, receive, send_with_headers)
            return
        body = json.dumps({"error": refused[1]}).encode()
        await send_with_headers({"type": "http.response.start", "status": refused[0],
                                 "headers": [(b"content-type", b"application/json"),
                                             (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
