"""Secrets and <private> text planted in a session appear in no file under the data dir."""

from __future__ import annotations

import json
from pathlib import Path

from helpers.hooks import HookRunner, load_payloads, spooled

ANTHROPIC = "sk-ant-api03-" + "Zq9" * 30
OPENROUTER = "sk-or-v1-" + "ab12" * 16
GITHUB = "ghp_" + "K7" * 18
AWS_ID = "AKIA" + "QWERTYUIOPASDFGH"
PRIVATE_TEXT = "my-bank-pin-is-4242"
ENV_VALUE = "hunter2-plain-value"


def session(run_hook: HookRunner) -> None:
    records = {r["event"]: r["payload"] for r in load_payloads("bash_inject")}
    base = dict(records["UserPromptSubmit"])
    run_hook("SessionStart", records["SessionStart"])
    run_hook("UserPromptSubmit", dict(
        base, prompt=f"deploy with key {ANTHROPIC} <private>{PRIVATE_TEXT}</private> please"))
    tool = dict(records["PostToolUse"])
    run_hook("PostToolUse", dict(tool, tool_use_id="t1", tool_input={
        "command": f"curl -H 'Authorization: Bearer {OPENROUTER}' https://example.test"},
        tool_response={"stdout": f"token {GITHUB}\naws {AWS_ID}\n<private>{PRIVATE_TEXT}</private>",
                       "stderr": ""}))
    run_hook("PostToolUse", dict(tool, tool_name="Read", tool_use_id="t2",
                                 tool_input={"file_path": "/p/.env"},
                                 tool_response={"file": {"content": f"DB_URL={ENV_VALUE}\n"}}))
    private_prompt = dict(base, prompt_id="p-private", prompt=f"<private>{PRIVATE_TEXT} "
                          "rotate the root password</private>")
    run_hook("UserPromptSubmit", private_prompt)
    run_hook("PostToolUse", dict(tool, prompt_id="p-private", tool_use_id="t3",
                                 tool_input={"command": "echo rotate-the-root-password"},
                                 tool_response={"stdout": "rotated"}))
    run_hook("SessionEnd", records["SessionEnd"])


def all_bytes(data_dir: Path) -> bytes:
    return b"".join(p.read_bytes() for p in data_dir.rglob("*") if p.is_file())


def test_nothing_secret_reaches_the_data_dir(run_hook: HookRunner, data_dir: Path) -> None:
    session(run_hook)
    from recall_plugin.cli.status import gather

    gather(str(data_dir))  # ingest into SQLite as well
    blob = all_bytes(data_dir)
    for secret in (ANTHROPIC, OPENROUTER, GITHUB, AWS_ID, PRIVATE_TEXT, ENV_VALUE,
                   "rotate-the-root-password", "rotate the root password"):
        assert secret.encode() not in blob, secret
    assert b"[REDACTED:" in blob


def test_private_prompt_makes_its_tool_calls_private(run_hook: HookRunner,
                                                     data_dir: Path) -> None:
    session(run_hook)
    events = {e.get("tool_use_id") or e.get("prompt_id") or e["kind"]: e
              for e in spooled(data_dir)}
    assert events["p-private"]["private"] is True
    assert events["t3"]["private"] is True
    assert "tool_input" not in events["t3"] and "tool_response" not in events["t3"]
    assert events["t1"].get("private") is None
    assert "[REDACTED:" in json.dumps(events["t1"])
