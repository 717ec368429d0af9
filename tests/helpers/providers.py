"""What the provider tests share: the request they send, each provider's fake and settings
(``KINDS``), and the isolation every one of them runs under (``isolated``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from helpers.builders import configure
from helpers.fakes import FakeAnthropic, FakeGemini, FakeOpenAI, FakeServer, Response
from recall_plugin import settings
from recall_plugin.providers import gemini as gemini_module
from recall_plugin.providers.base import Message, Request
from recall_plugin.providers.gemini import RateLimiter

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
def isolated(monkeypatch: pytest.MonkeyPatch) -> None:
    """No outside endpoint from the environment; Gemini's shared limiter on a fake clock (autouse
    in every module that binds it: ``isolated = providers.isolated``)."""
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

