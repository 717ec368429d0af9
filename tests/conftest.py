"""Shared fixtures. Every test gets its own data dir through CLAUDE_RECALL_DATA_DIR and a
temporary HOME: no test touches the real home directory or the network beyond loopback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
PYTHON = os.path.realpath(sys.executable)

# Nothing of hypothesis in the repository: no example database, and its other caches (read
# lazily from this variable) in the temp dir instead of ./.hypothesis/.
os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY",
                      os.path.join(tempfile.gettempdir(), f"claude-recall-hypothesis-{os.getuid()}"))
settings.register_profile("recall", database=None)
settings.load_profile("recall")


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


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every test (autouse): its own data dir, HOME and Claude config dir under tmp_path."""
    path = tmp_path / "data"
    monkeypatch.setenv("CLAUDE_RECALL_DATA_DIR", str(path))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(tmp_path / "home" / ".claude"))
    for var in ("ANTHROPIC_API_KEY", "OPENROUTER_API_KEY", "GEMINI_API_KEY",
                "CLAUDE_PLUGIN_ROOT", "CLAUDE_PLUGIN_DATA"):
        monkeypatch.delenv(var, raising=False)
    for var in list(os.environ):
        if var.startswith("CLAUDE_RECALL_") and var != "CLAUDE_RECALL_DATA_DIR":
            monkeypatch.delenv(var)
    # Hooks would start a background extractor; tests that want one turn this back on.
    monkeypatch.setenv("CLAUDE_RECALL_AUTO_EXTRACT", "false")
    yield path


@pytest.fixture(autouse=True)
def fresh_process_state() -> Iterator[None]:
    """Every test (autouse) starts from the process-wide state a new process has: the log's
    level and component (a test that configures them leaves them set otherwise)."""
    from recall_plugin import log

    log.configure()
    yield
    log.configure()


@pytest.fixture
def plugin_data(tmp_path: Path) -> Path:
    """A plugin data dir whose environment is 'ready': venv/bin/python is this interpreter."""
    sys.path.insert(0, str(ROOT))
    from recall_plugin.runtime import bootstrap

    data = tmp_path / "plugin-data"
    venv = data / "venv-test"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").symlink_to(PYTHON)
    (venv / bootstrap.STAMP).write_text(bootstrap.env_key(str(ROOT)) + "\n")
    (data / "venv").symlink_to("venv-test")
    return data


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


@pytest.fixture
def run_hook(data_dir: Path, plugin_data: Path, tmp_path: Path) -> HookRunner:
    cwd = tmp_path / "project"
    cwd.mkdir(exist_ok=True)
    return HookRunner(data_dir, plugin_data, cwd)


def log_text(data_dir: Path) -> str:
    path = data_dir / "logs" / "recall.log"
    return path.read_text() if path.exists() else ""
