"""Hooks return whatever they are given (issue 10, sections 3, 8, 9): bounded work, a hard
deadline, only regular files read, lenient stdin, and a private prompt's whole turn private."""

from __future__ import annotations

import io
import json
import os
import time
from pathlib import Path

import pytest
from helpers.hooks import HookRunner, log_text, spooled

from recall_plugin import settings
from recall_plugin.capture import hook
from recall_plugin.capture.redact import scrub
from recall_plugin.errors import HookDeadline
from recall_plugin.lifecycle import backfill

SECRET_REPLY = "the vault passphrase is orchid-7781"


def run(event: str, payload: dict[str, object], cwd: Path) -> None:
    body = {"session_id": "s1", "cwd": str(cwd), "hook_event_name": event, **payload}
    hook.main(event, io.BytesIO(json.dumps(body).encode()))


def by_kind(data_dir: Path, kind: str) -> list[dict[str, object]]:
    return [e for e in spooled(data_dir) if e["kind"] == kind]


def test_invalid_utf8_is_kept_with_replacement(run_hook: HookRunner, data_dir: Path) -> None:
    body = b'{"hook_event_name": "PostToolUse", "session_id": "s", "tool_name": "Bash", ' \
           b'"tool_use_id": "t1", "tool_response": {"stdout": "caf\xe9 \xff ok"}}'
    assert run_hook("PostToolUse", body).returncode == 0
    [event] = spooled(data_dir)
    assert event["tool_response"] == {"stdout": "caf\ufffd \ufffd ok"}
    assert "not valid UTF-8" in log_text(data_dir)


def test_json_nested_100k_deep_is_kept(run_hook: HookRunner, data_dir: Path) -> None:
    deep = "[" * 100_000 + "1" + "]" * 100_000
    body = ('{"hook_event_name": "PostToolUse", "session_id": "s", "tool_name": "Bash", '
            f'"tool_use_id": "t1", "tool_response": {deep}, "tool_input": {{"command": "x"}}}}')
    assert run_hook("PostToolUse", body.encode()).returncode == 0
    [event] = spooled(data_dir)
    assert event["tool_input"] == {"command": "x"} and "[too deep]" in json.dumps(event)


def test_fifo_and_oversized_settings_are_refused(run_hook: HookRunner, data_dir: Path) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    os.mkfifo(data_dir / "settings.json")  # reading it would block forever
    start: dict[str, object] = {"hook_event_name": "SessionStart", "session_id": "s",
                                "source": "startup"}
    assert run_hook("SessionStart", start).returncode == 0
    assert "not a regular file" in log_text(data_dir)
    (data_dir / "settings.json").unlink()
    (data_dir / "settings.json").write_text('{"x": "' + "a" * 300_000 + '"}')
    assert run_hook("SessionStart", dict(start, source="resume")).returncode == 0
    assert "over the 262,144 bytes allowed" in log_text(data_dir)
    assert len(by_kind(data_dir, "session_start")) == 2


def test_fifo_project_config_is_not_opened(run_hook: HookRunner, data_dir: Path) -> None:
    os.mkfifo(run_hook.cwd / ".claude-recall.json")
    payload: dict[str, object] = {"hook_event_name": "UserPromptSubmit", "session_id": "s", "prompt": "hi",
               "prompt_id": "p1", "cwd": str(run_hook.cwd)}
    assert run_hook("UserPromptSubmit", payload).returncode == 0
    assert [e["prompt"] for e in spooled(data_dir)] == ["hi"]


def test_millions_of_tiny_strings_are_bounded(data_dir: Path, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    # the bound, not the deadline (its own tests below): a loaded machine may take past 0.6 s
    monkeypatch.setattr(hook, "DEADLINE_S", 60.0)
    run("PostToolUse", {"tool_name": "Bash", "tool_use_id": "t1",
                        "tool_response": {"lines": ["ab"] * 1_300_000}}, tmp_path)
    [event] = spooled(data_dir)
    lines = event["tool_response"]["lines"]
    assert len(lines) <= 5_001 and "elided 1,295,000 items" in lines[-1]


def test_past_the_deadline_only_metadata_is_kept(data_dir: Path, tmp_path: Path) -> None:
    payload = {"hook_event_name": "PostToolUse", "session_id": "s", "tool_name": "Bash",
               "tool_use_id": "t9", "tool_response": {"lines": [f"api_key={n}" for n in range(600)]}}
    captured = hook._capture("PostToolUse", json.dumps(payload).encode(), settings.load(),
                             deadline=time.monotonic() - 1)
    assert captured is not None
    assert captured["tool_use_id"] == "t9" and "tool_response" not in captured
    assert "captured as metadata only" in log_text(data_dir)


def test_a_loop_past_the_deadline_is_interrupted() -> None:
    """The hard stop: whatever slow path scrubbing takes, SIGALRM ends it at the deadline."""
    spins = 0
    try:
        with hook._Alarm(time.monotonic() + 0.05):
            while True:
                spins += 1
    except HookDeadline:
        pass
    assert spins > 0
    with hook._Alarm(time.monotonic() + 0.05):
        pass  # disarmed on exit: nothing rings later
    time.sleep(0.1)


# Runs of candidate names and token prefixes, 400,000 characters each (the payload's cap; the
# extractor and export scrub whole texts): a rule that re-reads the rest of the run for every
# hit is quadratic on them (minutes, where a linear scan takes a fraction of a second). The
# alarm is a hang guard with a wide margin, not a speed measurement (bench_hooks has those).
DENSE_RUNS = ("sk-", "sk--", "AKIA", "token=", "key:", "cookie: $", 'token="x', "password=\"",
              "xsk-", "ghp_", "eyJ", "mysql -p", "curl -u ", "private:", "session:")


def test_dense_runs_scrub_in_linear_time() -> None:
    for unit in DENSE_RUNS:
        text = unit * (400_000 // len(unit))
        try:
            with hook._Alarm(time.monotonic() + 10):
                scrub(text)
        except HookDeadline:
            raise AssertionError(f"scrubbing a run of {unit!r} did not finish in 10 s") from None


def test_a_private_prompt_keeps_its_reply_private(data_dir: Path, tmp_path: Path) -> None:
    run("UserPromptSubmit", {"prompt": "<private>what is the vault passphrase?</private>",
                             "prompt_id": "p1"}, tmp_path)
    run("Stop", {"prompt_id": "p1", "last_assistant_message": SECRET_REPLY}, tmp_path)
    run("Stop", {"last_assistant_message": SECRET_REPLY + " (no prompt id)"}, tmp_path)
    run("UserPromptSubmit", {"prompt": "now something ordinary", "prompt_id": "p2"}, tmp_path)
    run("Stop", {"last_assistant_message": "ordinary reply"}, tmp_path)
    stops = by_kind(data_dir, "stop")
    assert [s.get("private") for s in stops] == [True, True, None]
    assert [s.get("last_assistant_message") for s in stops] == [None, None, "ordinary reply"]
    blob = b"".join(p.read_bytes() for p in data_dir.rglob("*") if p.is_file())
    assert b"orchid-7781" not in blob


def test_backfill_keeps_a_private_turns_reply_private(data_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "projects" / "-p"
    folder.mkdir(parents=True)
    lines = [{"type": "user", "cwd": str(tmp_path), "timestamp": "2026-11-01T10:00:00Z",
              "promptId": "bp1", "message": {"content": "<private>the passphrase?</private>"}},
             {"type": "assistant", "timestamp": "2026-11-01T10:00:05Z",
              "message": {"content": [{"type": "text", "text": SECRET_REPLY}]}}]
    (folder / "s-b.jsonl").write_text("\n".join(json.dumps(x) for x in lines))
    items, _ = backfill.payloads(backfill.find_transcripts(str(tmp_path / "projects"))[0])
    out = b"".join(backfill.captured_lines(items, settings.load()))
    assert b"orchid-7781" not in out and b'"kind":"session_end"' in out
