"""Shared pieces of the end-to-end suite: the real Claude Code CLI with the plugin, fake model
servers, and waits on the background extractor (found through /proc, by its data dir)."""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path
from typing import Any

from helpers.builders import observation_xml
from helpers.claude_cli import Claude, sdk_python
from helpers.fakes import FakeAnthropic, FakeOpenAI, Recorded, Response, Script, text_of
from helpers.hooks import ROOT
from helpers.store import rows

MCP_SEARCH = "mcp__plugin_recall_recall__search"
SECRET = "sk-ant-api03-" + "Q" * 90
PRIVATE = "PRIVATE-PLANS-ZEBRA-7731"


def wants_summary(body: Any) -> bool:
    return "<summary>" in json.dumps(body)


class TitledModel(FakeOpenAI):
    """OpenAI-compatible provider: one observation per call, titled ``<prefix> <n>``."""

    def __init__(self, prefix: str) -> None:
        super().__init__()
        self.prefix = prefix

    def default(self, request: Recorded) -> Response:
        last = (request.body or {}).get("messages", [{}])[-1].get("content", "")
        reply = observation_xml(f"{self.prefix} {len(self.requests)}", summary="<summary>" in str(last),
                                kind="feature")
        return self.reply(reply, prompt_tokens=500, completion_tokens=100)


class TitledAnthropic(FakeAnthropic):
    """The Messages API as the extraction provider (reached through the user's own CLI)."""

    def __init__(self, prefix: str) -> None:
        super().__init__()
        self.prefix = prefix

    def default(self, request: Recorded) -> Response:
        body = request.body if isinstance(request.body, dict) else {}
        last = text_of(body.get("messages", [{}])[-1].get("content", ""))
        reply = observation_xml(f"{self.prefix} {len(self.requests)}", summary="<summary>" in last,
                                kind="feature")
        return self.message(reply, model=body.get("model", "claude-haiku-4-5"))


class CompactScript(Script):
    """``Script`` that also answers Claude Code's /compact request with a fixed summary."""

    def answer(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        messages = body.get("messages", [])
        if messages and "Respond with TEXT ONLY" in text_of(messages[-1].get("content", "")):
            return [{"type": "text", "text": "COMPACTED-SUMMARY: retry work"}]
        return super().answer(body)


def plugin_env(data_dir: Path, model_url: str | None, **more: str) -> dict[str, str]:
    env = {"CLAUDE_RECALL_DATA_DIR": str(data_dir), "CLAUDE_RECALL_EXTRACTOR_IDLE_S": "1",
           "CLAUDE_RECALL_FALLBACK_PROVIDER": "none", "CLAUDE_RECALL_INDEX_MODE": "off",
           "CLAUDE_RECALL_RETRY_BASE_S": "0", "CLAUDE_RECALL_BATCH_WAIT_S": "1",
           "ENABLE_TOOL_SEARCH": "false"}
    if model_url is not None:
        env.update(CLAUDE_RECALL_PROVIDER="openrouter", CLAUDE_RECALL_OPENROUTER_BASE_URL=model_url,
                   CLAUDE_RECALL_OPENROUTER_API_KEY="sk-or-v1-" + "0a" * 32)
    env.update(more)
    return env


def inline_claude(base: Path, api_url: str, env: dict[str, str]) -> Claude:
    """A Claude runner whose ``--plugin-dir`` plugin (this checkout) has a ready environment."""
    claude = Claude(base, api_url, env)
    sdk_python(claude.ready_plugin_env("recall-inline") / "venv-test" / "bin")
    return claude


PLUGIN_ARGS = ("--plugin-dir", str(ROOT))


# -- the background extractor ------------------------------------------------------------------


def extractor_pids(data_dir: Path) -> list[int]:
    """Running ``recall_plugin extract`` processes working on ``data_dir``."""
    marker = f"CLAUDE_RECALL_DATA_DIR={data_dir}".encode()
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
            if b"recall_plugin\0extract" not in cmdline and b"recall_plugin extract" not in cmdline:
                continue
            if marker in Path(f"/proc/{entry}/environ").read_bytes().split(b"\0"):
                pids.append(int(entry))
        except OSError:
            continue
    return pids


def spool_lines(data_dir: Path) -> int:
    queue = data_dir / "queue"
    files = [*queue.glob("segment-*.jsonl"), queue / "spool.jsonl"]
    return sum(len(p.read_text().splitlines()) for p in files if p.exists())


def wait_until(check: Any, timeout: float, what: str, step: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(step)


def wait_extractor_done(data_dir: Path, timeout: float = 60) -> None:
    """No extractor for this data dir, twice in a row 0.3 s apart, and nothing left spooled."""

    def quiet() -> bool:
        if extractor_pids(data_dir) or spool_lines(data_dir):
            return False
        time.sleep(0.3)
        return not extractor_pids(data_dir)

    wait_until(quiet, timeout, f"the extractor of {data_dir}")


def titles(data_dir: Path) -> list[str]:
    return [r[0] for r in rows(data_dir, "SELECT title FROM observations ORDER BY id")]


def transcript(claude: Claude, session_id: str) -> list[dict[str, Any]]:
    path = next(claude.config_dir.glob(f"projects/*/{session_id}.jsonl"))
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def hook_attachments(lines: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [ln["attachment"] for ln in lines
            if ln.get("type") == "attachment" and ln.get("attachment", {}).get("type") == kind]


def files_text(root: Path) -> str:
    """Every regular file under ``root``, as text (SQLite WAL and journal included)."""
    out = []
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            out.append(path.read_bytes().decode("utf-8", "replace"))
    return "\n".join(out)


def request_dump(requests: list[Any]) -> str:
    return "\n".join(json.dumps(getattr(r, "body", r)) for r in requests)


def strip_ws(text: str) -> str:
    return re.sub(r"\s+", " ", text)
