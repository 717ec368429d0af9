"""Claude through the Anthropic API and the ``anthropic`` SDK: the ``claude`` provider with a key.

``messages.create`` with SDK retries off, the system prompt as one cached text block, and the
new user turn marked ``cache_control`` too, so the whole request is read from the prompt cache
by the next one (which extends it byte for byte). No ``temperature``: API version 2026-10-21
(sent by SDK 2.x) rejects sampling parameters. CLAUDE_RECALL_CLAUDE_BASE_URL (or
ANTHROPIC_BASE_URL) points it elsewhere. SDK errors share every HTTP provider's status mapping
(``http.status_error``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import BadReplyError, ProviderError, ProviderSetupError, TransientError
from .base import Message, Reply, Request
from .claude import NO_KEY, ClaudeBase, anthropic_usage
from .http import error_detail, parse_retry_after, status_error

if TYPE_CHECKING:
    import anthropic
    from anthropic.types import AssistantMessageParam, MessageParam, TextBlockParam, UserMessageParam


class ClaudeSdkProvider(ClaudeBase):
    """Needs the key; one call: ``messages.create``."""

    _client: anthropic.Anthropic | None = None

    def unusable(self) -> str | None:
        return None if self.key else NO_KEY

    def complete(self, request: Request) -> Reply:
        import anthropic

        if not self.key:  # ``select`` never makes one without: said as the claude CLI would say it
            raise ProviderSetupError(NO_KEY, provider=self.name, setting=self.key_setting)
        system: list[TextBlockParam] = [{"type": "text", "text": request.system,
                                         "cache_control": {"type": "ephemeral"}}]
        try:
            message = self._sdk().messages.create(
                model=self.model, max_tokens=request.max_output_tokens, system=system,
                messages=api_messages(request.messages))
        except anthropic.APIError as exc:
            raise self._error(exc) from exc
        except ValueError as exc:  # a 200 whose JSON does not decode
            raise BadReplyError(f"Anthropic answered with a malformed body: {exc}",
                                provider=self.name) from exc
        return self._reply(message)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def _sdk(self) -> anthropic.Anthropic:
        if self._client is None:
            import anthropic  # ~1 s: only when Claude is actually called with a key

            self._client = anthropic.Anthropic(api_key=self.key, base_url=self.base_url or None,
                                               max_retries=0, timeout=self.timeout)
        return self._client

    def _error(self, exc: anthropic.APIError) -> ProviderError:
        import anthropic

        if isinstance(exc, anthropic.APIStatusError):
            return status_error(self, self.label, exc.status_code, detail=error_detail(exc.response.text),
                                retry_after=parse_retry_after(exc.response.headers.get("retry-after")))
        if isinstance(exc, anthropic.APIConnectionError):  # timeouts included
            return TransientError(f"Anthropic: {exc}", provider=self.name)
        return BadReplyError(f"Anthropic answered with a malformed body: {exc}", provider=self.name)

    def _reply(self, message: object) -> Reply:
        content = getattr(message, "content", None)
        if not isinstance(content, list):
            raise BadReplyError("Anthropic answered without a message", provider=self.name)
        text = "".join(getattr(b, "text", "") for b in content if getattr(b, "type", None) == "text")
        truncated = getattr(message, "stop_reason", None) == "max_tokens"  # thinking blocks: not text
        if not text.strip() and not truncated:
            raise BadReplyError("Anthropic answered with no text", provider=self.name)
        usage = getattr(message, "usage", None)
        raw = {k: getattr(usage, k, 0) for k in ("input_tokens", "output_tokens", "cache_read_input_tokens",
                                                  "cache_creation_input_tokens")}
        model = getattr(message, "model", None)
        return Reply(text, model if isinstance(model, str) and model else self.model, anthropic_usage(raw),
                     truncated)


def api_messages(messages: tuple[Message, ...]) -> list[MessageParam]:
    """Messages API turns; the new (last) turn is a cache breakpoint: every request extends the
    previous one byte for byte, so the next request reads all of this one from the cache, and
    writes only the reply and its own new turn."""
    prefix_end = len(messages) - 1
    out: list[MessageParam] = []
    for i, message in enumerate(messages):
        block: TextBlockParam = {"type": "text", "text": message.content}
        if i == prefix_end:
            block["cache_control"] = {"type": "ephemeral"}
        if message.role == "assistant":
            assistant: AssistantMessageParam = {"role": "assistant", "content": [block]}
            out.append(assistant)
        else:
            user: UserMessageParam = {"role": "user", "content": [block]}
            out.append(user)
    return out
