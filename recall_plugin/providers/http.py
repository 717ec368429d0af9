"""What every HTTP provider shares: one ``httpx.Client``, and one mapping of failures to errors.

``status_error`` is the single place that turns an HTTP status into claude-recall's errors
(the Claude provider uses it for the SDK's status errors too):

* 429, 408, 409, 425 and every 5xx (500, 502, 503, 504, 529...) -> ``TransientError``, with
  ``retry_after`` from the ``Retry-After`` header (seconds or an HTTP date);
* 401 and 403 -> ``ProviderSetupError`` naming the provider's key setting;
* 404 -> ``ProviderSetupError`` naming the model setting and the model;
* 400, 413 and 422 about the context length (OpenAI's ``context_length_exceeded``, "maximum
  context length", llama.cpp's "exceeds the available context size", Anthropic's "prompt is too
  long", Gemini's "exceeds the maximum number of tokens") -> ``ContextOverflowError``: only a
  smaller request can fix it; other 400 and 422 -> ``ProviderSetupError`` (no setting); the rest
  ``ProviderError``.

``HTTPProvider.post_json`` adds the transport side: timeouts and connection failures (a
server that drops the connection included) -> ``TransientError``; a 200 whose body is not a
JSON object -> ``BadReplyError``. Nothing here retries: the extractor owns retries.
"""

from __future__ import annotations

import json
import math
import re
import time
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from ..errors import BadReplyError, ContextOverflowError, ProviderError, ProviderSetupError, TransientError
from ..settings import Settings
from .base import Provider

JSONObject = dict[str, Any]

TRANSIENT_STATUSES = frozenset({408, 409, 425, 429})
_CONTEXT_WORDS = re.compile(
    r"prompt is too long|context.?(length|window|size)|maximum context|too many tokens|"
    r"input token count .* exceeds|exceeds the maximum number of tokens|reduce the length|"
    r"exceed_context_size", re.IGNORECASE)


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value: delta-seconds or an HTTP date."""
    if not value or not value.strip():
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return max(0.0, when - (time.time() if now is None else now))


def is_context_overflow(detail: str) -> bool:
    """Whether an error message says the request is longer than the model's context."""
    return bool(_CONTEXT_WORDS.search(detail))


def status_error(provider: Provider, label: str, status: int, *, detail: str = "",
                 retry_after: float | None = None) -> ProviderError:
    """The error for a non-2xx ``status``; ``detail`` is the server's own message."""
    said = f": {detail}" if detail else ""
    kw: dict[str, Any] = {"provider": provider.name, "status": status}
    if status in TRANSIENT_STATUSES or status >= 500:
        what = "rate limit reached" if status == 429 else "is unavailable"
        return TransientError(f"{label} {what} ({status}){said}", retry_after=retry_after, **kw)
    if status in (401, 403):
        return ProviderSetupError(f"{label} rejected the API key ({status}): check "
                                  f"{provider.key_setting}{said}", setting=provider.key_setting, **kw)
    if status == 404:
        return ProviderSetupError(f"{label} does not know the model {provider.model!r} (404): check "
                           f"{provider.model_setting}{said}", setting=provider.model_setting, **kw)
    if status in (400, 413, 422) and is_context_overflow(detail):
        return ContextOverflowError(f"{label} says the request is longer than the model's context "
                                    f"({status}){said}", **kw)
    if status in (400, 422):
        return ProviderSetupError(f"{label} rejected the request ({status}){said}", **kw)
    return ProviderError(f"{label} refused the request ({status}){said}", **kw)


def as_int(value: Any) -> int:
    """A token count from a decoded body: ints only (not bools), anything else is 0."""
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _error_field(text: str) -> Any:
    try:
        body = json.loads(text)
    except ValueError:
        return None
    if isinstance(body, list) and body:  # Google's APIs sometimes wrap the error in a list
        body = body[0]
    return body.get("error") if isinstance(body, dict) else None


def error_object(text: str) -> dict[str, Any]:
    """The ``error`` object of an error body (``{"error": {...}}``), or {}."""
    error = _error_field(text)
    return error if isinstance(error, dict) else {}


def error_detail(text: str) -> str:
    """The server's own message from an error body (``{"error": {"message": ...}}`` or
    ``{"error": "..."}`` as Ollama says it), else the start of the text; an error ``code`` or
    ``type`` that says more (``context_length_exceeded``) is added in brackets."""
    error = _error_field(text)
    message = error.get("message") if isinstance(error, dict) else error
    detail = (message if isinstance(message, str) else text.strip())[:300]
    kinds = [error.get(k) for k in ("code", "type")] if isinstance(error, dict) else []
    extra = [k for k in kinds if isinstance(k, str) and k and k not in detail]
    return f"{detail} [{', '.join(extra)}]" if extra else detail


class HTTPProvider(Provider):
    """A provider speaking JSON over one ``httpx.Client`` (timeout: ``Provider.timeout``)."""

    label: str  # how messages name the service

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.client = httpx.Client(timeout=self.timeout, follow_redirects=False)

    def close(self) -> None:
        self.client.close()

    def post_json(self, url: str, headers: dict[str, str], body: JSONObject) -> JSONObject:
        """POST ``body``; the decoded JSON object of a 2xx answer, or the mapped error."""
        try:
            response = self.client.post(url, headers=headers, json=body)
        except httpx.TimeoutException as exc:
            raise TransientError(f"{self.label} timed out after {self.timeout:g} s "
                                 f"({exc.__class__.__name__}): a slow model may need a longer "
                                 f"CLAUDE_RECALL_{self.name.upper()}_REQUEST_TIMEOUT_S",
                                 provider=self.name) from exc
        except httpx.TransportError as exc:
            raise TransientError(f"{self.label} connection failed: {exc or exc.__class__.__name__}",
                                 provider=self.name) from exc
        if not response.is_success:
            raise self.error_for(response)
        return self.decode(response)

    def error_for(self, response: httpx.Response) -> ProviderError:
        """Map an error response (providers may special-case their own bodies first)."""
        return status_error(self, self.label, response.status_code, detail=error_detail(response.text),
                            retry_after=parse_retry_after(response.headers.get("retry-after")))

    def decode(self, response: httpx.Response) -> JSONObject:
        try:
            data = response.json()
        except ValueError as exc:
            raise self.bad_reply(f"answered {response.status_code} with a body that is not JSON: "
                                 f"{response.text[:120]!r}") from exc
        if not isinstance(data, dict):
            raise self.bad_reply("answered with JSON that is not an object")
        return data

    def bad_reply(self, what: str) -> BadReplyError:
        return BadReplyError(f"{self.label} {what}", provider=self.name)
