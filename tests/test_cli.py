"""The command line: status, doctor and the two ways to run it."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.hooks import ROOT, HookRunner, load_payloads

CONSOLE = Path(sys.executable).parent / "claude-recall"


def cli(*args: str, module: bool = True) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "recall_plugin", *args] if module else [str(CONSOLE), *args]
    return subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, timeout=120)


def test_status_json_counts_a_captured_session(run_hook: HookRunner, data_dir: Path) -> None:
    for record in load_payloads("multi_tool"):
        run_hook(record["event"], record["payload"])
    result = cli("status", "--json")
    assert result.returncode == 0, result.stderr
    status = json.loads(result.stdout)
    assert status["queue"]["pending"] == 6  # all but session_start, which needs no extraction
    assert {"pending", "failed", "dead"} <= set(status["queue"])
    assert (status["sessions"], status["prompts"], status["events"]) == (1, 1, 7)
    assert (status["observations"], status["summaries"]) == (0, 0)
    assert status["provider"] == "claude"
    assert status["data_dir"] == str(data_dir)
    text = cli("status").stdout
    assert "events        7" in text and "last run      never" in text


def test_console_script_and_module_are_the_same(data_dir: Path) -> None:
    assert CONSOLE.exists()
    for args in (["--help"], ["status", "--json"], ["settings", "get", "provider"]):
        assert cli(*args).stdout == cli(*args, module=False).stdout


def test_doctor_names_the_provider_setting_to_fill_in(data_dir: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLAUDE_RECALL_CLAUDE_CLI", "off")
    missing = cli("doctor")
    assert missing.returncode == 1
    assert "FAIL  provider     no usable provider: claude: no API key" in missing.stdout
    assert "CLAUDE_RECALL_CLAUDE_API_KEY" in missing.stdout
    monkeypatch.setenv("CLAUDE_RECALL_PROVIDER", "openrouter")
    monkeypatch.setenv("OPENROUTER_API_KEY", "sk-or-v1-" + "5" * 64)
    fallback = cli("doctor")
    assert "ok    provider     openrouter is usable" in fallback.stdout


def test_doctor_and_status_say_how_the_claude_provider_runs(data_dir: Path, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-api03-" + "k" * 80)
    assert "ok    provider     claude is usable, with an API key" in cli("doctor").stdout
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    fake_cli = tmp_path / "claude"
    fake_cli.write_text("#!/bin/sh\nexit 0\n")
    fake_cli.chmod(0o755)
    monkeypatch.setenv("CLAUDE_RECALL_CLAUDE_CLI", str(fake_cli))
    doctor = cli("doctor").stdout
    assert f"ok    provider     claude is usable, through your own claude CLI ({fake_cli})" in doctor
    monkeypatch.setenv("CLAUDE_RECALL_CLAUDE_CLI", "off")
    assert "FAIL  provider     no usable provider" in cli("doctor").stdout
    assert "note          provider: no usable provider: claude: no API key" in cli("status").stdout


def test_doctor_reports_and_says_what_to_fix(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-api03-" + "k" * 80)
    ok = cli("doctor")
    assert "ok    python" in ok.stdout and "ok    environment" in ok.stdout
    assert "warn  claude code" in ok.stdout  # the plugin is not installed in this HOME
    assert ok.returncode == 0, ok.stdout

    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "settings.json").write_text('{"CLAUDE_RECALL_PROVIDER": "gpt"}')
    os.chmod(data_dir, 0o755)
    bad = cli("doctor")
    assert bad.returncode == 1
    assert "FAIL  settings" in bad.stdout and "CLAUDE_RECALL_PROVIDER" in bad.stdout
    assert "FAIL  data dir" in bad.stdout and f"chmod -R go-rwx {data_dir}" in bad.stdout


def test_doctor_detects_a_corrupt_database(data_dir: Path) -> None:
    from recall_plugin.store.db import open_store

    open_store(str(data_dir)).close()
    db = data_dir / "recall.db"
    sqlite3.connect(db).execute("PRAGMA wal_checkpoint(TRUNCATE)").close()
    raw = bytearray(db.read_bytes())
    raw[4096:8192] = b"\x00garbage" * 512
    db.write_bytes(bytes(raw))
    result = cli("doctor")
    assert result.returncode == 1
    assert "FAIL  database" in result.stdout
    assert "fix:" in result.stdout


def test_hook_subcommand_is_what_the_hooks_run(data_dir: Path) -> None:
    [record] = [r for r in load_payloads("bash_inject") if r["event"] == "UserPromptSubmit"]
    result = subprocess.run([sys.executable, "-m", "recall_plugin", "hook", "UserPromptSubmit"],
                            input=json.dumps(record["payload"]), capture_output=True, text=True,
                            timeout=60)
    assert (result.returncode, result.stdout) == (0, "")
    assert "please run echo hello" in (data_dir / "queue" / "spool.jsonl").read_text()


def test_log_rotates(data_dir: Path) -> None:
    from recall_plugin import log

    log.configure("info", "test")  # a short component: ~130-byte lines
    for n in range(12_000):  # ~1.5 MB of ~130-byte lines: exactly one rotation
        log.info(f"line {n} " + "x" * 80)
    logs = sorted(p.name for p in (data_dir / "logs").glob("recall.log*"))
    assert logs == ["recall.log", "recall.log.1"]
    assert (data_dir / "logs" / "recall.log.1").stat().st_size <= log.MAX_BYTES + 200


def test_settings_accept_full_and_short_names_and_say_what_changed(data_dir: Path) -> None:
    short = cli("settings", "set", "PROVIDER", "openrouter")
    assert short.returncode == 0 and "Traceback" not in short.stderr, short.stderr
    assert short.stdout.startswith("CLAUDE_RECALL_PROVIDER: claude -> openrouter (stored in ")
    assert cli("settings", "get", "provider").stdout.strip() == "openrouter"
    full = cli("settings", "set", "claude_recall_provider", "gemini")
    assert full.stdout.startswith("CLAUDE_RECALL_PROVIDER: openrouter -> gemini")
    gone = cli("settings", "unset", "Provider")
    assert gone.returncode == 0 and "gemini -> claude (the default applies)" in gone.stdout
    assert json.loads((data_dir / "settings.json").read_text()) == {}
    typo = cli("settings", "set", "provder", "x")
    assert typo.returncode == 1 and "did you mean CLAUDE_RECALL_PROVIDER?" in typo.stderr
    bad = cli("settings", "set", "context_max_chars", "lots")
    assert bad.returncode == 1 and "Traceback" not in bad.stderr and "whole number" in bad.stderr


@pytest.mark.parametrize("args, message", [
    (["--since", "2026-13-45"], "'2026-13-45' is not a date"),
    (["--until", "yesterday"], "'yesterday' is not a date"),
    (["--type", "nonsense"], "unknown type 'nonsense'"),
    (["--limit", "0"], "'0' is not a whole number of at least 1"),
])
def test_search_rejects_bad_filters(data_dir: Path, args: list[str], message: str) -> None:
    result = cli("search", "retry", *args)
    assert result.returncode == 2 and message in result.stderr, result.stderr
    assert result.stdout == ""


def test_read_only_commands_create_nothing(data_dir: Path) -> None:
    for args in (["status"], ["status", "--json"], ["search", "retry"], ["export"],
                 ["settings", "get", "provider"], ["doctor"]):
        cli(*args)
        assert not data_dir.exists(), f"{args} created {list(data_dir.rglob('*'))}"
    assert "observations  0" in cli("status").stdout
    assert cli("export").stderr.strip() == "exported 0 observations, 0 summaries, 0 prompts"


def test_help_suggestions_and_hook_help(data_dir: Path) -> None:
    top = cli("--help").stdout
    commands = [ln.split()[0] for ln in top.split("COMMAND\n", 1)[1].split("\n\n")[0].splitlines()]
    assert "status" in commands and "backfill" in commands
    for line in top.split("COMMAND\n", 1)[1].split("\n\n")[0].splitlines():
        assert len(line.split(None, 1)) == 2, f"no description: {line!r}"
    typo = cli("stauts")
    assert typo.returncode == 2 and "did you mean `claude-recall status`?" in typo.stderr
    assert cli("zzz").returncode == 2
    hook_help = cli("hook", "--help")
    assert hook_help.returncode == 0 and "usage: claude-recall hook" in hook_help.stdout
    assert not data_dir.exists()  # --help ran no hook
