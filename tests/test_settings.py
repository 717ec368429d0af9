"""Settings: declared once, file over environment, clear messages for every bad input."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.hooks import ROOT

from recall_plugin import settings
from recall_plugin.errors import SettingsError


def write(data_dir: Path, content: str | dict[str, object]) -> Path:
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "settings.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


def test_defaults_match_the_spec(data_dir: Path) -> None:
    conf = settings.load()
    assert conf.problems == []
    assert conf["CLAUDE_RECALL_PROVIDER"] == "claude"
    assert conf["CLAUDE_RECALL_OPENROUTER_MODEL"] == "xiaomi/mimo-v2-flash:free"
    assert conf["CLAUDE_RECALL_OPENROUTER_MAX_CONTEXT_MESSAGES"] == 14
    assert conf["CLAUDE_RECALL_OPENROUTER_MAX_TOKENS"] == 100_000
    assert conf["CLAUDE_RECALL_OPENROUTER_APP_NAME"] == "claude-recall"
    assert conf["CLAUDE_RECALL_OPENROUTER_SITE_URL"] == ""
    assert "TodoWrite" in conf.items("CLAUDE_RECALL_SKIP_TOOLS")
    assert conf.data_dir == str(data_dir)


def test_file_wins_over_environment_and_aliases(data_dir: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENROUTER_API_KEY", "sk-or-from-alias-0000000000")
    assert settings.load()["CLAUDE_RECALL_OPENROUTER_API_KEY"] == "sk-or-from-alias-0000000000"
    monkeypatch.setenv("CLAUDE_RECALL_OPENROUTER_API_KEY", "sk-or-from-env-111111111111")
    assert settings.load()["CLAUDE_RECALL_OPENROUTER_API_KEY"] == "sk-or-from-env-111111111111"
    write(data_dir, {"CLAUDE_RECALL_OPENROUTER_API_KEY": "sk-or-from-file-22222222222"})
    conf = settings.load()
    assert conf["CLAUDE_RECALL_OPENROUTER_API_KEY"] == "sk-or-from-file-22222222222"
    assert conf.sources["CLAUDE_RECALL_OPENROUTER_API_KEY"] == "file"


def test_numbers_may_be_strings_in_the_file(data_dir: Path) -> None:
    write(data_dir, {"CLAUDE_RECALL_OPENROUTER_MAX_CONTEXT_MESSAGES": "12",
                     "CLAUDE_RECALL_SKIP_TOOLS": ["Read", "Grep"]})
    conf = settings.load()
    assert conf["CLAUDE_RECALL_OPENROUTER_MAX_CONTEXT_MESSAGES"] == 12
    assert conf.items("CLAUDE_RECALL_SKIP_TOOLS") == ("Read", "Grep")


def test_bad_json_names_the_file_and_defaults_apply(data_dir: Path) -> None:
    path = write(data_dir, '{"CLAUDE_RECALL_PROVIDER": "gemini",,}')
    conf = settings.load()
    assert conf["CLAUDE_RECALL_PROVIDER"] == "claude"
    [problem] = conf.problems
    assert str(path) in problem and "not valid JSON" in problem


def test_wrong_type_names_key_and_file(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(data_dir, {"CLAUDE_RECALL_OPENROUTER_MAX_TOKENS": "lots",
                            "CLAUDE_RECALL_PROVIDER": "openai", "CLAUDE_RECALL_LOG_LEVEL": "debug"})
    monkeypatch.setenv("CLAUDE_RECALL_PROVIDER", "gemini")
    conf = settings.load()
    assert conf["CLAUDE_RECALL_OPENROUTER_MAX_TOKENS"] == 100_000
    assert conf["CLAUDE_RECALL_PROVIDER"] == "gemini"  # the env applies when the file is wrong
    assert conf["CLAUDE_RECALL_LOG_LEVEL"] == "debug"  # good keys still count
    assert len(conf.problems) == 2
    tokens = next(p for p in conf.problems if "MAX_TOKENS" in p)
    assert str(path) in tokens and "expected a whole number" in tokens and "'lots'" in tokens
    provider = next(p for p in conf.problems if "CLAUDE_RECALL_PROVIDER" in p)
    assert "claude, gemini, openrouter" in provider


def test_unknown_key_is_named_with_a_suggestion(data_dir: Path) -> None:
    write(data_dir, {"CLAUDE_RECALL_OPENROUTER_MODLE": "x"})
    [problem] = settings.load().problems
    assert "unknown setting 'CLAUDE_RECALL_OPENROUTER_MODLE'" in problem
    assert "did you mean CLAUDE_RECALL_OPENROUTER_MODEL" in problem


def test_not_an_object(data_dir: Path) -> None:
    write(data_dir, "[1, 2]")
    [problem] = settings.load().problems
    assert "must hold a JSON object" in problem


def test_set_value_validates_and_writes_privately(data_dir: Path) -> None:
    settings.set_value(str(data_dir), "CLAUDE_RECALL_OPENROUTER_MAX_CONTEXT_MESSAGES", "8")
    with pytest.raises(SettingsError, match="expected a whole number"):
        settings.set_value(str(data_dir), "CLAUDE_RECALL_OPENROUTER_MAX_TOKENS", "many")
    with pytest.raises(SettingsError, match="must be at least"):
        settings.set_value(str(data_dir), "CLAUDE_RECALL_OPENROUTER_MAX_TOKENS", "5")
    with pytest.raises(SettingsError, match="environment"):
        settings.set_value(str(data_dir), "CLAUDE_RECALL_DATA_DIR", "/x")
    path = data_dir / "settings.json"
    assert json.loads(path.read_text()) == {"CLAUDE_RECALL_OPENROUTER_MAX_CONTEXT_MESSAGES": 8}
    assert path.stat().st_mode & 0o077 == 0
    settings.unset_value(str(data_dir), "CLAUDE_RECALL_OPENROUTER_MAX_CONTEXT_MESSAGES")
    assert json.loads(path.read_text()) == {}


def test_set_refuses_to_overwrite_a_broken_file(data_dir: Path) -> None:
    write(data_dir, "{broken")
    with pytest.raises(SettingsError, match="not valid JSON"):
        settings.set_value(str(data_dir), "CLAUDE_RECALL_PROVIDER", "gemini")
    assert (data_dir / "settings.json").read_text() == "{broken"


def test_secrets_are_masked(data_dir: Path) -> None:
    key = "sk-or-v1-" + "9" * 56 + "wxyz"
    write(data_dir, {"CLAUDE_RECALL_OPENROUTER_API_KEY": key})
    assert settings.load().shown("CLAUDE_RECALL_OPENROUTER_API_KEY") == "****wxyz"


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "recall_plugin", *args], capture_output=True,
                          text=True, cwd=ROOT, timeout=60)


def test_cli_set_get_list(data_dir: Path) -> None:
    key = "sk-ant-api03-" + "Q" * 80 + "tail"
    assert cli("settings", "set", "CLAUDE_RECALL_CLAUDE_API_KEY", key).returncode == 0
    got = cli("settings", "get", "claude_api_key")
    assert got.stdout.strip() == "****tail"
    listing = cli("settings").stdout
    assert key not in listing and "****tail" in listing
    assert re.search(r"CLAUDE_RECALL_OPENROUTER_MODEL +xiaomi/mimo-v2-flash:free +\(default\)",
                     listing)
    bad = cli("settings", "set", "CLAUDE_RECALL_PROVIDER", "openai")
    assert bad.returncode == 1
    assert bad.stderr.strip().startswith("claude-recall: CLAUDE_RECALL_PROVIDER expected one of")


def test_readme_settings_table_is_generated_from_the_declarations() -> None:
    readme = (ROOT / "README.md").read_text()
    table = settings.render_markdown()
    assert table in readme, "README is out of date: paste `claude-recall settings --markdown`"
    for setting in settings.SETTINGS:
        assert re.search(rf"`{setting.name}`", readme)
