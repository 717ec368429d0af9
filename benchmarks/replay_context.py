"""SessionStart replay: does the injected index hold what the next session needs?

Deterministic project histories (seeded): sessions each work on one topic of the project and
leave observations (mostly routine changes, sometimes a decision, bugfix or discovery) and a
summary whose next steps name the topic of the following session only sometimes. Before each
session (from the 10th on) the store holds everything earlier; the session's working tree is
written as a minimal ``.git`` (branch, reflog, index) that hints at its topic only sometimes
(branch name, recent commit, a changed file of the topic's module). The session *needs* the
earlier decisions, bugfixes and discoveries of its topic and the latest observation of it.
Printed: the share of needed observations present in the injection, for the situation ranking
and for newest-first with the same number of lines. Usage:
``python benchmarks/replay_context.py [--projects 3] [--sessions 80] [--seed 7]``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from recall_plugin.context import for_project, open_readonly, select  # noqa: E402
from recall_plugin.store.db import open_store, write  # noqa: E402

TOPICS = {
    "uploader": ("uploader", "multipart chunks"), "billing": ("invoice", "charges"),
    "auth": ("oauth", "login session"), "search": ("search index", "ranking"),
    "cache": ("cache", "eviction"), "deploy": ("deploy", "rollout"),
    "reports": ("report", "export"), "queue": ("queue", "worker"),
    "theme": ("theme", "stylesheet"), "mobile": ("push notification", "device"),
    "db": ("migration", "schema"), "metrics": ("metrics", "dashboard"),
}
ROUTINE = ("Tidy {a} helpers", "Rename variables in {a}", "Add tests for {a}", "Log more in {a}",
           "Bump dependency used by {a}", "Docs for {a} configuration")
KEY = ("Decided how {a} handles {b}", "Fixed {b} bug in {a}", "Found why {a} {b} was slow")
KEY_TYPES = ("decision", "bugfix", "discovery")


def session_rows(rng: random.Random, topic: str, day: int) -> list[tuple[str, str, str, str]]:
    """(type, title, narrative, file) observations of one session on ``topic``."""
    a, b = TOPICS[topic]
    rows = []
    for n in range(rng.randint(3, 6)):
        if rng.random() < 0.18:
            kind = rng.randrange(3)
            rows.append((KEY_TYPES[kind], KEY[kind].format(a=a, b=b),
                         f"Worked on {a} and {b} (day {day}).", f"src/{topic}/core_{n}.py"))
        else:
            rows.append(("change", rng.choice(ROUTINE).format(a=a), f"Routine work on {a}.",
                         f"src/{topic}/util_{n}.py"))
    return rows


def write_git(tree: Path, rng: random.Random, topic: str) -> None:
    """A minimal .git: maybe a topic branch, maybe a topic commit, maybe a changed topic file."""
    git = tree / ".git"
    (git / "logs").mkdir(parents=True, exist_ok=True)
    branch = f"feature/{TOPICS[topic][0].replace(' ', '-')}" if rng.random() < 0.4 else "main"
    (git / "HEAD").write_text(f"ref: refs/heads/{branch}\n")
    subject = f"wip on {TOPICS[topic][1]}" if rng.random() < 0.4 else "merge upstream"
    (git / "logs" / "HEAD").write_text(f"0 1 A <a@b> 0 +0000\tcommit: {subject}\n")
    changed = [f"src/{topic}/core_0.py"] if rng.random() < 0.5 else []
    entries = b""
    for name in changed:
        raw = b"\0" * 36 + (999_999).to_bytes(4, "big") + b"\0" * 20 + len(name).to_bytes(2, "big")
        raw += name.encode() + b"\0"
        entries += raw + b"\0" * (-len(raw) % 8)
    (git / "index").write_bytes(b"DIRC" + (2).to_bytes(4, "big") + len(changed).to_bytes(4, "big")
                                + entries + b"\0" * 20)


def replay(data_dir: Path, tree: Path, project: str, sessions: int,
           rng: random.Random) -> tuple[int, int, int]:
    conn = open_store(str(data_dir))
    topics, found_ranked, found_newest, needed_total = list(TOPICS), 0, 0, 0
    plan = [rng.choice(topics) for _ in range(sessions)]
    for s, topic in enumerate(plan):
        if s >= 10:
            needed = needed_ids(conn, project, topic)
            write_git(tree, rng, topic)
            text = for_project(str(data_dir), project, 20, 1, 4000, project_root=str(tree))
            shown = {int(line.split()[0][1:]) for line in text.splitlines() if line[1:2].isdigit()}
            reader = open_readonly(str(data_dir))
            assert reader is not None
            newest = {obs.id for obs in select.pool(reader, project)[:len(shown)]}
            reader.close()
            needed_total += len(needed)
            found_ranked += len(needed & shown)
            found_newest += len(needed & newest)
        record(conn, project, s, topic, plan[s + 1] if s + 1 < len(plan) else topic, rng)
    conn.close()
    return found_ranked, found_newest, needed_total


def needed_ids(conn: object, project: str, topic: str) -> set[int]:
    rows = conn.execute(  # type: ignore[attr-defined]
        "SELECT id, type FROM observations WHERE project = ? AND files_modified LIKE ?"
        " ORDER BY id DESC", (project, f'%src/{topic}/%')).fetchall()
    if not rows:
        return set()
    return {int(rows[0][0])} | {int(r[0]) for r in rows if r[1] in KEY_TYPES}


def record(conn: object, project: str, s: int, topic: str, following: str, rng: random.Random) -> None:
    day = s + 1
    stamp = f"2026-{1 + day // 28:02d}-{1 + day % 28:02d}T10:00:00.000Z"
    nxt = following if rng.random() < 0.5 else rng.choice(list(TOPICS))
    with write(conn):  # type: ignore[arg-type]
        for kind, title, narrative, path in session_rows(rng, topic, day):
            conn.execute(  # type: ignore[attr-defined]
                "INSERT INTO observations (session_id, project, type, title, narrative, files_modified,"
                " created_at) VALUES (?,?,?,?,?,?,?)",
                (f"{project}-{s}", project, kind, title, narrative, json.dumps([path]), stamp))
        conn.execute(  # type: ignore[attr-defined]
            "INSERT INTO summaries (session_id, project, request, next_steps, created_at, updated_at)"
            " VALUES (?,?,?,?,?,?)", (f"{project}-{s}", project, f"work on {TOPICS[topic][0]}",
                                      f"continue with {' '.join(TOPICS[nxt])}", stamp, stamp))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=3)
    parser.add_argument("--sessions", type=int, default=80)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    totals = [0, 0, 0]
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.update(CLAUDE_RECALL_DATA_DIR=str(Path(tmp) / "data"), HOME=tmp)
        for p in range(args.projects):
            tree = Path(tmp) / f"tree{p}"
            tree.mkdir()
            got = replay(Path(tmp) / "data", tree, f"proj{p}", args.sessions, random.Random(args.seed + p))
            totals = [a + b for a, b in zip(totals, got, strict=True)]
    ranked, newest, needed = totals
    print(f"{args.projects} projects x {args.sessions} sessions, {needed} needed observations")
    print(f"  situation ranking: {ranked / needed:.2f} of needed observations injected")
    print(f"  newest first:      {newest / needed:.2f}")


if __name__ == "__main__":
    main()
