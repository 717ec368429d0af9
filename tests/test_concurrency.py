"""Many hooks at once: every event lands exactly once, no line is torn."""

from __future__ import annotations

import io
import json
import multiprocessing
import os
from pathlib import Path
from typing import Any

from helpers.hooks import ROOT, HookRunner, load_payloads, spooled

WORKERS = 8
CALLS = 500


def _worker(data_dir: str, worker: int, template: dict[str, Any], ready: Any) -> None:
    """One process calling the real hook entry point CALLS times (as hooks.json would)."""
    import sys

    sys.path.insert(0, str(ROOT))
    os.environ["CLAUDE_RECALL_DATA_DIR"] = data_dir
    from recall_plugin.capture.hook import main

    ready.wait()
    for call in range(CALLS):
        payload = dict(template, tool_use_id=f"toolu_w{worker}_c{call}",
                       tool_response={"stdout": f"worker {worker} call {call} " + "x" * 700})
        main("PostToolUse", io.BytesIO(json.dumps(payload).encode()))


def _post_tool_payload() -> dict[str, object]:
    [record] = [r for r in load_payloads("bash_inject") if r["event"] == "PostToolUse"]
    return dict(record["payload"])


def test_eight_processes_times_five_hundred_calls(data_dir: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    ready = ctx.Event()
    procs = [ctx.Process(target=_worker, args=(str(data_dir), w, _post_tool_payload(), ready))
             for w in range(WORKERS)]
    for proc in procs:
        proc.start()
    ready.set()
    for proc in procs:
        proc.join(timeout=300)
        assert proc.exitcode == 0
    # Under load a writer that waits too long for the lock writes a segment of its own.
    queue = data_dir / "queue"
    raw = b"".join(p.read_bytes() for p in [queue / "spool.jsonl", *queue.glob("segment-*.jsonl")])
    lines = raw.splitlines()
    assert len(lines) == WORKERS * CALLS
    events = [json.loads(line) for line in lines]  # a torn line would fail to parse
    assert len({e["key"] for e in events}) == WORKERS * CALLS

    from recall_plugin.queue.ingest import ingest
    from recall_plugin.store.db import open_store

    conn = open_store(str(data_dir))
    report = ingest(conn, str(data_dir))
    assert (report.inserted, report.duplicates, report.corrupt) == (4000, 0, 0)
    assert conn.execute("SELECT count(DISTINCT event_key) FROM events").fetchone()[0] == 4000


def test_real_launcher_processes_in_parallel(run_hook: HookRunner, data_dir: Path) -> None:
    """The same through `sh hooks/run` itself: 4 concurrent launchers x 15 calls."""
    from concurrent.futures import ThreadPoolExecutor

    template = _post_tool_payload()

    def call(n: int) -> int:
        return run_hook("PostToolUse", dict(template, tool_use_id=f"toolu_real_{n}")).returncode

    with ThreadPoolExecutor(4) as pool:
        assert set(pool.map(call, range(60))) == {0}
    assert sorted(e["tool_use_id"] for e in spooled(data_dir)) == sorted(
        f"toolu_real_{n}" for n in range(60))
