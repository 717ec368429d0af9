"""The vector index kept in step with SQLite: sync back-fill, removal and repair, the reindex
command, and Chroma through a real ``chroma run`` server."""

from __future__ import annotations

import io
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import vector_index
from helpers.vector_index import add_observation, add_summary

from recall_plugin import settings
from recall_plugin.cli import main
from recall_plugin.cli.progress import Progress
from recall_plugin.errors import IndexUnavailable
from recall_plugin.index import IndexDoc, embed, index_status, open_index, reindex, sync_index, where_filter
from recall_plugin.index.sync import sync
from recall_plugin.store import db

# the fixtures every index test uses, bound here so pytest finds them
offline, embedder = vector_index.offline, vector_index.embedder
conf, conn = vector_index.conf, vector_index.conn
CHROMA = Path(sys.executable).with_name("chroma")


# -- sync -----------------------------------------------------------------------------------

def test_sync_backfills_rows_stored_while_unavailable_and_removes_deleted(
        conf: settings.Settings, conn: sqlite3.Connection, data_dir: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLAUDE_RECALL_EMBEDDING_MODEL_DIR", str(tmp_path / "no-model"))
    without_model = settings.load(str(data_dir))
    first = add_observation(conn, "Retry the provider call with exponential backoff")
    add_observation(conn, "Header colours moved to CSS variables", project="beta", type_="change")
    summary = add_summary(conn, "s-1", "Backoff doubles the wait each time")
    with pytest.raises(IndexUnavailable):
        sync_index(conn, without_model)
    assert index_status(without_model, conn).startswith("missing model")

    index = open_index(conf)
    assert index_status(conf, conn).startswith("behind: 3 row(s) not yet indexed")
    seen: list[tuple[int, int]] = []
    assert sync(conn, index, lambda done, total, what: seen.append((done, total))) == (3, 0)
    assert seen[0] == (0, 3) and seen[-1] == (3, 3)
    assert index.ids() == {"obs:1", "obs:2", f"sum:{summary}"}
    assert sync(conn, index) == (0, 0)  # nothing to do
    hits = index.query("exponential backoff", 5, where_filter(project="alpha", types=["bugfix"]))
    assert [h.id for h in hits] == [f"obs:{first}"]

    with db.write(conn):
        conn.execute("DELETE FROM observations WHERE id = ?", (first,))
        conn.execute("UPDATE summaries SET learned = 'WAL mode', updated_at = 'later' WHERE id = ?",
                     (summary,))
    assert sync(conn, index) == (1, 1)  # the rewritten summary is embedded again
    assert index.ids() == {"obs:2", f"sum:{summary}"}
    assert index_status(conf, conn).startswith("ok: 2 docs")


def test_sync_repairs_an_index_that_lost_entries(conf: settings.Settings, conn: sqlite3.Connection) -> None:
    for n in range(5):
        add_observation(conn, f"observation number {n}")
    index = open_index(conf)
    assert sync(conn, index) == (5, 0)
    index.delete(["obs:2", "obs:4"])  # e.g. the collection was partly lost
    index.upsert([IndexDoc("obs:99", "a stray entry", {"kind": "observation"})])
    assert sync(conn, index) == (2, 0)
    assert index.ids() == {f"obs:{n}" for n in range(1, 6)}


# -- reindex --------------------------------------------------------------------------------

def test_reindex_command_rebuilds_with_plain_progress(conf: settings.Settings, conn: sqlite3.Connection,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    for n in range(3):
        add_observation(conn, f"note {n}")
    add_summary(conn, "s-2", "summary text")
    index = open_index(conf)
    index.upsert([IndexDoc("obs:77", "left over from an old index", {"kind": "observation"})])
    assert main(["reindex"]) == 0
    out, err = capsys.readouterr()
    assert "reindexed 4 document(s)" in out
    assert "reindex: 0/4 (0%)" in err and "reindex: 4/4 (100%)" in err
    assert open_index(conf).ids() == {"obs:1", "obs:2", "obs:3", "sum:1"}


def test_progress_bar_on_a_terminal() -> None:
    out = io.StringIO()
    bar = Progress(out, tty=True, label="reindex", unit="docs")
    bar(0, 4)
    bar(4, 4)
    assert "\rreindex [" + "." * 30 + "] 0/4" in out.getvalue()
    assert "\rreindex [" + "#" * 30 + "] 4/4" in out.getvalue() and out.getvalue().endswith("\n")


# -- server mode ----------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[int]:
    port = free_port()
    log = open(tmp_path / "chroma.log", "wb")  # noqa: SIM115 - closed below
    server = subprocess.Popen([str(CHROMA), "run", "--path", str(tmp_path / "server"), "--host", "127.0.0.1",
                               "--port", str(port)], stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while not _heartbeat(port):
            alive = server.poll() is None and time.monotonic() < deadline
            assert alive, (tmp_path / "chroma.log").read_text()
            time.sleep(0.1)
        yield port
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def _heartbeat(port: int) -> bool:
    import httpx

    try:
        return httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.mark.skipif(not CHROMA.exists(), reason="the chroma CLI is not installed")
def test_server_mode_against_a_real_chroma(chroma_server: int, data_dir: Path, conn: sqlite3.Connection,
                                           embedder: embed.Embedder, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLAUDE_RECALL_INDEX_MODE", "server")
    monkeypatch.setenv("CLAUDE_RECALL_CHROMA_PORT", str(chroma_server))
    monkeypatch.setenv("CLAUDE_RECALL_CHROMA_COLLECTION", "team_a")
    conf = settings.load(str(data_dir))
    add_observation(conn, "Retry with exponential backoff", project="alpha")
    add_observation(conn, "CSS colours", project="beta")
    assert sync_index(conn, conf) == (2, 0)
    index = open_index(conf)
    assert [h.id for h in index.query("backoff", 5, {"project": "alpha"})] == ["obs:1"]
    assert index_status(conf, conn).startswith(f"ok: 2 docs in http://127.0.0.1:{chroma_server}")
    assert reindex(conn, conf) == 2  # a reader holding the old collection follows the rebuilt one
    assert [h.id for h in index.query("backoff", 5, {"project": "alpha"})] == ["obs:1"]
    assert not (data_dir / "chroma").exists()


def test_server_unreachable_names_the_url(data_dir: Path, conn: sqlite3.Connection, embedder: embed.Embedder,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    port = free_port()
    monkeypatch.setenv("CLAUDE_RECALL_INDEX_MODE", "server")
    monkeypatch.setenv("CLAUDE_RECALL_CHROMA_PORT", str(port))
    conf = settings.load(str(data_dir))
    with pytest.raises(IndexUnavailable) as caught:
        open_index(conf)
    assert caught.value.kind == "unreachable" and f"http://127.0.0.1:{port}" in str(caught.value)
    assert index_status(conf, conn).startswith(f"unreachable: Chroma server at http://127.0.0.1:{port}")
