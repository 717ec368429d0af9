"""Bad input never breaks Claude Code: exit 0, one log line, nothing written wrongly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers.hooks import HookRunner, load_payloads, log_text, spooled


@pytest.mark.parametrize(("stdin", "message"), [
    (b"", "empty stdin"),
    (b"   \n", "empty stdin"),
    (b"{not json", "stdin is not JSON"),
    (b"\xff\xfe\x00garbage", "stdin is not JSON"),
    (b"[1, 2, 3]", "is a list, not an object"),
    (b'"just a string"', "is a str, not an object"),
])
def test_malformed_stdin(run_hook: HookRunner, data_dir: Path, stdin: bytes, message: str) -> None:
    result = run_hook("PostToolUse", stdin)
    assert result.returncode == 0
    assert result.stdout == b""
    assert spooled(data_dir) == []
    log = log_text(data_dir)
    assert message in log
    assert len(log.splitlines()) == 1


def test_five_megabyte_payload_is_trimmed_not_lost(run_hook: HookRunner, data_dir: Path) -> None:
    [record] = [r for r in load_payloads("bash_inject") if r["event"] == "PostToolUse"]
    payload = dict(record["payload"])
    payload["tool_response"] = {"stdout": "line of output\n" * 350_000, "stderr": ""}
    data = json.dumps(payload).encode()
    assert len(data) > 5_000_000
    result = run_hook("PostToolUse", data)
    assert result.returncode == 0 and result.stdout == b""
    [event] = spooled(data_dir)
    stdout = event["tool_response"]["stdout"]
    assert len(stdout) < 5000
    assert "claude-recall elided" in stdout
    assert event["trimmed_chars"] > 5_000_000 - 5000
    assert (data_dir / "queue" / "spool.jsonl").stat().st_size < 10_000


def test_payload_over_the_limit_is_kept_as_metadata(run_hook: HookRunner, data_dir: Path) -> None:
    [record] = [r for r in load_payloads("bash_inject") if r["event"] == "PostToolUse"]
    payload = dict(record["payload"])
    payload["tool_response"] = "x" * 200_000
    result = run_hook("PostToolUse", json.dumps(payload).encode(),
                      CLAUDE_RECALL_MAX_PAYLOAD_BYTES="50000")
    assert result.returncode == 0
    [event] = spooled(data_dir)
    assert event["tool_use_id"] == payload["tool_use_id"]
    assert event["session_id"] == payload["session_id"]
    assert "tool_response" not in event
    assert "metadata only" in log_text(data_dir)


def test_broken_settings_file_does_not_break_the_hook(run_hook: HookRunner,
                                                      data_dir: Path) -> None:
    data_dir.mkdir(parents=True)
    (data_dir / "settings.json").write_text('{"CLAUDE_RECALL_MAX_FIELD_CHARS": "lots",')
    for record in load_payloads("bash_inject")[:2]:
        assert run_hook(str(record["event"]), record["payload"]).returncode == 0
    assert len(spooled(data_dir)) == 2
    assert "settings.json: not valid JSON" in log_text(data_dir)


def test_read_only_data_dir_still_exits_zero(run_hook: HookRunner, data_dir: Path,
                                             tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the data dir should be")
    [record] = [r for r in load_payloads("bash_inject") if r["event"] == "PostToolUse"]
    result = run_hook("PostToolUse", record["payload"],
                      CLAUDE_RECALL_DATA_DIR=str(blocker / "data"))
    assert result.returncode == 0
    assert result.stdout == b""
