"""Every recorded real payload becomes the right event, through the real hook launcher."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.hooks import HookRunner, load_payloads, log_text, spooled

REGISTERED = {"SessionStart", "UserPromptSubmit", "PostToolUse", "PostToolUseFailure", "Stop",
              "SessionEnd"}


def replay(run_hook: HookRunner, name: str) -> list[dict[str, object]]:
    sent = []
    for record in load_payloads(name):
        payload = dict(record["payload"])
        payload["cwd"] = str(run_hook.cwd)
        result = run_hook(str(record["event"]), payload)
        assert result.returncode == 0
        assert result.stdout == b""
        if record["event"] in REGISTERED:
            sent.append(payload)
    return sent


@pytest.mark.parametrize("name", ["bash_inject", "multi_tool", "subagent"])
def test_each_registered_payload_becomes_one_event(run_hook: HookRunner, data_dir: Path,
                                                   name: str) -> None:
    sent = replay(run_hook, name)
    events = spooled(data_dir)
    assert [e["kind"] for e in events] == [
        {"SessionStart": "session_start", "UserPromptSubmit": "prompt", "PostToolUse": "tool",
         "PostToolUseFailure": "tool_failure", "Stop": "stop",
         "SessionEnd": "session_end"}[str(p["hook_event_name"])] for p in sent]
    for event, payload in zip(events, sent, strict=True):
        assert event["session_id"] == payload["session_id"]
        assert (event["project"], event["project_name"]) == (f"dir:{run_hook.cwd}", "project")
        assert event["cwd"] == str(run_hook.cwd)
        assert event.get("tool_use_id") == payload.get("tool_use_id")
        assert event.get("prompt_id") == payload.get("prompt_id")
    assert len({e["key"] for e in events}) == len(events)


def test_tool_events_keep_input_and_response(run_hook: HookRunner, data_dir: Path) -> None:
    replay(run_hook, "multi_tool")
    tools = {e["tool_name"]: e for e in spooled(data_dir) if e["kind"] == "tool"}
    assert tools["Write"]["tool_input"]["content"] == "alpha\nbeta\n"
    assert tools["Read"]["tool_response"]["file"]["content"] == "alpha\nbeta\n"
    assert tools["Write"]["key"] == f"{tools['Write']['session_id']}:tool:{tools['Write']['tool_use_id']}"


def test_failure_keeps_its_error(run_hook: HookRunner, data_dir: Path) -> None:
    replay(run_hook, "multi_tool")
    [failure] = [e for e in spooled(data_dir) if e["kind"] == "tool_failure"]
    assert failure["tool_name"] == "Bash"
    assert failure["error"] == "Exit code 1"
    assert failure["tool_input"] == {"command": "false", "description": "failing command"}


def test_subagent_calls_carry_agent_ids(run_hook: HookRunner, data_dir: Path) -> None:
    replay(run_hook, "subagent")
    tools = [e for e in spooled(data_dir) if e["kind"] == "tool"]
    inner = [e for e in tools if e["tool_name"] == "Bash"]
    outer = [e for e in tools if e["tool_name"] == "Agent"]
    assert inner and outer
    assert inner[0]["agent_id"] == "a9f4b99ae8508a02d"
    assert inner[0]["agent_type"] == "general-purpose"
    assert "agent_id" not in outer[0]


def test_stop_and_session_end_request_a_summary(run_hook: HookRunner, data_dir: Path) -> None:
    replay(run_hook, "bash_inject")
    ends = [e for e in spooled(data_dir) if e["kind"] in ("stop", "session_end")]
    assert [e["kind"] for e in ends] == ["stop", "session_end"]
    assert all(e["summarize"] is True for e in ends)
    assert ends[0]["last_assistant_message"] == "done"
    assert ends[1]["reason"] == "other"


def test_unregistered_events_are_ignored_and_logged(run_hook: HookRunner, data_dir: Path) -> None:
    [pre] = [r for r in load_payloads("bash_inject") if r["event"] == "PreToolUse"]
    result = run_hook("PreToolUse", pre["payload"])
    assert result.returncode == 0 and result.stdout == b""
    assert spooled(data_dir) == []
    assert "unknown hook event 'PreToolUse'" in log_text(data_dir)


def test_replaying_the_same_payload_stores_it_once(run_hook: HookRunner, data_dir: Path) -> None:
    from recall_plugin.queue.ingest import ingest
    from recall_plugin.store.db import open_store

    records = load_payloads("multi_tool")
    for _ in range(2):
        for record in records:
            run_hook(str(record["event"]), record["payload"])
    conn = open_store(str(data_dir))
    report = ingest(conn, str(data_dir))
    registered = sum(1 for r in records if r["event"] in REGISTERED)
    assert registered == 7
    assert (report.inserted, report.duplicates) == (registered, registered)
    assert conn.execute("SELECT count(*) FROM events").fetchone()[0] == registered
    assert conn.execute("SELECT count(*) FROM prompts").fetchone()[0] == 1
    assert ingest(conn, str(data_dir)).lines == 0


def test_our_own_memory_tools_are_not_captured(run_hook: HookRunner, data_dir: Path) -> None:
    """Claude's calls to this plugin's MCP tools (as Claude Code 2.1.330 names them) are not
    memory of the project: recording them would feed recalled notes back into memory."""
    base: dict[str, object] = {
        "session_id": "s-own", "cwd": str(run_hook.cwd), "tool_input": {"query": "retry"},
        "tool_response": "1 relevant memory", "transcript_path": "/tmp/t.jsonl"}
    for name, use_id in (("mcp__plugin_recall_recall__search", "t1"), ("Bash", "t2")):
        payload = dict(base, hook_event_name="PostToolUse", tool_name=name, tool_use_id=use_id)
        assert run_hook("PostToolUse", payload).returncode == 0
    assert [e["tool_name"] for e in spooled(data_dir) if e["kind"] == "tool"] == ["Bash"]
