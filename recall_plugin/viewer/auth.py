"""The viewer's access key: no route answers a request that does not carry it.

Each launch creates a random token (``secrets.token_urlsafe``), kept only in memory and in
``<data dir>/viewer.json`` (mode 0600, so only the user can read it). A request is let in
when it carries one of:

* the **cookie** ``claude_recall_viewer_<port>`` (HttpOnly, SameSite=Strict, Path=/), which
  holds HMAC(token, "cookie"), never the token. ``claude-recall viewer`` opens the page once
  as ``/?token=<token>``; the gate answers a right token with that cookie and a 303 redirect to
  the same URL without the token, and a wrong one with 401. Cookies ignore ports, hence the
  port in the name: two viewers of two data dirs do not evict each other.
* ``Authorization: Bearer <token>``, for scripts.
* on ``/api/health`` only, a **challenge**: ``?challenge=<nonce>`` with ``X-Recall-Proof:
  HMAC(token, "client", nonce)``. The health answer then carries ``"proof": HMAC(token,
  "server", nonce)``, so ``claude-recall viewer`` can tell its own viewer from a program that
  took the port, without ever sending the token to either.

Anything else gets 401: an HTML page saying how to open the viewer (``claude-recall viewer``),
or ``{"error": ...}`` for the API. Tokens are compared in constant time. The Host/Origin
guard (``security.py``) stays in front as a second layer.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import secrets
from urllib.parse import parse_qsl, urlencode

from starlette.datastructures import Headers
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Receive, Scope, Send

COOKIE_PREFIX = "claude_recall_viewer_"
PROOF_HEADER = "x-recall-proof"
HEALTH = "/api/health"
MAX_NONCE_CHARS = 128
OPEN_HINT = "Run `claude-recall viewer` in a terminal: it opens this page with its access key."
SCRIPT_HINT = ("Scripts send `Authorization: Bearer <token>`, the token being the one in "
               "viewer.json in the claude-recall data dir (readable only by you).")


def new_token() -> str:
    return secrets.token_urlsafe(32)


def mac(token: str, purpose: str, message: str = "") -> str:
    return hmac.new(token.encode(), f"{purpose}\0{message}".encode(), hashlib.sha256).hexdigest()


def same(given: str, expected: str) -> bool:
    """Constant-time comparison (for the length of ``expected``)."""
    return hmac.compare_digest(given.encode(), expected.encode())


def cookie_name(port: int) -> str:
    return f"{COOKIE_PREFIX}{port}"


def cookie_value(token: str) -> str:
    return mac(token, "cookie")


def client_proof(token: str, nonce: str) -> str:
    return mac(token, "client", nonce)


def server_proof(token: str, nonce: str) -> str:
    return mac(token, "server", nonce)


def authorized(token: str, port: int, path: str, headers: Headers,
               query: list[tuple[str, str]]) -> bool:
    """Whether the request carries the bearer token, the session cookie or a health proof."""
    scheme, _, credential = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and same(credential.strip(), token):
        return True
    cookie = cookie_parser(headers.get("cookie", "")).get(cookie_name(port))
    if cookie is not None and same(cookie, cookie_value(token)):
        return True
    nonce = dict(query).get("challenge", "")
    proof = headers.get(PROOF_HEADER)
    return (path == HEALTH and proof is not None and 0 < len(nonce) <= MAX_NONCE_CHARS
            and same(proof, client_proof(token, nonce)))


class Gate:
    """Lets in only requests that carry the access key; exchanges ``?token=`` for a cookie."""

    def __init__(self, app: ASGIApp, token: str, port: int | None = None) -> None:
        assert token, "the viewer needs an access token"
        self.app, self.token, self.port = app, token, port

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        server = scope.get("server") or ("", 0)
        port = self.port or int(server[1] or 0)
        path = str(scope.get("path", "/"))
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        headers = Headers(scope=scope)
        given = [value for name, value in query if name == "token"]
        if given and scope["method"] in ("GET", "HEAD"):
            if same(given[-1], self.token):
                await send_redirect(send, port, self.token, path, query)
            else:
                await send_refusal(send, headers, path, stale_link=True)
            return
        if authorized(self.token, port, path, headers, query):
            await self.app(scope, receive, send)
            return
        await send_refusal(send, headers, path, stale_link=False)


def clean_location(path: str, query: list[tuple[str, str]]) -> str:
    """The same URL without the token; always a path on this server (never ``//host``)."""
    local = "/" + path.lstrip("/")
    rest = [(name, value) for name, value in query if name != "token"]
    return local + (f"?{urlencode(rest)}" if rest else "")


async def send_redirect(send: Send, port: int, token: str, path: str,
                        query: list[tuple[str, str]]) -> None:
    cookie = f"{cookie_name(port)}={cookie_value(token)}; HttpOnly; SameSite=Strict; Path=/"
    await send({"type": "http.response.start", "status": 303,
                "headers": [(b"location", clean_location(path, query).encode()),
                            (b"set-cookie", cookie.encode()), (b"content-length", b"0"),
                            (b"cache-control", b"no-store")]})
    await send({"type": "http.response.body", "body": b""})


def refusal_page(stale_link: bool) -> str:
    lead = ("This link's access key is not the running viewer's: the key changes every time "
            "the viewer starts." if stale_link else
            "This is the claude-recall viewer. It answers only the browser that opened it "
            "with its access key, and scripts that send that key.")
    command = html.escape(OPEN_HINT).replace("`claude-recall viewer`",
                                             "<code>claude-recall viewer</code>")
    script = html.escape(SCRIPT_HINT).replace("`", "")
    return ("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            "<title>claude-recall viewer: open it with claude-recall viewer</title></head><body>"
            f"<h1>Open the viewer with <code>claude-recall viewer</code></h1><p>{html.escape(lead)}</p>"
            f"<p>{command}</p><p>{script}</p></body></html>")


async def send_refusal(send: Send, headers: Headers, path: str, stale_link: bool) -> None:
    wants_html = not path.startswith("/api/") and "text/html" in headers.get("accept", "")
    if wants_html:
        body, kind = refusal_page(stale_link).encode(), b"text/html; charset=utf-8"
    else:
        reason = "the access key is wrong" if stale_link else "the viewer's access key is required"
        body = json.dumps({"error": f"unauthorized: {reason}. {OPEN_HINT} {SCRIPT_HINT}"}).encode()
        kind = b"application/json"
    await send({"type": "http.response.start", "status": 401,
                "headers": [(b"content-type", kind), (b"content-length", str(len(body)).encode()),
                            (b"www-authenticate", b'Bearer realm="claude-recall viewer"'),
                            (b"cache-control", b"no-store")]})
    await send({"type": "http.response.body", "body": body})
