"""Turn one hook payload into one normalised, privacy-scrubbed, trimmed event.

The event is a plain dict (it goes straight to a JSON line); ``CapturedEvent`` documents its
shape for type checkers. Every event carries a natural key that makes it idempotent:
session + tool_use_id for tool calls, session + prompt_id for prompts, and session + kind +
a digest of the payload for the rest (so a replayed payload is stored once).
"""

from __future__ import annotations

import os
import zlib

from .. import fastjson
from ..vocab import utc_stamp_ms
from . import formats, privacy
from .project import Project

TYPE_CHECKING = False  # typing costs ~5 ms to import; mypy still reads the block below
if TYPE_CHECKING:
    from typing import Any, TypedDict

    class CapturedEvent(TypedDict, total=False):
        v: int
        key: str
        kind: str
        session_id: str
        project: str
        project_name: str
        project_root: str
        cwd: str
        ts: str
        transcript_path: str
        tool_name: str
        tool_use_id: str
        tool_input: Any
        tool_response: Any
        error: str
        is_interrupt: bool
        prompt: str
        prompt_id: str
        agent_id: str
        agent_type: str
        source: str
        reason: str
        last_assistant_message: str
        summarize: bool
        private: bool
        trimmed_chars: int

SCHEMA_VERSION = 1
KINDS = {
    "SessionStart": "session_start",
    "UserPromptSubmit": "prompt",
    "PostToolUse": "tool",
    "PostToolUseFailure": "tool_failure",
    "Stop": "stop",
    "SessionEnd": "session_end",
}


def now_iso() -> str:
    return utc_stamp_ms()


def digest(payload: dict[str, object]) -> str:
    """A short, stable digest of a payload (zlib: hashlib costs ~14 ms to import)."""
    data = fastjson.dumps(payload, sort_keys=True).encode("ascii")
    return f"{zlib.crc32(data):08x}{zlib.adler32(data):08x}"


def natural_key(kind: str, session: str, payload: dict[str, object]) -> str:
    if kind in ("tool", "tool_failure") and payload.get("tool_use_id"):
        return f"{session}:tool:{payload['tool_use_id']}"
    if kind == "prompt" and payload.get("prompt_id"):
        return f"{session}:prompt:{payload['prompt_id']}"
    return f"{session}:{kind}:{digest(payload)}"


def _text(payload: dict[str, object], name: str) -> str:
    value = payload.get(name)
    return value if isinstance(value, str) else ""


def base_event(kind: str, payload: dict[str, object], project: Project) -> CapturedEvent:
    session = _text(payload, "session_id") or os.environ.get("CLAUDE_CODE_SESSION_ID", "unknown")
    event: CapturedEvent = {
        "v": SCHEMA_VERSION,
        "key": natural_key(kind, session, payload),
        "kind": kind,
        "session_id": session,
        "project": project.id,
        "project_name": project.display,
        "project_root": project.root,
        "cwd": _text(payload, "cwd"),
        "ts": now_iso(),
    }
    for name in ("transcript_path", "prompt_id", "agent_id", "agent_type", "source", "reason",
                 "tool_name", "tool_use_id"):
        if _text(payload, name):
            event[name] = _text(payload, name)
    return event


def is_env_file(tool_input: object) -> bool:
    """A Read/Edit/Write of an env file, or a Bash command that prints one (``cat .env``)."""
    if not isinstance(tool_input, dict):
        return False
    path = tool_input.get("file_path")
    if isinstance(path, str):
        return _env_name(os.path.basename(path))
    command = tool_input.get("command")
    if not isinstance(command, str) or (".env" not in command and ".flaskenv" not in command):
        return False
    words = command.replace(";", " ").replace("|", " ").replace("&", " ").split()
    return any(os.path.basename(w.strip("\"'")) in formats.READERS for w in words) and any(
        _env_name(os.path.basename(w.strip("\"'<>"))) for w in words)


def _env_name(name: str) -> bool:
    return name in formats.ENV_FILE_NAMES or name.startswith(".env.") or name.endswith(".env")


def clean(value: object, limit: int, env_file: bool = False,
          deadline: float | None = None) -> tuple[object, bool, int]:
    """Privacy, trimming and redaction in one bounded pass (see privacy.clean_value).
    Returns (value, had_private, chars cut)."""
    return privacy.clean_value(value, limit, env_file, deadline)


def fill_prompt(event: CapturedEvent, payload: dict[str, object], limit: int,
                deadline: float | None = None) -> None:
    original = _text(payload, "prompt")
    event["private"] = privacy.is_entirely_private(original)
    if event["private"]:
        event["prompt"] = privacy.PRIVATE_MARKER
        return
    text, _, cut = clean(original, limit * 4, deadline=deadline)
    event["prompt"] = str(text)
    if cut:
        event["trimmed_chars"] = cut


def fill_tool(event: CapturedEvent, payload: dict[str, object], limit: int,
              private_prompt: bool, deadline: float | None = None) -> None:
    if private_prompt:
        event["private"] = True
        return
    tool_input = payload.get("tool_input")
    env_file = is_env_file(tool_input)
    cut_total = 0
    for name in ("tool_input", "tool_response", "error"):
        if name in payload:
            value, _, cut = clean(payload[name], limit, env_file, deadline)
            event[name] = value
            cut_total += cut
    if payload.get("is_interrupt"):
        event["is_interrupt"] = True
    if cut_total:
        event["trimmed_chars"] = cut_total


def fill_stop(event: CapturedEvent, payload: dict[str, object], limit: int,
              private_turn: bool = False, deadline: float | None = None) -> None:
    """A private turn's reply is never kept: it may quote what the prompt hid."""
    event["summarize"] = True
    if private_turn:
        event["private"] = True
        return
    message = _text(payload, "last_assistant_message")
    if message:
        event["last_assistant_message"] = str(clean(message, limit, deadline=deadline)[0])
