"""Fake providers on 127.0.0.1, one per wire format, each speaking it for real (status codes,
error bodies, usage fields, finish reasons): ``FakeAnthropic`` (the Messages API, JSON or SSE,
also driving the real Claude Code), ``FakeOpenAI`` (OpenAI-compatible chat completions) and
``FakeGemini`` (generateContent), on one scripted base, ``FakeServer``.

``with FakeOpenAI() as fake: fake.push(FakeOpenAI.error(429, "slow down", retry_after="7"))``
"""

from .anthropic import FakeAnthropic, PromptCache, Script, text_of
from .gemini import FakeGemini
from .openai import FakeOpenAI
from .server import JSON, FakeServer, Recorded, Response

__all__ = ["JSON", "FakeAnthropic", "FakeGemini", "FakeOpenAI", "FakeServer", "PromptCache", "Recorded",
           "Response", "Script", "text_of"]
