"""Entry point ``hooks/mcp`` runs by path: ``python3 -E .../recall_plugin/mcpserver/launch.py``.

Run as a script (not ``-m``), so nothing of the package is compiled before the version check:
kept free of newer syntax, so that an old ``python3`` gets here. On Python >= 3.10 it puts the
plugin root first on ``sys.path`` and runs the server. On an older one it still speaks enough
MCP to say why: the handshake answers carry the reason as ``instructions``, the tool list is
empty, any other request gets an error with the reason, and the reason goes to stderr.
"""
import json
import os
import sys

MINIMUM = (3, 10)
LEGACY = ("2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25")
MODERN = "2026-07-28"


def too_old_answer(message, reason):
    # type: (object, str) -> dict[str, object] | None
    """The answer to one message for a server that cannot run (None: nothing to send)."""
    if not isinstance(message, dict) or "id" not in message:
        return None
    method, params = message.get("method"), message.get("params") or {}
    meta = params.get("_meta") if isinstance(params, dict) else None
    modern = isinstance(meta, dict) and "io.modelcontextprotocol/protocolVersion" in meta
    extra = {"resultType": "complete", "ttlMs": 0, "cacheScope": "private"} if modern else {}
    result = None  # type: dict[str, object] | None
    if method == "server/discover" and modern:
        result = {"supportedVersions": [MODERN], "capabilities": {"tools": {}}, "instructions": reason}
    elif method == "initialize" and not modern:
        asked = params.get("protocolVersion")
        result = {"protocolVersion": asked if asked in LEGACY else LEGACY[-1],
                  "capabilities": {"tools": {}}, "instructions": reason,
                  "serverInfo": {"name": "recall", "version": "unavailable"}}
    elif method == "tools/list":
        result = {"tools": []}
    elif method == "ping" and not modern:
        result = {}
    if result is None:
        return {"jsonrpc": "2.0", "id": message["id"], "error": {"code": -32603, "message": reason}}
    result.update(extra)
    return {"jsonrpc": "2.0", "id": message["id"], "result": result}


def serve_too_old():
    # type: () -> int
    reason = ("claude-recall's memory tools need Python >= 3.10; python3 here is " + sys.version.split()[0]
              + ". Install a newer python3 (first on PATH), then restart Claude Code.")
    sys.stderr.write(reason + "\n")
    sys.stderr.flush()
    while True:
        line = sys.stdin.readline()
        if not line:
            return 0
        try:
            answer = too_old_answer(json.loads(line), reason)
        except ValueError:
            answer = {"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "Parse error"}}
        if answer is not None:
            sys.stdout.write(json.dumps(answer) + "\n")
            sys.stdout.flush()


def run():
    # type: () -> int
    if sys.version_info < MINIMUM:
        return serve_too_old()
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(os.path.dirname(here))
    sys.path[:] = [root] + [p for p in sys.path if os.path.abspath(p or ".") != here]
    from recall_plugin.mcpserver.server import main

    return main()


if __name__ == "__main__":
    sys.exit(run())
