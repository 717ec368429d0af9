"""Forget and save_memory, on real SQLite files and real CLI processes. Export/import:
``test_lifecycle_transfer.py``; backfill: ``test_lifecycle_backfill.py``."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import pytest
from helpers.hooks import log_text
from helpers.lifecycle import (
    SECRET,
    FakeIndex,
    cli,
    count,
    fts,
    obs_id,
    plant_two_sessions,
    seed,
    session_counts,
)

from recall_plugin import settings
from recall_plugin.index import open_for_search
from recall_plugin.index.sync import sync
from recall_plugin.lifecycle.forget import forget, plan
from recall_plugin.lifecycle.notes import save_memory
from recall_plugin.store.db import open_store


class StubbornIndex(FakeIndex):
    def delete(self, ids: Sequence[str]) -> None:
        pass  # pretends to delete


@pytest.fixture
def planted(data_dir: Path) -> tuple[sqlite3.Connection, FakeIndex]:
    return plant_two_sessions(data_dir)


# -- forget -----------------------------------------------------------------------------------
def test_forget_by_id_removes_the_record_its_turns_and_index_doc(
        planted: tuple[sqlite3.Connection, FakeIndex], data_dir: Path) -> None:
    conn, index = planted
    target = obs_id(conn, "zebra0 title")
    summary = conn.execute("SELECT id FROM summaries WHERE session_id = 'sess-b'").fetchone()[0]
    words = data_dir / "state" / "common-words"  # the per-prompt hook's counts start again
    words.parent.mkdir(parents=True, exist_ok=True)
    words.write_text("300 zebra0\n")
    report = forget(conn, ids=[f"obs:{target}", f"sum:{summary}"], reason="was wrong", index=index)
    assert not words.exists()
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
