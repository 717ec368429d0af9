"""MCP over stdio, dual-era, standard library only: newline-delimited JSON-RPC 2.0.

Modern (2026-07-28): no handshake; every request carries ``io.modelcontextprotocol/
protocolVersion`` and ``clientCapabilities`` in ``params._meta``, is served on its own, and
gets ``resultType`` (plus ``ttlMs``/``cacheScope`` on ``tools/list`` and ``server/discover``)
and the server's identity in the result's ``_meta``. An unsupported version gets -32022 with
the supported ones. Claude Code 2.1.330 probes with ``server/discover`` first.

Legacy (2024-11-05, 2025-03-26, 2025-06-18, 2025-11-25): ``initialize`` answers with the
client's version when supported, else the newest legacy one; then ``tools/*`` and ``ping``.
JSON-RPC batches are accepted for the revisions that have them (2024-11-05, 2025-03-26) and
refused (-32600) otherwise. Requests without the modern envelope before ``initialize`` are
refused (-32600).

Errors: -32700 unparseable line, -32600 not a valid request, -32601 unknown method, -32602
bad params (no tool name, unknown tool, missing envelope). Tool arguments that do not fit the
input schema are a tool result with ``isError: true`` (as 2025-11-25 asks, so the model can
correct itself), like any failure inside a tool. Notifications never get an answer; unknown
ones are ignored.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ..errors import RpcError, UnknownTool

MODERN = ("2026-07-28",)
LEGACY = ("2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25")
BATCHING = ("2024-11-05", "2025-03-26")
VERSION_KEY = "io.modelcontextprotocol/protocolVersion"
CAPABILITIES_KEY = "io.modelcontextprotocol/clientCapabilities"
SERVER_INFO_KEY = "io.modelcontextprotocol/serverInfo"
PARSE_ERROR, INVALID_REQUEST, METHOD_NOT_FOUND, INVALID_PARAMS = -32700, -32600, -32601, -32602
INTERNAL_ERROR, UNSUPPORTED_VERSION = -32603, -32022
LIST_TTL_MS = 60_000

Json = dict[str, Any]
CallTool = Callable[[str, Any], tuple[bool, str]]  # (is_error, text); UnknownTool



def error(ident: Any, code: int, message: str, data: Any = None) -> Json:
    body: Json = {"code": code, "message": message}
    if data is not None:
        body["data"] = data
    return {"jsonrpc": "2.0", "id": ident, "error": body}


class Session:
    """One stdio connection: the legacy version once ``initialize`` chose one, and the tools."""

    def __init__(self, name: str, version: str, tools: Callable[[], list[Json]], call: CallTool,
                 instructions: str = "") -> None:
        self.info = {"name": name, "version": version}
        self.tools, self.call, self.instructions = tools, call, instructions
        self.legacy: str | None = None

    def handle_line(self, line: bytes) -> Json | list[Json] | None:
        """The answer to one line of input (None: nothing to send)."""
        try:
            message = json.loads(line)
        except ValueError as exc:  # bad UTF-8 is a ValueError too
            return error(None, PARSE_ERROR, f"Parse error: {exc}")
        if isinstance(message, list):
            return self.batch(message)
        return self.handle(message)

    def batch(self, messages: list[Any]) -> Json | list[Json] | None:
        if self.legacy not in BATCHING:
            why = f"protocol version {self.legacy}" if self.legacy else "this connection before initialize"
            return error(None, INVALID_REQUEST, f"JSON-RPC batches are not supported by {why}")
        if not messages:
            return error(None, INVALID_REQUEST, "empty batch")
        if any(isinstance(m, dict) and m.get("method") == "initialize" for m in messages):
            return error(None, INVALID_REQUEST, "initialize must not be part of a batch")
        answers = [a for a in (self.handle(m) for m in messages) if a is not None]
        return answers or None

    def handle(self, message: Any) -> Json | None:
        if not isinstance(message, dict):
            return error(None, INVALID_REQUEST, "a message must be a JSON object")
        ident, method = message.get("id"), message.get("method")
        if "method" not in message and ("result" in message or "error" in message):
            return None  # a response: this server sends no requests, so nothing to match
        is_request = "id" in message
        if (message.get("jsonrpc") != "2.0" or not isinstance(method, str)
                or (is_request and (isinstance(ident, bool) or not isinstance(ident, (str, int))))):
            return error(ident if isinstance(ident, (str, int)) else None, INVALID_REQUEST,
                         "not a JSON-RPC 2.0 request (jsonrpc \"2.0\", a string method, an id that"
                         " is a string or integer)")
        params = message.get("params", {})
        if not is_request:
            self.notify(method)
            return None
        try:
            if not isinstance(params, dict):
                raise RpcError(INVALID_PARAMS, "params must be an object")
            return {"jsonrpc": "2.0", "id": ident, "result": self.request(method, params)}
        except RpcError as exc:
            return error(ident, exc.code, exc.message, exc.data)
        except Exception as exc:  # a bug here must not take the server down
            return error(ident, INTERNAL_ERROR, f"Internal error: {type(exc).__name__}: {exc}")

    def notify(self, method: str) -> None:
        """notifications/initialized, cancelled, progress, ...: nothing to do (requests run one
        at a time, so there is never one in flight to cancel)."""

    def request(self, method: str, params: Json) -> Json:
        meta = params.get("_meta")
        if isinstance(meta, dict) and VERSION_KEY in meta:
            return self.modern(method, params, meta)
        if method == "server/discover":
            raise RpcError(INVALID_PARAMS, f"server/discover needs params._meta with {VERSION_KEY!r}"
                                           f" and {CAPABILITIES_KEY!r}")
        if method == "initialize":
            return self.initialize(params)
        if method == "ping":
            return {}
        if self.legacy is None:
            raise RpcError(INVALID_REQUEST, "send initialize first, or use the 2026-07-28 per-request"
                                            f" _meta ({VERSION_KEY})")
        return self.serve(method, params)

    def initialize(self, params: Json) -> Json:
        if self.legacy is not None:
            raise RpcError(INVALID_REQUEST, "already initialized")
        asked = params.get("protocolVersion")
        if not isinstance(asked, str):
            raise RpcError(INVALID_PARAMS, "initialize needs params.protocolVersion (a string)")
        self.legacy = asked if asked in LEGACY else LEGACY[-1]
        result: Json = {"protocolVersion": self.legacy, "capabilities": {"tools": {"listChanged": False}},
                        "serverInfo": self.info}
        if self.instructions:
            result["instructions"] = self.instructions
        return result

    def modern(self, method: str, params: Json, meta: Json) -> Json:
        version = meta.get(VERSION_KEY)
        if CAPABILITIES_KEY not in meta:
            raise RpcError(INVALID_PARAMS, f"params._meta is missing {CAPABILITIES_KEY!r}")
        if not isinstance(version, str):
            raise RpcError(INVALID_PARAMS, f"{VERSION_KEY} must be a string")
        if version not in MODERN:
            raise RpcError(UNSUPPORTED_VERSION, "Unsupported protocol version",
                           {"supported": list(MODERN), "requested": version})
        if method == "server/discover":
            result: Json = {"supportedVersions": list(MODERN),
                            "capabilities": {"tools": {"listChanged": False}},
                            "ttlMs": LIST_TTL_MS, "cacheScope": "private"}
            if self.instructions:
                result["instructions"] = self.instructions
        else:
            result = self.serve(method, params)
            if method == "tools/list":
                result |= {"ttlMs": LIST_TTL_MS, "cacheScope": "private"}
        return {**result, "resultType": "complete", "_meta": {SERVER_INFO_KEY: self.info}}

    def serve(self, method: str, params: Json) -> Json:
        """The methods both eras share."""
        if method == "tools/list":
            return {"tools": self.tools()}
        if method == "tools/call":
            name, arguments = params.get("name"), params.get("arguments", {})
            if not isinstance(name, str):
                raise RpcError(INVALID_PARAMS, "tools/call needs params.name (a string)")
            try:
                failed, text = self.call(name, arguments)
            except UnknownTool:
                raise RpcError(INVALID_PARAMS, f"Unknown tool: {name}") from None
            return {"content": [{"type": "text", "text": text}], "isError": failed}
        raise RpcError(METHOD_NOT_FOUND, f"Method not found: {method}")


def encode(answer: Json | list[Json]) -> bytes:
    """One line: JSON escapes every newline inside strings, so none can split a message (and a
    lone surrogate from a badly decoded text becomes U+FFFD rather than an encoding error)."""
    text = json.dumps(answer, ensure_ascii=False, separators=(",", ":"))
    return text.encode("utf-8", "replace") + b"\n"
