"""What the lifecycle tests share: an in-memory vector index, the CLI as a process, and a store
planted with two captured and extracted sessions, with counters to read it back."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from helpers.hooks import ROOT
from recall_plugin.index import IndexDoc, VectorHit
from recall_plugin.index.sync import sync
from recall_plugin.queue.ingest import event_of, insert_event
from recall_plugin.store.db import open_store, write

SECRET = "sk-ant-api03-" + "Q" * 90


class FakeIndex:
    """An in-memory VectorIndex: substring "similarity"."""

    model_id = "fake"

    def __init__(self) -> None:
        self.docs: dict[str, IndexDoc] = {}

    def upsert(self, docs: Sequence[IndexDoc]) -> None:
        self.docs.update((d.id, d) for d in docs)

    def delete(self, ids: Sequence[str]) -> None:
        for doc_id in ids:
            self.docs.pop(doc_id, None)

    def query(self, text: str, k: int, where: dict[str, object] | None = None) -> list[VectorHit]:
        return [VectorHit(i, 0.0) for i, d in self.docs.items() if text in d.text][:k]

    def count(self) -> int:
        return len(self.docs)

    def ids(self) -> set[str]:
        return set(self.docs)


def cli(*args: str, stdin: str | None = None, env: dict[str, str] | None = None,
        ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "recall_plugin", *args], capture_output=True,
                          text=True, cwd=ROOT, timeout=120, input=stdin,
                          stdin=None if stdin is not None else subprocess.DEVNULL,
                          env={**os.environ, **(env or {})})

def seed(conn: sqlite3.Connection, session: str, project: str, day: str, word: str) -> None:
    """One captured turn: prompt, two tool calls, stop; one provider exchange producing two
    observations (titles ``<word>0`` and ``<word>1``) and a summary. ``word`` is distinctive."""
    ts = f"{day}T10:00:00.000Z"
    events = [{"kind": "prompt", "prompt": f"please fix {word}prompt", "key": f"{session}:p"},
              {"kind": "tool", "tool_name": "Bash", "tool_response": f"{word}output", "key": f"{session}:t1"},
              {"kind": "tool", "tool_name": "Read", "tool_response": "x", "key": f"{session}:t2"},
              {"kind": "stop", "key": f"{session}:s"}]
    with write(conn):
        for event in events:
            spooled, _ = event_of({**event, "session_id": session, "project": project, "ts": ts,
                                   "prompt_id": "p1"})
            assert spooled is not None
            insert_event(conn, spooled)
        ids = [r[0] for r in conn.execute("SELECT id FROM events WHERE session_id = ? ORDER BY id",
                                          (session,))]
        for seq, role, text in ((1, "user", f"rendered {word}output"), (2, "assistant", f"<t>{word}0</t>")):
            conn.execute("INSERT INTO turns (session_id, seq, role, content, event_ids, created_at)"
                         " VALUES (?,?,?,?,?,?)", (session, seq, role, text, json.dumps(ids), ts))
        for n in range(2):
            conn.execute("INSERT INTO observations (session_id, project, type, title, narrative, facts,"
                         " concepts, source_event_ids, created_at) VALUES (?,?,?,?,?,?,?,?,?)",
                         (session, project, "bugfix", f"{word}{n} title", f"about {word}{n}",
                          json.dumps([f"fact {n}"]), json.dumps(["retry"]), json.dumps(ids), ts))
        conn.execute("INSERT INTO summaries (session_id, project, request, learned, created_at,"
                     " updated_at, last_event_id) VALUES (?,?,?,?,?,?,?)",
                     (session, project, f"{word}summary request", "l", ts, ts, ids[-1]))

def plant_two_sessions(data_dir: Path) -> tuple[sqlite3.Connection, FakeIndex]:
    """Sessions a (project alpha, word zebra) and b (project beta, word okapi), synced to a fake index."""
    conn = open_store(str(data_dir))
    seed(conn, "sess-a", "name:alpha", "2026-01-10", "zebra")
    seed(conn, "sess-b", "name:beta", "2026-02-10", "okapi")
    index = FakeIndex()
    sync(conn, index)
    assert len(index.ids()) == 6
    return conn, index

def fts(conn: sqlite3.Connection, word: str) -> int:
    return sum(conn.execute(f"SELECT count(*) FROM {t}_fts WHERE {t}_fts MATCH ?", (f'"{word}"',)
                            ).fetchone()[0] for t in ("observations", "summaries", "prompts"))


def count(conn: sqlite3.Connection, table: str, session: str) -> int:
    return int(conn.execute(f"SELECT count(*) FROM {table} WHERE session_id = ?", (session,)
                            ).fetchone()[0])


def session_counts(conn: sqlite3.Connection, session: str) -> list[int]:
    return [count(conn, t, session) for t in ("observations", "summaries", "prompts", "events", "turns")]


def obs_id(conn: sqlite3.Connection, title: str) -> int:
    return int(conn.execute("SELECT id FROM observations WHERE title = ?", (title,)).fetchone()[0])

