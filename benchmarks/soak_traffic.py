"""What the soak run (``soak.py``) sends and what answers it: each simulated session's hook
payloads in Claude Code's real format, the identity the store must show for each, and the
OpenAI-compatible fake that fails a share of its calls (429, 5xx, timeouts, dropped
connections, garbage)."""

from __future__ import annotations

import random
from typing import Any

from helpers.extraction import FakeModel
from helpers.fakes import FakeOpenAI, Recorded, Response

REQUEST_TIMEOUT_S = 2  # the extractor's request timeout during the soak
FAULTS = ("429", "500", "503", "timeout", "drop", "garbage", "not-json")


class ChaosModel(FakeModel):
    """FakeModel that fails a share of calls at random, in every way a provider fails."""

    def __init__(self, fail_rate: float, seed: int) -> None:
        super().__init__()
        self.fail_rate = fail_rate
        self.rng = random.Random(seed)
        self.faults: dict[str, int] = dict.fromkeys(FAULTS, 0)
        self.chaos = False
        # a SIGKILLed extractor resets its connection: expected here, not worth a traceback
        self.server.handle_error = lambda request, client_address: None  # type: ignore[method-assign]

    def next_response(self, request: Recorded) -> Response:
        with self.lock:
            fault = (self.rng.choice(FAULTS) if self.chaos and self.rng.random() < self.fail_rate
                     else None)
            if fault:
                self.faults[fault] += 1
                self.requests.append(request)
        if fault is None:
            return super().next_response(request)
        return _fault(fault)


def _fault(fault: str) -> Response:
    if fault == "429":
        return FakeOpenAI.error(429, "rate limited", retry_after="1")
    if fault in ("500", "503"):
        return FakeOpenAI.error(int(fault), "upstream trouble")
    if fault == "timeout":
        return Response(delay=REQUEST_TIMEOUT_S + 1.5)  # answered after the client gave up
    if fault == "drop":
        return Response(drop=True)
    if fault == "garbage":
        return FakeOpenAI.reply("Sorry, I cannot help with that. <obser")
    return Response(200, b"\x00\xffnot json {")


# -- payloads ---------------------------------------------------------------------------------
def session_payloads(index: int, events: int, cwd: str) -> list[tuple[str, dict[str, Any]]]:
    """``events`` hook calls of one session, shaped like the recorded real payloads."""
    sid = f"50a50000-0000-4000-8000-{index:012d}"
    base = {"session_id": sid, "cwd": cwd,
            "transcript_path": f"/tmp/soak/{sid}.jsonl"}
    out: list[tuple[str, dict[str, Any]]] = [
        ("SessionStart", {**base, "hook_event_name": "SessionStart", "source": "startup"})]
    turn = 0
    while len(out) < events - 1:
        turn += 1
        pid = f"{sid[-6:]}-p{turn}"
        common = {**base, "prompt_id": pid, "permission_mode": "bypassPermissions",
                  "effort": {"level": "medium"}}
        out.append(("UserPromptSubmit", {**base, "prompt_id": pid, "hook_event_name": "UserPromptSubmit",
                                         "permission_mode": "bypassPermissions",
                                         "prompt": f"turn {turn}: fix retry in module {turn % 7}"}))
        for n in range(1, 8):
            if len(out) >= events - 2:
                break
            out.append(_tool(common, f"toolu_{sid[-6:]}_{turn}_{n}", n, cwd, turn))
        out.append(("Stop", {**common, "hook_event_name": "Stop", "stop_hook_active": False,
                             "last_assistant_message": f"Turn {turn} of {sid[-4:]} done.",
                             "background_tasks": [], "session_crons": []}))
    out.append(("SessionEnd", {**base, "hook_event_name": "SessionEnd", "reason": "other",
                               "prompt_id": f"{sid[-6:]}-p{turn}"}))
    return out[:events] if len(out) > events else out


def _tool(common: dict[str, Any], use_id: str, n: int, cwd: str, turn: int) -> tuple[str, dict[str, Any]]:
    path = f"{cwd}/src/mod{turn % 7}.py"
    payload = {**common, "hook_event_name": "PostToolUse", "tool_use_id": use_id, "duration_ms": 12}
    if n == 1:
        payload |= {"tool_name": "Read", "tool_input": {"file_path": path},
                    "tool_response": {"type": "text", "file": {"filePath": path, "content": "x = 1\n" * 40,
                                                               "numLines": 40, "totalLines": 40}}}
    elif n == 2:
        payload |= {"tool_name": "Edit", "tool_input": {"file_path": path, "old_string": "x = 1",
                                                        "new_string": f"x = {turn}"},
                    "tool_response": {"filePath": path, "structuredPatch": []}}
    elif n == 3:
        payload |= {"tool_name": "Bash", "tool_input": {"command": "pytest -q"},
                    "tool_response": {"stdout": "3 passed", "stderr": "", "interrupted": False}}
    elif n == 4:
        payload |= {"hook_event_name": "PostToolUseFailure", "tool_name": "Bash",
                    "tool_input": {"command": "ruff check src"}, "error": "Exit code 1\nE501",
                    "is_interrupt": False}
        return "PostToolUseFailure", payload
    elif n == 5:
        payload |= {"tool_name": "Bash", "agent_id": f"a{turn:016x}", "agent_type": "general-purpose",
                    "tool_input": {"command": "git log --oneline -3"},
                    "tool_response": {"stdout": "abc123 fix\n", "stderr": "", "interrupted": False}}
    elif n == 6:
        payload |= {"tool_name": "Agent", "tool_input": {"description": "look around", "prompt": "find x"},
                    "tool_response": {"status": "completed", "content": [{"type": "text", "text": "found"}]}}
    else:
        payload |= {"tool_name": "Write", "tool_input": {"file_path": f"{cwd}/NOTES{turn}.md",
                                                         "content": "notes\n"},
                    "tool_response": {"type": "create", "filePath": f"{cwd}/NOTES{turn}.md",
                                      "content": "notes\n", "originalFile": None}}
    return "PostToolUse", payload


def identity(kind: str, payload: dict[str, Any]) -> tuple[str, str, str]:
    """What identifies one sent payload among the stored events."""
    sid = str(payload["session_id"])
    if kind in ("tool", "tool_failure"):
        return sid, kind, str(payload["tool_use_id"])
    if kind in ("prompt", "stop"):
        return sid, kind, str(payload["prompt_id"])
    return sid, kind, ""


KIND_OF = {"SessionStart": "session_start", "UserPromptSubmit": "prompt", "PostToolUse": "tool",
           "PostToolUseFailure": "tool_failure", "Stop": "stop", "SessionEnd": "session_end"}
