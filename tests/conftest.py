"""Shared fixtures. Every test gets its own data dir through CLAUDE_RECALL_DATA_DIR and a
temporary HOME: no test touches the real home directory or the network beyond loopback."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.hooks import PYTHON, ROOT, HookRunner
from hypothesis import settings

# Nothing of hypothesis in the repository: no example database, and its other caches (read
# lazily from this variable) in the temp dir instead of ./.hypothesis/.
os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY",
                      os.path.join(tempfile.gettempdir(), f"claude-recall-hypothesis-{os.getuid()}"))
settings.register_profile("recall", database=None)
settings.load_profile("recall")


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


@pytest.fixture
def run_hook(data_dir: Path, plugin_data: Path, tmp_path: Path) -> HookRunner:
    cwd = tmp_path / "project"
    cwd.mkdir(exist_ok=True)
    return HookRunner(data_dir, plugin_data, cwd)


