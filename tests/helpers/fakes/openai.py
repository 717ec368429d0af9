"""The OpenAI-compatible wire format: ``/chat/completions`` (OpenRouter, Ollama, vLLM), with
OpenRouter's usage fields (cached tokens, cost) and error shape."""

from __future__ import annotations

from .server import JSON, FakeServer, Recorded, Response, retry_headers


class FakeOpenAI(FakeServer):
    """OpenAI-compatible chat completions, with OpenRouter's usage fields (cached tokens, cost)."""

    @staticmethod
    def reply(text: str | None = "OK", *, model: str = "fake/model", prompt_tokens: int = 120,
              completion_tokens: int = 30, cached_tokens: int | None = None,
              cost: float | None = None) -> Response:
        usage: JSON = {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                       "total_tokens": prompt_tokens + completion_tokens}
        if cached_tokens is not None:
            usage["prompt_tokens_details"] = {"cached_tokens": cached_tokens}
        if cost is not None:
            usage["cost"] = cost
        choice = {"index": 0, "finish_reason": "stop",
                  "message": {"role": "assistant", "content": text}}
        return Response(body={"id": "gen-fake", "object": "chat.completion", "model": model,
                              "choices": [choice], "usage": usage})

    @staticmethod
    def error(status: int, message: str, *, retry_after: str | None = None) -> Response:
        """OpenRouter's error shape: ``{"error": {"code", "message", "metadata"}}``."""
        body = {"error": {"code": status, "message": message, "metadata": {}}}
        return Response(status, body, retry_headers(retry_after))

    def default(self, request: Recorded) -> Response:
        model = request.body.get("model", "fake/model") if isinstance(request.body, dict) else ""
        return self.reply(model=model)
