"""Run the real, pinned Claude Code CLI headless and offline against ``FakeAnthropic``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from helpers.hooks import ROOT

TOOLS = ROOT / "tools" / "claude-code" / "node_modules"
QUIET = {"CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1", "DISABLE_AUTOUPDATER": "1",
         "DISABLE_TELEMETRY": "1", "DISABLE_ERROR_REPORTING": "1", "DISABLE_BUG_COMMAND": "1"}


def claude_binary() -> str | None:
    candidates = [os.environ.get("CLAUDE_BIN", ""),
                  str(TOOLS / "@anthropic-ai" / "claude-code-linux-x64" / "claude"),
                  str(TOOLS / ".bin" / "claude")]
    return next((c for c in candidates if c and os.access(c, os.X_OK)), None)


def require_claude() -> str:
    binary = claude_binary()
    if binary is None:
        pytest.skip("pinned Claude Code CLI not installed (run scripts/setup)")
    return binary


class Claude:
    """One HOME/CLAUDE_CONFIG_DIR shared by several runs, so a later session sees earlier data."""

    def __init__(self, base: Path, api_url: str, extra_env: dict[str, str]) -> None:
        self.binary = require_claude()
        self.home, self.project, self.tmp = base / "home", base / "project", base / "tmp"
        for path in (self.home / ".claude", self.project, self.tmp):
            path.mkdir(parents=True, exist_ok=True)
        self.api_url, self.extra_env = api_url, extra_env

    @property
    def config_dir(self) -> Path:
        return self.home / ".claude"

    def env(self) -> dict[str, str]:
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(self.home),
               "CLAUDE_CONFIG_DIR": str(self.config_dir), "TMPDIR": str(self.tmp),
               "ANTHROPIC_BASE_URL": self.api_url, "ANTHROPIC_API_KEY": "sk-test-fake",
               **QUIET, **self.extra_env}
        if os.geteuid() == 0:
            env["IS_SANDBOX"] = "1"
        return env

    def cli(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run([self.binary, *args], cwd=self.project, env=self.env(),
                              capture_output=True, text=True, timeout=timeout)

    def session(self, prompt: str, *extra: str) -> dict[str, Any]:
        result = self.cli("-p", prompt, "--output-format", "json",
                          "--dangerously-skip-permissions", *extra)
        assert result.returncode == 0, result.stderr[-2000:]
        return dict(json.loads(result.stdout.strip().splitlines()[-1]))

    def ready_plugin_env(self, plugin_data_name: str) -> Path:
        """Pre-build the plugin's environment as a link to this interpreter (no pip in tests)."""
        from helpers.hooks import PYTHON
        from recall_plugin.runtime import bootstrap

        data = self.config_dir / "plugins" / "data" / plugin_data_name
        venv = data / "venv-test"
        (venv / "bin").mkdir(parents=True, exist_ok=True)
        if not (venv / "bin" / "python").exists():
            (venv / "bin" / "python").symlink_to(PYTHON)
        (venv / bootstrap.STAMP).write_text(bootstrap.env_key(str(ROOT)) + "\n")
        if not (data / "venv").exists():
            (data / "venv").symlink_to("venv-test")
        return data


def sdk_python(bin_dir: Path) -> Path:
    """A plugin-env ``python`` that is this interpreter, venv included (a symlink would lose it)."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    python = bin_dir / "python"
    python.unlink(missing_ok=True)
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    python.chmod(0o755)
    return python


def copy_plugin(dest: Path) -> Path:
    """A clean copy of the plugin as a user would get it (no venv, caches or tests)."""
    ignore = shutil.ignore_patterns(".venv", "__pycache__", "node_modules", ".git", "*.pyc",
                                    ".mypy_cache", ".ruff_cache", ".pytest_cache", "tests")
    shutil.copytree(ROOT, dest, ignore=ignore)
    return dest
