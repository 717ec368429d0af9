"""Claude through the SDK against a fake Anthropic server over real HTTP on 127.0.0.1, and
through the user's own Claude Code in print mode (the real pinned CLI, or a stand-in script)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from helpers import providers
from helpers.builders import configure
from helpers.claude_cli import claude_binary
from helpers.fakes import FakeAnthropic, Response
from helpers.providers import KINDS, REQUEST, SYSTEM

from recall_plugin import settings
from recall_plugin.errors import BadReplyError, ProviderSetupError, TransientError
from recall_plugin.providers import create
from recall_plugin.providers.base import Message, Request, Usage
from recall_plugin.providers.claude import NO_KEY
from recall_plugin.providers.claude_cli import SUBSCRIPTION, ClaudeCliProvider, render_prompt
from recall_plugin.providers.claude_sdk import ClaudeSdkProvider
from recall_plugin.providers.pricing import estimate_cost

isolated = providers.isolated  # autouse: no outside endpoint, Gemini limiter on a fake clock


# -- Claude through the SDK --------------------------------------------------------------------


def test_claude_sdk_request_caches_system_and_history_prefix(data_dir: Path) -> None:
    with FakeAnthropic() as fake:
        fake.push(FakeAnthropic.message("x", input_tokens=100, output_tokens=50, cache_read=3000,
                                           cache_write=500))
        provider = create("claude", KINDS[2].settings(data_dir, fake.url))
        reply = provider.complete(REQUEST)
        provider.close()
    sent = fake.last
    assert sent.path == "/v1/messages"
    auth = sent.headers.get("x-api-key", "") + sent.headers.get("authorization", "")
    assert "sk-ant-test-0123456789" in auth
    assert sent.body["model"] == "claude-haiku-4-5" and sent.body["max_tokens"] == 4096
    assert sent.body["system"] == [{"type": "text", "text": SYSTEM, "cache_control": {"type": "ephemeral"}}]
    marked = [("cache_control" in m["content"][0]) for m in sent.body["messages"]]
    assert [m["role"] for m in sent.body["messages"]] == ["user", "assistant", "user"]
    assert marked == [False, False, True]  # the whole request: the next one extends it
    assert "temperature" not in sent.body and not sent.body.get("stream") and "tools" not in sent.body
    assert reply.usage == Usage(input_tokens=3600, output_tokens=50, cache_read_tokens=3000,
                                cache_write_tokens=500)
    expected = (100 * 1.00 + 50 * 5.00 + 3000 * 0.10 + 500 * 1.25) / 1_000_000
    assert estimate_cost(reply.model, reply.usage) == pytest.approx(expected)


def test_claude_sdk_through_the_anthropic_variables(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeAnthropic() as fake:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", fake.url)
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-from-env-00000000")
        provider = create("claude", settings.load())
        assert provider.complete(Request(SYSTEM, (Message("user", "only turn"),))).text == "OK"
        provider.close()
    assert "sk-ant-from-env-00000000" in json.dumps(fake.last.headers)
    assert "cache_control" in fake.last.body["messages"][0]["content"][0]  # the next request reads it


# -- Claude through the user's own Claude Code -------------------------------------------------


def claude_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A ``claude`` that does nothing, alone on PATH; returns its folder."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "claude").write_text("#!/bin/sh\nexit 0\n")
    (bin_dir / "claude").chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    return bin_dir


def test_claude_without_key_or_cli_is_unusable(data_dir: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    for choice in ("auto", "off", str(tmp_path / "no-such-claude")):
        provider = create("claude", configure(data_dir, CLAUDE_RECALL_CLAUDE_CLI=choice))
        assert provider.unusable() == NO_KEY
        with pytest.raises(ProviderSetupError) as caught:
            provider.complete(REQUEST)
        assert caught.value.setting == "CLAUDE_RECALL_CLAUDE_API_KEY"


def test_claude_cli_auto_is_found_on_path(data_dir: Path, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = claude_on_path(tmp_path, monkeypatch)
    provider = ClaudeCliProvider(settings.load())
    assert provider.unusable() is None and provider.cli_path() == str(bin_dir / "claude")


def test_claude_is_the_sdk_with_a_key_and_the_cli_without(data_dir: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """One name, two providers: a key picks the SDK even when the CLI is there; no key, the CLI."""
    claude_on_path(tmp_path, monkeypatch)
    keyless = create("claude", settings.load())
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-from-env-00000000")
    keyed = create("claude", settings.load())
    assert type(keyless) is ClaudeCliProvider and type(keyed) is ClaudeSdkProvider
    assert keyless.name == keyed.name == "claude"
    assert keyless.billing() == SUBSCRIPTION and keyed.billing() is None
    assert keyless.unusable() is None and keyed.unusable() is None
    with pytest.raises(ProviderSetupError) as caught:  # made by hand without a key: says so
        ClaudeSdkProvider(keyless.settings).complete(REQUEST)
    assert str(caught.value) == NO_KEY and caught.value.setting == "CLAUDE_RECALL_CLAUDE_API_KEY"


def script_cli(tmp_path: Path, data_dir: Path, body: str) -> ClaudeCliProvider:
    """A stand-in ``claude`` (a shell script) for outcomes the real CLI cannot be made to show."""
    path = tmp_path / "fake-claude"
    path.write_text(f"#!/bin/sh\ncat > /dev/null\n{body}\n")
    path.chmod(0o755)
    return ClaudeCliProvider(configure(data_dir, CLAUDE_RECALL_CLAUDE_CLI=str(path)))


@pytest.mark.parametrize(("body", "error"), [
    ("echo 'not json'", BadReplyError),
    ("echo '{\"type\":\"result\",\"is_error\":false,\"result\":\"\"}'", BadReplyError),
    ("echo \"error: unknown option '--safe-mode'\" >&2; exit 1", ProviderSetupError),
    ("echo 'segfault' >&2; exit 139", TransientError)])
def test_claude_cli_failures(tmp_path: Path, data_dir: Path, body: str, error: type[Exception]) -> None:
    with pytest.raises(error) as caught:
        script_cli(tmp_path, data_dir, body).complete(REQUEST)
    if error is ProviderSetupError:
        assert getattr(caught.value, "setting", None) == "CLAUDE_RECALL_CLAUDE_CLI"


def test_render_prompt_keeps_history_and_never_starts_a_slash_command() -> None:
    assert render_prompt((Message("user", "hello"),)) == "hello"
    assert render_prompt((Message("user", "/help me"),)) == " /help me"
    text = render_prompt(REQUEST.messages)
    first, answer = "<user>\nfirst batch\n</user>", "<assistant>\n<observations/>\n</assistant>"
    assert text.index(first) < text.index(answer) < text.index("second batch")
    assert text.endswith("\n\nsecond batch")


@pytest.fixture
def real_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    binary = claude_binary()
    if binary is None:
        pytest.skip("pinned Claude Code CLI not installed (run scripts/setup)")
    (tmp_path / "tmp").mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    if os.geteuid() == 0:
        monkeypatch.setenv("IS_SANDBOX", "1")
    return binary


def cli_login(tmp_path: Path) -> Path:
    """Log the CLI in through an ``apiKeyHelper`` (the provider sees no key); it records the
    environment it runs in, and a SessionStart hook records whether hooks fired."""
    config = Path(os.environ["CLAUDE_CONFIG_DIR"])
    config.mkdir(parents=True, exist_ok=True)
    helper = f"echo \"$CLAUDE_RECALL_EXTRACTING\" > {tmp_path}/helper-env; echo sk-ant-helper-000000"
    hook = {"hooks": [{"type": "command", "command": f"touch {tmp_path}/hook-fired"}]}
    (config / "settings.json").write_text(json.dumps({"apiKeyHelper": helper,
                                                      "hooks": {"SessionStart": [hook]}}))
    return tmp_path


def test_claude_cli_answers_with_no_tools_and_no_hooks(real_cli: str, tmp_path: Path, data_dir: Path) -> None:
    marks = cli_login(tmp_path)
    with FakeAnthropic() as fake:
        fake.push(FakeAnthropic.message("<observations>from the cli</observations>"))
        provider = create("claude", configure(data_dir, CLAUDE_RECALL_CLAUDE_CLI=real_cli,
                                              CLAUDE_RECALL_CLAUDE_BASE_URL=fake.url))
        reply = provider.complete(REQUEST)
    assert reply.text == "<observations>from the cli</observations>"
    assert reply.usage.input_tokens == 100 and reply.usage.output_tokens == 20
    assert reply.usage.cost_usd is not None and reply.usage.cost_usd > 0
    sent = [r for r in fake.requests if r.path.startswith("/v1/messages")]
    assert len(sent) == 1
    body = sent[0].body
    assert not body.get("tools")  # no tool definitions offered to the model
    assert body["model"] == "claude-haiku-4-5" and body["max_tokens"] == 4096
    assert any(b["text"] == SYSTEM for b in body["system"])
    assert "sk-ant-helper-000000" in json.dumps(sent[0].headers)
    assert "second batch" in json.dumps(body["messages"]) and "first batch" in json.dumps(body["messages"])
    assert (marks / "helper-env").read_text().strip() == "1"  # CLAUDE_RECALL_EXTRACTING=1
    assert not (marks / "hook-fired").exists()


def test_claude_cli_not_logged_in_is_a_config_error(real_cli: str, data_dir: Path) -> None:
    with FakeAnthropic() as fake:
        provider = create("claude", configure(data_dir, CLAUDE_RECALL_CLAUDE_CLI=real_cli,
                                              CLAUDE_RECALL_CLAUDE_BASE_URL=fake.url))
        with pytest.raises(ProviderSetupError, match="not logged in") as caught:
            provider.complete(REQUEST)
    assert caught.value.setting == "CLAUDE_RECALL_CLAUDE_API_KEY" and not fake.requests


def test_claude_cli_api_errors_and_timeouts_are_transient(real_cli: str, tmp_path: Path,
                                                          data_dir: Path) -> None:
    cli_login(tmp_path)
    with FakeAnthropic() as fake:
        fake.push(FakeAnthropic.error(529, "overloaded_error", "Overloaded"), Response(delay=20.0))
        provider = create("claude", configure(data_dir, CLAUDE_RECALL_CLAUDE_CLI=real_cli,
                                              CLAUDE_RECALL_CLAUDE_BASE_URL=fake.url,
                                              CLAUDE_RECALL_LOCAL_TIMEOUT_S=6))  # CLI start-up under load
        with pytest.raises(TransientError) as overloaded:
            provider.complete(REQUEST)
        assert len(fake.requests) == 1  # the CLI's own retries are off
        with pytest.raises(TransientError, match="timed out"):
            provider.complete(REQUEST)
    assert overloaded.value.status == 529
