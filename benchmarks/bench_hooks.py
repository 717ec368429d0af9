"""Hook latency, measured the way Claude Code runs the hooks.

Each hook runs as hooks.json runs it (``sh hooks/run EVENT`` with the plugin environment's
interpreter), fed a real recorded payload, RUNS times, first with an empty queue and then with
100,000 events already spooled. Printed next to a bare ``python -c pass`` of the same
interpreter. Then UserPromptSubmit again with 100,000 observations in the store (the per-prompt memory
search). Usage: ``python benchmarks/bench_hooks.py [--runs 50] [--queued 100000]
[--observations 100000]``.

``--adversarial`` instead prints the worst hook time over RUNS for hostile inputs: 7.9 MB
dense with secret-like matches, 1.3 M tiny strings, JSON nested 100k deep, invalid UTF-8, a
settings.json that is a FIFO, and a 200 MB settings.json (target: every hook under 1 s).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PYTHON = os.path.realpath(sys.executable)
EVENTS = ("SessionStart", "UserPromptSubmit", "PostToolUse", "PostToolUseFailure", "Stop",
          "SessionEnd")
TARGETS = {"UserPromptSubmit": (25, 50), "PostToolUse": (25, 50), "PostToolUse*": (25, 50),
           "PostToolUseFailure": (25, 50),
           "SessionEnd": (300, 300)}


def payloads() -> dict[str, dict[str, object]]:
    found: dict[str, dict[str, object]] = {}
    for name in ("multi_tool", "bash_inject"):
        for line in (ROOT / "tests" / "fixtures" / "payloads" / f"{name}.jsonl").read_text().splitlines():
            record = json.loads(line)
            found.setdefault(record["event"], record["payload"])
    return found


def plugin_data(base: Path) -> Path:
    from recall_plugin.runtime import bootstrap

    data = base / "plugin-data"
    (data / "venv-bench" / "bin").mkdir(parents=True)
    (data / "venv-bench" / "bin" / "python").symlink_to(PYTHON)
    (data / "venv-bench" / bootstrap.STAMP).write_text(bootstrap.env_key(str(ROOT)))
    (data / "venv").symlink_to("venv-bench")
    return data


def timed(argv: list[str], stdin: bytes, env: dict[str, str], cwd: Path,
          timeout: float | None = None) -> float:
    start = time.perf_counter()
    try:
        subprocess.run(argv, input=stdin, env=env, cwd=cwd, check=True, timeout=timeout,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return float("inf")  # the hook never returned (Claude Code would kill it)
    return (time.perf_counter() - start) * 1000


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


# A tool call whose output holds words the secret rules look for (key=, token, password):
# the privacy filter then loads its regular expressions, the slower path.
SECRETISH = {"stdout": "config.py:12: api_key = os.environ['API_KEY']\n"
                       "auth.py:40: token = session.get('token')\nDB_PASSWORD=hunter2\n",
             "stderr": ""}


def bench_event(event: str, payload: dict[str, object], runs: int, env: dict[str, str],
                cwd: Path) -> list[float]:
    samples = []
    for n in range(runs):
        body = dict(payload, tool_use_id=f"toolu_bench_{n}", prompt_id=f"prompt-bench-{n}",
                    cwd=str(cwd))
        samples.append(timed(["sh", str(ROOT / "hooks" / "run"), event],
                             json.dumps(body).encode(), env, cwd))
    return samples


def fill_queue(data_dir: Path, count: int, template: dict[str, object]) -> None:
    line = json.dumps(dict(template, kind="tool", key="k", v=1, ts="2026-11-21T00:00:00Z"))
    queue = data_dir / "queue"
    queue.mkdir(parents=True, exist_ok=True)
    with open(queue / "spool.jsonl", "w") as handle:
        for n in range(count):
            handle.write(line.replace('"key": "k"', f'"key": "bench:{n}"') + "\n")


def run_round(label: str, runs: int, env: dict[str, str], cwd: Path) -> dict[str, tuple[float, float]]:
    results = {}
    for event, payload in ((e, payloads()[e]) for e in EVENTS):
        results[event] = percentiles(bench_event(event, payload, runs, env, cwd))
    secretish = dict(payloads()["PostToolUse"], tool_name="Bash", tool_response=SECRETISH,
                     tool_input={"command": "grep -rn 'key\\|token\\|PASSWORD' ."})
    results["PostToolUse*"] = percentiles(bench_event("PostToolUse", secretish, runs, env, cwd))
    print(f"\n{label}  (PostToolUse*: output with secret-like words, the regex path)")
    print(f"  {'hook':<20} {'p50 ms':>8} {'p95 ms':>8}   target p50/p95")
    for event, (p50, p95) in results.items():
        target = TARGETS.get(event)
        verdict = ""
        if target:
            met = p50 <= target[0] and p95 <= target[1]
            verdict = f"{target[0]}/{target[1]}  " + ("ok" if met else "MISSED")
        print(f"  {event:<20} {p50:8.1f} {p95:8.1f}   {verdict}")
    return results


PROMPTS = ("the oauth token refresh broke again in client_server_17", "run the tests again",
           "why did the sqlite write-ahead logging change", "thanks, that works",
           "look at the flaky integration test in queue_handler_5", "commit this")


def prompt_round(observations: int, runs: int, env: dict[str, str], cwd: Path, base: Path) -> None:
    """UserPromptSubmit with ``observations`` in the store: the per-prompt search included."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_recall import build  # type: ignore[import-not-found]

    build(base / "data", 0, observations)
    env = dict(env, CLAUDE_RECALL_PROJECT="shop-api")
    samples, injected = [], 0
    for n in range(runs):
        body = dict(payloads()["UserPromptSubmit"], prompt=PROMPTS[n % len(PROMPTS)],
                    prompt_id=f"prompt-obs-{n}", session_id=f"bench-{n}", cwd=str(cwd))
        start = time.perf_counter()
        out = subprocess.run(["sh", str(ROOT / "hooks" / "run"), "UserPromptSubmit"],
                             input=json.dumps(body).encode(), env=env, cwd=cwd, check=True,
                             capture_output=True).stdout
        samples.append((time.perf_counter() - start) * 1000)
        injected += bool(out.strip())
    p50, p95 = percentiles(samples)
    print(f"\n{observations:,} observations in the store (per-prompt memory on)")
    print(f"  {'UserPromptSubmit':<20} {p50:8.1f} {p95:8.1f}   25/50  "
          + ("ok" if p50 <= 25 and p95 <= 50 else "MISSED") + f"   ({injected}/{runs} prompts injected)")


def baseline(runs: int, cwd: Path) -> None:
    for label, argv in (("python -c pass", [PYTHON, "-c", "pass"]),
                        ("python -S -c pass", [PYTHON, "-S", "-c", "pass"])):
        p50, p95 = percentiles([timed(argv, b"", dict(os.environ), cwd) for _ in range(runs)])
        print(f"  {label:<20} {p50:8.1f} {p95:8.1f}")


def hostile_inputs() -> dict[str, bytes]:
    def tool(response: object) -> bytes:
        return json.dumps({"hook_event_name": "PostToolUse", "session_id": "adv",
                           "tool_name": "Bash", "tool_use_id": "t", "tool_input": {"command": "x"},
                           "tool_response": response}).encode()

    dense_line = "api_key=sk-ant-api03-Xq9Lm2Aa7 token: Bearer abcDEF1234567890xyz password=pw1 "
    dense = (dense_line * (7_900_000 // len(dense_line)))
    return {
        "7.9 MB dense with secret-like matches": tool({"stdout": dense}),
        "dense, as 7,900 fields of 1 KB": tool({"stdout": [dense[:1000]] * 7_900}),
        "1.3 M tiny strings": tool({"lines": ["ab"] * 1_300_000}),
        "JSON nested 100k deep": tool(None).replace(b'"tool_response": null',
                                                   b'"tool_response": ' + b"[" * 100_000
                                                   + b"1" + b"]" * 100_000),
        "invalid UTF-8": tool({"stdout": "x"}).replace(b'"x"', b'"\xff\xfe caf\xe9"'),
    }


def adversarial(runs: int, env: dict[str, str], cwd: Path, data: Path) -> None:
    print(f"\nadversarial inputs (worst of {runs} runs; target < 1000 ms)")
    for label, body in hostile_inputs().items():
        worst = max(timed(["sh", str(ROOT / "hooks" / "run"), "PostToolUse"], body, env, cwd, 10)
                    for _ in range(runs))
        print(f"  {label:<40} {worst:8.1f} ms")
    data.mkdir(parents=True, exist_ok=True)
    settings_file = data / "settings.json"
    small = json.dumps({"hook_event_name": "PostToolUse", "session_id": "adv", "tool_name": "Bash",
                        "tool_use_id": "t", "tool_response": {"stdout": "ok"}}).encode()
    for label in ("settings.json is a FIFO", "settings.json of 200 MB"):
        if "FIFO" in label:
            os.mkfifo(settings_file)
        else:
            settings_file.touch()
            os.truncate(settings_file, 200_000_000)  # sparse: instant, yet 200 MB to a reader
        worst = max(timed(["sh", str(ROOT / "hooks" / "run"), "PostToolUse"], small, env, cwd, 10)
                    for _ in range(runs))
        print(f"  {label:<40} {worst:8.1f} ms")
        settings_file.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--queued", type=int, default=100_000)
    parser.add_argument("--observations", type=int, default=100_000,
                        help="observations in the store for the per-prompt round (0: skip it)")
    parser.add_argument("--adversarial", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        cwd = base / "project"
        cwd.mkdir()
        # The hook alone: no background extractor competing for the 2 cores meanwhile.
        env = dict(os.environ, CLAUDE_RECALL_DATA_DIR=str(base / "data"), HOME=str(base),
                   CLAUDE_RECALL_AUTO_EXTRACT="false",
                   CLAUDE_PLUGIN_ROOT=str(ROOT), CLAUDE_PLUGIN_DATA=str(plugin_data(base)))
        print(f"interpreter {PYTHON}, {args.runs} runs per hook, {os.cpu_count()} cores")
        if args.adversarial:
            adversarial(args.runs, env, cwd, base / "data")
            return
        print("\nbaseline (same interpreter)")
        baseline(args.runs, cwd)
        run_round("empty queue", args.runs, env, cwd)
        fill_queue(base / "data", args.queued, payloads()["PostToolUse"])
        run_round(f"{args.queued:,} events queued", args.runs, env, cwd)
        if args.observations:
            prompt_round(args.observations, args.runs, env, cwd, base)


if __name__ == "__main__":
    main()
