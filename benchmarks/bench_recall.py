"""Recall at scale: 100,000 synthetic observations, then search and SessionStart latency.

Prints p50/p95 of FTS, vector and hybrid search from a warm process and through the CLI,
embedding throughput, index size on disk, and the SessionStart hook's latency (run exactly as
hooks.json runs it). Usage: ``python benchmarks/bench_recall.py [--count 100000]
[--queries 50] [--cli-runs 10] [--no-vectors]``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from recall_plugin import settings  # noqa: E402
from recall_plugin.index import VectorIndex  # noqa: E402
from recall_plugin.search import Filters, fts_ranked, search, vector_evidence, vector_ranked  # noqa: E402
from recall_plugin.store.db import open_store, write  # noqa: E402

PROJECTS = ("shop-api", "billing", "web-app", "infra", "docs-site")
TYPES = ("bugfix", "feature", "refactor", "discovery", "decision", "change")
TOPICS = ("retry backoff for the uploader", "sqlite write-ahead logging", "oauth token refresh",
          "flaky integration test", "docker compose sandbox", "css dark mode", "rate limiting",
          "invoice parsing", "search index rebuild", "connection pool exhaustion",
          "timezone handling in reports", "memory leak in the worker", "cache invalidation",
          "feature flag rollout", "schema migration", "pagination cursor", "websocket reconnect")
WORDS = ("client", "server", "queue", "handler", "request", "response", "timeout", "error",
         "config", "module", "function", "payload", "session", "worker", "deploy", "build")


def synthetic(n: int, rng: random.Random) -> tuple[object, ...]:
    topic, project = rng.choice(TOPICS), rng.choice(PROJECTS)
    ident = f"{rng.choice(WORDS)}_{rng.choice(WORDS)}_{n}"
    path = f"src/{rng.choice(WORDS)}/{rng.choice(WORDS)}_{n % 500}.py"
    narrative = " ".join(rng.choice(WORDS) for _ in range(40)) + f" about {topic}."
    day = 1 + n % 28
    return (f"sess-{n // 20}", project, rng.choice(TYPES), f"{topic.capitalize()} in {ident}",
            f"touches {path}", json.dumps([f"{ident} changed", f"see {path}"]), narrative,
            json.dumps([topic.split()[0], rng.choice(WORDS)]), json.dumps([path]),
            f"2026-10-{day:02d}T{n % 24:02d}:00:00.000Z")


def build(data_dir: Path, first: int, count: int) -> float:
    conn, rng, started = open_store(str(data_dir)), random.Random(11 + first), time.perf_counter()
    rows = [synthetic(n, rng) for n in range(first, first + count)]
    with write(conn):
        conn.executemany(
            "INSERT INTO observations (session_id, project, type, title, subtitle, facts,"
            " narrative, concepts, files_modified, created_at) VALUES (?,?,?,?,?,?,?,?,?,?)", rows)
    conn.close()
    return time.perf_counter() - started


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"p50 {statistics.median(ordered):7.1f} ms   p95 {p95:7.1f} ms"


def timed(fn: Callable[[], object], runs: list[str]) -> list[float]:
    out = []
    for _ in runs:
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def timed_search(conn: sqlite3.Connection, qs: list[str], flt: Filters,
                 index: VectorIndex | None) -> list[float]:
    items = iter(qs)
    return timed(lambda: search(conn, next(items), flt, 10, index), qs)


def queries(n: int, rng: random.Random) -> list[str]:
    pool = [*TOPICS, "connect_timeout error", "oauth refresh token expired", "dark mode colours",
            "why did the migration fail", "uploader retry", "client_server_17"]
    return [rng.choice(pool) for _ in range(n)]


def embed_all(data_dir: Path) -> VectorIndex:
    from recall_plugin.index import open_index
    from recall_plugin.index.sync import sync

    index = open_index(settings.load(str(data_dir)))
    conn = open_store(str(data_dir))
    started = time.perf_counter()
    added, _ = sync(conn, index)
    took = time.perf_counter() - started
    print(f"embedding: {added:,} docs in {took:.1f} s = {added / took:,.0f} docs/s")
    return index


def disk(path: Path) -> str:
    files = [path] if path.is_file() else list(path.rglob("*")) if path.exists() else []
    total = sum(p.stat().st_size for p in files if p.is_file())
    return f"{total / 1e6:,.1f} MB"


def hook_latency(data_dir: Path, runs: int) -> str:
    cwd = data_dir.parent / "shop-api"
    cwd.mkdir(exist_ok=True)
    from bench_hooks import plugin_data  # type: ignore[import-not-found]  # the plugin env, no shim

    env = dict(os.environ, CLAUDE_RECALL_DATA_DIR=str(data_dir), CLAUDE_RECALL_AUTO_EXTRACT="false",
               CLAUDE_PLUGIN_ROOT=str(ROOT), CLAUDE_PLUGIN_DATA=str(plugin_data(data_dir.parent)))
    payload = json.dumps({"session_id": "bench", "hook_event_name": "SessionStart",
                          "source": "startup", "cwd": str(cwd)}).encode()
    samples, size = [], 0
    for _ in range(runs):
        start = time.perf_counter()
        out = subprocess.run(["sh", str(ROOT / "hooks" / "run"), "SessionStart"], input=payload,
                             env=env, cwd=cwd, capture_output=True, check=True).stdout
        samples.append((time.perf_counter() - start) * 1000)
        size = len(out)
    return f"{percentiles(samples)}   ({size:,} bytes of context)"


def cli_latency(data_dir: Path, qs: list[str]) -> str:
    env = dict(os.environ, CLAUDE_RECALL_DATA_DIR=str(data_dir))
    samples = []
    for q in qs:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "recall_plugin", "search", q, "--json"], env=env,
                       capture_output=True, check=True)
        samples.append((time.perf_counter() - start) * 1000)
    return percentiles(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--cli-runs", type=int, default=10)
    parser.add_argument("--no-vectors", action="store_true")
    parser.add_argument("--embed", type=int, default=0,
                        help="embed only the first N observations (embedding all 100,000 takes "
                             "about an hour on 2 cores); 0: all")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        os.environ.update(CLAUDE_RECALL_DATA_DIR=str(data_dir), HOME=tmp)
        embedded = min(args.embed or args.count, args.count)
        index = None
        if not args.no_vectors:
            build(data_dir, 0, embedded)
            index = embed_all(data_dir)
            build(data_dir, embedded, args.count - embedded)
        else:
            build(data_dir, 0, args.count)
        print(f"{args.count:,} observations in SQLite"
              + ("" if args.no_vectors else f", {embedded:,} of them in the vector index"))
        conn, qs = open_store(str(data_dir)), queries(args.queries, random.Random(5))
        it = iter(qs)
        print(f"fts     (warm)  {percentiles(timed(lambda: fts_ranked(conn, next(it), Filters(), 40), qs))}")
        if index is not None:
            it = iter(qs)
            vec = timed(lambda: vector_ranked(index, next(it), Filters(), 40), qs)
            print(f"vector  (warm)  {percentiles(vec)}")
        if index is not None:
            it = iter(qs)
            shop = Filters(project="shop-api")
            vec = timed(lambda: vector_evidence(conn, index, next(it), shop), qs)
            print(f"vector  (warm, project-filtered)  {percentiles(vec)}")
        for label, flt in (("", Filters()), (", project-filtered", Filters(project="shop-api"))):
            hybrid = timed_search(conn, qs, flt, index)
            print(f"hybrid  (warm{label})  {percentiles(hybrid)}   target p50 <= 25 ms, p95 <= 60 ms")
        if args.cli_runs > 0:
            print(f"hybrid  (CLI)   {cli_latency(data_dir, qs[: args.cli_runs])}")
        print(f"SessionStart    {hook_latency(data_dir, 50)}   target p50 <= 60 ms")
        print(f"on disk: recall.db {disk(data_dir / 'recall.db')}, wal {disk(data_dir / 'recall.db-wal')}, "
              f"vector index {disk(data_dir / 'chroma')}")


if __name__ == "__main__":
    main()
