"""Shared pieces for extraction tests: a scripted session captured through the real hook
entry point, a fake model that answers in the expected XML, and settings helpers."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

from helpers.builders import configure, observation_xml
from helpers.fakes import FakeAnthropic, FakeOpenAI, Recorded, Response
from recall_plugin.capture.hook import main as hook

SESSION = "5e55a000-0000-4000-8000-000000000001"


def send(event: str, cwd: Path, session: str = SESSION, **fields: Any) -> None:
    payload = {"session_id": session, "cwd": str(cwd), "hook_event_name": event,
               "transcript_path": f"/tmp/{session}.jsonl", **fields}
    hook(event, io.BytesIO(json.dumps(payload).encode()))


def tool(cwd: Path, n: int, name: str, tool_input: dict[str, Any], response: Any,
         session: str = SESSION, prompt: str = "p1", failed: bool = False) -> None:
    event = "PostToolUseFailure" if failed else "PostToolUse"
    extra = {"error": "Exit code 1"} if failed else {"tool_response": response}
    send(event, cwd, session, tool_name=name, tool_input=tool_input, tool_use_id=f"toolu_{session[:4]}_{n}",
         prompt_id=prompt, **extra)


def turn(cwd: Path, prompt_id: str, text: str, session: str = SESSION, first: int = 0) -> None:
    """One user prompt, five tool calls (one failing), and Claude finishing its turn."""
    send("UserPromptSubmit", cwd, session, prompt=text, prompt_id=prompt_id)
    path = str(cwd / "src" / "retry.py")
    tool(cwd, first + 1, "Read", {"file_path": path},
         {"type": "text", "file": {"filePath": path, "content": "def retry():\n    pass\n",
                                   "numLines": 2, "totalLines": 2}}, session, prompt_id)
    tool(cwd, first + 2, "Edit", {"file_path": path, "old_string": "    pass",
                                  "new_string": "    return backoff(attempt)"}, {}, session, prompt_id)
    tool(cwd, first + 3, "Bash", {"command": "pytest -q tests/test_retry.py"},
         {"stdout": "1 passed", "stderr": ""}, session, prompt_id)
    tool(cwd, first + 4, "Bash", {"command": "ruff check src"}, None, session, prompt_id, failed=True)
    tool(cwd, first + 5, "Write", {"file_path": str(cwd / "NOTES.md"), "content": "retry: done\n"},
         {"type": "create", "filePath": "NOTES.md", "content": "retry: done\n", "originalFile": None},
         session, prompt_id)
    send("Stop", cwd, session, prompt_id=prompt_id, stop_hook_active=False,
         last_assistant_message="Retry now backs off.")


def use_openrouter(data_dir: Path, url: str, **more: object) -> None:
    values: dict[str, object] = {"PROVIDER": "openrouter", "OPENROUTER_API_KEY": "sk-or-v1-" + "0a" * 32,
                                 "OPENROUTER_BASE_URL": url, "FALLBACK_PROVIDER": "none",
                                 "RETRY_BASE_S": "0"}
    configure(data_dir, **{**values, **more})


def last_user_text(request: Recorded) -> str:
    body = request.body or {}
    if "messages" in body:
        content = body["messages"][-1]["content"]
    else:
        content = body["contents"][-1]["parts"][0]["text"]
    if isinstance(content, list):
        return "".join(b.get("text", "") for b in content if isinstance(b, dict))
    return content if isinstance(content, str) else json.dumps(content)


def model_answer(text: str, n: int) -> str:
    """What the fake models answer to a user turn: one observation, a summary when asked."""
    files = re.findall(r"\] (?:Edit|Write) (\S+)", text)
    return observation_xml(f"Observation {n}", files, "<summary>" in text)


class FakeModel(FakeOpenAI):
    """Answers every request with one observation (and a summary when asked for one),
    titled after the request number, with usage that grows with what was sent."""

    def default(self, request: Recorded) -> Response:
        reply = model_answer(last_user_text(request), len(self.requests))
        sent = sum(len(m["content"]) for m in (request.body or {}).get("messages", []))
        return self.reply(reply, prompt_tokens=sent // 4, completion_tokens=len(reply) // 4)


class FakeClaudeModel(FakeAnthropic):
    """``FakeModel`` on the Anthropic Messages API, reporting what the prompt cache would hold."""

    def __init__(self) -> None:
        super().__init__(prompt_cache=True)

    def answer(self, request: Recorded) -> str:
        return model_answer(last_user_text(request), len(self.requests))
