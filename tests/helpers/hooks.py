"""Where the repository and its fixtures are, and running the hooks exactly as Claude Code does."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
PYTHON = os.path.realpath(sys.executable)


def load_payloads(name: str) -> list[dict[str, Any]]:
    lines = (FIXTURES / "payloads" / f"{name}.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def spooled(data_dir: Path) -> list[dict[str, Any]]:
    """Every event line currently in the spool and its unclaimed segments."""
    queue = data_dir / "queue"
    files = [*sorted(queue.glob("segment-*.jsonl")), queue / "spool.jsonl"]
    events = []
    for path in files:
        if path.exists():
            events += [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return events


class HookRunner:
    """Runs hooks exactly as hooks.json does: sh hooks/run EVENT, payload on stdin."""

    def __init__(self, data_dir: Path, plugin_data: Path, cwd: Path) -> None:
        self.data_dir, self.plugin_data, self.cwd = data_dir, plugin_data, cwd

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CLAUDE_PLUGIN")}
        env.update(CLAUDE_PLUGIN_ROOT=str(ROOT), CLAUDE_PLUGIN_DATA=str(self.plugin_data))
        env.update(extra)
        return env

    def __call__(self, event: str, stdin: bytes | dict[str, object],
                 **extra: str) -> subprocess.CompletedProcess[bytes]:
        data = stdin if isinstance(stdin, bytes) else json.dumps(stdin).encode()
        return subprocess.run(["sh", str(ROOT / "hooks" / "run"), event], input=data,
                              capture_output=True, cwd=self.cwd, env=self.env(**extra),
                              timeout=60)


def log_text(data_dir: Path) -> str:
    path = data_dir / "logs" / "recall.log"
    return path.read_text() if path.exists() else ""
