"""The Gemini wire format: ``/models/{model}:generateContent`` with ``usageMetadata`` and
Google's error bodies (``RetryInfo``, ``ErrorInfo`` details)."""

from __future__ import annotations

from .server import JSON, FakeServer, Recorded, Response, retry_headers


class FakeGemini(FakeServer):
    """Gemini ``generateContent`` with ``usageMetadata`` and Google's error bodies."""

    @staticmethod
    def reply(text: str = "OK", *, prompt_tokens: int = 200, output_tokens: int = 40,
              cached_tokens: int | None = None, model: str = "gemini-2.5-flash") -> Response:
        usage: JSON = {"promptTokenCount": prompt_tokens, "candidatesTokenCount": output_tokens,
                       "totalTokenCount": prompt_tokens + output_tokens}
        if cached_tokens is not None:
            usage["cachedContentTokenCount"] = cached_tokens
        candidate = {"content": {"role": "model", "parts": [{"text": text}]},
                     "finishReason": "STOP", "index": 0}
        return Response(body={"candidates": [candidate], "usageMetadata": usage,
                              "modelVersion": model})

    @staticmethod
    def error(status: int, message: str, google_status: str, *, retry_after: str | None = None,
              details: list[JSON] | None = None) -> Response:
        body = {"error": {"code": status, "message": message, "status": google_status,
                          "details": details or []}}
        return Response(status, body, retry_headers(retry_after))

    @staticmethod
    def retry_info(delay: str) -> JSON:
        return {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": delay}

    def default(self, request: Recorded) -> Response:
        return self.reply()
