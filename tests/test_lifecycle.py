"""Forget, save_memory, export/import and backfill, on real SQLite files and real CLI processes."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest
from helpers.extraction import FakeModel, use_openrouter
from helpers.hooks import ROOT, log_text

from recall_plugin import settings
from recall_plugin.index import IndexDoc, VectorHit, open_for_search
from recall_plugin.index.sync import sync
from recall_plugin.lifecycle.forget import forget, plan
from recall_plugin.lifecycle.notes import save_memory
from recall_plugin.lifecycle.transfer import import_lines
from recall_plugin.queue.ingest import event_of, insert_event
from recall_plugin.store.db import open_store, write

# real transcripts recorded from Claude Code 2.1.330
SAMPLES = Path(__file__).parent / "fixtures" / "transcripts"
SECRET = "sk-ant-api03-" + "Q" * 90
AGENT = "a9f4b99ae8508a02d"
SUB_SESSION = "5032c889-48b1-4e5e-bc35-ee9ce7e63f54"
MULTI_SESSION = "f5e0b091-3bf7-47b8-a543-d85dec7e3084"


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


class StubbornIndex(FakeIndex):
    def delete(self, ids: Sequence[str]) -> None:
        pass  # pretends to delete


def cli(*args: str, stdin: str | None = None, env: dict[str, str] | None = None,
        ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "recall_plugin", *args], capture_output=True,
                          text=True, cwd=ROOT, timeout=120, input=stdin,
                          stdin=None if stdin is not None else subprocess.DEVNULL,
                          env={**os.environ, **(env or {})})


# -- a planted store ------------------------------------------------------------------------
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


@pytest.fixture
def planted(data_dir: Path) -> tuple[sqlite3.Connection, FakeIndex]:
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


# -- forget -----------------------------------------------------------------------------------
def test_forget_by_id_removes_the_record_its_turns_and_index_doc(
        planted: tuple[sqlite3.Connection, FakeIndex], data_dir: Path) -> None:
    conn, index = planted
    target = obs_id(conn, "zebra0 title")
    summary = conn.execute("SELECT id FROM summaries WHERE session_id = 'sess-b'").fetchone()[0]
    report = forget(conn, ids=[f"obs:{target}", f"sum:{summary}"], reason="was wrong", index=index)
    assert report.verified and report.index_checked and report.problems == ()
    assert (report.observations, report.summaries, report.prompts, report.events) == (1, 1, 0, 0)
    assert fts(conn, "zebra0") == 0 and fts(conn, "okapisummary") == 0
    assert fts(conn, "zebra1") == 1  # its neighbour stays
    assert f"obs:{target}" not in index.ids() and f"sum:{summary}" not in index.ids()
    assert len(index.ids()) == 4
    assert session_counts(conn, "sess-a") == [1, 1, 1, 4, 0]  # the turns quoting it are gone
    assert session_counts(conn, "sess-b") == [2, 0, 1, 4, 0]
    text = log_text(data_dir)
    assert "reason='was wrong'" in text and f"observations={target}" in text
    assert f"summaries={summary}" in text and "zebra" not in text and "okapi" not in text


def test_forget_by_query_needs_every_word(planted: tuple[sqlite3.Connection, FakeIndex]) -> None:
    conn, index = planted
    assert plan(conn, query="zebra0 okapi0").empty
    report = forget(conn, query="zebra0 title", reason="stale", index=index)
    assert (report.observations, report.summaries, report.prompts) == (1, 0, 0) and report.verified
    report = forget(conn, query="okapiprompt", reason="typed a secret", index=index)
    assert (report.prompts, report.events, report.observations) == (1, 1, 0)
    assert fts(conn, "okapiprompt") == 0 and fts(conn, "zebra0") == 0
    assert conn.execute("SELECT count(*) FROM events WHERE body LIKE '%okapiprompt%'").fetchone()[0] == 0
    assert session_counts(conn, "sess-b") == [2, 1, 0, 3, 0]


def test_forget_a_session_removes_everything_of_it(planted: tuple[sqlite3.Connection, FakeIndex]) -> None:
    conn, index = planted
    report = forget(conn, session_id="sess-a", reason="private work", index=index)
    assert report.verified
    removed = (report.observations, report.summaries, report.prompts, report.events, report.turns)
    assert removed == (2, 1, 1, 4, 2)
    assert session_counts(conn, "sess-a") == [0, 0, 0, 0, 0]
    assert session_counts(conn, "sess-b") == [2, 1, 1, 4, 2]
    assert sum(fts(conn, w) for w in ("zebra0", "zebra1", "zebraprompt", "zebrasummary")) == 0
    assert not any(d.metadata["session_id"] == "sess-a" for d in index.docs.values())
    assert len(index.ids()) == 3
    # the row saying the session existed stays (no content), so backfill will not bring it back
    assert count(conn, "sessions", "sess-a") == 1


def test_forget_a_project_and_a_date_range(planted: tuple[sqlite3.Connection, FakeIndex]) -> None:
    conn, index = planted
    seed(conn, "sess-c", "name:alpha", "2026-03-10", "gnu")
    sync(conn, index)
    report = forget(conn, project="name:alpha", until="2026-02-01", reason="old", index=index)
    assert report.verified and (report.observations, report.events) == (2, 4)
    assert session_counts(conn, "sess-a") == [0, 0, 0, 0, 0]
    assert session_counts(conn, "sess-c") == [2, 1, 1, 4, 2]
    report = forget(conn, since="2026-02-01", until="2026-03-01", reason="february", index=index)
    assert report.verified and session_counts(conn, "sess-b") == [0, 0, 0, 0, 0]
    report = forget(conn, project="name:alpha", reason="project gone", index=index)
    assert report.verified and session_counts(conn, "sess-c") == [0, 0, 0, 0, 0]
    assert conn.execute("SELECT count(*) FROM observations").fetchone()[0] == 0
    assert index.ids() == set()
    for word in ("zebra0", "okapi1", "gnu0", "gnusummary", "okapiprompt"):
        assert fts(conn, word) == 0, word


def test_verification_reports_what_remains(planted: tuple[sqlite3.Connection, FakeIndex]) -> None:
    conn, _ = planted
    stubborn = StubbornIndex()
    sync(conn, stubborn)
    target = obs_id(conn, "okapi1 title")
    report = forget(conn, ids=[target], reason="test", index=stubborn)
    assert not report.verified
    assert report.problems == (f"vector index still holds obs:{target}",)
    assert fts(conn, "okapi1") == 0  # SQLite and FTS are clean all the same


def test_forget_refuses_without_a_reason_or_a_selector(planted: tuple[sqlite3.Connection, FakeIndex]) -> None:
    conn, index = planted
    for reason in ("", "   "):
        with pytest.raises(ValueError, match="reason is required"):
            forget(conn, session_id="sess-a", reason=reason, index=index)
    with pytest.raises(ValueError, match="say what to forget"):
        forget(conn, reason="everything")
    with pytest.raises(ValueError, match="not a memory id"):
        forget(conn, ids=["turn:3"], reason="x")
    with pytest.raises(ValueError, match="ISO dates"):
        forget(conn, until="yesterday", reason="x")  # as text it would sort after every date
    assert session_counts(conn, "sess-a") == [2, 1, 1, 4, 2]
    preview = plan(conn, session_id="sess-a")
    assert len(preview.events) == 4 and {i.ref[:4] for i in preview.items} == {"obs:", "sum:", "prom"}
    assert session_counts(conn, "sess-a") == [2, 1, 1, 4, 2]  # a plan removes nothing


def test_cli_forget_asks_refuses_and_then_removes(planted: tuple[sqlite3.Connection, FakeIndex],
                                                   data_dir: Path) -> None:
    conn, _ = planted
    missing = cli("forget", "--session", "sess-a")
    assert missing.returncode == 2 and "--reason" in missing.stderr
    refused = cli("forget", "--session", "sess-a", "--reason", "cleanup")
    assert refused.returncode == 1
    assert "not a terminal" in refused.stderr and "--yes" in refused.stderr
    assert "would forget 2 observations, 1 summary, 1 prompt, 4 events, 2 turns" in refused.stdout
    assert "zebra0 title" in refused.stdout
    assert session_counts(conn, "sess-a") == [2, 1, 1, 4, 2]
    dry = cli("forget", "--session", "sess-a", "--reason", "cleanup", "--dry-run")
    assert dry.returncode == 0 and session_counts(conn, "sess-a") == [2, 1, 1, 4, 2]
    done = cli("forget", "--session", "sess-a", "--reason", "cleanup", "--yes")
    assert done.returncode == 0, done.stderr
    assert "forgot 2 observations, 1 summary, 1 prompt, 4 events, 2 turns" in done.stdout
    assert "verified: nothing of it remains" in done.stdout
    assert session_counts(conn, "sess-a") == [0, 0, 0, 0, 0] and fts(conn, "zebra1") == 0
    assert cli("forget", "--session", "sess-a", "--reason", "again", "--yes").stdout.startswith(
        "nothing to forget")
    assert "reason='cleanup'" in log_text(data_dir)


def test_forget_with_the_real_vector_index(data_dir: Path) -> None:
    index, why = open_for_search(settings.load(str(data_dir)))
    if index is None:
        pytest.skip(f"no real vector index here: {why}")
    conn = open_store(str(data_dir))
    seed(conn, "sess-a", "name:alpha", "2026-01-10", "zebra")
    sync(conn, index)
    refs = {f"obs:{obs_id(conn, 'zebra0 title')}", f"obs:{obs_id(conn, 'zebra1 title')}"}
    assert refs <= index.ids()
    report = forget(conn, session_id="sess-a", reason="real index", index=index)
    assert report.verified and report.index_docs == 3
    assert not refs & index.ids()
    assert not {h.id for h in index.query("zebra0 title", 10)} & refs


# -- save_memory ------------------------------------------------------------------------------
def test_save_memory_stores_indexes_and_validates(data_dir: Path) -> None:
    conn = open_store(str(data_dir))
    index = FakeIndex()
    new = save_memory(conn, title="Use WAL for the cache", text=f"because locks; key {SECRET}",
                      project="shop", type="decision", concepts=["sqlite"], files=["src/cache.py"],
                      index=index)
    row = conn.execute("SELECT * FROM observations WHERE id = ?", (new,)).fetchone()
    assert (row["title"], row["type"], row["project"]) == ("Use WAL for the cache", "decision", "shop")
    assert row["session_id"].startswith("manual:20") and len(row["session_id"]) == len("manual:2026-01-01")
    assert json.loads(row["concepts"]) == ["sqlite"] and json.loads(row["files_read"]) == ["src/cache.py"]
    assert SECRET not in row["narrative"] and "[REDACTED" in row["narrative"]
    assert fts(conn, "WAL") == 1 and f"obs:{new}" in index.ids()
    other = save_memory(conn, title="t", text="", project="shop", session_id="s-1")
    assert conn.execute("SELECT session_id FROM observations WHERE id = ?", (other,)).fetchone()[0] == "s-1"
    with pytest.raises(ValueError, match="type must be one of"):
        save_memory(conn, title="x", text="y", project="shop", type="note")
    with pytest.raises(ValueError, match="non-empty title"):
        save_memory(conn, title="  ", text="y", project="shop")
    assert conn.execute("SELECT count(*) FROM observations").fetchone()[0] == 2


# -- export / import --------------------------------------------------------------------------
def without_ids(path: Path) -> list[dict[str, object]]:
    records = [json.loads(line) for line in path.read_text().splitlines()]
    return [{k: v for k, v in r.items() if k != "id"} for r in records]


def test_export_import_export_round_trips(planted: tuple[sqlite3.Connection, FakeIndex],
                                          tmp_path: Path) -> None:
    conn, _ = planted
    save_memory(conn, title="Ünïcode note", text="naïve", project="alpha", concepts=["a", "b"])
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    exported = cli("export", "--output", str(first))
    assert exported.returncode == 0, exported.stderr
    assert "exported 5 observations, 2 summaries, 2 prompts" in exported.stderr
    assert oct(first.stat().st_mode & 0o777) == "0o600"
    records = without_ids(first)
    observation = next(r for r in records if r["record"] == "observation")
    assert isinstance(observation["facts"], list) and isinstance(observation["concepts"], list)
    fresh = {"CLAUDE_RECALL_DATA_DIR": str(tmp_path / "fresh")}
    imported = cli("import", str(first), env=fresh)
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.strip() == "imported 9, skipped 0 duplicates, rejected 0 lines"
    assert cli("export", "--output", str(second), env=fresh).returncode == 0
    assert without_ids(second) == records
    index, _ = open_for_search(settings.load(fresh["CLAUDE_RECALL_DATA_DIR"]))
    if index is not None:  # imported rows were embedded by the real index's sync
        assert sum(1 for doc in index.ids() if doc.startswith("obs:")) == 5
    only = cli("export", "--project", "beta")
    assert {json.loads(line)["project"] for line in only.stdout.splitlines()} == {"name:beta"}


def test_import_twice_is_idempotent(planted: tuple[sqlite3.Connection, FakeIndex], tmp_path: Path) -> None:
    export = tmp_path / "all.jsonl"
    assert cli("export", "-o", str(export)).returncode == 0
    fresh = {"CLAUDE_RECALL_DATA_DIR": str(tmp_path / "fresh"), "CLAUDE_RECALL_INDEX_MODE": "off"}
    assert cli("import", str(export), env=fresh).stdout.strip().startswith("imported 8,")
    again = cli("import", str(export), env=fresh)
    assert again.returncode == 0
    assert again.stdout.strip() == "imported 0, skipped 8 duplicates, rejected 0 lines"
    conn = open_store(str(tmp_path / "fresh"))
    assert conn.execute("SELECT count(*) FROM observations").fetchone()[0] == 4
    # a record's session is registered, so a backfill would not extract it again
    assert {r[0] for r in conn.execute("SELECT session_id FROM sessions")} == {"sess-a", "sess-b"}


def test_import_rejects_bad_lines_and_keeps_good_ones(data_dir: Path, tmp_path: Path) -> None:
    good = {"record": "observation", "session_id": "s1", "project": "p", "type": "change",
            "title": "kept one", "created_at": "2026-05-01T00:00:00.000Z", "facts": ["f"]}
    prompt = {"record": "prompt", "session_id": "s1", "prompt_id": "p1", "prompt_number": 1,
              "project": "p", "text": "kept prompt", "created_at": "2026-05-01T00:00:00.000Z"}
    lines = [json.dumps(good), "{not json", json.dumps({"record": "memo", "title": "x"}),
             json.dumps({**good, "title": None}), "", json.dumps({**good, "facts": "[]"}),
             json.dumps(prompt), json.dumps({**good, "type": "gossip"}), json.dumps({"record": [1]})]
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(lines) + "\n")
    result = cli("import", str(path), env={"CLAUDE_RECALL_INDEX_MODE": "off"})
    assert result.returncode == 1
    assert result.stdout.strip() == "imported 2, skipped 0 duplicates, rejected 6 lines"
    for expected in ("line 2: not JSON", "line 3: unknown record type 'memo'",
                     "line 4: missing required field 'title'",
                     "line 6: field 'facts' is not a list of strings",
                     "line 8: field 'type' is not one of", "line 9: unknown record type [1]"):
        assert expected in result.stderr
    conn = open_store(str(data_dir))
    assert [r[0] for r in conn.execute("SELECT title FROM observations")] == ["kept one"]
    assert [r[0] for r in conn.execute("SELECT text FROM prompts")] == ["kept prompt"]


def test_imported_rows_are_indexed(data_dir: Path) -> None:
    conn = open_store(str(data_dir))
    index = FakeIndex()
    record = {"record": "observation", "session_id": "s", "project": "p", "type": "change",
              "title": "indexed on import", "created_at": "2026-05-01"}
    report = import_lines(conn, [json.dumps(record)], index)
    assert report.imported == 1 and report.index_problem == ""
    [doc_id] = index.ids()
    assert index.docs[doc_id].text.startswith("indexed on import")


# -- backfill ---------------------------------------------------------------------------------
def sample_projects(tmp_path: Path) -> Path:
    """The sample transcripts laid out like ~/.claude/projects, a secret planted in a tool
    result and in a prompt, and one line that is not JSON."""
    slug = tmp_path / "projects" / "-tmp-cc-samples-project"
    (slug / SUB_SESSION / "subagents").mkdir(parents=True)
    shutil.copy(SAMPLES / "subagent.transcript.main.jsonl", slug / f"{SUB_SESSION}.jsonl")
    shutil.copy(SAMPLES / "subagent.transcript.subagent.jsonl",
                slug / SUB_SESSION / "subagents" / f"agent-{AGENT}.jsonl")
    lines = []
    for raw in (SAMPLES / "multi_tool.transcript.main.jsonl").read_text().splitlines():
        line = json.loads(raw)
        result = line.get("toolUseResult")
        if isinstance(result, dict) and "file" in result:
            result["file"]["content"] = f"alpha\nkey {SECRET}\n"
            line["message"]["content"][0]["content"] = f"1\talpha\n2\tkey {SECRET}\n"
        if line.get("type") == "user" and isinstance(line["message"]["content"], str):
            line["message"]["content"] += f" with {SECRET}"
        lines.append(json.dumps(line))
    lines.insert(5, "{this line is broken")
    (slug / f"{MULTI_SESSION}.jsonl").write_text("\n".join(lines) + "\n")
    return tmp_path / "projects"


def test_backfill_dry_run_selection_and_session_ids(data_dir: Path, tmp_path: Path) -> None:
    projects = sample_projects(tmp_path)
    slug = next(projects.iterdir())
    # a copy of a session under another file name is the same session (its lines' sessionId)
    shutil.copy(slug / f"{MULTI_SESSION}.jsonl", slug / "renamed-copy.jsonl")
    dry = cli("backfill", "--projects-dir", str(projects), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "would backfill 2 sessions, 11 events, ~" in dry.stdout, dry.stdout
    assert "0 already known, 0 empty, 0 not selected" in dry.stdout
    assert not data_dir.exists()  # a dry run stores nothing
    one = cli("backfill", "--projects-dir", str(projects), "--dry-run", "--limit", "1")
    assert "would backfill 1 session, 5 events" in one.stdout and "1 not selected" in one.stdout
    late = cli("backfill", "--projects-dir", str(projects), "--dry-run", "--since", "2026-11-22")
    assert "would backfill 0 sessions, 0 events" in late.stdout and "2 not selected" in late.stdout
    other = cli("backfill", "--projects-dir", str(projects), "--dry-run", "--project", "nope")
    assert "would backfill 0 sessions" in other.stdout
    for bad in (["--since", "2026-13-45"], ["--limit", "0"]):
        assert cli("backfill", "--projects-dir", str(projects), "--dry-run", *bad).returncode == 2
    missing = cli("backfill", "--projects-dir", str(tmp_path / "nowhere"))
    assert missing.returncode == 1 and "no transcripts folder" in missing.stderr


def files_holding(root: Path, needle: bytes) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and needle in p.read_bytes()]


def test_backfill_from_real_transcripts(data_dir: Path, tmp_path: Path) -> None:
    projects = sample_projects(tmp_path)
    with FakeModel() as model:
        use_openrouter(data_dir, model.url)
        result = cli("backfill", "--projects-dir", str(projects))
        assert result.returncode == 0, result.stderr
        # oldest session first
        assert "backfill 1/2: f5e0b091" in result.stdout and "backfill 2/2: 5032c889" in result.stdout
        assert ("2 transcripts: 2 imported (11 events), 0 already known, 0 empty, "
                "1 malformed lines skipped") in result.stdout
        calls = len(model.requests)
        assert calls >= 2
        again = cli("backfill", "--projects-dir", str(projects))
        assert again.returncode == 0, again.stderr
        assert "0 imported (0 events), 2 already known" in again.stdout
        assert len(model.requests) == calls
    conn = open_store(str(data_dir))
    per_session = dict(conn.execute("SELECT session_id, count(*) FROM observations GROUP BY session_id"))
    assert per_session.keys() == {SUB_SESSION, MULTI_SESSION}
    assert {r[0] for r in conn.execute("SELECT session_id FROM summaries")} == {SUB_SESSION, MULTI_SESSION}
    assert dict(conn.execute("SELECT state, count(*) FROM events GROUP BY state")) == {"done": 11}
    sub = conn.execute("SELECT * FROM events WHERE agent_id = ?", (AGENT,)).fetchall()
    assert [(e["tool_name"], e["agent_type"], e["kind"]) for e in sub] == [
        ("Bash", "general-purpose", "tool")]
    assert "from-subagent" in sub[0]["body"]
    kinds = [r[0] for r in conn.execute("SELECT kind FROM events WHERE session_id = ? ORDER BY id",
                                        (MULTI_SESSION,))]
    assert kinds == ["session_start", "prompt", "tool", "tool", "tool_failure", "session_end"]
    stamps = [r[0] for r in conn.execute("SELECT created_at FROM events UNION ALL SELECT created_at"
                                         " FROM observations UNION ALL SELECT updated_at FROM summaries")]
    assert len(stamps) == 11 + sum(per_session.values()) + 2
    assert all(s.startswith("2026-11-21T10:58:") for s in stamps)  # the transcript's times
    [prompt] = conn.execute("SELECT text FROM prompts WHERE session_id = ?", (MULTI_SESSION,)).fetchall()
    assert prompt[0].startswith("write, read, fail with [REDACTED")
    assert files_holding(data_dir, b"Q" * 40) == []
    assert len(files_holding(projects, SECRET.encode())) == 1  # the planted copy itself
