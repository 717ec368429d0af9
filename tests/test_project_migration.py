"""Stores written before project ids migrate without loss; events spooled by an older hook are
mapped; vector filters follow a join."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers.extraction import send
from helpers.repos import extract_spool_only, make_repo
from helpers.repos import two_apps as two_apps_fixture

from recall_plugin.capture.project import key
from recall_plugin.search import Filters, search
from recall_plugin.store import migrations
from recall_plugin.store.db import connect, open_store

two_apps = two_apps_fixture


# -- migration of a store written before project ids ---------------------------------------
def old_store(data_dir: Path) -> None:
    """A store at migration 004, its projects named by folder, like earlier releases wrote."""
    conn = connect(str(data_dir / "recall.db"))
    migrations.applied(conn)
    for name, step in migrations.MIGRATIONS:
        if name.startswith(("001", "002", "003", "004")):
            migrations._apply(conn, name, step)
    conn.close()


def test_migration_keeps_every_row_and_splits_same_named_projects(
        data_dir: Path, tmp_path: Path, two_apps: tuple[Path, Path]) -> None:
    from recall_plugin import paths

    alice, bob = two_apps
    gone = tmp_path / "deleted" / "tool"
    solo = make_repo(tmp_path / "solo")
    data_dir.mkdir(parents=True, exist_ok=True)
    old_store(data_dir)
    assert paths.db_file(str(data_dir)) == str(data_dir / "recall.db")
    conn = connect(str(data_dir / "recall.db"))
    sessions = (("s-alice", "app", alice), ("s-bob", "app", bob), ("s-gone", "tool", gone),
                ("s-solo", "solo", solo), ("s-imported", "solo", None))
    stamp = "2026-01-01T00:00:00Z"
    for sid, name, root in sessions:
        conn.execute("INSERT INTO sessions (session_id, project, project_root, cwd, started_at,"
                     " last_event_at) VALUES (?,?,?,?,?,?)",
                     (sid, name, root and str(root), root and str(root), stamp, stamp))
        conn.execute("INSERT INTO prompts (session_id, prompt_id, prompt_number, project, text,"
                     " created_at) VALUES (?,?,1,?,?,?)", (sid, "p1", name, f"prompt {sid}", stamp))
        conn.execute("INSERT INTO events (event_key, session_id, project, kind, body, created_at,"
                     " ingested_at) VALUES (?,?,?,'prompt','{}',?,?)", (f"k-{sid}", sid, name, stamp, stamp))
        conn.execute("INSERT INTO observations (session_id, project, type, title, created_at)"
                     " VALUES (?,?,'change',?,?)", (sid, name, f"obs {sid}", stamp))
        conn.execute("INSERT INTO summaries (session_id, project, request, created_at, updated_at)"
                     " VALUES (?,?,?,?,?)", (sid, name, f"sum {sid}", stamp, stamp))
    conn.execute("INSERT INTO observations (session_id, project, type, title, created_at)"
                 " VALUES ('manual:2026-01-01', 'app', 'decision', 'a note', ?)", (stamp,))
    conn.execute("INSERT INTO index_state VALUES ('obs', 1, 'm', ?, ?)", (stamp, stamp))
    tables = ("sessions", "prompts", "events", "observations", "summaries")
    before = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
    conn.close()

    conn = open_store(str(data_dir))
    assert "006_project_identity" in migrations.applied(conn)
    assert {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables} == before
    expected = {"s-alice": key(str(alice)), "s-bob": key(str(bob)), "s-gone": "name:tool",
                "s-solo": key(str(solo)), "s-imported": key(str(solo))}
    for table in tables:
        rows = conn.execute(f"SELECT session_id, project FROM {table}").fetchall()
        assert {s: p for s, p in rows if s in expected} == expected, table
    assert conn.execute("SELECT project FROM observations WHERE title = 'a note'").fetchone()[0] \
        == "name:app"  # two repositories were called app: the user decides with `projects join`
    assert conn.execute("SELECT count(*) FROM index_state").fetchone()[0] == 0
    names = dict(conn.execute("SELECT id, name FROM projects").fetchall())
    assert names == {key(str(alice)): "app", key(str(bob)): "app", "name:tool": "tool",
                     "name:app": "app", key(str(solo)): "solo"}
    assert search(conn, "obs", Filters(project=key(str(alice))), 10, None)[0].title == "obs s-alice"
    conn.close()

    make_repo(gone)  # the folder is back: its first session adopts the rows recorded there
    send("UserPromptSubmit", gone, "s-new", prompt="hello again", prompt_id="p1")
    extract_spool_only(data_dir)
    conn = open_store(str(data_dir))
    for table in tables:
        assert {r[0] for r in conn.execute(f"SELECT project FROM {table} WHERE session_id"
                                           " IN ('s-gone', 's-new')")} == {f"dir:{gone}"}, table
    assert conn.execute("SELECT project FROM observations WHERE title = 'a note'").fetchone()[0] \
        == "name:app"  # no path: it stays for the user to join


def test_an_event_spooled_by_an_older_hook_is_mapped(data_dir: Path, tmp_path: Path) -> None:
    from recall_plugin.queue import spool

    repo = make_repo(tmp_path / "legacy")
    old = {"v": 1, "key": "s:prompt:p1", "kind": "prompt", "session_id": "s", "project": "legacy",
           "project_root": str(repo), "ts": "2026-01-01T00:00:00.000Z", "prompt": "hi",
           "prompt_id": "p1"}
    from recall_plugin import paths

    spool.append(paths.queue_dir(str(data_dir)), json.dumps(old).encode())
    extract_spool_only(data_dir)
    conn = open_store(str(data_dir))
    assert conn.execute("SELECT project FROM events").fetchone()[0] == f"dir:{repo}"


def test_vector_filters_use_ids_and_follow_a_join(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from recall_plugin import settings
    from recall_plugin.index import open_index, where_filter
    from recall_plugin.index.sync import sync
    from recall_plugin.lifecycle.notes import save_memory
    from recall_plugin.store import projects
    from recall_plugin.store.db import write

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    conn = open_store(str(data_dir))
    mine, other = "git:github.com/acme/app", "dir:/home/someone/app"
    save_memory(conn, title="Retry uploads with exponential backoff", text="n", project=other)
    save_memory(conn, title="Backoff for the payment webhook", text="n", project=mine)
    index = open_index(settings.load(str(data_dir)))
    assert sync(conn, index) == (2, 0)
    assert [h.id for h in index.query("backoff", 5, where_filter(project=mine))] == ["obs:2"]
    with write(conn):
        projects.join(conn, mine, other)
    sync(conn, index)
    assert sorted(h.id for h in index.query("backoff", 5, where_filter(project=mine))) == [
        "obs:1", "obs:2"]
    assert index.query("backoff", 5, where_filter(project=other)) == []
