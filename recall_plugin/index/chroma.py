"""The Chroma side: a client for the configured mode and one collection of our embeddings.

local: ``PersistentClient(<data dir>/chroma)`` in this process; server: ``HttpClient`` (a TCP
probe first, so a dead host fails in seconds, not never); cloud: ``CloudClient``. The
collection uses cosine distance, no embedding function of Chroma's (ours are always passed),
and records the model id in its metadata: an index built with another model is refused until
``claude-recall reindex`` rebuilds it. Every Chroma failure surfaces as ``IndexUnavailable``.
``chromadb`` is imported here only, lazily: it costs about half a second.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from . import IndexDoc, IndexUnavailable, VectorHit
from .embed import Embedder, load

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection

    from ..settings import Settings

MODEL_KEY = "model_id"
PAGE = 5000
PROBE_TIMEOUT_S = 3.0


def chroma_dir(settings: Settings) -> str:
    return os.path.join(settings.data_dir, "chroma")


def location(settings: Settings) -> str:
    """Where the index lives, for messages."""
    mode = settings.text("CLAUDE_RECALL_INDEX_MODE")
    if mode == "server":
        scheme = "https" if settings.flag("CLAUDE_RECALL_CHROMA_SSL") else "http"
        return f"{scheme}://{settings.text('CLAUDE_RECALL_CHROMA_HOST')}:" \
               f"{settings.number('CLAUDE_RECALL_CHROMA_PORT')}"
    if mode == "cloud":
        return f"Chroma Cloud ({settings.text('CLAUDE_RECALL_CHROMA_TENANT') or 'default tenant'})"
    return chroma_dir(settings)


def connect(settings: Settings) -> ClientAPI:
    """A client for the configured mode; ``IndexUnavailable`` when off or unreachable."""
    mode = settings.text("CLAUDE_RECALL_INDEX_MODE")
    if mode == "off":
        raise IndexUnavailable("the vector index is off (CLAUDE_RECALL_INDEX_MODE=off)", kind="off")
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    quiet = ChromaSettings(anonymized_telemetry=False)
    where = location(settings)
    try:
        if mode == "server":
            return _server(settings, quiet)
        if mode == "cloud":
            return _cloud(settings, quiet)
        return chromadb.PersistentClient(path=where, settings=quiet)
    except IndexUnavailable:
        raise
    except Exception as exc:
        kind = "error" if mode == "local" else "unreachable"
        raise IndexUnavailable(f"Chroma at {where} cannot be used: {exc}", kind=kind) from exc


def _server(settings: Settings, quiet: Any) -> ClientAPI:
    import chromadb

    host, port = settings.text("CLAUDE_RECALL_CHROMA_HOST"), settings.number("CLAUDE_RECALL_CHROMA_PORT")
    try:
        socket.create_connection((host, port), timeout=PROBE_TIMEOUT_S).close()
    except OSError as exc:
        raise IndexUnavailable(f"Chroma server at {location(settings)} unreachable: {exc}",
                               kind="unreachable") from exc
    return chromadb.HttpClient(host=host, port=port, ssl=settings.flag("CLAUDE_RECALL_CHROMA_SSL"),
                               settings=quiet)


def _cloud(settings: Settings, quiet: Any) -> ClientAPI:
    import chromadb

    key = settings.text("CLAUDE_RECALL_CHROMA_API_KEY")
    if not key:
        raise IndexUnavailable("cloud mode needs CLAUDE_RECALL_CHROMA_API_KEY (or CHROMA_API_KEY)",
                               kind="unreachable")
    return chromadb.CloudClient(tenant=settings.text("CLAUDE_RECALL_CHROMA_TENANT") or None,
                                database=settings.text("CLAUDE_RECALL_CHROMA_DATABASE") or None,
                                api_key=key, settings=quiet)


@contextmanager
def guarded(where: str) -> Iterator[None]:
    """Turn any Chroma or transport failure into ``IndexUnavailable`` naming ``where``."""
    try:
        yield
    except IndexUnavailable:
        raise
    except Exception as exc:
        raise IndexUnavailable(f"Chroma at {where} failed: {type(exc).__name__}: {exc}") from exc


def collection(client: ClientAPI, name: str, model_id: str, *, recreate: bool = False) -> Collection:
    """The collection ``name``, created for ``model_id`` if missing (or if ``recreate``);
    ``IndexUnavailable`` if it was built with another model."""
    if recreate and name in {c.name for c in client.list_collections()}:
        client.delete_collection(name)
    found = client.get_or_create_collection(name, metadata={MODEL_KEY: model_id},
                                            configuration={"hnsw": {"space": "cosine"}},
                                            embedding_function=None)
    built_with = (found.metadata or {}).get(MODEL_KEY)
    if built_with != model_id:
        raise IndexUnavailable(f"index built with model {built_with}, current model {model_id}: "
                               "run `claude-recall reindex`", kind="mismatch")
    return found


class ChromaIndex:
    """``VectorIndex`` over one Chroma collection, embedding with ``embedder``."""

    def __init__(self, coll: Collection, embedder: Embedder, where: str, max_batch: int) -> None:
        self.collection, self.embedder, self.where = coll, embedder, where
        self.model_id = embedder.model_id
        self.max_batch = max(1, max_batch)

    def upsert(self, docs: Sequence[IndexDoc]) -> None:
        if not docs:
            return
        vectors = self.embedder.embed([doc.text for doc in docs])
        for start in range(0, len(docs), self.max_batch):
            part = docs[start:start + self.max_batch]
            with guarded(self.where):
                self.collection.upsert(ids=[doc.id for doc in part],
                                       embeddings=vectors[start:start + len(part)],
                                       metadatas=[_metadata(doc) for doc in part])

    def delete(self, ids: Sequence[str]) -> None:
        for start in range(0, len(ids), self.max_batch):
            with guarded(self.where):
                self.collection.delete(ids=list(ids[start:start + self.max_batch]))

    def query(self, text: str, k: int, where: dict[str, object] | None = None) -> list[VectorHit]:
        if k <= 0:
            return []
        vector = self.embedder.embed([text])
        with guarded(self.where):
            found = self.collection.query(query_embeddings=vector, n_results=k,
                                          where=_where(where), include=["distances"])
        distances = (found.get("distances") or [[]])[0]
        return [VectorHit(id_, float(d)) for id_, d in zip(found["ids"][0], distances, strict=True)]

    def count(self) -> int:
        with guarded(self.where):
            return self.collection.count()

    def ids(self) -> set[str]:
        found: set[str] = set()
        while True:
            with guarded(self.where):
                page = self.collection.get(include=[], limit=PAGE, offset=len(found))["ids"]
            found.update(page)
            if len(page) < PAGE:
                return found


def _metadata(doc: IndexDoc) -> Any:
    return dict(doc.metadata) or None  # Chroma refuses an empty dict


def _where(where: dict[str, object] | None) -> Any:
    """Several plain conditions become one ``$and`` (Chroma wants one operator per level)."""
    if not where:
        return None
    if len(where) > 1 and not any(key.startswith("$") for key in where):
        return {"$and": [{key: value} for key, value in where.items()]}
    return where


def open_chroma(settings: Settings, *, recreate: bool = False) -> ChromaIndex:
    """The configured index: model loaded and checked, collection opened (or rebuilt empty)."""
    if settings.text("CLAUDE_RECALL_INDEX_MODE") == "off":
        raise IndexUnavailable("the vector index is off (CLAUDE_RECALL_INDEX_MODE=off)", kind="off")
    embedder = load(settings.text("CLAUDE_RECALL_EMBEDDING_MODEL_DIR"), settings.data_dir)
    client = connect(settings)
    where = location(settings)
    name = settings.text("CLAUDE_RECALL_CHROMA_COLLECTION")
    with guarded(where):
        coll = collection(client, name, embedder.model_id, recreate=recreate)
        max_batch = client.get_max_batch_size()
    return ChromaIndex(coll, embedder, where, max_batch)
