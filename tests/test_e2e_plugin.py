"""The plugin inside the real Claude Code CLI (pinned, headless, offline)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers.claude_cli import Claude, copy_plugin
from helpers.fakes import FakeAnthropic, Script
from helpers.hooks import spooled

pytestmark = pytest.mark.e2e

TURNS = [
    [{"type": "text", "text": "Running it."},
     {"type": "tool_use", "name": "Bash", "input": {"command": "echo captured-ok"}}],
    [{"type": "tool_use", "name": "Bash", "input": {"command": "false", "description": "fail"}}],
    "done",
]


def test_plugin_validates(tmp_path: Path, data_dir: Path) -> None:
    plugin = copy_plugin(tmp_path / "claude-recall")
    with FakeAnthropic(Script([])) as fake:
        result = Claude(tmp_path, fake.url, {}).cli("plugin", "validate", str(plugin))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Validating marketplace manifest" in result.stdout
    assert "✔ Validation passed" in result.stdout and "✘" not in result.stdout
    assert "Unknown field" not in result.stdout
    for event in ("SessionStart", "UserPromptSubmit", "PostToolUse *", "PostToolUseFailure *",
                  "Stop", "SessionEnd"):
        assert f"hooks: {event} command" in result.stdout


def test_marketplace_install_then_every_event_is_captured(tmp_path: Path, data_dir: Path) -> None:
    plugin = copy_plugin(tmp_path / "claude-recall")
    with FakeAnthropic(Script(TURNS)) as fake:
        claude = Claude(tmp_path, fake.url, {"CLAUDE_RECALL_DATA_DIR": str(data_dir),
                                             "CLAUDE_RECALL_AUTO_EXTRACT": "false"})
        assert claude.cli("plugin", "marketplace", "add", str(plugin)).returncode == 0
        installed = claude.cli("plugin", "install", "recall@claude-recall")
        assert installed.returncode == 0, installed.stdout + installed.stderr
        user_settings = json.loads((claude.config_dir / "settings.json").read_text())
        assert user_settings["enabledPlugins"]["recall@claude-recall"] is True
        claude.ready_plugin_env("recall-claude-recall")
        result = claude.session("run echo then false")
    assert result["is_error"] is False
    events = spooled(data_dir)
    kinds = [e["kind"] for e in events]
    assert kinds == ["session_start", "prompt", "tool", "tool_failure", "stop", "session_end"]
    tool, failure = events[2], events[3]
    assert tool["tool_input"]["command"] == "echo captured-ok"
    assert "captured-ok" in json.dumps(tool["tool_response"])
    assert failure["error"] == "Exit code 1"
    assert {e["session_id"] for e in events} == {result["session_id"]}
    assert events[1]["prompt"] == "run echo then false"
