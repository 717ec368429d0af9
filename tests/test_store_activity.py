"""The store's activity tables (events, sessions, prompts, tombstones, provider calls, turns,
pauses, queue state, index state) through their store modules, on real migrated SQLite files."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from helpers.hooks import HookRunner, load_payloads

from recall_plugin.queue import spool
from recall_plugin.queue.ingest import event_of, insert_event, parse_line
from recall_plugin.store import events, sessions
from recall_plugin.store.db import open_store, write
from recall_plugin.store.rows import SpoolEvent, StoredEvent


def spooled_lines(data_dir: Path) -> list[bytes]:
    """The raw lines the hooks wrote, in order."""
    return [line for segment in spool.claim(str(data_dir / "queue"))
            for _, line in spool.read_lines(segment)]


def one_event(conn: sqlite3.Connection, **fields: object) -> SpoolEvent:
    data: dict[str, object] = {"key": "k1", "kind": "tool", "session_id": "s1",
                               "ts": "2026-11-01T10:00:00.000Z", "project": "name:demo"}
    event, why = event_of({**data, **fields})
    assert event is not None, why
    return event


def test_a_real_spool_line_round_trips_as_a_typed_event(run_hook: HookRunner, data_dir: Path) -> None:
    for record in load_payloads("multi_tool"):
        payload = {**record["payload"], "cwd": str(run_hook.cwd)}
        assert run_hook(str(record["event"]), payload).returncode == 0
    lines = spooled_lines(data_dir)
    parsed = [parse_line(line) for line in lines]
    assert [why for _, why in parsed] == [""] * len(lines) and len(lines) == 7
    typed = [e for e, _ in parsed if e is not None]
    tool = next(e for e in typed if e.kind == "tool")
    raw = json.loads(next(line for line in lines if json.loads(line)["key"] == tool.key))
    assert (tool.session_id, tool.tool_name, tool.tool_use_id) == (
        raw["session_id"], raw["tool_name"], raw["tool_use_id"])
    assert tool.project == f"dir:{run_hook.cwd}" and tool.project_name == "project"
    assert tool.body["tool_input"] == raw["tool_input"] and "key" not in tool.body
    conn = open_store(str(data_dir))
    with write(conn):
        assert [insert_event(conn, e) for e in typed] == [True] * 7
        assert [insert_event(conn, e) for e in typed] == [False] * 7  # exactly once
    row = conn.execute("SELECT * FROM events WHERE event_key = ?", (tool.key,)).fetchone()
    assert (row["tool_name"], row["tool_use_id"], row["state"], row["prompt_number"]) == (
        tool.tool_name, tool.tool_use_id, "pending", 1)
    assert json.loads(row["body"]) == tool.body
    session = conn.execute("SELECT * FROM sessions").fetchone()
    assert (session["session_id"], session["prompt_count"]) == (tool.session_id, 1)
    assert session["ended_at"] is not None and session["cwd"] == str(run_hook.cwd)
    prompt = next(e for e in typed if e.kind == "prompt")
    assert conn.execute("SELECT text FROM prompts").fetchone()[0] == prompt.extra("prompt")


def test_event_of_rejects_and_normalises(data_dir: Path) -> None:
    assert event_of({"kind": "tool", "session_id": "s", "ts": "t"}) == (None, "missing key")
    assert event_of({"key": "k", "session_id": "s", "ts": "t", "kind": "x"})[1] == "unknown kind 'x'"
    event, _ = event_of({"key": "k", "session_id": "s", "ts": "2026-01-01T00:00:00Z",
                         "kind": "tool", "tool_name": 7, "private": 1, "extra": [1]})
    assert event is not None and event.tool_name == "7" and event.private
    assert event.agent_id is None and event.body == {"extra": [1]}


def test_private_and_session_start_events_are_not_pending(data_dir: Path) -> None:
    conn = open_store(str(data_dir))
    with write(conn):
        insert_event(conn, one_event(conn, key="a", private=True))
        insert_event(conn, one_event(conn, key="b", kind="session_start"))
        insert_event(conn, one_event(conn, key="c"))
    states = dict(conn.execute("SELECT event_key, state FROM events").fetchall())
    assert states == {"a": "skipped", "b": "done", "c": "pending"}
    assert events.count_in(conn, ("pending",)) == 1 and events.count_in(conn, ("done", "skipped")) == 2


def test_extraction_reads_and_moves_events(data_dir: Path) -> None:
    conn = open_store(str(data_dir))
    with write(conn):
        for n in range(3):
            insert_event(conn, one_event(conn, key=f"k{n}", tool_name="Bash", command=f"ls {n}"))
        insert_event(conn, one_event(conn, key="other", session_id="s2"))
    assert events.due_heads(conn) == [("s1", None), ("s2", None)]
    batch = events.unfinished(conn, "s1", 2)
    assert [type(e) for e in batch] == [StoredEvent, StoredEvent]
    assert [e.body["command"] for e in batch] == ["ls 0", "ls 1"] and batch[0].tool_name == "Bash"
    ids = [e.id for e in batch]
    with write(conn):
        events.set_state(conn, ids, "processing")
    assert events.unfinished(conn, "s1", 5)[0].body["command"] == "ls 2"
    with write(conn):
        assert events.reset_processing(conn) == 2
        events.mark_failed(conn, ids, "failed", 2, "2999-01-01T00:00:00.000Z", "boom")
    assert events.most_attempts(conn, ids) == 2
    assert events.due_heads(conn) == [("s1", "2999-01-01T00:00:00.000Z"), ("s2", None)]
    with write(conn):
        events.make_failed_due(conn)
    assert events.due_heads(conn)[0] == ("s1", None)
    with write(conn):
        events.mark_failed(conn, ids, "dead", 3, None, "boom")
        assert events.revive(conn) == 2
        events.mark_done(conn, ids)
    assert conn.execute("SELECT count(*) FROM events WHERE last_error IS NOT NULL").fetchone()[0] == 0
    assert events.count_present(conn, [*ids, 999]) == 2
    assert events.count_in(conn, events.UNFINISHED) == 2


def test_sessions_prompts_and_tombstones(data_dir: Path) -> None:
    conn = open_store(str(data_dir))
    with write(conn):
        insert_event(conn, one_event(conn, key="p", kind="prompt", prompt_id="p1", prompt="fix it"))
        insert_event(conn, one_event(conn, key="t", prompt_id="p1"))
        sessions.register(conn, "s9", "name:demo", "2026-10-01T00:00:00Z", 4)
        sessions.register(conn, "s9", "name:demo", "2026-10-02T00:00:00Z", 2)
        sessions.tombstone(conn, ["s9", "s9"])
    assert sessions.prompt_number(conn, "s1", "p1") == 1
    assert sessions.prompt_number(conn, "s1", "unknown") == 1  # the session's latest
    assert sessions.prompt_number(conn, "nobody", None) is None
    assert sessions.prompt_exists(conn, "s1", "p1") and not sessions.prompt_exists(conn, "s1", "p2")
    with write(conn):
        sessions.insert_prompt(conn, "s9", "p7", 3, "name:demo", "imported", True, "2026-10-01T00:00:00Z")
    row = conn.execute("SELECT prompt_number, text, private FROM prompts WHERE prompt_id = 'p7'").fetchone()
    assert tuple(row) == (3, "imported", 1) and sessions.prompt_exists(conn, "s9", "p7")
    assert events.of_prompts(conn, [1]) == [1]
    assert sessions.all_ids(conn) == {"s1", "s9"} and sessions.known(conn, "s9")
    row = conn.execute("SELECT started_at, last_event_at, prompt_count FROM sessions"
                       " WHERE session_id = 's9'").fetchone()
    assert tuple(row) == ("2026-10-01T00:00:00Z", "2026-10-02T00:00:00Z", 4)
    assert sessions.is_forgotten(conn, "s9") and not sessions.is_forgotten(conn, "s1")
    assert not sessions.in_other_project(conn, "s1", "name:demo")
    assert sessions.in_other_project(conn, "s1", "name:other")


def test_provider_calls_turns_and_queue_state(data_dir: Path) -> None:
    from recall_plugin.store import calls
    from recall_plugin.store.rows import ProviderCall, Turn

    conn = open_store(str(data_dir))

    def call(session: str, tokens: int, at: str, error: str | None = None) -> ProviderCall:
        return ProviderCall(session, "anthropic", "m", "observe", error, tokens - 1, 1, 0, 0,
                            tokens, 0.01, 2, 30, at)

    with write(conn):
        calls.record(conn, call("s1", 100, "2026-11-01T10:00:00.000Z"))
        calls.record(conn, call("s2", 40, "2026-11-02T10:00:00.000Z", error="429"))
        calls.record(conn, call("s1", 5, "2026-11-02T11:00:00.000Z"))
        calls.append_turn(conn, Turn("s1", "user", "rendered", "digest", (1, 2)), "2026-11-01T10:00:00Z")
        calls.append_turn(conn, Turn("s1", "assistant", "reply", None, (1, 2), "anthropic", "m"),
                          "2026-11-01T10:00:01Z")
        calls.append_turn(conn, Turn("s2", "user", "other", None, (7,)), "2026-11-01T10:00:02Z")
        calls.set_status(conn, "last_error", "one")
        calls.set_status(conn, "last_error", "two")
    assert calls.tokens_since(conn, "2026-11-02") == 45
    assert calls.tokens_since(conn, "", "s1") == 105 and calls.count_ok(conn) == 2
    status = conn.execute("SELECT status, error FROM provider_calls WHERE session_id = 's2'").fetchone()
    assert tuple(status) == ("error", "429")
    turns = calls.turns(conn, "s1")
    assert [(t.role, t.content, t.digest, t.event_ids) for t in turns] == [
        ("user", "rendered", "digest", (1, 2)), ("assistant", "reply", None, (1, 2))]
    assert (turns[1].provider, turns[1].model) == ("anthropic", "m")
    assert [r[0] for r in conn.execute("SELECT seq FROM turns ORDER BY id")] == [1, 2, 1]
    assert calls.turns_touching(conn, ["s1", "s2"], {2, 7}) == [1, 2, 3]
    assert calls.turns_touching(conn, ["s1"], {7}) == []
    assert conn.execute("SELECT value FROM queue_state WHERE name = 'last_error'").fetchone()[0] == "two"


def test_pauses_by_scope(data_dir: Path) -> None:
    from recall_plugin.store import pauses
    from recall_plugin.store.rows import Pause

    conn = open_store(str(data_dir))
    with write(conn):
        pauses.put(conn, Pause("budget:daily", "daily budget", "CLAUDE_RECALL_DAILY"), "f1",
                   "2026-11-01T10:00:00.000Z")
        pauses.put(conn, Pause("no-provider", "no key", None), "f2", "2026-11-01T11:00:00.000Z")
        pauses.put(conn, Pause("budget:daily", "daily budget again", None), "f3",
                   "2026-11-01T12:00:00.000Z")
    assert pauses.get(conn, "budget:daily") == (Pause("budget:daily", "daily budget again", None), "f3")
    assert pauses.get(conn, "provider:gemini") is None
    assert [p.scope for p in pauses.listed(conn)] == ["budget:daily", "no-provider"]  # first date kept
    with write(conn):
        pauses.delete(conn, "no-provider")
        assert pauses.delete_all(conn) == 1
    assert pauses.listed(conn) == []


def test_index_state_entries(data_dir: Path) -> None:
    from recall_plugin.store import indexstate

    conn = open_store(str(data_dir))
    with write(conn):
        for n, (session, project) in enumerate((("s1", "name:a"), ("s1", "name:b"), ("s2", "name:a"))):
            conn.execute("INSERT INTO observations (session_id, project, type, title, created_at)"
                         " VALUES (?, ?, 'discovery', ?, ?)",
                         (session, project, f"t{n}", f"2026-11-0{n + 1}"))
    assert indexstate.pending(conn, "obs", "observations", "created_at", "m1") == [1, 2, 3]
    with write(conn):
        indexstate.record(conn, [("obs", 1, "2026-11-01"), ("obs", 2, "old"), ("obs", 9, "x")],
                          "m1", "2026-11-05T00:00:00Z")
    assert indexstate.pending(conn, "obs", "observations", "created_at", "m1") == [2, 3]  # 2 is stale
    assert indexstate.pending(conn, "obs", "observations", "created_at", "m2") == [1, 2, 3]
    assert indexstate.gone(conn, "obs", "observations") == [9] and indexstate.count(conn) == 3
    with write(conn):
        indexstate.delete(conn, [("obs", 9)])
        indexstate.record(conn, [("obs", 3, "2026-11-03")], "m1", "2026-11-05T00:00:00Z")
        indexstate.drop_of_project(conn, "name:a", "s2")
    assert indexstate.entries(conn) == {("obs", 1), ("obs", 2)}
    with write(conn):
        indexstate.drop_of_project(conn, "name:a")
    assert indexstate.entries(conn) == {("obs", 2)}
    with write(conn):
        indexstate.clear(conn)
    assert indexstate.count(conn) == 0
