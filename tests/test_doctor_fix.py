"""Recovery: ``claude-recall doctor`` finds what a crash, a full disk or a broken install leaves
behind, and ``--fix`` repairs it. Also: a store and a queue left by an older version are
migrated forward without loss."""

from __future__ import annotations

import io
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.hooks import PYTHON, ROOT

from recall_plugin import doctor
from recall_plugin.capture.hook import main as hook
from recall_plugin.extract import stale
from recall_plugin.queue.ingest import ingest
from recall_plugin.runtime import bootstrap
from recall_plugin.store import repair
from recall_plugin.store.db import connect, open_store
from recall_plugin.store.migrations import MIGRATIONS, migrate

SESSION = "d0c70000-0000-4000-8000-000000000001"


def cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "recall_plugin", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=180, env={**os.environ, **env})


def by_name(results: list[doctor.Check], name: str) -> doctor.Check:
    return next(r for r in results if r.name == name)


def add_observations(root: Path, n: int) -> None:
    conn = open_store(str(root))
    with conn:
        conn.execute("BEGIN")
        conn.execute("INSERT INTO sessions (session_id, project, started_at, last_event_at)"
                     " VALUES (?, 'p', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')", (SESSION,))
        for i in range(n):
            conn.execute("INSERT INTO observations (session_id, project, type, title, narrative, created_at)"
                         " VALUES (?, 'p', 'discovery', ?, ?, '2026-01-01T00:00:00Z')",
                         (SESSION, f"observation {i}", "n" * 300))
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


# -- corrupt database ------------------------------------------------------------------------
def test_corrupt_database_is_moved_aside_and_recovered(data_dir: Path) -> None:
    add_observations(data_dir, 400)
    db = data_dir / "recall.db"
    raw = bytearray(db.read_bytes())
    pages = len(raw) // 4096
    page = pages // 2
    raw[page * 4096:(page + 1) * 4096] = b"\x00garbage" * 512
    db.write_bytes(bytes(raw))

    before = cli("doctor")
    assert before.returncode == 1
    assert "FAIL  database" in before.stdout and "doctor --fix" in before.stdout

    fixed = cli("doctor", "--fix")
    assert "fixed database: moved the damaged database to" in fixed.stdout, fixed.stdout
    assert "FAIL  database" not in fixed.stdout
    kept = list(data_dir.glob("recall.db.corrupt-*"))
    assert [p.name for p in kept if not p.name.endswith(("-wal", "-shm"))], "the old file is kept"
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    recovered = conn.execute("SELECT count(*) FROM observations").fetchone()[0]
    assert 300 <= recovered <= 400  # one page of ~10 rows is gone, the rest came back
    assert conn.execute("SELECT count(*) FROM observations_fts WHERE observations_fts MATCH"
                        " '\"observation\"'").fetchone()[0] == recovered  # FTS rebuilt
    assert {r[0] for r in conn.execute("SELECT name FROM migrations")} == {n for n, _ in MIGRATIONS}
    conn.close()


def test_unreadable_file_is_recovered_into_an_empty_store(data_dir: Path) -> None:
    data_dir.mkdir(parents=True)
    (data_dir / "recall.db").write_bytes(b"this is not a database" * 300)
    [check] = [c for c in doctor.checks(str(data_dir)) if c.name == "database"]
    assert not check.ok and check.repair is not None
    doctor.fix(str(data_dir), out=lambda line: None)
    assert repair.inspect_database(str(data_dir / "recall.db")).state == "ok"
    assert list(data_dir.glob("recall.db.corrupt-*"))


def test_row_copy_when_the_sqlite3_cli_is_missing(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    add_observations(data_dir, 50)
    monkeypatch.setattr("shutil.which", lambda name: None)
    result = repair.recover_database(str(data_dir))
    assert result.method == "a row-by-row copy" and result.unreadable == 0
    assert result.rows["observations"] == 50 and result.rows["sessions"] == 1


# -- locked database --------------------------------------------------------------------------
def test_locked_database_names_the_process(data_dir: Path) -> None:
    open_store(str(data_dir)).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sqlite3, sys, time; c = sqlite3.connect(sys.argv[1],"
         " isolation_level=None); c.execute('BEGIN EXCLUSIVE'); print('locked', flush=True);"
         " time.sleep(60)", str(data_dir / "recall.db")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        check = by_name(doctor.checks(str(data_dir)), "database")
        assert not check.ok and check.warn_only
        assert f"pid {holder.pid}" in check.detail and "locked" in check.detail
        assert check.repair is None  # nothing to repair: say who holds it
    finally:
        holder.kill()
        holder.wait()
    assert by_name(doctor.checks(str(data_dir)), "database").ok


# -- stale extractor state --------------------------------------------------------------------
def dead_pid() -> int:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    return gone.pid


def test_stale_lock_and_processing_events_are_reset(data_dir: Path) -> None:
    payload = {"session_id": SESSION, "cwd": str(data_dir), "hook_event_name": "UserPromptSubmit",
               "prompt": "hello", "prompt_id": "p1"}
    hook("UserPromptSubmit", io.BytesIO(json.dumps(payload).encode()))
    conn = open_store(str(data_dir))
    ingest(conn, str(data_dir))
    conn.execute("UPDATE events SET state = 'processing'")
    conn.close()
    pid = dead_pid()
    (data_dir / "extractor.lock").write_text(str(pid))

    check = by_name(doctor.checks(str(data_dir)), "extractor")
    assert check.ok and check.warn_only  # not a fault: the next extractor recovers both
    assert f"process {pid}, which exited" in check.detail and "1 event left 'processing'" in check.detail
    lines: list[str] = []
    after = doctor.fix(str(data_dir), out=lines.append)
    assert any("reset 1 processing event(s) to pending" in line for line in lines), lines
    assert by_name(after, "extractor").ok
    assert str(pid) not in (data_dir / "extractor.lock").read_text()  # (re-created empty by the check)
    assert stale.stale_lock_pid(str(data_dir)) is None
    conn = connect(str(data_dir / "recall.db"))
    assert conn.execute("SELECT state FROM events").fetchone()[0] == "pending"
    conn.close()


def test_a_cleanly_exited_extractor_leaves_no_pid(data_dir: Path) -> None:
    from recall_plugin.extract.runner import release_lock, take_lock

    open_store(str(data_dir)).close()
    release_lock(take_lock(str(data_dir), wait=False))
    assert (data_dir / "extractor.lock").read_text() == ""
    check = by_name(doctor.checks(str(data_dir)), "extractor")
    assert (check.ok, check.warn_only) == (True, False), check
    assert check.detail == "not running, nothing left behind"


def test_a_running_extractor_is_not_stale(data_dir: Path) -> None:
    from recall_plugin.extract.runner import take_lock

    open_store(str(data_dir)).close()
    fd = take_lock(str(data_dir), wait=False)
    try:
        check = by_name(doctor.checks(str(data_dir)), "extractor")
        assert check.ok and f"pid {os.getpid()}" in check.detail
    finally:
        os.close(fd)


# -- broken plugin environment ----------------------------------------------------------------
@pytest.fixture
def ready_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A plugin data dir whose environment is this venv (so it has every dependency)."""
    data = tmp_path / "plugin-data"
    venv = data / "venv-real"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").symlink_to(PYTHON)
    (venv / "pyvenv.cfg").write_text((Path(sys.prefix) / "pyvenv.cfg").read_text())
    (venv / "lib").symlink_to(Path(sys.prefix) / "lib")
    (venv / bootstrap.STAMP).write_text(bootstrap.env_key(str(ROOT)) + "\n")
    (data / "venv").symlink_to("venv-real")
    monkeypatch.setenv("CLAUDE_PLUGIN_DATA", str(data))
    return data


def test_healthy_plugin_env_passes(ready_env: Path, data_dir: Path) -> None:
    assert not [c for c in doctor.checks(str(data_dir)) if c.name == "plugin env"]


@pytest.mark.parametrize("breakage", ["python gone", "missing dependencies"])
def test_broken_plugin_env_is_rebuilt_on_next_session_start(ready_env: Path, data_dir: Path,
                                                            breakage: str) -> None:
    venv = ready_env / "venv-real"
    if breakage == "python gone":
        (venv / "bin" / "python").unlink()
        (venv / "bin" / "python").symlink_to(venv / "bin" / "no-such-python")
    else:
        (venv / "pyvenv.cfg").unlink()  # the bare interpreter: no anthropic, httpx, ...
    assert bootstrap.is_ready(str(ROOT), str(ready_env))
    check = by_name(doctor.checks(str(data_dir)), "plugin env")
    assert not check.ok
    assert ("does not run" if breakage == "python gone" else "lacks") in check.detail
    lines: list[str] = []
    after = doctor.fix(str(data_dir), out=lines.append)
    assert any("the next SessionStart rebuilds" in line for line in lines), lines
    assert not bootstrap.is_ready(str(ROOT), str(ready_env))  # SessionStart will rebuild it
    assert [c.detail for c in after if c.name == "plugin env"] == [check.detail]  # until rebuilt


# -- mismatched vector index ------------------------------------------------------------------
@pytest.mark.slow
def test_mismatched_index_is_reindexed(data_dir: Path) -> None:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    add_observations(data_dir, 3)
    client = chromadb.PersistentClient(path=str(data_dir / "chroma"),
                                       settings=ChromaSettings(anonymized_telemetry=False))
    client.create_collection("claude_recall", metadata={"model_id": "old-model/v1"}, embedding_function=None)
    del client
    check = doctor.check_index(str(data_dir))
    assert not check.ok and check.detail.startswith("mismatch: index built with model old-model/v1")
    lines: list[str] = []
    after = doctor.fix(str(data_dir), out=lines.append)
    assert "fixed index: reindexed 3 row(s)" in lines
    assert by_name(after, "index").detail.startswith("ok: 3 docs")


# -- an older store and queue -----------------------------------------------------------------
def test_store_at_migration_002_and_old_spool_lines_migrate_without_loss(data_dir: Path) -> None:
    data_dir.mkdir(parents=True)
    conn = connect(str(data_dir / "recall.db"))
    conn.execute("CREATE TABLE migrations (name TEXT PRIMARY KEY, applied_at TEXT)")
    for name, step in MIGRATIONS[:2]:
        conn.execute("BEGIN IMMEDIATE")
        step(conn)
        conn.execute("INSERT INTO migrations VALUES (?, '2025-01-01T00:00:00Z')", (name,))
        conn.execute("COMMIT")
    old = "2025-01-01T00:00:00Z"
    conn.execute("INSERT INTO sessions (session_id, project, started_at, last_event_at, prompt_count)"
                 " VALUES (?, 'legacy', ?, ?, 1)", (SESSION, old, old))
    conn.execute("INSERT INTO prompts (session_id, prompt_id, prompt_number, project, text, created_at)"
                 " VALUES (?, 'p1', 1, 'legacy', 'fix the flaky test', ?)", (SESSION, old))
    conn.execute("INSERT INTO events (event_key, session_id, project, kind, tool_name, tool_use_id, body,"
                 " created_at, ingested_at, state, prompt_number) VALUES (?, ?, 'legacy', 'tool', 'Bash',"
                 " 'toolu_1', '{\"tool_input\": {\"command\": \"pytest\"}}', ?, ?, 'pending', 1)",
                 (f"{SESSION}:tool:toolu_1", SESSION, old, old))
    conn.execute("INSERT INTO observations (session_id, project, type, title, created_at, source_event_ids)"
                 " VALUES (?, 'legacy', 'bugfix', 'Flaky test fixed', ?, '[1]')", (SESSION, old))
    conn.execute("INSERT INTO summaries (session_id, project, request, created_at, updated_at)"
                 " VALUES (?, 'legacy', 'fix the flaky test', ?, ?)", (SESSION, old, old))
    conn.close()
    # a spool line in the first event shape: no "v", no agent fields, no project_root
    queue = data_dir / "queue"
    queue.mkdir()
    line = {"key": f"{SESSION}:tool:toolu_2", "kind": "tool_failure", "session_id": SESSION,
            "project": "legacy", "ts": "2025-01-01T00:00:05Z", "tool_name": "Bash",
            "tool_use_id": "toolu_2", "prompt_id": "p1", "tool_input": {"command": "ruff"},
            "error": "Exit code 1"}
    (queue / "spool.jsonl").write_text(json.dumps(line) + "\n")

    pending = f"{len(MIGRATIONS) - 2} migration(s) pending"  # every migration after 002
    assert by_name(doctor.checks(str(data_dir)), "database").detail.endswith(pending)
    conn = open_store(str(data_dir))
    assert migrate(conn) == []  # open_store applied them
    report = ingest(conn, str(data_dir))
    assert (report.inserted, report.corrupt) == (1, 0)
    counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
              for t in ("sessions", "prompts", "events", "observations", "summaries")}
    assert counts == {"sessions": 1, "prompts": 1, "events": 2, "observations": 1, "summaries": 1}
    assert conn.execute("SELECT prompt_number FROM events WHERE tool_use_id = 'toolu_2'").fetchone()[0] == 1
    assert conn.execute("SELECT title FROM observations_fts WHERE observations_fts MATCH '\"flaky\"'"
                        ).fetchone()[0] == "Flaky test fixed"
    assert conn.execute("SELECT last_event_id FROM summaries").fetchone()[0] is None
    assert {r[0] for r in conn.execute("SELECT name FROM migrations")} == {n for n, _ in MIGRATIONS}
    conn.close()
    status = cli("status", "--json", CLAUDE_RECALL_DATA_DIR=str(data_dir))
    assert json.loads(status.stdout)["events"] == 2


def test_loose_permissions_are_tightened(data_dir: Path) -> None:
    open_store(str(data_dir)).close()
    os.chmod(data_dir, 0o755)
    os.chmod(data_dir / "recall.db", 0o644)
    assert not by_name(doctor.checks(str(data_dir)), "data dir").ok
    after = doctor.fix(str(data_dir), out=lambda line: None)
    assert by_name(after, "data dir").ok
    assert (data_dir / "recall.db").stat().st_mode & 0o777 == 0o600
