"""Gemini through its REST API: ``POST {BASE_URL}/models/{model}:generateContent``.

The key travels in the ``x-goog-api-key`` header (never in the URL, so it never reaches a log).
Body: ``systemInstruction``, ``contents`` (roles ``user`` and ``model``) and ``generationConfig``
(``temperature``, ``maxOutputTokens``). The reply is the text parts of ``candidates[0]``
(thought parts skipped); usage comes from ``usageMetadata``: ``promptTokenCount`` (cached
tokens included, as ``cachedContentTokenCount``) and ``candidatesTokenCount`` plus
``thoughtsTokenCount`` (thinking is billed as output).

A client-side limiter keeps to CLAUDE_RECALL_GEMINI_RPM requests per rolling minute: it is
shared by every Gemini provider of the process and sleeps until a slot frees.

Google's error bodies (``{"error": {"code", "message", "status", "details"}}``) are mapped
before the shared HTTP mapping: 400 ``API key not valid`` -> ``ProviderSetupError`` naming the key
setting; 429 ``RESOURCE_EXHAUSTED`` -> ``TransientError`` whose ``retry_after`` comes from the
``Retry-After`` header or the ``RetryInfo`` detail's ``retryDelay`` (``"30s"``).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import httpx

from ..errors import ProviderError, ProviderSetupError, TransientError
from ..settings import Settings
from .base import Reply, Request, Usage
from .http import HTTPProvider, JSONObject, as_int, error_object, parse_retry_after

RETRY_INFO = "type.googleapis.com/google.rpc.RetryInfo"
WINDOW_S = 60.0


class RateLimiter:
    """At most ``rpm`` acquisitions in any rolling 60 s; ``acquire`` sleeps until one frees."""

    def __init__(self, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.clock, self.sleep = clock, sleep
        self.starts: deque[float] = deque()
        self.lock = threading.Lock()

    def acquire(self, rpm: int) -> float:
        """Take a slot; returns the seconds slept waiting for it."""
        waited = 0.0
        while True:
            with self.lock:
                now = self.clock()
                while self.starts and now - self.starts[0] >= WINDOW_S:
                    self.starts.popleft()
                if len(self.starts) < max(1, rpm):
                    self.starts.append(now)
                    return waited
                pause = self.starts[0] + WINDOW_S - now
            self.sleep(pause)
            waited += pause


SHARED_LIMITER = RateLimiter()


class GeminiProvider(HTTPProvider):
    name = "gemini"
    label = "Gemini"
    key_setting = "CLAUDE_RECALL_GEMINI_API_KEY"
    model_setting = "CLAUDE_RECALL_GEMINI_MODEL"

    def __init__(self, settings: Settings, *, limiter: RateLimiter | None = None) -> None:
        super().__init__(settings)
        self.limiter = limiter or SHARED_LIMITER

    @property
    def url(self) -> str:
        base = self.settings.text("CLAUDE_RECALL_GEMINI_BASE_URL").rstrip("/")
        model = self.model.removeprefix("models/")
        return f"{base}/models/{quote(model, safe='.-_')}:generateContent"

    def body(self, request: Request) -> JSONObject:
        contents = [{"role": "model" if m.role == "assistant" else "user", "parts": [{"text": m.content}]}
                    for m in request.messages]
        return {"systemInstruction": {"parts": [{"text": request.system}]}, "contents": contents,
                "generationConfig": {"temperature": request.temperature,
                                     "maxOutputTokens": request.max_output_tokens}}

    def complete(self, request: Request) -> Reply:
        self.limiter.acquire(self.settings.number("CLAUDE_RECALL_GEMINI_RPM"))
        headers = {"x-goog-api-key": self.settings.text(self.key_setting),
                   "Content-Type": "application/json"}
        data = self.post_json(self.url, headers, self.body(request))
        version = data.get("modelVersion")
        text, truncated = self.text_of(data)
        return Reply(text=text, model=version if isinstance(version, str) and version
                     else self.model, usage=usage_of(data.get("usageMetadata")), truncated=truncated)

    @property
    def base_url(self) -> str:
        return self.settings.text("CLAUDE_RECALL_GEMINI_BASE_URL")

    def text_of(self, data: JSONObject) -> tuple[str, bool]:
        """The text parts (``thought`` parts skipped), and whether MAX_TOKENS cut them off."""
        candidates = data.get("candidates")
        if not isinstance(candidates, list) or not candidates or not isinstance(candidates[0], dict):
            feedback = data.get("promptFeedback")
            reason = feedback.get("blockReason") if isinstance(feedback, dict) else None
            raise self.bad_reply(f"answered without candidates{f' (blocked: {reason})' if reason else ''}")
        content = candidates[0].get("content")
        parts = content.get("parts") if isinstance(content, dict) else None
        texts = [p["text"] for p in parts or () if isinstance(p, dict) and isinstance(p.get("text"), str)
                 and not p.get("thought")]
        text = "".join(texts)
        reason = candidates[0].get("finishReason")
        if not text.strip() and reason != "MAX_TOKENS":
            raise self.bad_reply(f"answered with no text{f' (finishReason {reason})' if reason else ''}")
        return text, reason == "MAX_TOKENS"

    def error_for(self, response: httpx.Response) -> ProviderError:
        error = error_object(response.text)
        message = str(error.get("message", ""))
        if response.status_code == 400 and _is_bad_key(error):
            return ProviderSetupError(f"Gemini rejected the API key (400): check {self.key_setting}: "
                                      f"{message}", provider=self.name, status=400,
                                      setting=self.key_setting)
        mapped = super().error_for(response)
        if isinstance(mapped, TransientError) and mapped.retry_after is None:
            mapped.retry_after = retry_delay(error)
        return mapped


def _is_bad_key(error: dict[str, Any]) -> bool:
    reasons = {d.get("reason") for d in error.get("details") or () if isinstance(d, dict)}
    return "API_KEY_INVALID" in reasons or "api key not valid" in str(error.get("message", "")).lower()


def retry_delay(error: dict[str, Any]) -> float | None:
    """Seconds from a ``RetryInfo`` detail (``"retryDelay": "30s"`` or ``"1.5s"``)."""
    for detail in error.get("details") or ():
        if isinstance(detail, dict) and detail.get("@type") == RETRY_INFO:
            delay = str(detail.get("retryDelay", "")).strip().removesuffix("s")
            return parse_retry_after(delay)
    return None


def usage_of(raw: Any) -> Usage:
    if not isinstance(raw, dict):
        return Usage()
    output = as_int(raw.get("candidatesTokenCount")) + as_int(raw.get("thoughtsTokenCount"))
    return Usage(input_tokens=as_int(raw.get("promptTokenCount")), output_tokens=output,
                 cache_read_tokens=as_int(raw.get("cachedContentTokenCount")))
