"""What the MCP server tests share: the planted corpus (projects alpha and beta, the session's
project being a folder named ``alpha``), the server's environment, and a raw JSON-RPC client
(``Raw``) that speaks to the server line by line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from helpers.hooks import ROOT
from recall_plugin.capture.project import key
from recall_plugin.store.db import open_store

TOOL_NAMES = {"search", "timeline", "get_observations", "save_memory", "forget"}
MODERN_META = {"io.modelcontextprotocol/protocolVersion": "2026-07-28",
               "io.modelcontextprotocol/clientCapabilities": {}}
OBSERVATIONS = [  # id, project, type, title, narrative, concepts, files, created_at
    (1, "alpha", "bugfix", "Fix retry storm in uploader", "Retries had no backoff; added jitter.",
     ["retry", "backoff"], ["src/uploader.py"], "2026-11-18T10:00:00.000Z"),
    (2, "alpha", "decision", "Use exponential backoff for uploads", "Decided: 2x backoff, cap 60s.",
     ["backoff"], ["src/uploader.py", "docs/adr/7.md"], "2026-11-19T10:00:00.000Z"),
    (3, "alpha", "feature", "Add upload progress bar", "Progress bar in the CLI.",
     ["ui"], ["src/cli/progress.py"], "2026-11-20T10:00:00.000Z"),
    (4, "beta", "bugfix", "Fix retry loop in beta client", "The beta client retried forever.",
     ["retry"], ["client/http.go"], "2026-11-20T11:00:00.000Z"),
    (5, "alpha", "change", "Bump uploader timeout", "Timeout 30s -> 90s.",
     [], ["src/uploader.py"], "2026-11-21T09:00:00.000Z"),
]


def alpha_id(data_dir: Path) -> str:
    """The project id of the folder ``alpha`` next to the data dir (the session's project)."""
    return key(str(data_dir.parent / "alpha"))


def plant(data_dir: Path) -> None:
    """The corpus: alpha's memory under the id of the folder ``alpha`` beside ``data_dir``."""
    conn = open_store(str(data_dir))
    ids = {"alpha": alpha_id(data_dir), "beta": "beta"}
    for oid, name, kind, title, narrative, concepts, files, created in OBSERVATIONS:
        project = ids[name]
        conn.execute("INSERT INTO observations (id, session_id, project, type, title, narrative,"
                     " facts, concepts, files_read, files_modified, source_event_ids, batch_key,"
                     " input_tokens, output_tokens, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                     (oid, f"s-{name}", project, kind, title, narrative,
                      json.dumps([f"fact of {oid}"]), json.dumps(concepts), "[]", json.dumps(files),
                      "[11, 12]", f"batch-{oid}", 1234, 56, created))
    for sid, name, request in ((7, "alpha", "Investigate uploader retry storms"),
                               (8, "beta", "Beta client retry loop")):
        conn.execute("INSERT INTO summaries (id, session_id, project, request, completed, created_at,"
                     " updated_at) VALUES (?, ?, ?, ?, 'Backoff added', '2026-11-19T12:00:00.000Z',"
                     " '2026-11-19T12:00:00.000Z')", (sid, f"s-{name}", ids[name], request))
    conn.close()


def server_env(base: Path, **extra: str) -> dict[str, str]:
    return {"CLAUDE_RECALL_DATA_DIR": str(base / "data"), "HOME": str(base), "PYTHONPATH": str(ROOT),
            "CLAUDE_RECALL_INDEX_MODE": "off", **extra}


class Raw:
    """A server spoken to line by line, as a client that is not the SDK would."""

    def __init__(self, base: Path, argv: list[str] | None = None, **extra: str) -> None:
        (base / "alpha").mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(argv or [sys.executable, "-m", "recall_plugin", "mcp"],
                                     cwd=base / "alpha", env={**os.environ, **server_env(base, **extra)},
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def send(self, message: Any) -> None:
        assert self.proc.stdin is not None
        data = message if isinstance(message, bytes) else json.dumps(message).encode()
        self.proc.stdin.write(data + b"\n")
        self.proc.stdin.flush()

    def ask(self, message: Any) -> Any:
        self.send(message)
        assert self.proc.stdout is not None
        return json.loads(self.proc.stdout.readline())

    def close(self) -> str:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.close()
        rest = self.proc.stdout.read()
        assert self.proc.wait(timeout=30) == 0
        assert rest == b"", rest  # nothing but answers, and no answer to a notification
        assert self.proc.stderr is not None
        return self.proc.stderr.read().decode()


def request(ident: Any, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": ident, "method": method, **({"params": params} if params else {})}


def initialize(version: str) -> dict[str, Any]:
    return request(0, "initialize", {"protocolVersion": version, "capabilities": {},
                                     "clientInfo": {"name": "raw", "version": "0"}})
