"""The first session after install, as a new user has it, with the real Claude Code CLI on a
fresh HOME and no prepared environment: the real bootstrap builds the plugin environment
(offline: a dependency-free copy of the plugin, see test_install), session 1 runs entirely
during the build, and without any other session its events reach the provider once the build
is done; session 2 starts knowing session 1; ``claude-recall`` resolves in the Bash tool.
Also: a python3 older than 3.10 first on PATH gets a message the user sees."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from e2e_support import MCP_SEARCH, TitledAnthropic, hook_attachments, titles, transcript, wait_until
from helpers.claude_cli import Claude, require_claude
from helpers.fakes import FakeAnthropic, Script
from helpers.hooks import ROOT, spooled
from helpers.store import rows
from test_install import offline_plugin

pytestmark = pytest.mark.e2e

HELPER_KEY = "sk-ant-helper-e2e-first-run"
GATE = '''
def _wait_for_gate():
    import time
    gate = os.environ.get("E2E_BUILD_GATE", "")
    deadline = time.monotonic() + 120
    while gate and not os.path.exists(gate) and time.monotonic() < deadline:
        time.sleep(0.1)


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    _wait_for_gate()
    return _build_wheel(wheel_directory, config_settings, metadata_directory)
'''


def gated_plugin(dest: Path) -> Path:
    """The offline plugin, whose build waits until the test opens a gate file, and whose wheel
    carries a .pth file that lends the environment this interpreter's dependencies (the real
    build installs them from the index; the hooks run with -S and never see them)."""
    plugin = offline_plugin(dest)
    backend = plugin / "_e2e_backend" / "backend.py"
    site = next(p for p in sys.path if p.endswith("site-packages"))
    text = backend.read_text().replace("def build_wheel(", "def _build_wheel(")
    marker = '        add(f"{dist}/METADATA"'
    assert marker in text
    text = text.replace(marker, f"        add('_e2e_deps.pth', {site!r}.encode() + b'\\n')\n{marker}")
    backend.write_text(text + GATE)
    return plugin


def bash(command: str) -> list[dict[str, Any]]:
    return [{"type": "tool_use", "name": "Bash", "input": {"command": command, "description": "run"}}]


def tool_results(lines: list[dict[str, Any]]) -> str:
    out = []
    for line in lines:
        content = line.get("message", {}).get("content") if line.get("type") == "user" else None
        for block in content if isinstance(content, list) else []:
            if isinstance(block, dict) and block.get("type") == "tool_result":
                out.append(json.dumps(block.get("content")))
    return "\n".join(out)


def test_first_session_after_install_becomes_memory_without_another_session(tmp_path: Path) -> None:
    binary = require_claude()
    plugin = gated_plugin(tmp_path / "claude-recall")
    data_dir, gate = tmp_path / "data", tmp_path / "open-the-gate"
    env = {"CLAUDE_RECALL_DATA_DIR": str(data_dir), "PIP_NO_INDEX": "1",
           "PIP_DISABLE_PIP_VERSION_CHECK": "1", "E2E_BUILD_GATE": str(gate),
           "CLAUDE_RECALL_PROVIDER": "claude", "CLAUDE_RECALL_CLAUDE_CLI": binary,
           "CLAUDE_RECALL_FALLBACK_PROVIDER": "none", "CLAUDE_RECALL_INDEX_MODE": "off",
           "CLAUDE_RECALL_EXTRACTOR_IDLE_S": "1", "CLAUDE_RECALL_BATCH_WAIT_S": "1",
           "CLAUDE_RECALL_RETRY_BASE_S": "0", "ANTHROPIC_API_KEY": "", "ENABLE_TOOL_SEARCH": "false"}
    provider = TitledAnthropic("Heron-first")
    first = Script([bash("echo first-run-marker"), bash("claude-recall status"), "done"])
    with provider, FakeAnthropic(first) as api:
        env["CLAUDE_RECALL_CLAUDE_BASE_URL"] = provider.url
        claude = Claude(tmp_path, api.url, env)
        for args in (("plugin", "marketplace", "add", str(plugin)),
                     ("plugin", "install", "recall@claude-recall")):
            done = claude.cli(*args)
            assert done.returncode == 0, done.stdout + done.stderr
        settings_file = claude.config_dir / "settings.json"
        settings = json.loads(settings_file.read_text())
        settings_file.write_text(json.dumps(dict(settings, apiKeyHelper=f"echo {HELPER_KEY}")))
        plugin_data = claude.config_dir / "plugins" / "data" / "recall-claude-recall"

        session1 = claude.session("first session after install")
        assert session1["is_error"] is False
        lines = transcript(claude, session1["session_id"])
        # the user is told what is happening, once
        shown = hook_attachments(lines, "hook_system_message")
        assert len(shown) == 1 and "building its Python environment" in shown[0]["content"], shown
        # claude-recall is on the Bash tool's PATH and works (stdlib) while the build runs
        results = tool_results(lines)
        assert "first-run-marker" in results and "queue" in results and "data dir" in results, results
        assert not (plugin_data / "venv").exists(), "the build must still be waiting on the gate"
        assert [e["kind"] for e in spooled(data_dir)][-1] == "session_end"
        assert not provider.requests

        gate.touch()  # the build finishes; nothing else happens in Claude Code
        wait_until(lambda: bool(titles(data_dir)), 120,
                   f"session 1's memory (see {plugin_data / 'bootstrap.log'}, {data_dir / 'logs'})", step=0.5)
        assert all(t.startswith("Heron-first") for t in titles(data_dir))
        sessions = {r[0] for r in rows(data_dir, "SELECT DISTINCT session_id FROM events")}
        assert sessions == {session1["session_id"]}

        second = Script([bash("claude-recall status"), "done"])
        with FakeAnthropic(second) as api2:
            _, lines2 = second_session(tmp_path, api2.url, env, second)
    assert "observations  1" in tool_results(lines2) or "observations  2" in tool_results(lines2)

    doctor = subprocess.run([sys.executable, "-m", "recall_plugin", "doctor"], capture_output=True, text=True,
                            timeout=120, env=dict(claude.env(), CLAUDE_PLUGIN_ROOT=str(plugin),
                                                  CLAUDE_PLUGIN_DATA=str(plugin_data)))
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    assert "plugin env" in doctor.stdout and "is ready" in doctor.stdout
    assert "through your own claude CLI" in doctor.stdout


def second_session(tmp_path: Path, api_url: str, env: dict[str, str],
                   script: Script) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Session 2, right after: it carries session 1's memory (and the MCP tools)."""
    claude = Claude(tmp_path, api_url, env)
    session = claude.session("second session")
    assert session["is_error"] is False
    sent = [r["body"] for r in script.requests if r["body"].get("tools")]
    assert sent and "Heron-first" in json.dumps(sent[0]), "session 2 must carry session 1's memory"
    assert MCP_SEARCH in json.dumps([t.get("name") for t in sent[0]["tools"]])
    lines = transcript(claude, session["session_id"])
    assert not hook_attachments(lines, "hook_system_message")  # ready: nothing to say
    return session, lines


def old_python_path(tmp_path: Path) -> Path:
    """A PATH whose only python3 is an old one (a shim that fails like 3.8 would)."""
    shims = tmp_path / "shims"
    shims.mkdir()
    (shims / "python3").write_text(
        '#!/bin/sh\ncase "$*" in *"version_info[:2]"*) echo 3.8; exit 0;; esac\n'
        'echo "SyntaxError: invalid syntax" >&2\nexit 1\n')
    (shims / "python3").chmod(0o755)
    for tool in ("sh", "dirname", "tr", "cat"):
        found = subprocess.run(["sh", "-c", f"command -v {tool}"], capture_output=True, text=True)
        os.symlink(found.stdout.strip(), shims / tool)
    return shims


def test_a_too_old_python3_is_reported_to_the_user(tmp_path: Path) -> None:
    require_claude()
    shims = old_python_path(tmp_path)
    with FakeAnthropic(Script(["done"])) as api:
        env = {"PATH": str(shims), "CLAUDE_RECALL_DATA_DIR": str(tmp_path / "data")}
        claude = Claude(tmp_path, api.url, env)
        result = claude.session("hello", "--plugin-dir", str(ROOT))
        assert result["is_error"] is False
        lines = transcript(claude, result["session_id"])
        shown = hook_attachments(lines, "hook_system_message")
        assert len(shown) == 1, shown
        assert "needs Python 3.10 or newer and python3 on PATH is 3.8" in shown[0]["content"]
        assert "Install Python 3.10+" in shown[0]["content"]
        assert "python3 on PATH is 3.8" in json.dumps(api.script.requests)  # the model knows too
    assert not (tmp_path / "data").exists()  # nothing ran


def test_slash_commands_are_offered(tmp_path: Path) -> None:
    require_claude()
    with FakeAnthropic(Script(["done"])) as api:
        claude = Claude(tmp_path, api.url, {"CLAUDE_RECALL_DATA_DIR": str(tmp_path / "data")})
        run = claude.cli("-p", "hi", "--output-format", "stream-json", "--verbose",
                         "--dangerously-skip-permissions", "--plugin-dir", str(ROOT))
    assert run.returncode == 0, run.stderr
    [init] = [d for d in map(json.loads, run.stdout.splitlines()) if d.get("subtype") == "init"]
    offered = {c for c in init.get("slash_commands", []) if c.startswith("recall:")}
    assert offered == {"recall:status", "recall:search", "recall:viewer", "recall:forget"}
