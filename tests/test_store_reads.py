"""Reads each table module owns (moved there from lifecycle, extract, the viewer's feed and
status): typed records and values, on real migrated SQLite files."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from recall_plugin.queue.ingest import event_of, insert_event
from recall_plugin.store import calls, events, sessions
from recall_plugin.store.db import open_store, write
from recall_plugin.store.rows import Prompt, Turn


@pytest.fixture
def conn(data_dir: Path) -> sqlite3.Connection:
    return open_store(str(data_dir))


def ingest(conn: sqlite3.Connection, key: str, kind: str, session: str = "s1",
           project: str = "name:demo", **fields: object) -> None:
    event, why = event_of({"key": key, "kind": kind, "session_id": session, "project": project,
                           "ts": f"2026-11-01T10:00:0{len(key) % 10}.000Z", **fields})
    assert event is not None, why
    with write(conn):
        insert_event(conn, event)


def test_prompts_read_back_as_typed_rows(conn: sqlite3.Connection) -> None:
    ingest(conn, "a", "prompt", prompt_id="p1", prompt="fix the uploader")
    ingest(conn, "bb", "prompt", prompt_id="p2", prompt="then the tests")
    ingest(conn, "ccc", "prompt", session="s2", project="name:other", prompt_id="p1", prompt="elsewhere")
    every = list(sessions.each_prompt(conn))
    assert all(type(p) is Prompt for p in every)
    assert [(p.session_id, p.prompt_id, p.prompt_number, p.text, p.private) for p in every] == [
        ("s1", "p1", 1, "fix the uploader", False), ("s1", "p2", 2, "then the tests", False),
        ("s2", "p1", 1, "elsewhere", False)]
    assert [p.text for p in sessions.each_prompt(conn, "name:other")] == ["elsewhere"]
    assert list(sessions.each_prompt(conn, "name:nobody")) == []
    ids = [p.id for p in every]
    assert sessions.prompts_by_id(conn, [ids[2], ids[0], 999]) == [every[0], every[2]]
    assert sessions.prompts_by_id(conn, []) == []


def test_prompts_by_id_reads_more_ids_than_one_statement_takes(conn: sqlite3.Connection) -> None:
    ingest(conn, "a", "prompt", prompt_id="p1", prompt="only one")
    found = sessions.prompts_by_id(conn, [*range(2, sessions.CHUNK * 2 + 2), 1])
    assert [p.text for p in found] == ["only one"]


def test_last_tool_before_an_event(conn: sqlite3.Connection) -> None:
    ingest(conn, "a", "prompt", prompt_id="p1", prompt="go")
    assert events.last_tool_before(conn, "s1", 100) is None
    ingest(conn, "bb", "tool", tool_name="Bash")
    ingest(conn, "ccc", "tool_failure", tool_name="Bash")
    ingest(conn, "dddd", "tool", session="s2", tool_name="Read")
    ingest(conn, "eeeee", "stop")
    assert events.last_tool_before(conn, "s1", 100) == 3
    assert events.last_tool_before(conn, "s1", 3) == 2
    assert events.last_tool_before(conn, "s1", 2) is None
    assert events.last_tool_before(conn, "s2", 100) == 4


def test_turns_after_a_horizon(conn: sqlite3.Connection) -> None:
    assert calls.max_turn_id(conn) == 0
    with write(conn):
        calls.append_turn(conn, Turn("s1", "user", "rendered", None, (1, 2)), "2026-11-01T10:00:00Z")
        calls.append_turn(conn, Turn("s1", "assistant", "reply", None, (2,)), "2026-11-01T10:00:01Z")
        calls.append_turn(conn, Turn("s2", "user", "other", None, (7,)), "2026-11-01T10:00:02Z")
        calls.append_turn(conn, Turn("s2", "assistant", "none", None, ()), "2026-11-01T10:00:03Z")
    assert calls.max_turn_id(conn) == 4
    assert calls.turns_after(conn, 0, {2, 7}) == [1, 2, 3]
    assert calls.turns_after(conn, 1, {2, 7}) == [2, 3]
    assert calls.turns_after(conn, 0, {99}) == [] and calls.turns_after(conn, 4, {1}) == []


def test_counts_and_queue_state_values_per_table(conn: sqlite3.Connection) -> None:
    from recall_plugin.store import summaries

    assert (sessions.count(conn), sessions.count_prompts(conn), events.count(conn)) == (0, 0, 0)
    assert events.count_by_state(conn) == {} and summaries.count(conn) == 0
    assert calls.status(conn, "last_error") is None
    ingest(conn, "a", "prompt", prompt_id="p1", prompt="go")
    ingest(conn, "bb", "tool", tool_name="Bash")
    ingest(conn, "ccc", "session_start", session="s2")
    with write(conn):
        events.set_state(conn, [2], "done")
        calls.set_status(conn, "last_error", "2026-11-01T10:00:00Z boom")
    assert (sessions.count(conn), sessions.count_prompts(conn), events.count(conn)) == (2, 1, 3)
    assert events.count_by_state(conn) == {"done": 2, "pending": 1}  # a session start is done at ingest
    assert calls.status(conn, "last_error") == "2026-11-01T10:00:00Z boom"
    row = sessions.get(conn, "s1")
    assert row is not None and (row.session_id, row.project, row.prompt_count) == ("s1", "name:demo", 1)
    assert sessions.get(conn, "nobody") is None
    assert [p.text for p in sessions.prompts_of(conn, "s1")] == ["go"]
    assert sessions.prompts_of(conn, "s2") == []


def test_observation_and_summary_reads_the_viewer_uses(conn: sqlite3.Connection) -> None:
    from recall_plugin.records import Observation, Summary
    from recall_plugin.store import observations, summaries

    assert observations.per_project(conn) == [] and summaries.max_updated(conn) == ""
    with write(conn):
        for n, (session, project) in enumerate((("s1", "shop"), ("s2", "blog"), ("s1", "shop"))):
            observations.insert(conn, Observation("change", f"t{n}"), session_id=session, project=project,
                                prompt_number=None, created_at=f"2026-11-0{n + 1}T10:00:00Z")
        summaries.upsert(conn, Summary(request="r"), session_id="s1", project="shop", prompt_number=None,
                         stamp="2026-11-04T10:00:00Z", last_event_id=None)
    assert observations.per_project(conn) == [("shop", 2, "2026-11-03T10:00:00Z"),
                                              ("blog", 1, "2026-11-02T10:00:00Z")]
    assert [o.title for o in observations.of_session(conn, "s1")] == ["t0", "t2"]
    assert [o.title for o in observations.after(conn, 1)] == ["t1", "t2"]
    assert [o.title for o in observations.after(conn, 1, 1)] == ["t1"]
    assert summaries.max_updated(conn) == "2026-11-04T10:00:00Z"
    assert [s.request for s in summaries.updated_since(conn, "2026-11-01", 5)] == ["r"]
    assert summaries.updated_since(conn, "2026-11-04T10:00:00Z", 5) == []
