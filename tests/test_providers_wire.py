"""OpenRouter and Gemini against fakes of their wire formats over real HTTP on 127.0.0.1: the exact
request each one sends, its headers, usage and cost, and the errors only it has."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import providers
from helpers.builders import configure
from helpers.fakes import FakeGemini, FakeOpenAI, Response
from helpers.providers import KINDS, REQUEST, SYSTEM, FakeClock

from recall_plugin import settings
from recall_plugin.errors import BadReplyError, ProviderSetupError, TransientError
from recall_plugin.providers import create
from recall_plugin.providers.base import Usage
from recall_plugin.providers.gemini import GeminiProvider, RateLimiter
from recall_plugin.providers.pricing import estimate_cost

isolated = providers.isolated  # autouse: no outside endpoint, Gemini limiter on a fake clock


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
