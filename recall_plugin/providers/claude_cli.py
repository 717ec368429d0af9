"""Claude through the user's own Claude Code: the ``claude`` provider without a key.

When CLAUDE_RECALL_CLAUDE_CLI is ``auto`` (``claude`` on PATH, or in ``~/.local/bin`` /
``~/.claude/local``) or a path, the user's Claude Code runs headless, so extraction uses
whatever login it has::

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
statuses mapped as for every HTTP provider, ``http.status_error``); "not logged in" or a
rejected login is a ``ProviderSetupError``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from typing import Any

from ..errors import BadReplyError, ProviderError, ProviderSetupError, TransientError
from .base import Message, Reply, Request
from .claude import NO_KEY, ClaudeBase, anthropic_usage
from .http import status_error

CLI_SETTING = "CLAUDE_RECALL_CLAUDE_CLI"
SUBSCRIPTION = ("extraction runs on your Claude subscription through the claude CLI (no API key): "
                "it counts as usage of your plan there; costs shown are estimates")
CLI_FLAGS = ("--tools", "", "--no-session-persistence", "--safe-mode", "--disable-slash-commands",
             "--strict-mcp-config")
SESSION_VARS = ("CLAUDECODE", "CLAUDE_CODE_SESSION_ID", "CLAUDE_CODE_ENTRYPOINT", "CLAUDE_ENV_FILE",
                "CLAUDE_PLUGIN_ROOT", "CLAUDE_PLUGIN_DATA", "CLAUDE_PROJECT_DIR")


class ClaudeCliProvider(ClaudeBase):
    """Needs the claude binary (CLAUDE_RECALL_CLAUDE_CLI); one call: ``claude -p``."""

    def cli_path(self) -> str | None:
        """The Claude Code binary to run, or None."""
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
        return None if self.cli_path() else NO_KEY

    def billing(self) -> str | None:
        return SUBSCRIPTION if self.cli_path() else None

    def complete(self, request: Request) -> Reply:
        binary = self.cli_path()
        if binary is None:
            raise ProviderSetupError(NO_KEY, provider=self.name, setting=self.key_setting)
        with tempfile.TemporaryDirectory(prefix="claude-recall-") as work:
            system_file = os.path.join(work, "system-prompt.txt")
            with open(system_file, "w", encoding="utf-8") as handle:
                handle.write(request.system)
            argv = [binary, "-p", "--output-format", "json", "--model", self.model,
                    "--system-prompt-file", system_file, *CLI_FLAGS]
            try:
                done = subprocess.run(argv, input=render_prompt(request.messages).encode(), cwd=work,
                                      env=self._env(request), capture_output=True, timeout=self.timeout)
            except subprocess.TimeoutExpired as exc:
                raise TransientError(f"the claude CLI timed out after {self.timeout:g} s",
                                     provider=self.name) from exc
            except OSError as exc:
                raise ProviderSetupError(f"cannot run {binary} ({exc.strerror}): check {CLI_SETTING}",
                                         provider=self.name, setting=CLI_SETTING) from exc
        return self._reply(done)

    def _env(self, request: Request) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in SESSION_VARS}
        env.update(CLAUDE_RECALL_EXTRACTING="1", CLAUDE_CODE_MAX_RETRIES="0", MAX_THINKING_TOKENS="0",
                   CLAUDE_CODE_MAX_OUTPUT_TOKENS=str(request.max_output_tokens),
                   CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC="1")
        if self.base_url:
            env["ANTHROPIC_BASE_URL"] = self.base_url
        return env

    def _reply(self, done: subprocess.CompletedProcess[bytes]) -> Reply:
        result = _last_json(done.stdout)
        text = str(result.get("result") or "") if result else ""
        if done.returncode == 0 and not result:
            raise BadReplyError(f"the claude CLI printed no JSON result: {done.stdout[:120]!r}",
                                provider=self.name)
        if done.returncode != 0 or not result or result.get("is_error"):
            raise self._error(done, result, text)
        truncated = result.get("stop_reason") == "max_tokens"
        if not text.strip() and not truncated:
            raise BadReplyError("the claude CLI answered with no text", provider=self.name)
        cost = result.get("total_cost_usd")
        models = result.get("modelUsage")
        model = next(iter(models), self.model) if isinstance(models, dict) and models else self.model
        usage = anthropic_usage(result.get("usage"), float(cost) if isinstance(cost, (int, float)) else None)
        return Reply(text, str(model), usage, truncated)

    def _error(self, done: subprocess.CompletedProcess[bytes], result: dict[str, Any],
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


def _last_json(stdout: bytes) -> dict[str, Any]:
    for line in reversed(stdout.decode(errors="replace").splitlines()):
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    return {}
