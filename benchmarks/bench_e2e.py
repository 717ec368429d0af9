"""The plugin's cost inside the real Claude Code CLI, as Claude Code itself measures it.

Runs N headless sessions (a prompt, one Bash call, a reply) through the pinned CLI against the
fake Anthropic API with the plugin (``--plugin-dir``, environment ready, memory to inject) and
N without it. Hook durations come from Claude Code's own records: the transcript's
``hook_success`` attachments and ``stop_hook_summary`` lines (``durationMs``; Claude Code writes
them only for hooks that print something, and for Stop), and its ``--debug-file`` lines
"Hooks: EVENT ... finished with status 0 (N ms)" for every hook. Prints p50/p95 per hook event
and the wall time of a session with and without the plugin.

Usage: ``python benchmarks/bench_e2e.py [--sessions 10] [--extract]``
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "tests" / "e2e")]

from e2e_support import PLUGIN_ARGS, inline_claude, plugin_env, transcript  # noqa: E402
from helpers.claude_cli import Claude, claude_binary  # noqa: E402
from helpers.fakes import FakeAnthropic, Script  # noqa: E402

from recall_plugin.store.db import open_store  # noqa: E402

TURNS = [[{"type": "tool_use", "name": "Bash", "input": {"command": "echo bench", "description": "e"}}],
         "done"]
EVENTS = ("SessionStart", "UserPromptSubmit", "PostToolUse", "Stop", "SessionEnd")
MCP = "MCP connect"
MCP_LINE = re.compile(r'MCP server "plugin:recall:recall": Successfully connected .*? in (\d+)ms')
DEBUG_LINE = re.compile(r"Hooks: (\w+)\S* \[.*?\] \(plugin recall@inline\) finished with status \d+"
                        r" \((\d+)ms\)")


def plant(data_dir: Path, project: str, count: int = 20) -> None:
    """Memory for SessionStart to inject (so its hook prints, as it does for a real user)."""
    conn = open_store(str(data_dir))
    with conn:
        for i in range(count):
            conn.execute("INSERT INTO observations (session_id, project, type, title, narrative, facts,"
                         " concepts, files_read, files_modified, created_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
                         ("s-bench", project, "feature", f"Benchmark observation {i}", "n", "[]", "[]", "[]",
                          json.dumps([f"src/mod{i}.py"]), f"2026-11-20T10:{i:02d}:00.000Z"))
    conn.close()


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else float("nan")


def fmt(values: list[float], q: float) -> str:
    return f"{pct(values, q):>8.0f}" if values else f"{'-':>8}"


def run(sessions: int, extract: bool) -> None:
    if claude_binary() is None:
        sys.exit("pinned Claude Code CLI not installed (run scripts/setup)")
    with tempfile.TemporaryDirectory(prefix="bench-e2e-") as tmp:
        base = Path(tmp)
        data_dir = base / "with" / "data"
        plant(data_dir, "name:bench")  # CLAUDE_RECALL_PROJECT=bench names it
        debug: dict[str, list[float]] = {e: [] for e in EVENTS}
        recorded: dict[str, list[float]] = {e: [] for e in EVENTS}
        wall: dict[str, list[float]] = {"with plugin": [], "without plugin": []}
        with FakeAnthropic(Script(TURNS)) as api:
            env = plugin_env(data_dir, None, CLAUDE_RECALL_PROJECT="bench",
                             CLAUDE_RECALL_AUTO_EXTRACT="true" if extract else "false")
            runners = {"with plugin": (inline_claude(base / "with", api.url, env), PLUGIN_ARGS),
                       "without plugin": (Claude(base / "without", api.url, {}), ())}
            runners["with plugin"][0].session("warm-up", *PLUGIN_ARGS)
            runners["without plugin"][0].session("warm-up")
            for i in range(sessions):
                for label, (claude, extra) in runners.items():
                    log = base / f"debug-{label[:4]}-{i}.log"
                    started = time.perf_counter()
                    result = claude.session(f"bench session {i}", *extra, "--debug-file", str(log))
                    wall[label].append(time.perf_counter() - started)
                    if label != "with plugin":
                        continue
                    text = log.read_text()
                    for event, ms in DEBUG_LINE.findall(text):
                        debug.setdefault(event, []).append(float(ms))
                    debug.setdefault(MCP, []).extend(float(ms) for ms in MCP_LINE.findall(text))
                    for line in transcript(claude, result["session_id"]):
                        item = line.get("attachment") or {}
                        if item.get("type") == "hook_success" and "durationMs" in item:
                            recorded[str(item.get("hookEvent") or item["hookName"].split(":")[0])].append(
                                float(item["durationMs"]))
                        if line.get("subtype") == "stop_hook_summary":
                            recorded["Stop"] += [float(h["durationMs"]) for h in line.get("hookInfos", [])
                                                 if "hooks/run" in h.get("command", "")]
    print(f"claude-recall inside Claude Code: {sessions} sessions with the plugin, {sessions} without"
          f" (prompt, 1 Bash call, reply; auto-extract {'on' if extract else 'off'})\n")
    print(f"{'hook event':<18} {'n':>3} {'p50 ms':>8} {'p95 ms':>8}   {'transcript n':>12} {'p50 ms':>8}"
          f" {'p95 ms':>8}")
    for event in (*EVENTS, MCP):
        d, r = debug.get(event, []), recorded.get(event, [])
        print(f"{event:<18} {len(d):>3} {fmt(d, .5)} {fmt(d, .95)}   {len(r):>12} {fmt(r, .5)} {fmt(r, .95)}")
    print(f"\n{'session wall time':<18} {'p50 s':>8} {'p95 s':>8} {'mean s':>8}")
    for label, values in wall.items():
        print(f"{label:<18} {pct(values, .5):>8.2f} {pct(values, .95):>8.2f} {statistics.mean(values):>8.2f}")
    delta = statistics.median(wall["with plugin"]) - statistics.median(wall["without plugin"])
    print(f"{'plugin overhead':<18} {delta:>8.2f} (median difference)")
    print("\nhook columns: Claude Code's --debug-file timings (every hook); transcript columns: its"
          " hook_success / stop_hook_summary durationMs (only hooks that print, and Stop).\n"
          "SessionEnd: Claude Code logs no duration for it (it runs at exit, inside a ~1.5 s budget).\n"
          "MCP connect: the plugin's MCP server from spawn to connected; `-p` waits for it before the"
          " first request.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--extract", action="store_true", help="let the hooks start the extractor")
    args = parser.parse_args()
    run(args.sessions, args.extract)


if __name__ == "__main__":
    main()
