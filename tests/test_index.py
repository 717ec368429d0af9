"""The vector index: the bundled model offline and sha256-checked, Chroma locally and through a
real ``chroma run`` server, model-id mismatch, sync back-fill and removal, reindex."""

from __future__ import annotations

import io
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from helpers.hooks import log_text

from recall_plugin import settings
from recall_plugin.cli import main
from recall_plugin.cli.progress import Progress
from recall_plugin.errors import IndexUnavailable
from recall_plugin.index import (
    IndexDoc,
    docs,
    embed,
    index_status,
    open_for_search,
    open_index,
    reindex,
    sync_index,
    where_filter,
)
from recall_plugin.index.sync import sync
from recall_plugin.store import db

LOOPBACK = ("127.0.0.1", "::1", "localhost")
CHROMA = Path(sys.executable).with_name("chroma")


def _guarded_connect(real: Any) -> Any:
    def connect(self: socket.socket, address: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6) and address[0] not in LOOPBACK:
            raise OSError(f"network blocked by the test: {address}")
        return real(self, address)
    return connect


@pytest.fixture(scope="module", autouse=True)
def offline() -> Iterator[None]:
    """No hub, no network beyond loopback, for every test here."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_HUB_OFFLINE", "1")
        mp.setenv("TRANSFORMERS_OFFLINE", "1")
        mp.setattr(socket.socket, "connect", _guarded_connect(socket.socket.connect))
        mp.setattr(socket.socket, "connect_ex", _guarded_connect(socket.socket.connect_ex))
        yield


@pytest.fixture(scope="module")
def embedder(offline: None) -> embed.Embedder:
    """Loaded once for the module (``embed.load`` keeps it for the process too)."""
    return embed.load()


@pytest.fixture
def conf(data_dir: Path, embedder: embed.Embedder) -> settings.Settings:
    return settings.load(str(data_dir))


@pytest.fixture
def conn(data_dir: Path) -> Iterator[sqlite3.Connection]:
    connection = db.open_store(str(data_dir))
    yield connection
    connection.close()


def add_observation(conn: sqlite3.Connection, title: str, project: str = "alpha", type_: str = "bugfix",
                    narrative: str = "", created_at: str = "2025-03-01T10:00:00.000Z") -> int:
    with db.write(conn):
        cur = conn.execute(
            "INSERT INTO observations (session_id, project, type, title, subtitle, narrative, facts,"
            " created_at) VALUES (?,?,?,?,?,?,?,?)",
            ("s-1", project, type_, title, "", narrative, json.dumps(["fact about " + title]), created_at))
    return int(cur.lastrowid or 0)


def add_summary(conn: sqlite3.Connection, session: str, learned: str, project: str = "alpha") -> int:
    stamp = "2025-03-02T10:00:00.000Z"
    with db.write(conn):
        cur = conn.execute(
            "INSERT INTO summaries (session_id, project, request, learned, created_at, updated_at)"
            " VALUES (?,?,?,?,?,?)", (session, project, "the request", learned, stamp, stamp))
    return int(cur.lastrowid or 0)


def cosine(a: Any, b: Any) -> float:
    return float(np.dot(a, b))


# -- the model ------------------------------------------------------------------------------

def test_model_is_the_pinned_file_and_loads_offline(embedder: embed.Embedder) -> None:
    files = embed.locate()
    assert embed.sha256_of(files.model) == embed.MODEL_SHA256
    assert embed.sha256_of(files.tokenizer) == embed.TOKENIZER_SHA256
    assert embedder.model_id == f"all-MiniLM-L6-v2/onnx/{embed.MODEL_SHA256[:12]}"
    assert "site-packages" in files.model or "dist-packages" in files.model


def test_embeddings_are_384d_normalised_and_sane(embedder: embed.Embedder) -> None:
    texts = ["how to retry with exponential backoff",
             "Retry failed HTTP calls, doubling the wait after each attempt (exponential backoff).",
             "Changed the CSS colours of the header to a darker blue palette."]
    vectors = embedder.embed(texts)
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert cosine(vectors[0], vectors[1]) > cosine(vectors[0], vectors[2]) + 0.3
    alone = embedder.embed([texts[2]])[0]  # batching and padding do not change a vector
    assert cosine(alone, vectors[2]) > 0.999
    assert embedder.embed([]).shape == (0, 384)


def test_long_texts_are_truncated_and_batches_bounded(embedder: embed.Embedder) -> None:
    vectors = embedder.embed(["word " * 2000, "short"])
    assert vectors.shape == (2, 384)
    batches = embed._batches(list(range(200)), [10] * 100 + [256] * 100)
    assert all(len(b) <= embed.MAX_BATCH for b in batches)
    assert sorted(i for b in batches for i in b) == list(range(200))


def test_tampered_model_dir_is_refused(tmp_path: Path, data_dir: Path, embedder: embed.Embedder,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    copy = tmp_path / "model"
    copy.mkdir()
    shutil.copy(embedder.files.model, copy / "model.onnx")
    shutil.copy(embedder.files.tokenizer, copy / "tokenizer.json")
    embed.verify(str(copy / "model.onnx"), embed.MODEL_SHA256)  # an exact copy is fine
    with open(copy / "model.onnx", "r+b") as handle:
        handle.seek(-100, os.SEEK_END)
        byte = handle.read(1)
        handle.seek(-100, os.SEEK_END)
        handle.write(bytes([byte[0] ^ 0xFF]))
    monkeypatch.setenv("CLAUDE_RECALL_EMBEDDING_MODEL_DIR", str(copy))
    with pytest.raises(IndexUnavailable) as caught:
        open_index(settings.load(str(data_dir)))
    assert caught.value.kind == "model"
    assert "sha256" in str(caught.value) and "refusing" in str(caught.value)
    assert str(copy / "model.onnx") in str(caught.value)


def test_missing_model_dir_is_reported(tmp_path: Path, data_dir: Path, conn: sqlite3.Connection,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLAUDE_RECALL_EMBEDDING_MODEL_DIR", str(tmp_path / "nowhere"))
    conf = settings.load(str(data_dir))
    with pytest.raises(IndexUnavailable, match="missing"):
        open_index(conf)
    assert index_status(conf, conn).startswith("missing model: ")


def test_verification_is_cached_by_path_size_and_times(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "file.bin"
    target.write_bytes(b"x" * 1000)
    digest = embed.sha256_of(str(target))
    embed.verify(str(target), digest, str(tmp_path))
    assert (tmp_path / embed.VERIFIED_FILE).exists()

    def no_hashing(path: str) -> str:
        raise AssertionError("hashed again")

    monkeypatch.setattr(embed, "sha256_of", no_hashing)
    embed.verify(str(target), digest, str(tmp_path))  # cached: not hashed
    target.write_bytes(b"y" * 1000)  # same size, new mtime/ctime: hashed and refused
    monkeypatch.undo()
    with pytest.raises(IndexUnavailable, match="failed its check"):
        embed.verify(str(target), digest, str(tmp_path))


# -- documents ------------------------------------------------------------------------------

def test_documents_text_and_metadata(conn: sqlite3.Connection) -> None:
    obs = add_observation(conn, "Parser fix", narrative="The parser dropped the last line.")
    summ = add_summary(conn, "s-9", "Learned about WAL mode")
    [(doc, version)] = docs.load(conn, "obs", [obs])
    assert doc.id == f"obs:{obs}" and version == "2025-03-01T10:00:00.000Z"
    assert doc.text == "Parser fix\nThe parser dropped the last line.\nfact about Parser fix"
    assert doc.metadata == {"kind": "observation", "project": "alpha", "type": "bugfix", "session_id": "s-1",
                            "created_at": "2025-03-01T10:00:00.000Z", "created_ts": 1740823200}
    [(sdoc, _)] = docs.load(conn, "sum", [summ])
    assert sdoc.text == "the request\nLearned about WAL mode" and sdoc.metadata["type"] == "summary"
    assert docs.parse_id("sum:12") == ("sum", 12) and docs.epoch("garbage") == 0


# -- the local index ------------------------------------------------------------------------

def test_local_upsert_query_delete_with_filters(conf: settings.Settings, data_dir: Path) -> None:
    index = open_index(conf)
    meta = {"kind": "observation", "session_id": "s", "created_at": "x"}
    index.upsert([
        IndexDoc("obs:1", "retry the request with exponential backoff",
                 {**meta, "project": "alpha", "type": "bugfix", "created_ts": 100}),
        IndexDoc("obs:2", "backoff and retry policy for the provider",
                 {**meta, "project": "beta", "type": "decision", "created_ts": 200}),
        IndexDoc("sum:3", "changed css colours of the page",
                 {**meta, "kind": "summary", "project": "alpha", "type": "summary", "created_ts": 300}),
    ])
    assert (data_dir / "chroma").is_dir()
    assert index.count() == 3 and index.ids() == {"obs:1", "obs:2", "sum:3"}
    hits = index.query("exponential backoff", 3)
    assert [h.id for h in hits][:2] in (["obs:1", "obs:2"], ["obs:2", "obs:1"])
    assert hits[0].distance < hits[-1].distance
    assert [h.id for h in index.query("backoff", 3, {"project": "alpha"})] == ["obs:1", "sum:3"]
    assert [h.id for h in index.query("backoff", 3, {"project": "alpha", "type": "summary"})] == ["sum:3"]
    assert [h.id for h in index.query("backoff", 3, where_filter(types=["bugfix", "decision"],
                                                                   since_ts=150))] == ["obs:2"]
    assert [h.id for h in index.query("x", 3, where_filter(kind="summary", until_ts=301))] == ["sum:3"]
    assert index.query("backoff", 3, {"project": "gamma"}) == []
    index.delete(["obs:1"])
    assert index.ids() == {"obs:2", "sum:3"}


def test_import_does_not_load_chromadb_or_onnxruntime() -> None:
    code = ("import sys, recall_plugin.index; "
            "sys.exit(any(m in sys.modules for m in ('chromadb', 'onnxruntime', 'numpy')))")
    assert subprocess.run([sys.executable, "-c", code], timeout=60).returncode == 0


def test_off_mode(data_dir: Path, conn: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLAUDE_RECALL_INDEX_MODE", "off")
    conf = settings.load(str(data_dir))
    with pytest.raises(IndexUnavailable) as caught:
        open_index(conf)
    assert caught.value.kind == "off"
    assert index_status(conf, conn).startswith("off: ")


def test_open_for_search_says_why_there_is_no_index_and_logs_it_once(
        data_dir: Path, conf: settings.Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    index, problem = open_for_search(conf, "test: search without vectors")
    assert index is not None and problem is None and index.model_id == embed.load().model_id
    monkeypatch.setenv("CLAUDE_RECALL_INDEX_MODE", "off")
    off = settings.load(str(data_dir))
    index, problem = open_for_search(off, "test: search without vectors")
    assert index is None and isinstance(problem, IndexUnavailable) and problem.kind == "off"
    assert log_text(data_dir).count(f"test: search without vectors: {problem}") == 1
    assert open_for_search(off, note="")[0] is None
    assert log_text(data_dir).count("search without vectors") == 1  # a silent opener logs nothing


def test_model_mismatch_needs_reindex(conf: settings.Settings, conn: sqlite3.Connection,
                                      data_dir: Path) -> None:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    client = chromadb.PersistentClient(path=str(data_dir / "chroma"),
                                       settings=ChromaSettings(anonymized_telemetry=False))
    client.create_collection("claude_recall", metadata={"model_id": "old-model/v1"}, embedding_function=None)
    add_observation(conn, "retry with backoff")
    with pytest.raises(IndexUnavailable) as caught:
        open_index(conf)
    assert caught.value.kind == "mismatch"
    assert str(caught.value) == (f"index built with model old-model/v1, current model {embed.MODEL_ID}: "
                                 "run `claude-recall reindex`")
    assert index_status(conf, conn).startswith("mismatch: index built with model old-model/v1")
    assert reindex(conn, conf) == 1
    assert open_index(conf).ids() == {"obs:1"}
    assert index_status(conf, conn).startswith("ok: 1 docs")


def test_a_long_lived_reader_sees_other_processes_writes(conf: settings.Settings, conn: sqlite3.Connection,
                                                         data_dir: Path) -> None:
    """The extractor or the CLI writes while e.g. the MCP server keeps its index open."""
    add_observation(conn, "Retry with exponential backoff")
    reader = open_index(conf)
    assert sync(conn, reader) == (1, 0)
    writer = ("from recall_plugin import settings; from recall_plugin.index import IndexDoc, open_index; "
              "open_index(settings.load()).upsert([IndexDoc('obs:99', 'zebras graze on the savannah', "
              "{'kind': 'observation', 'project': 'zoo'})])")
    subprocess.run([sys.executable, "-c", writer], check=True, timeout=120)
    assert [h.id for h in reader.query("zebra savannah", 1, {"project": "zoo"})] == ["obs:99"]
    assert reader.count() == 2
    subprocess.run([sys.executable, "-m", "recall_plugin", "reindex"], check=True, timeout=120,
                   capture_output=True)  # drops and recreates the collection under the reader
    assert reader.ids() == {"obs:1"}
    assert [h.id for h in reader.query("backoff", 5)] == ["obs:1"]


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
