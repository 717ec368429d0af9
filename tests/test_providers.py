"""Providers against fake servers over real HTTP on 127.0.0.1, and Claude Code in print mode.

Every provider: success with usage and cost, 429 with Retry-After, 5xx, 401, 404, malformed
bodies, a reply slower than the timeout and a dropped connection, each mapped to the error
the extractor expects; then the exact request each one sends.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from helpers.builders import configure
from helpers.claude_cli import claude_binary
from helpers.fakes import FakeAnthropic, FakeGemini, FakeOpenAI, FakeServer, Response
from helpers.hooks import ROOT

from recall_plugin import settings
from recall_plugin.errors import (
    BadReplyError,
    ContextOverflowError,
    ProviderSetupError,
    TransientError,
)
from recall_plugin.providers import create
from recall_plugin.providers import gemini as gemini_module
from recall_plugin.providers.base import Message, Provider, Reply, Request, Usage
from recall_plugin.providers.claude import NO_KEY
from recall_plugin.providers.claude_cli import SUBSCRIPTION, ClaudeCliProvider, render_prompt
from recall_plugin.providers.claude_sdk import ClaudeSdkProvider
from recall_plugin.providers.gemini import GeminiProvider, RateLimiter
from recall_plugin.providers.http import parse_retry_after
from recall_plugin.providers.openrouter import OpenRouterProvider
from recall_plugin.providers.pricing import estimate_cost
from recall_plugin.vocab import PROVIDER_NAMES

SYSTEM = "You turn sessions into observations."
REQUEST = Request(SYSTEM, (Message("user", "first batch"), Message("assistant", "<observations/>"),
                           Message("user", "second batch")))
GOOGLE_STATUS = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
                 404: "NOT_FOUND", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 502: "UNAVAILABLE",
                 503: "UNAVAILABLE", 529: "UNAVAILABLE"}
ANTHROPIC_KIND = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
                  404: "not_found_error", 429: "rate_limit_error", 500: "api_error", 502: "api_error",
                  503: "api_error", 529: "overloaded_error"}


class FakeClock:
    def __init__(self) -> None:
        self.now, self.slept = 1000.0, list[float]()

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> None:
    """No outside endpoint from the environment; Gemini's shared limiter on a fake clock."""
    for var in ("ANTHROPIC_BASE_URL", "ANTHROPIC_AUTH_TOKEN", "CLAUDE_BIN"):
        monkeypatch.delenv(var, raising=False)
    clock = FakeClock()
    monkeypatch.setattr(gemini_module, "SHARED_LIMITER", RateLimiter(clock, clock.sleep))


@dataclass(frozen=True)
class Kind:
    """One provider and the fake that speaks its wire format."""

    name: str
    fake: Callable[[], FakeServer]
    base_setting: str
    base_path: str
    key: str

    def settings(self, data_dir: Path, url: str, **values: object) -> settings.Settings:
        prefix = f"CLAUDE_RECALL_{self.name.upper()}"
        return configure(data_dir, **{self.base_setting: url + self.base_path, f"{prefix}_API_KEY": self.key},
                         **values)

    def ok(self, text: str | None) -> Response:
        if self.name == "openrouter":
            return FakeOpenAI.reply(text)
        if self.name == "gemini":
            return FakeGemini.reply(text or "")
        return FakeAnthropic.message(text or "")

    def error(self, status: int, message: str, retry_after: str | None = None) -> Response:
        if self.name == "openrouter":
            return FakeOpenAI.error(status, message, retry_after=retry_after)
        if self.name == "gemini":
            return FakeGemini.error(status, message, GOOGLE_STATUS[status], retry_after=retry_after)
        return FakeAnthropic.error(status, ANTHROPIC_KIND[status], message, retry_after=retry_after)


KINDS = [Kind("openrouter", FakeOpenAI, "CLAUDE_RECALL_OPENROUTER_BASE_URL", "/api/v1",
              "sk-or-v1-test-0123456789"),
         Kind("gemini", FakeGemini, "CLAUDE_RECALL_GEMINI_BASE_URL", "/v1beta", "AIza-test-0123456789"),
         Kind("claude", FakeAnthropic, "CLAUDE_RECALL_CLAUDE_BASE_URL", "", "sk-ant-test-0123456789")]


@dataclass
class Setup:
    kind: Kind
    fake: FakeServer
    provider: Provider


@pytest.fixture(params=KINDS, ids=[k.name for k in KINDS])
def setup(request: pytest.FixtureRequest, data_dir: Path) -> Iterator[Setup]:
    kind: Kind = request.param
    with kind.fake() as fake:
        provider = create(kind.name, kind.settings(data_dir, fake.url, CLAUDE_RECALL_REQUEST_TIMEOUT_S=1,
                                                     CLAUDE_RECALL_LOCAL_TIMEOUT_S=1))
        yield Setup(kind, fake, provider)
        provider.close()


def call(setup: Setup, *responses: Response) -> Reply:
    setup.fake.push(*responses)
    return setup.provider.complete(REQUEST)


# -- every provider: outcomes ------------------------------------------------------------------


def test_success_returns_text_and_usage(setup: Setup) -> None:
    reply = call(setup, setup.kind.ok("<observations>ok</observations>"))
    assert reply.text == "<observations>ok</observations>"
    assert reply.usage.input_tokens > 0 and reply.usage.output_tokens > 0
    assert reply.model
    assert setup.provider.unusable() is None


def test_429_is_transient_with_retry_after(setup: Setup) -> None:
    with pytest.raises(TransientError) as caught:
        call(setup, setup.kind.error(429, "Rate limit exceeded", retry_after="7"))
    assert caught.value.retry_after == 7.0
    assert caught.value.status == 429 and caught.value.provider == setup.kind.name
    assert not isinstance(caught.value, BadReplyError)


@pytest.mark.parametrize("status", [500, 502, 503, 529])
def test_server_errors_are_transient(setup: Setup, status: int) -> None:
    with pytest.raises(TransientError) as caught:
        call(setup, setup.kind.error(status, "upstream trouble"))
    assert caught.value.status == status and caught.value.retry_after is None


@pytest.mark.parametrize("status", [401, 403])
def test_rejected_key_is_a_config_error_naming_the_key_setting(setup: Setup, status: int) -> None:
    with pytest.raises(ProviderSetupError) as caught:
        call(setup, setup.kind.error(status, "invalid credentials"))
    assert caught.value.setting == setup.provider.key_setting
    assert setup.provider.key_setting in str(caught.value) and f"({status})" in str(caught.value)


def test_unknown_model_is_a_config_error_naming_the_model_setting(setup: Setup) -> None:
    with pytest.raises(ProviderSetupError) as caught:
        call(setup, setup.kind.error(404, "model not found"))
    assert caught.value.setting == setup.provider.model_setting
    assert setup.provider.model_setting in str(caught.value) and setup.provider.model in str(caught.value)


@pytest.mark.parametrize("body", [Response(body=b"<html>502 Bad Gateway</html>"),
                                  Response(body=b"{not json", headers={"Content-Type": "application/json"}),
                                  Response(body={"unexpected": "shape"}),
                                  Response(body=b"[1, 2]", headers={"Content-Type": "application/json"})],
                         ids=["html", "broken-json", "wrong-shape", "json-list"])
def test_malformed_bodies_are_bad_replies(setup: Setup, body: Response) -> None:
    with pytest.raises(BadReplyError):
        call(setup, body)


@pytest.mark.parametrize("text", ["", "   "])
def test_empty_text_is_a_bad_reply(setup: Setup, text: str) -> None:
    with pytest.raises(BadReplyError):
        call(setup, setup.kind.ok(text))


def test_reply_slower_than_the_timeout_is_transient(setup: Setup) -> None:
    with pytest.raises(TransientError) as caught:
        call(setup, Response(delay=2.5, body=setup.kind.ok("late").body))
    assert not isinstance(caught.value, BadReplyError)


def test_dropped_connection_is_transient(setup: Setup) -> None:
    with pytest.raises(TransientError):
        call(setup, Response(drop=True))
    assert call(setup, setup.kind.ok("after the drop")).text == "after the drop"


def test_context_overflow_is_neither_config_nor_transient(setup: Setup) -> None:
    with pytest.raises(ContextOverflowError) as caught:
        call(setup, setup.kind.error(400, "prompt is too long: 250000 tokens > 200000 maximum"))
    assert not isinstance(caught.value, (ProviderSetupError, TransientError))


def test_other_bad_request_is_a_config_error_without_setting(setup: Setup) -> None:
    with pytest.raises(ProviderSetupError) as caught:
        call(setup, setup.kind.error(400, "messages: roles must alternate"))
    assert caught.value.setting is None and caught.value.status == 400


def test_close_releases_the_connection_pool(setup: Setup) -> None:
    call(setup, setup.kind.ok("one"))
    setup.provider.close()
    setup.provider.close()  # twice is harmless
    client = getattr(setup.provider, "client", None) or getattr(setup.provider, "_client", None)
    assert client is None or client.is_closed


# -- OpenRouter --------------------------------------------------------------------------------


def test_openrouter_request_is_exactly_the_spec(data_dir: Path) -> None:
    with FakeOpenAI() as fake:
        provider = create("openrouter", KINDS[0].settings(data_dir, fake.url))
        reply = provider.complete(REQUEST)
        provider.close()
    sent = fake.last
    assert sent.method == "POST" and sent.path == "/api/v1/chat/completions"
    assert sent.headers["authorization"] == "Bearer sk-or-v1-test-0123456789"
    assert sent.headers["x-title"] == "claude-recall"
    assert sent.headers["content-type"] == "application/json"
    assert "http-referer" not in sent.headers
    assert sent.body == {"model": "xiaomi/mimo-v2-flash:free", "temperature": 0.3, "max_tokens": 4096,
                         "messages": [{"role": "system", "content": SYSTEM},
                                      {"role": "user", "content": "first batch"},
                                      {"role": "assistant", "content": "<observations/>"},
                                      {"role": "user", "content": "second batch"}]}
    assert reply.model == "xiaomi/mimo-v2-flash:free"
    assert estimate_cost(reply.model, reply.usage) == 0.0


def test_openrouter_site_url_and_app_name_headers(data_dir: Path) -> None:
    with FakeOpenAI() as fake:
        provider = create("openrouter", KINDS[0].settings(
            data_dir, fake.url, CLAUDE_RECALL_OPENROUTER_SITE_URL="https://example.org/recall",
            CLAUDE_RECALL_OPENROUTER_APP_NAME="my-recall"))
        provider.complete(REQUEST)
        provider.close()
    assert fake.last.headers["http-referer"] == "https://example.org/recall"
    assert fake.last.headers["x-title"] == "my-recall"


def test_openrouter_usage_cached_tokens_and_reported_cost(data_dir: Path) -> None:
    with FakeOpenAI() as fake:
        fake.push(FakeOpenAI.reply("x", model="openai/gpt-4o", prompt_tokens=1000, completion_tokens=200,
                                   cached_tokens=400, cost=0.00421))
        provider = create("openrouter", KINDS[0].settings(data_dir, fake.url,
                                                          CLAUDE_RECALL_OPENROUTER_MODEL="openai/gpt-4o"))
        reply = provider.complete(REQUEST)
        provider.close()
    assert reply.usage == Usage(input_tokens=1000, output_tokens=200, cache_read_tokens=400, cost_usd=0.00421)
    assert estimate_cost(reply.model, reply.usage) == 0.00421


def test_openrouter_keyless_against_a_local_server(data_dir: Path) -> None:
    with FakeOpenAI() as fake:
        conf = configure(data_dir, CLAUDE_RECALL_OPENROUTER_BASE_URL=fake.url + "/v1",
                         CLAUDE_RECALL_OPENROUTER_MODEL="llama3.2")
        provider = create("openrouter", conf)
        assert provider.unusable() is None
        assert provider.complete(REQUEST).text == "OK"
        provider.close()
    assert fake.last.path == "/v1/chat/completions"
    assert "authorization" not in fake.last.headers
    assert fake.last.body["model"] == "llama3.2"


def test_local_server_plain_error_string_is_mapped(data_dir: Path) -> None:
    with FakeOpenAI() as fake:
        fake.push(Response(404, {"error": 'model "llama9" not found, try pulling it first'}))
        provider = create("openrouter", configure(data_dir, CLAUDE_RECALL_OPENROUTER_BASE_URL=fake.url,
                                                  CLAUDE_RECALL_OPENROUTER_MODEL="llama9"))
        with pytest.raises(ProviderSetupError, match="try pulling it first") as caught:
            provider.complete(REQUEST)
        provider.close()
    assert caught.value.setting == "CLAUDE_RECALL_OPENROUTER_MODEL"


def test_openrouter_itself_needs_a_key(data_dir: Path) -> None:
    provider = create("openrouter", settings.load())
    assert provider.unusable() == "no API key: set CLAUDE_RECALL_OPENROUTER_API_KEY"
    provider.close()


def test_openrouter_key_from_the_usual_variable(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENROUTER_API_KEY", "sk-or-v1-from-env-000000")
    with FakeOpenAI() as fake:
        provider = create("openrouter", configure(data_dir, CLAUDE_RECALL_OPENROUTER_BASE_URL=fake.url))
        provider.complete(REQUEST)
        provider.close()
    assert fake.last.headers["authorization"] == "Bearer sk-or-v1-from-env-000000"


# -- Gemini ------------------------------------------------------------------------------------


def gemini(data_dir: Path, url: str, limiter: RateLimiter | None = None, **values: object) -> GeminiProvider:
    return GeminiProvider(KINDS[1].settings(data_dir, url, **values), limiter=limiter or RateLimiter())


def test_gemini_request_shape_and_key_header(data_dir: Path) -> None:
    with FakeGemini() as fake:
        fake.push(FakeGemini.reply("x", prompt_tokens=1200, output_tokens=300, cached_tokens=1000))
        provider = gemini(data_dir, fake.url)
        reply = provider.complete(REQUEST)
        provider.close()
    sent = fake.last
    assert sent.path == "/v1beta/models/gemini-2.5-flash:generateContent"
    assert sent.headers["x-goog-api-key"] == "AIza-test-0123456789"
    assert "AIza" not in sent.path and "authorization" not in sent.headers
    assert sent.body == {
        "systemInstruction": {"parts": [{"text": SYSTEM}]},
        "contents": [{"role": "user", "parts": [{"text": "first batch"}]},
                     {"role": "model", "parts": [{"text": "<observations/>"}]},
                     {"role": "user", "parts": [{"text": "second batch"}]}],
        "generationConfig": {"temperature": 0.3, "maxOutputTokens": 4096}}
    assert reply.usage == Usage(input_tokens=1200, output_tokens=300, cache_read_tokens=1000)
    expected = (200 * 0.30 + 300 * 2.50 + 1000 * 0.03) / 1_000_000
    assert estimate_cost(reply.model, reply.usage) == pytest.approx(expected)


def test_gemini_invalid_key_400_is_a_config_error(data_dir: Path) -> None:
    info = {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID",
            "domain": "googleapis.com"}
    with FakeGemini() as fake:
        fake.push(FakeGemini.error(400, "API key not valid. Please pass a valid API key.", "INVALID_ARGUMENT",
                                   details=[info]))
        provider = gemini(data_dir, fake.url)
        with pytest.raises(ProviderSetupError) as caught:
            provider.complete(REQUEST)
        provider.close()
    assert caught.value.setting == "CLAUDE_RECALL_GEMINI_API_KEY"
    assert "CLAUDE_RECALL_GEMINI_API_KEY" in str(caught.value)


def test_gemini_retry_delay_from_retry_info(data_dir: Path) -> None:
    with FakeGemini() as fake:
        fake.push(FakeGemini.error(429, "Quota exceeded", "RESOURCE_EXHAUSTED",
                                   details=[FakeGemini.retry_info("30s")]),
                  FakeGemini.error(429, "Quota exceeded", "RESOURCE_EXHAUSTED", retry_after="4",
                                   details=[FakeGemini.retry_info("30s")]))
        provider = gemini(data_dir, fake.url)
        delays = []
        for _ in range(2):
            with pytest.raises(TransientError) as caught:
                provider.complete(REQUEST)
            delays.append(caught.value.retry_after)
        provider.close()
    assert delays == [30.0, 4.0]  # the header wins over the body


def test_gemini_blocked_prompt_is_a_bad_reply(data_dir: Path) -> None:
    with FakeGemini() as fake:
        fake.push(Response(body={"promptFeedback": {"blockReason": "SAFETY"}}))
        provider = gemini(data_dir, fake.url)
        with pytest.raises(BadReplyError, match="SAFETY"):
            provider.complete(REQUEST)
        provider.close()


def test_rate_limiter_waits_for_the_oldest_slot() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock, clock.sleep)
    assert limiter.acquire(2) == 0.0
    clock.now += 10
    assert limiter.acquire(2) == 0.0
    assert limiter.acquire(2) == 50.0  # the first slot frees 60 s after it was taken
    assert limiter.acquire(2) == 10.0
    clock.now += 120
    assert limiter.acquire(2) == 0.0
    assert clock.slept == [50.0, 10.0]


def test_gemini_rpm_setting_drives_the_limiter(data_dir: Path) -> None:
    clock = FakeClock()
    with FakeGemini() as fake:
        provider = gemini(data_dir, fake.url, RateLimiter(clock, clock.sleep), CLAUDE_RECALL_GEMINI_RPM=2)
        for _ in range(3):
            provider.complete(REQUEST)
        provider.close()
    assert len(fake.requests) == 3 and clock.slept == [60.0]


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
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "claude").write_text("#!/bin/sh\nexit 0\n")
    (bin_dir / "claude").chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    provider = ClaudeCliProvider(settings.load())
    assert provider.unusable() is None and provider.cli_path() == str(bin_dir / "claude")


def test_claude_is_the_sdk_with_a_key_and_the_cli_without(data_dir: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """One name, two providers: a key picks the SDK even when the CLI is there; no key, the CLI."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "claude").write_text("#!/bin/sh\nexit 0\n")
    (bin_dir / "claude").chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
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


# -- registry, pricing, helpers ----------------------------------------------------------------


def test_registry_creates_each_provider(data_dir: Path) -> None:
    conf = settings.load()
    kinds = {name: type(create(name, conf)) for name in PROVIDER_NAMES}
    assert kinds == {"claude": ClaudeCliProvider, "gemini": GeminiProvider, "openrouter": OpenRouterProvider}
    with pytest.raises(ProviderSetupError) as caught:
        create("mistral", conf)
    assert caught.value.setting == "CLAUDE_RECALL_PROVIDER" and "CLAUDE_RECALL_PROVIDER" in str(caught.value)


def test_importing_providers_is_cheap() -> None:
    code = ("import sys, recall_plugin.providers as p, recall_plugin.settings as s; "
            "p.create('openrouter', s.load()).close(); p.create('claude', s.load()); "
            "print(sorted(m for m in ('anthropic', 'httpx') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['httpx']"  # anthropic only when Claude is called with a key


def test_pricing_table() -> None:
    usage = Usage(input_tokens=2_000_000, output_tokens=1_000_000)
    assert estimate_cost("claude-sonnet-4-5-20250929", usage) == pytest.approx(2 * 3.00 + 15.00)
    assert estimate_cost("claude-opus-4-1", usage) == pytest.approx(2 * 15.00 + 75.00)
    assert estimate_cost("claude-opus-4-5", usage) == pytest.approx(2 * 5.00 + 25.00)
    assert estimate_cost("gemini-2.5-flash-lite", usage) == pytest.approx(2 * 0.10 + 0.40)
    assert estimate_cost("gemini-2.5-pro", usage) == pytest.approx(2 * 1.25 + 10.00)
    assert estimate_cost("anthropic/claude-3.5-sonnet", usage) == pytest.approx(2 * 3.00 + 15.00)
    assert estimate_cost("xiaomi/mimo-v2-flash:free", usage) == 0.0
    assert estimate_cost("google/gemini-2.0-flash-exp:free", usage) == 0.0
    assert estimate_cost("some/unknown-model", usage) == 0.0  # unknown: not estimated
    assert estimate_cost("xiaomi/mimo-v2-flash:free", Usage(cost_usd=0.5)) == 0.5  # reported cost wins
    assert estimate_cost("claude-haiku-4-5", Usage(input_tokens=10**6, cost_usd=0.25)) == 0.25


def test_retry_after_seconds_and_http_date() -> None:
    assert parse_retry_after("12") == 12.0
    assert parse_retry_after("1.5") == 1.5
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == 10.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412490.0) == 0.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None
    assert parse_retry_after("inf") is None and parse_retry_after("-5") == 0.0
