"""Session 1 works (every kind of tool call, a subagent, a secret and a private block), the
extractor turns it into memory through the openrouter provider, session 2 starts knowing it and
searches it over MCP; ``--continue`` and ``/compact`` inject it again. One HOME for all."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from e2e_support import (
    MCP_SEARCH,
    PLUGIN_ARGS,
    PRIVATE,
    SECRET,
    CompactScript,
    TitledModel,
    files_text,
    hook_attachments,
    inline_claude,
    plugin_env,
    request_dump,
    titles,
    transcript,
    wait_extractor_done,
)
from helpers.claude_cli import Claude, require_claude
from helpers.fakes import FakeAnthropic, Script
from helpers.store import rows

pytestmark = pytest.mark.e2e

PREFIX = "Kestrel-memory"
SUB_ROUTE = "SUBTASK-E2E"


def session1_turns(project: Path) -> list[Any]:
    path = str(project / "retry.py")

    def use(name: str, **tool_input: Any) -> list[dict[str, Any]]:
        return [{"type": "tool_use", "name": name, "input": tool_input}]

    return [
        use("Write", file_path=path, content="def retry():\n    pass\n"),
        use("Read", file_path=path),
        use("Edit", file_path=path, old_string="    pass", new_string="    return backoff()"),
        use("Bash", command="echo bash-ok-marker", description="echo"),
        use("Bash", command="cat creds.txt", description="show creds"),
        use("Bash", command="false", description="fail"),
        use("Agent", description="sub", prompt=f"{SUB_ROUTE}: run echo", subagent_type="general-purpose",
            run_in_background=False),
        "done with retry",
    ]


@dataclass
class Flow:
    claude: Claude
    data_dir: Path
    model: TitledModel
    s1: dict[str, Any]
    s2: dict[str, Any]
    s3: dict[str, Any]
    s1_requests: list[dict[str, Any]]
    s2_requests: list[dict[str, Any]]
    s3_requests: list[dict[str, Any]]
    compact: dict[str, Any] = field(default_factory=dict)
    titles_after_s1: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def flow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flow]:
    require_claude()
    base = tmp_path_factory.mktemp("flow")
    data_dir = base / "data"
    model = TitledModel(PREFIX)
    with model:
        env = plugin_env(data_dir, model.url)
        (base / "project").mkdir()
        (base / "project" / "creds.txt").write_text(f"ANTHROPIC key: {SECRET}\n")
        sub = {SUB_ROUTE: [[{"type": "tool_use", "name": "Bash",
                             "input": {"command": "echo from-subagent", "description": "sub echo"}}],
                           "subagent finished"]}
        with FakeAnthropic(Script(session1_turns(base / "project"), sub)) as api1:
            claude = inline_claude(base, api1.url, env)
            s1 = claude.session(f"make retry back off <private>{PRIVATE}</private> thanks", *PLUGIN_ARGS)
            wait_extractor_done(data_dir)
        found = titles(data_dir)
        search = [{"type": "tool_use", "name": MCP_SEARCH, "input": {"query": PREFIX}}]
        with FakeAnthropic(Script([search, "found it"])) as api2:
            claude.api_url = api2.url
            s2 = claude.session("what did we do on retry?", *PLUGIN_ARGS)
            wait_extractor_done(data_dir)
        with FakeAnthropic(CompactScript([])) as api3:
            claude.api_url = api3.url
            s3 = claude.session("carry on", "--continue", *PLUGIN_ARGS)
            compacted = claude.cli("-p", "/compact", "--resume", s1["session_id"], "--output-format", "json",
                                   "--dangerously-skip-permissions", *PLUGIN_ARGS)
            assert compacted.returncode == 0, compacted.stderr[-2000:]
            wait_extractor_done(data_dir)
        yield Flow(claude, data_dir, model, s1, s2, s3, api1.script.requests, api2.script.requests,
                   api3.script.requests, json.loads(compacted.stdout.strip().splitlines()[-1]), found)


def events(flow: Flow, session_id: str) -> list[dict[str, Any]]:
    got = rows(flow.data_dir, "SELECT kind, tool_name, agent_id, agent_type, body, state FROM events"
               " WHERE session_id = ? ORDER BY id", session_id)
    return [{"kind": k, "tool": t, "agent_id": a, "agent_type": at, "body": json.loads(b), "state": s}
            for k, t, a, at, b, s in got]


def test_session_one_every_call_is_captured(flow: Flow) -> None:
    assert flow.s1["is_error"] is False and flow.s1["result"] == "done with retry"
    got = events(flow, flow.s1["session_id"])
    kinds = [(e["kind"], e["tool"]) for e in got if e["kind"] in ("tool", "tool_failure")]
    assert kinds == [("tool", "Write"), ("tool", "Read"), ("tool", "Edit"), ("tool", "Bash"),
                     ("tool", "Bash"), ("tool_failure", "Bash"), ("tool", "Bash"), ("tool", "Agent")], kinds
    sub = [e for e in got if e["agent_id"]]
    assert len(sub) == 1 and sub[0]["tool"] == "Bash" and sub[0]["agent_type"] == "general-purpose"
    assert "from-subagent" in json.dumps(sub[0]["body"])
    assert all(not e["agent_id"] for e in got if e is not sub[0])
    assert "bash-ok-marker" in json.dumps(got)
    head = [e["kind"] for e in got]
    first_run = head[:head.index("session_end") + 1]  # /compact --resume adds more to this session later
    assert first_run[:2] == ["session_start", "prompt"] and first_run[-2:] == ["stop", "session_end"]
    assert first_run.count("prompt") == 1 and len(first_run) == 2 + len(kinds) + 2
    assert {e["state"] for e in got} == {"done"}, {e["state"] for e in got}


def test_session_one_becomes_observations_and_a_summary(flow: Flow) -> None:
    assert flow.titles_after_s1 and all(t.startswith(PREFIX) for t in flow.titles_after_s1)
    summary = rows(flow.data_dir, "SELECT request FROM summaries WHERE session_id = ?", flow.s1["session_id"])
    assert summary == [("make retry back off",)]
    sent = request_dump(flow.model.requests)
    assert "retry.py" in sent and "bash-ok-marker" in sent and "from-subagent" in sent
    assert all(r.path.endswith("/chat/completions") for r in flow.model.requests)


def test_session_two_starts_with_memory_and_searches_it_over_mcp(flow: Flow) -> None:
    assert flow.s2["is_error"] is False and flow.s2["result"] == "found it"
    first = flow.s2_requests[0]["body"]
    injected = json.dumps(first["messages"])
    assert "SessionStart hook additional context" in injected
    assert any(t in injected for t in flow.titles_after_s1), injected[:3000]
    assert "make retry back off" in injected  # session 1's summary
    tools = {t["name"] for r in flow.s2_requests for t in r["body"].get("tools", [])}
    assert MCP_SEARCH in tools
    answer = json.dumps(flow.s2_requests[-1]["body"]["messages"][-1])
    assert "tool_result" in answer and f"{PREFIX} 1" in answer, answer[:2000]


def test_continue_and_compact_inject_memory_again(flow: Flow) -> None:
    sid1, sid2 = flow.s1["session_id"], flow.s2["session_id"]
    assert flow.s3["is_error"] is False and flow.s3["session_id"] == sid2
    assert flow.compact.get("is_error") is False, flow.compact
    sources = rows(flow.data_dir, "SELECT session_id, body FROM events WHERE kind = 'session_start'")
    seen = {(sid, json.loads(body).get("source")) for sid, body in sources}
    expected = {(sid1, "startup"), (sid2, "startup"), (sid2, "resume"), (sid1, "resume"), (sid1, "compact")}
    assert expected <= seen, seen
    numbered = rows(flow.data_dir, "SELECT prompt_number, text FROM prompts WHERE session_id = ?"
                    " ORDER BY id", sid2)
    assert numbered == [(1, "what did we do on retry?"), (2, "carry on")], numbered
    main = [r["body"] for r in flow.s3_requests if r["body"].get("tools")]
    assert main and any(t in json.dumps(main[0]["messages"]) for t in flow.titles_after_s1)
    # resume and compact inject memory again, without what the session was already given:
    # session 2 had these titles at its start (its resumed history above holds them), session
    # 1 at its resume, before its compaction
    for sid, source, given in ((sid2, "resume", True), (sid1, "compact", True)):
        lines = transcript(flow.claude, sid)
        outputs = [a for a in hook_attachments(lines, "hook_success")
                   if a.get("hookName") == f"SessionStart:{source}"]
        repeated = any(t in json.dumps(outputs) for t in flow.titles_after_s1)
        assert outputs and "claude-recall" in json.dumps(outputs) and repeated != given, (source, outputs)


def test_privacy_secret_and_private_block_go_nowhere(flow: Flow) -> None:
    stored = files_text(flow.data_dir)
    assert "cat creds.txt" in stored or rows(flow.data_dir, "SELECT 1 FROM events")  # sanity: data exists
    for needle in (SECRET, PRIVATE, SECRET[:40]):
        assert needle not in stored
        assert needle not in request_dump(flow.model.requests)
        assert needle not in json.dumps(flow.s2_requests[0]["body"]["system"])
    injected = [m for m in flow.s2_requests[0]["body"]["messages"] if m.get("role") == "system"]
    assert SECRET not in json.dumps(injected) and PRIVATE not in json.dumps(injected)
    assert "[REDACTED" in stored
    prompts = rows(flow.data_dir, "SELECT text FROM prompts WHERE session_id = ?", flow.s1["session_id"])
    assert prompts and "make retry back off" in prompts[0][0] and PRIVATE not in prompts[0][0]


KNOWN: tuple[str, ...] = ()


def log_problems(flow: Flow) -> list[str]:
    log = (flow.data_dir / "logs" / "recall.log").read_text()
    return [line for line in log.splitlines() if " ERROR " in line or " WARNING " in line]


def test_the_log_has_no_unexpected_errors_or_warnings(flow: Flow) -> None:
    bad = [line for line in log_problems(flow) if not any(k in line for k in KNOWN)]
    assert not bad, "\n".join(bad[:20])
    assert "API usage:" in (flow.data_dir / "logs" / "recall.log").read_text()


def test_the_first_session_start_can_start_the_extractor(flow: Flow) -> None:
    assert not [line for line in log_problems(flow) if "FileNotFoundError" in line]
