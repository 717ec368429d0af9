"""Tokens spent by extraction: batching against the naive scheme, on one long session.

A session of 20 prompts and 220 tool calls (reads of real-sized files, edits, test runs,
failures, greps, writes) is captured through the real hook entry point, then extracted twice
through a local OpenAI-compatible fake that answers like a model and counts what it is sent:
once as claude-recall does it (events batched per turn, each request extending the last) and
once naively (one call per event, full history), with the same window settings. The batched
run is repeated against a fake Anthropic Messages API that reports what Claude's prompt cache
would read (``cache_read_input_tokens``), giving the share of input tokens read from the cache.
Usage: ``python benchmarks/bench_extract.py [--prompts 20] [--tools-per-prompt 11]``.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from helpers.extraction import FakeClaudeModel, FakeModel  # noqa: E402

from recall_plugin import settings  # noqa: E402
from recall_plugin.capture.hook import main as hook  # noqa: E402
from recall_plugin.extract.runner import Extractor  # noqa: E402
from recall_plugin.store.db import open_store  # noqa: E402

SESSION = "be4c0000-0000-4000-8000-00000000beef"
WORDS = ("retry", "backoff", "client", "session", "token", "parse", "render", "queue", "store",
         "index", "event", "batch", "window", "config", "handler", "request", "reply", "cache")


def code(rng: random.Random, lines: int) -> str:
    out = []
    for n in range(lines):
        a, b = rng.choice(WORDS), rng.choice(WORDS)
        out.append(rng.choice([f"def {a}_{b}(self, {b}):", f"    {a} = self.{b}.get({n})",
                               f"    if not {a}:", f"        return {b}_{n}", "",
                               f"class {a.title()}{b.title()}:", f"    # {a} then {b}"]))
    return "\n".join(out) + "\n"


def tool_call(rng: random.Random, n: int, repo: Path) -> tuple[str, dict[str, Any], Any]:
    path = str(repo / "src" / f"{rng.choice(WORDS)}_{rng.choice(WORDS)}.py")
    kind = n % 11
    if kind in (0, 1, 2):
        text = code(rng, rng.randint(60, 160))
        return "Read", {"file_path": path}, {"type": "text", "file": {
            "filePath": path, "content": text, "numLines": text.count("\n"), "totalLines": 400}}
    if kind in (3, 4):
        old = code(rng, rng.randint(3, 12))
        return "Edit", {"file_path": path, "old_string": old, "new_string": old.replace("if not", "if")}, {}
    if kind in (5, 6):
        out = "".join(f"tests/test_{rng.choice(WORDS)}.py::test_{n}_{i} PASSED\n" for i in range(30))
        return "Bash", {"command": "pytest -q tests"}, {"stdout": out + "30 passed", "stderr": ""}
    if kind == 7:
        hits = "".join(f"{path}:{i}:    {rng.choice(WORDS)} = {rng.choice(WORDS)}\n" for i in range(20))
        return "Grep", {"pattern": rng.choice(WORDS), "path": "src"}, {"content": hits}
    if kind == 8:
        text = code(rng, 40)
        return "Write", {"file_path": path, "content": text}, {"type": "create", "filePath": path,
                                                               "content": text, "originalFile": None}
    if kind == 9:
        return "Bash", {"command": "ruff check src"}, None  # a failure
    return "Glob", {"pattern": "src/**/*.py"}, {"filenames": [f"src/{w}.py" for w in WORDS]}


def send(event: str, repo: Path, **fields: Any) -> None:
    payload = {"session_id": SESSION, "cwd": str(repo), "hook_event_name": event, **fields}
    hook(event, io.BytesIO(json.dumps(payload).encode()))


def record_session(repo: Path, prompts: int, per_prompt: int) -> int:
    rng, tools = random.Random(7), 0
    send("SessionStart", repo, source="startup")
    for p in range(prompts):
        prompt_id = f"prompt-{p}"
        send("UserPromptSubmit", repo, prompt=f"step {p}: make the {rng.choice(WORDS)} "
             f"{rng.choice(WORDS)} handle errors", prompt_id=prompt_id)
        for _ in range(per_prompt):
            name, tool_input, response = tool_call(rng, tools, repo)
            failed = response is None
            send("PostToolUseFailure" if failed else "PostToolUse", repo, tool_name=name,
                 tool_input=tool_input, tool_use_id=f"toolu_{tools}", prompt_id=prompt_id,
                 **({"error": "Exit code 1\nsrc/x.py:3:1: F401 unused import"} if failed
                    else {"tool_response": response}))
            tools += 1
        send("Stop", repo, prompt_id=prompt_id, last_assistant_message=f"Done with step {p}.")
    send("SessionEnd", repo, reason="other")
    return tools


def run(data_dir: Path, url: str, provider: str = "openrouter", **values: str) -> dict[str, float]:
    os.environ["CLAUDE_RECALL_DATA_DIR"] = str(data_dir)
    upper = provider.upper()
    for name, value in {"PROVIDER": provider, f"{upper}_BASE_URL": url,
                        f"{upper}_API_KEY": "sk-or-v1-" + "0" * 64, "FALLBACK_PROVIDER": "none",
                        **values}.items():
        settings.set_value(str(data_dir), f"CLAUDE_RECALL_{name}", value)
    started = time.perf_counter()
    extractor = Extractor(str(data_dir), drain=True)
    outcome = extractor.run(idle_s=0)
    extractor.close()
    wall = time.perf_counter() - started
    row = open_store(str(data_dir)).execute(
        "SELECT count(*), sum(input_tokens), sum(output_tokens), sum(cache_read_tokens)"
        " FROM provider_calls").fetchone()
    return {"calls": row[0], "input": row[1], "output": row[2], "cache_read": row[3], "wall": wall,
            "remaining": outcome.remaining}


def report(label: str, r: dict[str, float], tools: int) -> None:
    print(f"  {label:<10} {r['calls']:>6} {r['input']:>12,} {r['output']:>10,} "
          f"{r['input'] / tools:>12,.0f} {r['wall']:>8.1f}s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=20)
    parser.add_argument("--tools-per-prompt", type=int, default=11)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, FakeModel() as model, FakeClaudeModel() as claude:
        base = Path(tmp)
        (base / "repo" / "src").mkdir(parents=True)
        os.environ.update(CLAUDE_RECALL_DATA_DIR=str(base / "batched"), HOME=tmp,
                          CLAUDE_RECALL_AUTO_EXTRACT="false")
        tools = record_session(base / "repo", args.prompts, args.tools_per_prompt)
        shutil.copytree(base / "batched", base / "naive")
        shutil.copytree(base / "batched", base / "claude")
        batched = run(base / "batched", model.url)
        cached = run(base / "claude", claude.url, "claude")
        naive = run(base / "naive", model.url, BATCH_MAX_EVENTS="1", HISTORY_DIGESTS="false")
    print(f"one session: {args.prompts} prompts, {tools} tool calls; default windows "
          "(14 messages; OpenRouter 32,768-token context, Claude 100,000-token budget)")
    print(f"  {'scheme':<10} {'calls':>6} {'input tok':>12} {'output tok':>10} "
          f"{'in/tool call':>12} {'wall':>9}")
    report("batched", batched, tools)
    report("naive", naive, tools)
    report("claude", cached, tools)
    ratio = batched["input"] / naive["input"]
    print(f"batched/naive input tokens: {ratio:.2f} (target <= 0.33); "
          f"{batched['input'] / tools:,.0f} input tokens per tool call (target < 3,000)")
    print(f"Claude prompt cache: {cached['cache_read']:,} of {cached['input']:,} input tokens read "
          f"from the cache ({cached['cache_read'] / cached['input']:.0%})")


if __name__ == "__main__":
    main()
