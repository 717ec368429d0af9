"""The vector index: the bundled model offline and sha256-checked, its documents, and Chroma
locally (filters, off mode, model-id mismatch, a long-lived reader). Sync back-fill and removal,
reindex and a real ``chroma run`` server: ``test_index_sync.py``."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers import vector_index
from helpers.hooks import log_text
from helpers.vector_index import add_observation, add_summary, cosine

from recall_plugin import settings
from recall_plugin.errors import IndexUnavailable
from recall_plugin.index import (
    IndexDoc,
    docs,
    embed,
    index_status,
    open_for_search,
    open_index,
    reindex,
    where_filter,
)
from recall_plugin.index.sync import sync

# the fixtures every index test uses, bound here so pytest finds them
offline, embedder = vector_index.offline, vector_index.embedder
conf, conn = vector_index.conf, vector_index.conn


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
