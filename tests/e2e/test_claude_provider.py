"""The ``claude`` provider with no API key: extraction runs the user's own Claude Code (the pinned
CLI, logged in through an ``apiKeyHelper``), answered by a fake Messages API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from e2e_support import PLUGIN_ARGS, TitledAnthropic, inline_claude, plugin_env, titles, wait_extractor_done
from helpers.claude_cli import require_claude
from helpers.fakes import FakeAnthropic, Script
from helpers.store import rows

pytestmark = pytest.mark.e2e

HELPER_KEY = "sk-ant-helper-e2e-000000"


def test_claude_provider_through_the_users_cli(tmp_path: Path) -> None:
    binary = require_claude()
    data_dir = tmp_path / "data"
    turns = [[{"type": "tool_use", "name": "Bash", "input": {"command": "echo via-cli", "description": "e"}}],
             "done"]
    provider = TitledAnthropic("Osprey-cli")
    with provider, FakeAnthropic(Script(turns)) as api:
        env = plugin_env(data_dir, None, CLAUDE_RECALL_PROVIDER="claude", CLAUDE_RECALL_CLAUDE_CLI=binary,
                         CLAUDE_RECALL_CLAUDE_BASE_URL=provider.url, ANTHROPIC_API_KEY="")
        claude = inline_claude(tmp_path, api.url, env)
        (claude.config_dir / "settings.json").write_text(json.dumps({"apiKeyHelper": f"echo {HELPER_KEY}"}))
        result = claude.session("run echo via the cli", *PLUGIN_ARGS)
        assert result["is_error"] is False and result["result"] == "done"
        wait_extractor_done(data_dir, timeout=90)
    assert titles(data_dir) and all(t.startswith("Osprey-cli") for t in titles(data_dir))
    calls = rows(data_dir, "SELECT provider, status FROM provider_calls")
    assert calls and set(calls) == {("claude", "ok")}, calls
    sent = [r for r in provider.requests if r.path.startswith("/v1/messages")]
    assert sent and all(HELPER_KEY in json.dumps(r.headers) for r in sent)
    assert all(not r.body.get("tools") for r in sent)  # the inner CLI offers the model no tools
    assert "via-cli" in json.dumps([r.body for r in sent])
    assert rows(data_dir, "SELECT count(*) FROM summaries") == [(1,)]
    # the inner CLI's own session was never captured (CLAUDE_RECALL_EXTRACTING)
    assert rows(data_dir, "SELECT DISTINCT session_id FROM events") == [(result["session_id"],)]
    assert [r[0] for r in rows(data_dir, "SELECT DISTINCT state FROM events")] == ["done"]
