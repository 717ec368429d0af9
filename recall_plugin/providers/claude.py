"""Claude: the Anthropic API through the ``anthropic`` SDK, or else the user's own Claude Code.

**With a key** (CLAUDE_RECALL_CLAUDE_API_KEY, or ANTHROPIC_API_KEY): ``messages.create`` with SDK
retries off, the system prompt as one cached text block, and the new user turn marked
``cache_control`` too, so the whole request is read from the prompt cache by the next one
(which extends it byte for byte). No ``temperature``: API version 2026-10-21 (sent by SDK
2.x) rejects sampling parameters. CLAUDE_RECALL_CLAUDE_BASE_URL (or ANTHROPIC_BASE_URL)
points it elsewhere. SDK errors share every HTTP provider's status mapping (``http.status_error``).

**Without a key**, when CLAUDE_RECALL_CLAUDE_CLI is ``auto`` (``claude`` on PATH, or in
``~/.local/bin`` / ``~/.claude/local``) or a path: the user's own Claude Code runs headless, so
extraction uses whatever login it has::

    claude -p --output-format json --model MODEL --system-prompt-file FILE --tools ""
           --no-session-persistence --safe-mode --disable-slash-commands --strict-mcp-config

``--tools ""`` offers the model no tools; ``--safe-mode`` turns off the user's hooks, plugins,
MCP servers and CLAUDE.md but keeps their login and settings ``env`` (``--setting-sources ""``
or ``--bare`` would lose an ``apiKeyHelper`` or the OAuth login); ``--no-session-persistence``
leaves no transcript. The conversation, rendered into the one prompt, goes on stdin (no argv
limit), from an empty temporary directory, with ``CLAUDE_RECALL_EXTRACTING=1`` (the plugin's
hooks ignore such sessions: extraction never captures itself), ``CLAUDE_CODE_MAX_RETRIES=0``,
``MAX_THINKING_TOKENS=0``, ``CLAUDE_CODE_MAX_OUTPUT_TOKENS`` and
``CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1``. The JSON result gives ``result`` (the text),
``usage`` and ``total_cost_usd``. Timeouts and reported failures are ``TransientError`` (API
statuses mapped as above); "not logged in" or a rejected login is a ``ProviderSetupError``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from typing import TYPE_CHECKING, Any

from ..errors import BadReplyError, ProviderError, ProviderSetupError, TransientError
from .base import Message, Provider, Reply, Request, Usage
from .http import as_int, error_detail, parse_retry_after, status_error

if TYPE_CHECKING:
    import anthropic
    from anthropic.types import AssistantMessageParam, MessageParam, TextBlockParam, UserMessageParam

CLI_SETTING = "CLAUDE_RECALL_CLAUDE_CLI"
SUBSCRIPTION = ("extraction runs on your Claude subscription through the claude CLI (no API key): "
                "it counts as usage of your plan there; costs shown are estimates")
NO_KEY = "no API key: set CLAUDE_RECALL_CLAUDE_API_KEY (or ANTHROPIC_API_KEY), or install the claude CLI"
CLI_FLAGS = ("--tools", "", "--no-session-persistence", "--safe-mode", "--disable-slash-commands",
             "--strict-mcp-config")
SESSION_VARS = ("CLAUDECODE", "CLAUDE_CODE_SESSION_ID", "CLAUDE_CODE_ENTRYPOINT", "CLAUDE_ENV_FILE",
                "CLAUDE_PLUGIN_ROOT", "CLAUDE_PLUGIN_DATA", "CLAUDE_PROJECT_DIR")


class ClaudeProvider(Provider):
    name = "claude"
    label = "Anthropic"
    key_setting = "CLAUDE_RECALL_CLAUDE_API_KEY"
    model_setting = "CLAUDE_RECALL_CLAUDE_MODEL"

    _client: anthropic.Anthropic | None = None

    @property
    def key(self) -> str:
        return self.settings.text(self.key_setting)

    @property
    def base_url(self) -> str:
        return self.settings.text("CLAUDE_RECALL_CLAUDE_BASE_URL")

    def cli_path(self) -> str | None:
        """The Claude Code binary to run when there is no key, or None."""
        choice = self.settings.text(CLI_SETTING).strip()
        if choice.lower() == "off":
            return None
        if choice.lower() != "auto":
            path = os.path.expanduser(choice)
            return path if os.path.isfile(path) and os.access(path, os.X_OK) else None
        home = os.path.expanduser("~")
        fallback = os.pathsep.join(os.path.join(home, *p) for p in ((".local", "bin"), (".claude", "local")))
        return shutil.which("claude") or shutil.which("claude", path=fallback)

    def unusable(self) -> str | None:
        return None if self.key or self.cli_path() else NO_KEY

    def billing(self) -> str | None:
        return SUBSCRIPTION if not self.key and self.cli_path() else None

    def complete(self, request: Request) -> Reply:
        if self.key:
            return self._via_sdk(request)
        binary = self.cli_path()
        if binary is None:
            raise ProviderSetupError(NO_KEY, provider=self.name, setting=self.key_setting)
        return self._via_cli(binary, request)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    # -- the API, through the SDK ---------------------------------------------------------------

    def _sdk(self) -> anthropic.Anthropic:
        if self._client is None:
            import anthropic  # ~1 s: only when Claude is actually called with a key

            base_url = self.settings.text("CLAUDE_RECALL_CLAUDE_BASE_URL") or None
            self._client = anthropic.Anthropic(api_key=self.key, base_url=base_url, max_retries=0,
                                               timeout=self.timeout)
        return self._client

    def _via_sdk(self, request: Request) -> Reply:
        import anthropic

        system: list[TextBlockParam] = [{"type": "text", "text": request.system,
                                         "cache_control": {"type": "ephemeral"}}]
        try:
            message = self._sdk().messages.create(
                model=self.model, max_tokens=request.max_output_tokens, system=system,
                messages=api_messages(request.messages))
        except anthropic.APIError as exc:
            raise self._sdk_error(exc) from exc
        except ValueError as exc:  # a 200 whose JSON does not decode
            raise BadReplyError(f"Anthropic answered with a malformed body: {exc}",
                                provider=self.name) from exc
        return self._sdk_reply(message)

    def _sdk_error(self, exc: anthropic.APIError) -> ProviderError:
        import anthropic

        if isinstance(exc, anthropic.APIStatusError):
            return status_error(self, self.label, exc.status_code, detail=error_detail(exc.response.text),
                                retry_after=parse_retry_after(exc.response.headers.get("retry-after")))
        if isinstance(exc, anthropic.APIConnectionError):  # timeouts included
            return TransientError(f"Anthropic: {exc}", provider=self.name)
        return BadReplyError(f"Anthropic answered with a malformed body: {exc}", provider=self.name)

    def _sdk_reply(self, message: object) -> Reply:
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

    # -- the user's own Claude Code --------------------------------------------------------------

    def _via_cli(self, binary: str, request: Request) -> Reply:
        with tempfile.TemporaryDirectory(prefix="claude-recall-") as work:
            system_file = os.path.join(work, "system-prompt.txt")
            with open(system_file, "w", encoding="utf-8") as handle:
                handle.write(request.system)
            argv = [binary, "-p", "--output-format", "json", "--model", self.model,
                    "--system-prompt-file", system_file, *CLI_FLAGS]
            try:
                done = subprocess.run(argv, input=render_prompt(request.messages).encode(), cwd=work,
                                      env=self._cli_env(request), capture_output=True, timeout=self.timeout)
            except subprocess.TimeoutExpired as exc:
                raise TransientError(f"the claude CLI timed out after {self.timeout:g} s",
                                     provider=self.name) from exc
            except OSError as exc:
                raise ProviderSetupError(f"cannot run {binary} ({exc.strerror}): check {CLI_SETTING}",
                                  provider=self.name, setting=CLI_SETTING) from exc
        return self._cli_reply(done)

    def _cli_env(self, request: Request) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in SESSION_VARS}
        env.update(CLAUDE_RECALL_EXTRACTING="1", CLAUDE_CODE_MAX_RETRIES="0", MAX_THINKING_TOKENS="0",
                   CLAUDE_CODE_MAX_OUTPUT_TOKENS=str(request.max_output_tokens),
                   CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC="1")
        base_url = self.settings.text("CLAUDE_RECALL_CLAUDE_BASE_URL")
        if base_url:
            env["ANTHROPIC_BASE_URL"] = base_url
        return env

    def _cli_reply(self, done: subprocess.CompletedProcess[bytes]) -> Reply:
        result = _last_json(done.stdout)
        text = str(result.get("result") or "") if result else ""
        if done.returncode == 0 and not result:
            raise BadReplyError(f"the claude CLI printed no JSON result: {done.stdout[:120]!r}",
                                provider=self.name)
        if done.returncode != 0 or not result or result.get("is_error"):
            raise self._cli_error(done, result, text)
        truncated = result.get("stop_reason") == "max_tokens"
        if not text.strip() and not truncated:
            raise BadReplyError("the claude CLI answered with no text", provider=self.name)
        cost = result.get("total_cost_usd")
        models = result.get("modelUsage")
        model = next(iter(models), self.model) if isinstance(models, dict) and models else self.model
        usage = anthropic_usage(result.get("usage"), float(cost) if isinstance(cost, (int, float)) else None)
        return Reply(text, str(model), usage, truncated)

    def _cli_error(self, done: subprocess.CompletedProcess[bytes], result: dict[str, Any],
                   text: str) -> ProviderError:
        said = text or done.stderr.decode(errors="replace").strip()[-500:] or f"exit status {done.returncode}"
        status = result.get("api_error_status")
        if "unknown option" in said:
            return ProviderSetupError(f"the claude CLI is too old for claude-recall ({said}): update it "
                                      f"or set {CLI_SETTING}=off", provider=self.name, setting=CLI_SETTING)
        if status in (401, 403) or "not logged in" in said.lower() or "/login" in said:
            return ProviderSetupError(f"the claude CLI is not logged in ({said}): run `claude` and "
                                      f"/login, or set {self.key_setting}", provider=self.name,
                                      setting=self.key_setting)
        if isinstance(status, int) and status >= 400:  # 429/5xx transient, 404 model, too long...
            return status_error(self, "the claude CLI", status, detail=said)
        return TransientError(f"the claude CLI failed: {said}", provider=self.name)


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


def render_prompt(messages: tuple[Message, ...]) -> str:
    """The conversation as the CLI's single prompt: earlier turns in tags, then the new turn."""
    *history, last = messages or (Message("user", ""),)
    if not history:
        prompt = last.content
    else:
        turns = "\n".join(f"<{m.role}>\n{m.content}\n</{m.role}>" for m in history)
        prompt = (f"<conversation_so_far>\n{turns}\n</conversation_so_far>\n\n"
                  f"Continue the conversation: reply to this new {last.role} message.\n\n{last.content}")
    return " " + prompt if prompt.startswith("/") else prompt  # "/..." would run a slash command


def anthropic_usage(raw: Any, cost: float | None = None) -> Usage:
    """Anthropic usage (input_tokens excludes the cache) -> ``Usage`` (input counts every prompt token)."""
    raw = raw if isinstance(raw, dict) else {}
    read, write = as_int(raw.get("cache_read_input_tokens")), as_int(raw.get("cache_creation_input_tokens"))
    return Usage(input_tokens=as_int(raw.get("input_tokens")) + read + write,
                 output_tokens=as_int(raw.get("output_tokens")), cache_read_tokens=read,
                 cache_write_tokens=write, cost_usd=cost)


def _last_json(stdout: bytes) -> dict[str, Any]:
    for line in reversed(stdout.decode(errors="replace").splitlines()):
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    return {}
