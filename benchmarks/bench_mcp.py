"""MCP server start-up and first-search latency, measured the way Claude Code talks to it.

Each run spawns the server the way ``.mcp.json`` does (``sh hooks/mcp``, with a plugin
environment whose ``venv/bin/python`` is ``--python``; ``--entry module`` runs ``python -m
recall_plugin mcp`` instead, what the SDK-based server's launcher ran) and times spawn -> the
answer to ``tools/list``, for both openings a client may use: the
legacy handshake (``initialize``, ``notifications/initialized``, ``tools/list``) and the
2026-07-28 one Claude Code 2.1.330 tries first (``server/discover``, ``tools/list`` with
``_meta``). Printed next to a bare ``python -c pass`` of the same interpreter. Then the first
``search`` of a fresh server over a small planted store: sent right after ``tools/list``, and
sent after an idle pause (a model's first turn), once with the vector stack and once with
``CLAUDE_RECALL_INDEX_MODE=off`` (FTS5 only).

Usage: ``python benchmarks/bench_mcp.py [--runs 30] [--python PATH] [--pause 2.0]``.
Figures on a shared, loaded machine are noisy: compare runs made side by side.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
META = {"io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {},
        "io.modelcontextprotocol/clientInfo": {"name": "bench", "version": "0"}}
LEGACY: list[dict[str, Any]] = [{"jsonrpc": "2.0", "id": 0, "method": "initialize",
           "params": {"protocolVersion": "2025-11-25", "capabilities": {},
                      "clientInfo": {"name": "bench", "version": "0"}}},
          {"jsonrpc": "2.0", "method": "notifications/initialized"},
          {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}]
MODERN: list[dict[str, Any]] = [
    {"jsonrpc": "2.0", "id": 0, "method": "server/discover", "params": {"_meta": META}},
    {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {"_meta": META}}]


class Server:
    """One server process; requests are written one by one, answers read line by line."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(argv, cwd=ROOT, env=env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL)

    def send(self, message: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(message).encode() + b"\n")
        self.proc.stdin.flush()

    def answer(self, wanted: object) -> dict[str, Any]:
        assert self.proc.stdout is not None
        while line := self.proc.stdout.readline():
            reply: dict[str, Any] = json.loads(line)
            if reply.get("id") == wanted:
                return reply
        raise RuntimeError("the server closed stdout")

    def open(self, opening: list[dict[str, Any]]) -> float:
        """Send the opening; ms from spawn to the tools/list answer."""
        for message in opening:
            self.send(message)
            if "id" in message:
                reply = self.answer(message["id"])
                if "error" in reply:
                    raise RuntimeError(f"{message['method']}: {reply['error']}")
        return (time.perf_counter() - self.started) * 1000

    def call(self, name: str, arguments: dict[str, Any], modern: bool) -> float:
        params: dict[str, Any] = {"name": name, "arguments": arguments}
        if modern:
            params["_meta"] = META
        start = time.perf_counter()
        self.send({"jsonrpc": "2.0", "id": 99, "method": "tools/call", "params": params})
        reply = self.answer(99)
        elapsed = (time.perf_counter() - start) * 1000
        if "error" in reply or reply["result"].get("isError"):
            raise RuntimeError(f"{name}: {reply}")
        return elapsed

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def plant(data_dir: Path, rows: int = 200) -> None:
    from recall_plugin.store.db import open_store

    conn = open_store(str(data_dir))
    for i in range(rows):
        conn.execute("INSERT INTO observations (session_id, project, type, title, narrative, facts,"
                     " concepts, files_read, files_modified, created_at)"
                     " VALUES (?, 'bench', 'discovery', ?, ?, '[]', '[]', '[]', ?, ?)",
                     (f"s{i % 7}", f"Retry backoff finding {i}", f"Uploader retries, case {i}.",
                      json.dumps([f"src/mod{i % 13}.py"]), f"2026-11-{1 + i % 28:02d}T10:00:00Z"))
    conn.commit()
    conn.close()


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


def startup(argv: list[str], python: str, env: dict[str, str], runs: int) -> dict[str, list[float]]:
    found: dict[str, list[float]] = {"python -c pass": [], "legacy: initialize -> tools/list": [],
                                     "2026-07-28: server/discover -> tools/list": []}
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([python, "-c", "pass"], check=True)
        found["python -c pass"].append((time.perf_counter() - start) * 1000)
        for label, opening in (("legacy: initialize -> tools/list", LEGACY),
                               ("2026-07-28: server/discover -> tools/list", MODERN)):
            server = Server(argv, env)
            try:
                found[label].append(server.open(opening))
            finally:
                server.close()
    return found


def first_search(argv: list[str], env: dict[str, str], runs: int, pause: float) -> dict[str, list[float]]:
    found: dict[str, list[float]] = {}
    for mode in ("default", "off"):
        mode_env = {**env, **({"CLAUDE_RECALL_INDEX_MODE": "off"} if mode == "off" else {})}
        for wait in (0.0, pause):
            when = f"after {wait:g} s" if wait else "right after tools/list"
            label = f"first search, index {mode}, {when}"
            for _ in range(runs):
                server = Server(argv, mode_env)
                try:
                    modern = True
                    try:
                        server.open(MODERN)
                    except RuntimeError:
                        server.close()
                        server, modern = Server(argv, mode_env), False
                        server.open(LEGACY)
                    time.sleep(wait)
                    found.setdefault(label, []).append(
                        server.call("search", {"query": "retry backoff uploader"}, modern))
                finally:
                    server.close()
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--search-runs", type=int, default=5)
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--pause", type=float, default=2.0)
    parser.add_argument("--entry", choices=("launcher", "module"), default="launcher")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        plant(base / "data")
        (base / "bench").mkdir()
        (base / "plugin-data" / "venv" / "bin").mkdir(parents=True)
        python = base / "plugin-data" / "venv" / "bin" / "python"  # a symlink would lose the venv
        python.write_text(f'#!/bin/sh\nexec "{args.python}" "$@"\n')
        python.chmod(0o755)
        env = {"PATH": os.environ.get("PATH", ""), "HOME": str(base), "PYTHONPATH": str(ROOT),
               "CLAUDE_RECALL_DATA_DIR": str(base / "data"), "CLAUDE_PROJECT_DIR": str(base / "bench"),
               "CLAUDE_PLUGIN_ROOT": str(ROOT), "CLAUDE_PLUGIN_DATA": str(base / "plugin-data")}
        argv = (["sh", str(ROOT / "hooks" / "mcp")] if args.entry == "launcher"
                else [args.python, "-m", "recall_plugin", "mcp"])
        results = startup(argv, args.python, env, args.runs)
        results |= first_search(argv, env, args.search_runs, args.pause)
    print(f"MCP server ({' '.join(argv)}; python {args.python}), {args.runs} start-ups,"
          f" {args.search_runs} first searches")
    print(f"{'':58} {'p50 ms':>8} {'p95 ms':>8}")
    for label, samples in results.items():
        p50, p95 = percentiles(samples)
        print(f"{label:58} {p50:8.1f} {p95:8.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
