"""Soak and chaos run: concurrent sessions through the real hooks, a failing provider, a
killed extractor and a full disk; then checks that every captured event is accounted for.

    .venv/bin/python benchmarks/soak.py --sessions 20 --events 1000 --seconds 600

What it exercises, honestly:

* N simulated sessions fire real-format hook payloads (shaped like ``tests/fixtures/payloads``:
  prompts, tool calls, failures, subagent calls with ``agent_id``, stops, session ends) through
  ``sh hooks/run EVENT``, with ``CLAUDE_PLUGIN_DATA/venv/bin/python`` linked to this interpreter
  and its stamp ready, so every hook may spawn the real background extractor.
* A local OpenAI-compatible fake (the ``openrouter`` provider, no fallback) fails ``--fail-rate``
  of its calls at random: 429 with Retry-After: 1, 500, 503, replies slower than the request
  timeout, dropped connections, and garbage (non-JSON and non-XML) replies.
* The extractor holding ``extractor.lock`` is SIGKILLed at random intervals.
* Disk full: when run as root and ``mount -t tmpfs`` works, the data dir lives on a small tmpfs
  which is filled to ENOSPC once for ``--disk-full-s`` seconds and then freed. Hooks that run in
  that window cannot store their event (there is nowhere to put it): those are counted as
  "refused (ENOSPC)", separately from "lost" (an event acknowledged outside that window that
  never reached the store, which must be 0). Without tmpfs the phase is skipped and said so.

At the end the provider is made healthy and ``claude-recall extract`` drains the queue.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from benchmarks.soak_traffic import (  # noqa: E402
    KIND_OF,
    REQUEST_TIMEOUT_S,
    ChaosModel,
    identity,
    session_payloads,
)
from recall_plugin.runtime import bootstrap  # noqa: E402

PYTHON = os.path.realpath(sys.executable)


@dataclass
class Config:
    sessions: int = 4
    events: int = 150
    seconds: float = 20.0
    kill_min_s: float = 20.0
    kill_max_s: float = 40.0
    fail_rate: float = 0.2
    disk_full: bool = True
    disk_full_s: float = 3.0
    quiet_events: int = 30
    seed: int = 1
    workdir: str | None = None
    keep: bool = False


# -- the run ----------------------------------------------------------------------------------
@dataclass
class Sent:
    ident: tuple[str, str, str]
    started: float
    ended: float
    storm: bool


@dataclass
class State:
    sent: list[Sent] = field(default_factory=list)
    kills: int = 0
    disk_full: tuple[float, float] | None = None
    disk_note: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)


class Soak:
    def __init__(self, conf: Config) -> None:
        self.conf = conf
        self.rng = random.Random(conf.seed)
        self.work = Path(conf.workdir or tempfile.mkdtemp(prefix="recall-soak-"))
        self.data = self.work / "data"
        self.plugin_data = self.work / "plugin-data"
        self.cwd = self.work / "project"
        self.mounted = False
        self.state = State()

    # setup / teardown
    def setup(self, url: str) -> None:
        self.cwd.mkdir(parents=True, exist_ok=True)
        self.data.mkdir(parents=True, exist_ok=True)
        venv = self.plugin_data / "venv-soak"
        (venv / "bin").mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            (venv / "bin" / "python").symlink_to(PYTHON)
        if sys.prefix != sys.base_prefix:  # share this venv's packages: the extractor needs them
            shutil.copy(Path(sys.prefix) / "pyvenv.cfg", venv / "pyvenv.cfg")
            with contextlib.suppress(FileExistsError):
                (venv / "lib").symlink_to(Path(sys.prefix) / "lib")
        (venv / bootstrap.STAMP).write_text(bootstrap.env_key(str(ROOT)) + "\n")
        with contextlib.suppress(FileExistsError):
            (self.plugin_data / "venv").symlink_to("venv-soak")
        if self.conf.disk_full:
            self._mount()
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith(("CLAUDE_PLUGIN", "CLAUDE_RECALL_"))}
        self.env.update({
            "CLAUDE_PLUGIN_ROOT": str(ROOT), "CLAUDE_PLUGIN_DATA": str(self.plugin_data),
            "CLAUDE_RECALL_DATA_DIR": str(self.data), "HOME": str(self.work / "home"),
            "CLAUDE_CONFIG_DIR": str(self.work / "home" / ".claude"),
            "CLAUDE_RECALL_AUTO_EXTRACT": "true", "CLAUDE_RECALL_PROVIDER": "openrouter",
            "CLAUDE_RECALL_OPENROUTER_API_KEY": "sk-or-v1-" + "0a" * 32,
            "CLAUDE_RECALL_OPENROUTER_BASE_URL": url, "CLAUDE_RECALL_FALLBACK_PROVIDER": "none",
            "CLAUDE_RECALL_RETRY_BASE_S": "0", "CLAUDE_RECALL_MAX_ATTEMPTS": "1000",
            "CLAUDE_RECALL_REQUEST_TIMEOUT_S": str(REQUEST_TIMEOUT_S),
            "CLAUDE_RECALL_EXTRACTOR_IDLE_S": "2", "CLAUDE_RECALL_BATCH_WAIT_S": "2",
            "CLAUDE_RECALL_INDEX_MODE": "off", "CLAUDE_RECALL_PROJECT": "soak",
            "CLAUDE_RECALL_CONTEXT_ENABLED": "false",
        })

    def _mount(self) -> None:
        if os.geteuid() != 0 or not shutil.which("mount"):
            self.state.disk_note = "skipped: not root, no tmpfs to fill"
            return
        size = max(64, self.conf.sessions * self.conf.events // 40 + 48)
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}m,mode=0700", "tmpfs",
                               str(self.data)], capture_output=True, text=True)
        if done.returncode != 0:
            self.state.disk_note = f"skipped: mount -t tmpfs failed ({done.stderr.strip()})"
            return
        self.mounted = True
        self.state.disk_note = f"data dir on a {size} MB tmpfs, filled to ENOSPC once"

    def teardown(self) -> None:
        if self.mounted:
            subprocess.run(["umount", "-l", str(self.data)], check=False)
        if not self.conf.keep:
            shutil.rmtree(self.work, ignore_errors=True)

    # hooks
    def hook(self, event: str, payload: dict[str, Any], storm: bool) -> None:
        started = time.monotonic()
        subprocess.run(["sh", str(ROOT / "hooks" / "run"), event], input=json.dumps(payload).encode(),
                       capture_output=True, cwd=self.cwd, env=self.env, timeout=60, check=False)
        ended = time.monotonic()
        with self.state.lock:
            self.state.sent.append(Sent(identity(KIND_OF[event], payload), started, ended, storm))

    def session(self, index: int, events: int, storm: bool, pace: float) -> None:
        rng = random.Random(self.conf.seed * 1000 + index)
        for event, payload in session_payloads(index, events, str(self.cwd)):
            self.hook(event, payload, storm)
            if pace:
                time.sleep(rng.uniform(0, 2 * pace))

    # chaos
    def killer(self) -> None:
        lock = self.data / "extractor.lock"
        while not self.state.stop.wait(self.rng.uniform(self.conf.kill_min_s, self.conf.kill_max_s)):
            pid = _extractor_pid(lock)
            if pid:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                    self.state.kills += 1

    def fill_disk(self, at: float) -> None:
        if not self.mounted or self.state.stop.wait(at):
            return
        filler = self.data / "filler.bin"
        started = time.monotonic()
        with contextlib.suppress(OSError), open(filler, "wb", buffering=0) as handle:
            for chunk in (1 << 20, 1 << 16, 1 << 12, 1 << 9, 1):
                with contextlib.suppress(OSError):
                    while True:
                        handle.write(b"\0" * chunk)
        self.state.stop.wait(self.conf.disk_full_s)
        filler.unlink(missing_ok=True)
        self.state.disk_full = (started, time.monotonic())

    # the whole run
    def run(self) -> dict[str, Any]:
        conf = self.conf
        with ChaosModel(conf.fail_rate, conf.seed) as fake:
            assert isinstance(fake, ChaosModel)
            self.setup(fake.url)
            try:
                # quiet: one session, one hook at a time, healthy provider, nothing killed
                self.session(conf.sessions, conf.quiet_events, storm=False, pace=0.0)
                fake.chaos = True
                pace = max(0.0, conf.seconds / max(conf.events, 1) - 0.05)
                threads = [threading.Thread(target=self.session, args=(i, conf.events, True, pace))
                           for i in range(conf.sessions)]
                fill_at = max(conf.seconds * 0.4, 2.0)
                chaos = [threading.Thread(target=self.killer, daemon=True),
                         threading.Thread(target=self.fill_disk, args=(fill_at,), daemon=True)]
                began = time.monotonic()
                for t in threads + chaos:
                    t.start()
                for t in threads:
                    t.join()
                storm_s = time.monotonic() - began
                self.state.stop.set()
                for t in chaos:
                    t.join()
                fake.chaos = False
                drain = self.drain()
                leftover = self.wait_for_extractors()
                result = self.account(fake, drain, leftover, storm_s)
            finally:
                self.state.stop.set()
                fake.chaos = False
                self.teardown_processes()
                report_dir = str(self.work)
                self.teardown()
        result["workdir"] = report_dir if conf.keep else "(removed)"
        return result

    def drain(self) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([PYTHON, "-m", "recall_plugin", "extract"], env={
            **self.env, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=600,
            cwd=self.cwd, check=False)
        if done.returncode != 0:  # one attempt per batch per run: a batch killed mid-call retries
            done = subprocess.run([PYTHON, "-m", "recall_plugin", "extract"], env={
                **self.env, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=600,
                cwd=self.cwd, check=False)
        return done

    def wait_for_extractors(self, timeout: float = 30.0) -> list[int]:
        deadline = time.monotonic() + timeout
        while True:
            pids = _extractors(str(self.data))
            if not pids or time.monotonic() > deadline:
                return pids
            time.sleep(0.2)

    def teardown_processes(self) -> None:
        for pid in _extractors(str(self.data)):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    # accounting
    def account(self, fake: ChaosModel, drain: subprocess.CompletedProcess[str], leftover: list[int],
                storm_s: float) -> dict[str, Any]:
        conn = sqlite3.connect(self.data / "recall.db")
        conn.row_factory = sqlite3.Row
        rows = conn.execute("SELECT id, session_id, kind, tool_use_id, prompt_id, state, last_error"
                            " FROM events").fetchall()
        stored: dict[tuple[str, str, str], list[sqlite3.Row]] = {}
        for row in rows:
            key_part = row["tool_use_id"] if row["kind"] in ("tool", "tool_failure") else (
                row["prompt_id"] if row["kind"] in ("prompt", "stop") else "")
            stored.setdefault((row["session_id"], row["kind"], key_part or ""), []).append(row)
        sent = self.state.sent
        window = self.state.disk_full
        refused = lost = 0
        for item in sent:
            if item.ident in stored:
                continue
            in_window = window is not None and item.ended >= window[0] and item.started <= window[1]
            refused, lost = (refused + 1, lost) if in_window else (refused, lost + 1)
        sources: dict[int, set[str]] = {}
        for obs in conn.execute("SELECT source_event_ids, batch_key FROM observations"):
            for event_id in json.loads(obs["source_event_ids"]):
                sources.setdefault(int(event_id), set()).add(obs["batch_key"])
        states: dict[str, int] = {}
        for row in rows:
            states[row["state"]] = states.get(row["state"], 0) + 1
        unaccounted = [r["id"] for r in rows if r["state"] not in ("done", "dead", "skipped")
                       or (r["state"] == "dead" and not r["last_error"])]
        calls = conn.execute("SELECT count(*), sum(status = 'error') FROM provider_calls").fetchone()
        dead_reasons = sorted({str(r["last_error"])[:60] for r in rows if r["state"] == "dead"})
        result = {
            "events in": len(sent),
            "events stored": len(rows),
            "events processed": states.get("done", 0) + states.get("skipped", 0),
            "dead": states.get("dead", 0),
            "dead reasons": dead_reasons,
            "unaccounted": len(unaccounted),
            "duplicates": sum(len(v) - 1 for v in stored.values())
            + sum(1 for keys in sources.values() if len(keys) > 1),
            "lost": lost,
            "refused (ENOSPC)": refused,
            "corrupt lines": _count_lines(self.data / "queue" / "corrupt.jsonl"),
            "integrity": conn.execute("PRAGMA integrity_check").fetchone()[0],
            "retries": int(calls[1] or 0),
            "provider calls": len(fake.requests),
            "injected faults": dict(fake.faults),
            "extractor kills": self.state.kills,
            "extractors left": len(leftover),
            "disk full": self.state.disk_note + (
                f" for {window[1] - window[0]:.1f} s" if window else ""),
            "drain exit": drain.returncode,
            "drain tail": (drain.stdout + drain.stderr).strip().splitlines()[-2:],
            "storm s": round(storm_s, 1),
            "hook quiet": _percentiles([s for s in sent if not s.storm]),
            "hook storm": _percentiles([s for s in sent if s.storm]),
        }
        conn.close()
        return result


def problems(result: dict[str, Any]) -> list[str]:
    """What the run must show; empty when it passed."""
    out = []
    for name in ("lost", "duplicates", "unaccounted", "corrupt lines", "extractors left"):
        if result[name]:
            out.append(f"{name}: {result[name]}")
    if result["integrity"] != "ok":
        out.append(f"integrity_check: {result['integrity']}")
    if result["events stored"] + result["refused (ENOSPC)"] != result["events in"]:
        out.append("events stored + refused != events in")
    if result["drain exit"] != 0:
        out.append(f"final drain exited {result['drain exit']}: {result['drain tail']}")
    return out


def _percentiles(items: list[Sent]) -> tuple[float, float]:
    times = sorted((s.ended - s.started) * 1000 for s in items)
    if not times:
        return (0.0, 0.0)
    p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
    return (round(statistics.median(times), 1), round(p95, 1))


def _count_lines(path: Path) -> int:
    try:
        return sum(1 for line in path.read_bytes().splitlines() if line.strip())
    except FileNotFoundError:
        return 0


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _extractor_pid(lock: Path) -> int | None:
    try:
        pid = int(lock.read_text().strip() or 0)
    except (OSError, ValueError):
        return None
    return pid if pid and b"recall_plugin\0extract" in _cmdline(pid) else None


def _extractors(data_dir: str) -> list[int]:
    """Live extractor processes working on ``data_dir``."""
    found = []
    marker = f"CLAUDE_RECALL_DATA_DIR={data_dir}\0".encode()
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == os.getpid():
            continue
        if b"recall_plugin\0extract" not in _cmdline(int(name)):
            continue
        try:
            environ = Path(f"/proc/{name}/environ").read_bytes() + b"\0"
            status = Path(f"/proc/{name}/stat").read_text().split()[2]
        except OSError:
            continue
        if marker in environ and status != "Z":
            found.append(int(name))
    return found


def table(result: dict[str, Any]) -> str:
    quiet, storm = result["hook quiet"], result["hook storm"]
    rows = [
        ("events in", result["events in"]), ("events stored", result["events stored"]),
        ("events processed", result["events processed"]), ("dead", result["dead"]),
        ("unaccounted", result["unaccounted"]), ("duplicates", result["duplicates"]),
        ("lost", result["lost"]), ("refused (ENOSPC)", result["refused (ENOSPC)"]),
        ("corrupt lines", result["corrupt lines"]), ("integrity_check", result["integrity"]),
        ("retries (failed calls)", result["retries"]), ("provider calls", result["provider calls"]),
        ("injected faults", ", ".join(f"{k} {v}" for k, v in result["injected faults"].items())),
        ("extractor SIGKILLs", result["extractor kills"]),
        ("extractors left", result["extractors left"]), ("disk full", result["disk full"]),
        ("hook p50/p95 quiet (ms)", f"{quiet[0]} / {quiet[1]}"),
        ("hook p50/p95 storm (ms)", f"{storm[0]} / {storm[1]}"),
        ("storm wall time (s)", result["storm s"]),
    ]
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--events", type=int, default=1000, help="hook calls per session")
    parser.add_argument("--seconds", type=float, default=600, help="spread each session over this long")
    parser.add_argument("--kill-every", type=float, nargs=2, default=(20.0, 40.0), metavar=("MIN", "MAX"))
    parser.add_argument("--fail-rate", type=float, default=0.2)
    parser.add_argument("--no-disk-full", action="store_true")
    parser.add_argument("--disk-full-s", type=float, default=3.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the work dir for inspection")
    args = parser.parse_args(argv)
    conf = Config(sessions=args.sessions, events=args.events, seconds=args.seconds,
                  kill_min_s=args.kill_every[0], kill_max_s=args.kill_every[1], fail_rate=args.fail_rate,
                  disk_full=not args.no_disk_full, disk_full_s=args.disk_full_s, seed=args.seed,
                  keep=args.keep)
    result = Soak(conf).run()
    print(table(result))
    found = problems(result)
    for problem in found:
        print(f"FAIL: {problem}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
