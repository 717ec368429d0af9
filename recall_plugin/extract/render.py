"""One batch of captured events as one compact user turn.

Each event becomes a short header line and, where it helps, a trimmed body: the command and
its output for Bash, a unified diff for Edit and Write (never the whole file twice), the head
of what was read. Private events never reach this module (they are stored as skipped).
"""

from __future__ import annotations

import difflib
import json
import os

from ..capture.trim import trim_text
from ..store.rows import StoredEvent as StoredEvent  # read back for extraction

EVENT_BODY_CHARS = 2400
PATH_KEYS = ("file_path", "notebook_path", "path")


def _field(event: StoredEvent, name: str) -> object:
    return event.body.get(name)


def _text(value: object, limit: int = EVENT_BODY_CHARS) -> str:
    if value is None or value == "":
        return ""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return trim_text(text.strip(), limit)[0]


def _input(event: StoredEvent) -> dict[str, object]:
    value = _field(event, "tool_input")
    return value if isinstance(value, dict) else {}


def diff(before: str, after: str, path: str) -> str:
    lines = difflib.unified_diff(before.splitlines(), after.splitlines(), f"a/{path}", f"b/{path}",
                                 lineterm="", n=2)
    return "\n".join(lines)


def _edit_body(event: StoredEvent) -> str:
    data = _input(event)
    path = str(data.get("file_path", ""))
    listed = data.get("edits")
    edits: list[object] = listed if isinstance(listed, list) else [data]
    parts = [diff(str(e.get("old_string", "")), str(e.get("new_string", "")), path)
             for e in edits if isinstance(e, dict)]
    return "\n".join(p for p in parts if p)


def _write_body(event: StoredEvent) -> str:
    data, response = _input(event), _field(event, "tool_response")
    path, content = str(data.get("file_path", "")), str(data.get("content", ""))
    original = response.get("originalFile") if isinstance(response, dict) else None
    if isinstance(original, str):
        return diff(original, content, path)
    return f"(new file, {len(content.splitlines())} lines)\n{content}"


def _read_body(event: StoredEvent) -> str:
    response = _field(event, "tool_response")
    file = response.get("file") if isinstance(response, dict) else None
    if isinstance(file, dict):
        return f"({file.get('numLines', '?')} of {file.get('totalLines', '?')} lines)\n" \
               f"{file.get('content', '')}"
    return _text(response)


def _bash_body(event: StoredEvent) -> str:
    response = _field(event, "tool_response")
    if isinstance(response, dict):
        out = "\n".join(str(response.get(k) or "") for k in ("stdout", "stderr")).strip()
        return out
    return _text(response)


def _generic_body(event: StoredEvent) -> str:
    data = {k: v for k, v in _input(event).items() if k not in ("content", "description")}
    head = _text(data, 600)
    return "\n".join(p for p in (head, _text(_field(event, "tool_response"))) if p)


BODIES = {"Edit": _edit_body, "MultiEdit": _edit_body, "Write": _write_body,
          "Read": _read_body, "Bash": _bash_body}


def header(event: StoredEvent) -> str:
    stamp = event.created_at[11:19]
    who = f" [subagent {event.agent_type}]" if event.agent_type else ""
    data = _input(event)
    target = next((str(data[k]) for k in PATH_KEYS if k in data), "")
    if event.tool_name == "Bash":
        target = "$ " + _text(data.get("command", ""), 400)
    state = " FAILED" if event.kind == "tool_failure" else ""
    return f"[{stamp}]{who} {event.tool_name}{state} {target}".rstrip()


def render_event(event: StoredEvent) -> str:
    if event.kind == "prompt":
        return f"[{event.created_at[11:19]}] USER PROMPT #{event.prompt_number}: " \
               f"{_text(_field(event, 'prompt'), 2000)}"
    if event.kind in ("stop", "session_end"):
        last = _text(_field(event, "last_assistant_message"), 800)
        return f"[{event.created_at[11:19]}] CLAUDE FINISHED ITS TURN" + (f": {last}" if last else "")
    body = BODIES.get(event.tool_name, _generic_body)(event)
    if event.kind == "tool_failure":
        body = "\n".join(p for p in (f"error: {_text(_field(event, 'error'), 600)}", body) if p)
    body = trim_text(body.strip(), EVENT_BODY_CHARS)[0]
    return header(event) + ("\n" + _indent(body) if body else "")


def digest_event(event: StoredEvent) -> str:
    """The one line an event keeps once its turn is history."""
    return render_event(event).splitlines()[0][:300]


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())


def known_paths(events: list[StoredEvent]) -> frozenset[str]:
    """Every file path the events show (for checking the model's files_modified)."""
    found: set[str] = set()
    for event in events:
        data = _input(event)
        found.update(str(data[k]) for k in PATH_KEYS if isinstance(data.get(k), str))
        response = _field(event, "tool_response")
        if isinstance(response, dict) and isinstance(response.get("filePath"), str):
            found.add(str(response["filePath"]))
    return frozenset(found)


def session_cwd(events: list[StoredEvent]) -> str:
    return next((str(e.body["cwd"]) for e in events if e.body.get("cwd")), os.getcwd())
