"""Retrieval quality on the eval_corpus: recall@1/5/10 and MRR per question kind.

Plants the corpus in a fresh store, embeds it into a real local Chroma index with the bundled
MiniLM model (offline), then asks every question four ways: hybrid (``search``), FTS-only
(``search`` without an index), vector-only and a plain BM25 baseline (one OR query over both
FTS tables, default column weights, merged by score). Each cut-off runs as its own search with
that ``limit`` (so a ranking whose top 5 is not a prefix of its top 10 is measured as it is).
Usage: ``python benchmarks/eval_recall.py [--json]``.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from benchmarks import eval_corpus as corpus  # noqa: E402
from recall_plugin import search as search_mod  # noqa: E402
from recall_plugin import settings  # noqa: E402
from recall_plugin.index import VectorIndex  # noqa: E402
from recall_plugin.search import Filters  # noqa: E402
from recall_plugin.store.db import open_store, write  # noqa: E402

KS = (1, 5, 10)
Ranker = Callable[[sqlite3.Connection, corpus.Question, int], list[str]]


def plant(data_dir: Path) -> tuple[sqlite3.Connection, dict[str, str]]:
    """The corpus in a store; returns the connection and doc ref -> record key."""
    conn, refs = open_store(str(data_dir)), {}
    recs = corpus.records()
    with write(conn):
        for rec in recs:
            cur = conn.execute(
                "INSERT INTO observations (session_id, project, prompt_number, type, title, subtitle,"
                " facts, narrative, concepts, files_read, files_modified, created_at)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (rec.session, rec.project, 1, rec.type, rec.title, rec.subtitle, json.dumps(rec.facts),
                 rec.narrative, json.dumps(rec.concepts), "[]", json.dumps(rec.files), rec.created_at))
            refs[f"obs:{cur.lastrowid}"] = rec.key
        for sid, project, request, completed, learned, nxt, at in corpus.summaries(recs):
            cur = conn.execute(
                "INSERT INTO summaries (session_id, project, request, investigated, learned, completed,"
                " next_steps, notes, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (sid, project, request, "", learned, completed, nxt, "", at, at))
            refs[f"sum:{cur.lastrowid}"] = f"s:{sid}"
    return conn, refs


def embed(data_dir: Path, conn: sqlite3.Connection) -> VectorIndex:
    from recall_plugin.index import open_index
    from recall_plugin.index.sync import sync

    index = open_index(settings.load(str(data_dir)))
    started = time.perf_counter()
    added, _ = sync(conn, index)
    print(f"embedded {added} docs in {time.perf_counter() - started:.1f} s (MiniLM, local Chroma)")
    return index


def _search_kwargs() -> set[str]:
    return set(inspect.signature(search_mod.search).parameters)


def rankers(index: VectorIndex) -> dict[str, Ranker]:
    params = _search_kwargs()
    extra: dict[str, object] = {"now": corpus.NOW} if "now" in params else {}

    def run(conn: sqlite3.Connection, q: corpus.Question, limit: int, idx: VectorIndex | None,
            **more: object) -> list[str]:
        hits = search_mod.search(conn, q.text, Filters(project=q.project), limit, idx,
                                 **extra, **more)  # type: ignore[arg-type]
        return [h.ref for h in hits]

    def vector(conn: sqlite3.Connection, q: corpus.Question, limit: int) -> list[str]:
        if "legs" in params:
            return run(conn, q, limit, index, legs=("vector",))
        return search_mod.vector_ranked(index, q.text, Filters(project=q.project), limit)

    return {"hybrid": lambda conn, q, k: run(conn, q, k, index),
            "fts": lambda conn, q, k: run(conn, q, k, None),
            "vector": vector, "bm25": plain_bm25}


def plain_bm25(conn: sqlite3.Connection, q: corpus.Question, limit: int) -> list[str]:
    """The baseline: every word OR-ed, default BM25 over both tables, merged by score."""
    words = [w.replace('"', '""') for w in q.text.split() if any(c.isalnum() for c in w)]
    match = " OR ".join(f'"{w}"' for w in words)
    scored: list[tuple[float, str]] = []
    for table, prefix in (("observations", "obs"), ("summaries", "sum")):
        scope = f" AND {table}.project = ?" if q.project else ""
        rows = conn.execute(
            f"SELECT {table}.id, bm25({table}_fts) FROM {table}_fts JOIN {table} ON {table}.id ="
            f" {table}_fts.rowid WHERE {table}_fts MATCH ?{scope} ORDER BY 2 LIMIT ?",
            [match, *([q.project] if q.project else []), limit])
        scored += [(float(score), f"{prefix}:{rid}") for rid, score in rows]
    return [ref for _, ref in sorted(scored)[:limit]]


def evaluate(conn: sqlite3.Connection, refs: dict[str, str], ranker: Ranker,
             questions: list[corpus.Question]) -> dict[str, dict[str, float]]:
    per_kind: dict[str, list[dict[str, float]]] = {}
    for q in questions:
        row: dict[str, float] = {}
        for k in KS:
            got = [refs.get(r, r) for r in ranker(conn, q, k)][:k]
            row[f"r@{k}"] = sum(t in got for t in q.targets) / len(q.targets)
            if k == 10:
                first = next((i for i, key in enumerate(got) if key in q.targets), None)
                row["mrr"] = 0.0 if first is None else 1.0 / (first + 1)
                if q.project:
                    row["leak"] = float(any(not r.startswith("s:") and _project(r) != q.project
                                            for r in got))
        per_kind.setdefault(q.kind, []).append(row)
        per_kind.setdefault("overall", []).append(row)
    return {kind: {m: sum(r.get(m, 0.0) for r in rows) / len(rows) for m in rows[0]}
            for kind, rows in per_kind.items()}


_PROJECT = {rec.key: rec.project for rec in corpus.records()}


def _project(key: str) -> str:
    return _PROJECT.get(key, "?")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--only", default="", help="comma-separated systems to run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        os.environ.update(CLAUDE_RECALL_DATA_DIR=str(data_dir), HOME=tmp)
        conn, refs = plant(data_dir)
        index = embed(data_dir, conn)
        questions = corpus.questions()
        kinds: dict[str, int] = {}
        for q in questions:
            kinds[q.kind] = kinds.get(q.kind, 0) + 1
        print(f"{len(corpus.records())} observations, {len(refs) - len(corpus.records())} summaries,"
              f" {len(questions)} questions: {kinds}")
        results = {}
        for name, ranker in rankers(index).items():
            if args.only and name not in args.only.split(","):
                continue
            results[name] = evaluate(conn, refs, ranker, questions)
        report(results)
        print("unrelated queries answered with nothing (relevance floor):")
        for name, ranker in rankers(index).items():
            empty = sum(not ranker(conn, corpus.Question("unrelated", text, ()), 10)
                        for text in corpus.UNRELATED)
            print(f"  {name:<8}{empty}/{len(corpus.UNRELATED)}")
        if args.json:
            print(json.dumps(results, indent=1))


def report(results: dict[str, dict[str, dict[str, float]]]) -> None:
    kinds = list(next(iter(results.values())))
    print(f"{'kind':<14}{'system':<8}{'R@1':>7}{'R@5':>7}{'R@10':>7}{'MRR':>7}{'leak':>7}")
    for kind in kinds:
        for name, res in results.items():
            m = res[kind]
            leak = f"{m['leak']:7.2f}" if "leak" in m else "      -"
            print(f"{kind:<14}{name:<8}{m['r@1']:7.2f}{m['r@5']:7.2f}{m['r@10']:7.2f}{m['mrr']:7.2f}{leak}")


if __name__ == "__main__":
    main()
