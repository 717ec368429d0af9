"""OpenRouter, or any OpenAI-compatible server (Ollama, LM Studio, vLLM): ``/chat/completions``.

Request, exactly as the OpenRouter provider spec says::

    POST {CLAUDE_RECALL_OPENROUTER_BASE_URL}/chat/completions
    Authorization: Bearer {key}        (omitted when there is no key: local servers need none)
    HTTP-Referer: {SITE_URL}           (omitted when the setting is empty)
    X-Title: {APP_NAME}
    Content-Type: application/json
    {"model": ..., "messages": [{"role": "system", ...}, ...], "temperature": 0.3, "max_tokens": 4096}

(temperature and max_tokens come from the ``Request``, whose defaults are those values). The reply
is ``choices[0].message.content`` (reasoning fields, ``reasoning`` and ``reasoning_content``,
are never read); ``finish_reason`` ``length`` marks it truncated; usage is ``prompt_tokens`` /
``completion_tokens``, with ``prompt_tokens_details.cached_tokens`` and OpenRouter's ``cost``
(USD) when present.
A key is required only when the base URL is openrouter.ai.
"""

from __future__ import annotations

from typing import Any

from .base import Reply, Request, Usage
from .http import HTTPProvider, JSONObject, as_int

OPENROUTER_HOST = "openrouter.ai"


class OpenRouterProvider(HTTPProvider):
    name = "openrouter"
    key_setting = "CLAUDE_RECALL_OPENROUTER_API_KEY"
    model_setting = "CLAUDE_RECALL_OPENROUTER_MODEL"

    @property
    def base_url(self) -> str:
        return self.settings.text("CLAUDE_RECALL_OPENROUTER_BASE_URL").rstrip("/")

    @property
    def label(self) -> str:  # type: ignore[override]
        """Errors name OpenRouter, or the server the base URL points at (a local model)."""
        return "OpenRouter" if self.needs_key else f"the server at {self.base_url}"

    @property
    def needs_key(self) -> bool:
        return OPENROUTER_HOST in self.base_url.lower()

    def unusable(self) -> str | None:
        return super().unusable() if self.needs_key else None

    def headers(self) -> dict[str, str]:
        headers: dict[str, str] = {}
        key = self.settings.text(self.key_setting)
        if key:
            headers["Authorization"] = f"Bearer {key}"
        site = self.settings.text("CLAUDE_RECALL_OPENROUTER_SITE_URL")
        if site:
            headers["HTTP-Referer"] = site
        app = self.settings.text("CLAUDE_RECALL_OPENROUTER_APP_NAME")
        if app:
            headers["X-Title"] = app
        headers["Content-Type"] = "application/json"
        return headers

    def body(self, request: Request) -> JSONObject:
        messages = [{"role": "system", "content": request.system}]
        messages += [{"role": m.role, "content": m.content} for m in request.messages]
        return {"model": self.model, "messages": messages, "temperature": request.temperature,
                "max_tokens": request.max_output_tokens}

    def complete(self, request: Request) -> Reply:
        data = self.post_json(f"{self.base_url}/chat/completions", self.headers(), self.body(request))
        model = data.get("model")
        text, truncated = self.text_of(data)
        return Reply(text=text, model=model if isinstance(model, str) and model else self.model,
                     usage=usage_of(data.get("usage")), truncated=truncated)

    def text_of(self, data: JSONObject) -> tuple[str, bool]:
        """The answer's text, and whether the output limit cut it off (then it may be empty:
        a reasoning model can spend every token thinking)."""
        choices = data.get("choices")
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            detail = data.get("error")
            raise self.bad_reply(f"answered without choices{f': {detail}' if detail else ''}")
        message = choices[0].get("message")
        content = message.get("content") if isinstance(message, dict) else None
        truncated = choices[0].get("finish_reason") == "length"
        if not truncated and (not isinstance(content, str) or not content.strip()):
            raise self.bad_reply("answered with no text")
        return (content if isinstance(content, str) else ""), truncated


def usage_of(raw: Any) -> Usage:
    """OpenAI usage -> ``Usage`` (``prompt_tokens`` already counts the cached ones)."""
    if not isinstance(raw, dict):
        return Usage()
    details = raw.get("prompt_tokens_details")
    cached = details.get("cached_tokens") if isinstance(details, dict) else None
    cost = raw.get("cost")
    return Usage(input_tokens=as_int(raw.get("prompt_tokens")),
                 output_tokens=as_int(raw.get("completion_tokens")),
                 cache_read_tokens=as_int(cached),
                 cost_usd=float(cost) if isinstance(cost, (int, float)) else None)
