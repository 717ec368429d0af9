"""Every provider against a fake of its wire format over real HTTP on 127.0.0.1.

Every provider: success with usage and cost, 429 with Retry-After, 5xx, 401, 404, malformed
bodies, a reply slower than the timeout and a dropped connection, each mapped to the error
the extractor expects; then the registry, the price table and Retry-After. The exact request
each one sends: ``test_providers_wire.py`` (OpenRouter, Gemini), ``test_providers_claude.py``.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from helpers import providers
from helpers.fakes import FakeServer, Response
from helpers.hooks import ROOT
from helpers.providers import KINDS, REQUEST, Kind

from recall_plugin import settings
from recall_plugin.errors import BadReplyError, ContextOverflowError, ProviderSetupError, TransientError
from recall_plugin.providers import create
from recall_plugin.providers.base import Provider, Reply, Usage
from recall_plugin.providers.claude_cli import ClaudeCliProvider
from recall_plugin.providers.gemini import GeminiProvider
from recall_plugin.providers.http import parse_retry_after
from recall_plugin.providers.openrouter import OpenRouterProvider
from recall_plugin.providers.pricing import estimate_cost
from recall_plugin.vocab import PROVIDER_NAMES

isolated = providers.isolated  # autouse: no outside endpoint, Gemini limiter on a fake clock


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
