"""Export and import, on real SQLite files and real CLI processes."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from helpers.lifecycle import FakeIndex, cli, plant_two_sessions

from recall_plugin import settings
from recall_plugin.index import open_for_search
from recall_plugin.lifecycle.notes import save_memory
from recall_plugin.lifecycle.transfer import import_lines
from recall_plugin.store.db import open_store


@pytest.fixture
def planted(data_dir: Path) -> tuple[sqlite3.Connection, FakeIndex]:
    return plant_two_sessions(data_dir)


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
