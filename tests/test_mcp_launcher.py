"""The MCP server's start-up: the vector index warming up in the background, no heavy import
for the opening; the launcher with plain ``python3`` (no plugin environment) and with a
too-old one; the context naming the tools only when they can run; and the real Claude Code CLI
with the plugin and no plugin environment at all."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.hooks import ROOT
from helpers.mcp_server import (
    MODERN_META,
    TOOL_NAMES,
    Raw,
    alpha_id,
    initialize,
    plant,
    request,
)

from recall_plugin.capture.project import key
from recall_plugin.store.db import open_store


def test_hybrid_search_after_the_warm_up_and_a_clean_exit_during_it(tmp_path: Path) -> None:
    """With the vector stack importable, the index loads in the background after the first
    answer; closing stdin while it loads still ends the server cleanly (exit 0, no abort)."""
    plant(tmp_path / "data")
    early = Raw(tmp_path, CLAUDE_RECALL_INDEX_MODE="local")
    assert early.ask(request(0, "server/discover", {"_meta": MODERN_META}))["result"]
    early.close()  # asserts exit status 0
    raw = Raw(tmp_path, CLAUDE_RECALL_INDEX_MODE="local")
    raw.ask(initialize("2025-11-25"))
    called = raw.ask(request(1, "tools/call", {"name": "search", "arguments": {"query": "backoff jitter"}}))
    assert called["result"]["content"][0]["text"].startswith("#1 ")
    raw.close()
    log = (tmp_path / "data" / "logs" / "recall.log").read_text()
    assert "no vector index" not in log and "mcp search ok" in log


def test_startup_loads_no_heavy_module() -> None:
    """Answering the opening and tools/list imports neither the vector stack nor the SDK."""
    code = ("import sys, json; from recall_plugin.mcpserver import server, protocol;"
            " s = protocol.Session('recall', '0', lambda: server.tools(server.cross_project()),"
            " server.call_tool);"
            " s.handle_line(json.dumps({'jsonrpc': '2.0', 'id': 1, 'method': 'tools/list', 'params':"
            " {'_meta': {'io.modelcontextprotocol/protocolVersion': '2026-07-28',"
            " 'io.modelcontextprotocol/clientCapabilities': {}}}}).encode());"
            " print(sorted({m.split('.')[0] for m in sys.modules} & {'chromadb', 'onnxruntime', 'mcp',"
            " 'pydantic', 'anyio', 'numpy', 'orjson', 'httpx'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         timeout=60, check=True)
    assert out.stdout.strip() == "[]", out.stdout


def launcher_env(tmp_path: Path, data_dir: Path, path: str) -> dict[str, str]:
    return {"CLAUDE_PLUGIN_ROOT": str(ROOT), "CLAUDE_RECALL_DATA_DIR": str(data_dir),
            "HOME": str(tmp_path), "PATH": path}


def test_launcher_runs_on_plain_python3_before_the_plugin_environment(tmp_path: Path,
                                                                      data_dir: Path) -> None:
    """``sh hooks/mcp`` as .mcp.json runs it, with no plugin environment: python3 from PATH (with
    no third-party package), FTS search, and a project whose own ``json.py`` cannot shadow it."""
    plant(data_dir)
    bare = tmp_path / "bin"
    bare.mkdir()
    (bare / "python3").symlink_to(os.path.realpath(sys.base_prefix + "/bin/python3"))
    project = tmp_path / "alpha"
    project.mkdir()
    (project / "json.py").write_text("raise SystemExit('the project shadowed the server')\n")
    env = launcher_env(tmp_path, data_dir, f"{bare}:/usr/bin:/bin")
    proc = subprocess.run(["sh", str(ROOT / "hooks" / "mcp")], cwd=project, env=env, timeout=60,
                          input=b"\n".join(json.dumps(m).encode() for m in [
                              request(0, "server/discover", {"_meta": MODERN_META}),
                              request(1, "tools/call", {"name": "search", "arguments": {"query": "retry"},
                                                        "_meta": MODERN_META})]) + b"\n",
                          capture_output=True)
    answers = [json.loads(line) for line in proc.stdout.splitlines()]
    assert proc.returncode == 0 and answers[0]["result"]["supportedVersions"] == ["2026-07-28"], proc.stderr
    assert answers[1]["result"]["content"][0]["text"].startswith("#1 2026-11-18 bugfix  Fix retry storm")
    log = (data_dir / "logs" / "recall.log").read_text()
    assert "python " + ".".join(map(str, sys.version_info[:2])) in log


OLD_PYTHONS = sorted(Path("/root/.pyenv/versions").glob("3.[6-9].*/bin/python3"))


@pytest.mark.skipif(not OLD_PYTHONS, reason="no python3 older than 3.10 on this machine")
def test_a_too_old_python3_still_answers_and_says_why(tmp_path: Path, data_dir: Path) -> None:
    old = tmp_path / "bin"
    old.mkdir()
    (old / "python3").symlink_to(OLD_PYTHONS[-1])
    env = launcher_env(tmp_path, data_dir, f"{old}:/usr/bin:/bin")
    lines = [initialize("2025-06-18"), request(1, "tools/list"), request(2, "tools/call", {"name": "search"}),
             request(3, "server/discover", {"_meta": MODERN_META})]
    proc = subprocess.run(["sh", str(ROOT / "hooks" / "mcp")], cwd=tmp_path, env=env, timeout=60,
                          input=b"\n".join(json.dumps(m).encode() for m in lines) + b"\n",
                          capture_output=True)
    first, listed, called, found = [json.loads(line) for line in proc.stdout.splitlines()]
    version = OLD_PYTHONS[-1].parent.parent.name
    assert first["result"]["protocolVersion"] == "2025-06-18"
    assert f"need Python >= 3.10; python3 here is {version}" in first["result"]["instructions"]
    assert listed["result"] == {"tools": []}
    assert "need Python >= 3.10" in called["error"]["message"]
    assert found["result"]["resultType"] == "complete" and "3.10" in found["result"]["instructions"]
    assert proc.returncode == 0 and b"need Python >= 3.10" in proc.stderr


def test_the_context_mentions_the_tools_only_when_they_can_run(tmp_path: Path, data_dir: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from recall_plugin import context

    plant(data_dir)
    monkeypatch.setenv("CLAUDE_PLUGIN_ROOT", str(ROOT))
    assert "recall MCP tools" in context.for_project(str(data_dir), alpha_id(data_dir))
    shutil.copytree(ROOT / "hooks", tmp_path / "plugin" / "hooks")  # a plugin without .mcp.json
    monkeypatch.setenv("CLAUDE_PLUGIN_ROOT", str(tmp_path / "plugin"))
    text = context.for_project(str(data_dir), alpha_id(data_dir))
    assert "Fix retry storm" in text and "MCP" not in text


@pytest.mark.e2e
def test_claude_code_uses_the_tools_before_the_plugin_environment_exists(tmp_path: Path,
                                                                         data_dir: Path) -> None:
    """The real Claude Code, no plugin environment: the stdlib server answers its
    server/discover probe, the five tools reach the model, and a search call is answered."""
    from helpers.claude_cli import Claude
    from helpers.fakes import FakeAnthropic, Script

    plant(data_dir)
    call = {"type": "tool_use", "name": "mcp__plugin_recall_recall__search", "input": {"query": "retry"}}
    with FakeAnthropic(Script([[call], "done"])) as fake:
        claude = Claude(tmp_path, fake.url, {"CLAUDE_RECALL_DATA_DIR": str(data_dir),
                                             "CLAUDE_RECALL_AUTO_EXTRACT": "false",
                                             "ENABLE_TOOL_SEARCH": "false"})
        conn = open_store(str(data_dir))  # the session's project is the folder Claude Code runs in
        conn.execute("UPDATE observations SET project = ? WHERE project = ?",
                     (key(str(claude.project)), alpha_id(data_dir)))
        conn.close()
        assert not (claude.config_dir / "plugins" / "data").exists()  # no plugin environment at all
        result = claude.session("what broke before?", "--plugin-dir", str(ROOT))
    assert result["is_error"] is False, result
    bodies = [r["body"] for r in fake.script.requests if r["body"].get("tools")]
    names = {t["name"] for body in bodies for t in body["tools"]}
    assert {f"mcp__plugin_recall_recall__{n}" for n in TOOL_NAMES} <= names
    assert not names & {"ListMcpResourcesTool", "ReadMcpResourceTool"}  # no resources advertised
    answer = json.dumps(bodies[-1]["messages"][-1])
    assert "tool_result" in answer and "#1 2026-11-18 bugfix  Fix retry storm in uploader" in answer, answer
    assert "beta" not in answer
