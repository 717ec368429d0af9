"""The index itself: one Chroma collection of our embeddings, as a ``VectorIndex``.

The collection uses cosine distance, no embedding function of Chroma's (ours are always
passed), and records the model id in its metadata: an index built with another model is
refused until ``claude-recall reindex`` rebuilds it. Every Chroma failure surfaces as
``IndexUnavailable``. A local folder that cannot be opened or rebuilt (garbage in it, a file
where the folder should be) is moved aside by ``move_aside`` (kept as
``chroma.corrupt-<UTC time>``) so that a rebuild starts from an empty folder. On a local
folder, writes hold ``<data dir>/chroma.lock`` (one writing process at a time) and a failed
read is tried once more on a reopened client.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from ..errors import IndexUnavailable
from ..vocab import utc_file_stamp
from . import IndexDoc, VectorHit
from .client import _LOCALS, chroma_dir, connect, local, location
from .embed import Embedder, load

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection

    from ..settings import Settings

T = TypeVar("T")
MODEL_KEY = "model_id"
PAGE = 5000
LOCK_TIMEOUT_S = 120.0


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

    def __init__(self, settings: Settings, embedder: Embedder, *, recreate: bool = False) -> None:
        self.embedder, self.model_id = embedder, embedder.model_id
        self.where, self.name = location(settings), settings.text("CLAUDE_RECALL_CHROMA_COLLECTION")
        is_local = settings.text("CLAUDE_RECALL_INDEX_MODE") == "local"
        self.local = local(chroma_dir(settings)) if is_local else None
        self.lock_path = os.path.join(settings.data_dir, "chroma.lock") if is_local else ""
        self.client, self.generation = connect(settings), self.local.generation if self.local else 0
        with self.writing(), guarded(self.where):
            self.collection = collection(self.client, self.name, self.model_id, recreate=recreate)
            self.max_batch = max(1, self.client.get_max_batch_size())

    def _fresh(self) -> Collection:
        """The collection, fetched again if the local folder was reopened since."""
        if self.local is not None:
            self.client = self.local.current()
            if self.local.generation != self.generation:
                self.collection = collection(self.client, self.name, self.model_id)
                self.generation = self.local.generation
        return self.collection

    @contextmanager
    def writing(self) -> Iterator[None]:
        """One writer at a time on a local folder (across processes)."""
        if self.local is None:
            yield
            return
        from filelock import FileLock, Timeout

        try:
            with FileLock(self.lock_path, timeout=LOCK_TIMEOUT_S, mode=0o600), self.local.mutex:
                yield
                self.local.wrote()
        except Timeout as exc:
            raise IndexUnavailable(f"{self.lock_path} held by another process for too long",
                                   kind="busy") from exc

    def _read(self, action: Callable[[Collection], T]) -> T:
        """Run a read; if it fails, once more on a reopened local client or, on a server, on
        the collection fetched again (another process may have rebuilt it)."""
        try:
            with guarded(self.where):
                return action(self._fresh())
        except IndexUnavailable:
            with guarded(self.where):
                if self.local is not None:
                    self.local.reopen()
                else:
                    self.collection = collection(self.client, self.name, self.model_id)
                return action(self._fresh())

    def upsert(self, docs: Sequence[IndexDoc]) -> None:
        if not docs:
            return
        vectors = self.embedder.embed([doc.text for doc in docs])
        for start in range(0, len(docs), self.max_batch):
            part = docs[start:start + self.max_batch]
            with self.writing(), guarded(self.where):
                self._fresh().upsert(ids=[doc.id for doc in part],
                                     embeddings=vectors[start:start + len(part)],
                                     metadatas=[_metadata(doc) for doc in part])

    def delete(self, ids: Sequence[str]) -> None:
        for start in range(0, len(ids), self.max_batch):
            with self.writing(), guarded(self.where):
                self._fresh().delete(ids=list(ids[start:start + self.max_batch]))

    def query(self, text: str, k: int, where: dict[str, object] | None = None) -> list[VectorHit]:
        if k <= 0:
            return []
        vector = self.embedder.embed([text])
        found = self._read(lambda c: c.query(query_embeddings=vector, n_results=k, where=_where(where),
                                             include=["distances"]))
        distances = (found.get("distances") or [[]])[0]
        return [VectorHit(id_, float(d)) for id_, d in zip(found["ids"][0], distances, strict=True)]

    def count(self) -> int:
        return self._read(lambda c: c.count())

    def ids(self) -> set[str]:
        found: set[str] = set()
        while True:
            page = self._read(partial(_page, offset=len(found)))
            found.update(page)
            if len(page) < PAGE:
                return found


def _page(coll: Collection, offset: int) -> list[str]:
    return coll.get(include=[], limit=PAGE, offset=offset)["ids"]


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
    return ChromaIndex(settings, embedder, recreate=recreate)


def is_local(settings: Settings) -> bool:
    return settings.text("CLAUDE_RECALL_INDEX_MODE") == "local"


def move_aside(settings: Settings) -> str:
    """Move the local Chroma folder (or whatever is in its place) aside, dropping this
    process's client for it first; returns where it went ("" when there was nothing)."""
    path = chroma_dir(settings)
    held = _LOCALS.pop(path, None)
    close = getattr(held.client, "close", None) if held is not None else None
    if close is not None:
        with contextlib.suppress(Exception):
            close()
    _forget_chroma_system(path)
    if not os.path.lexists(path):
        return ""
    moved = f"{path}.corrupt-{utc_file_stamp()}"
    suffix = 0
    while os.path.lexists(moved + (f".{suffix}" if suffix else "")):
        suffix += 1
    moved += f".{suffix}" if suffix else ""
    os.replace(path, moved)
    return moved


def _forget_chroma_system(path: str) -> None:
    """Chroma keeps one shared system per folder path in the process; drop the one of ``path``
    so that a client opened there next starts afresh."""
    try:
        from chromadb.api.shared_system_client import SharedSystemClient
    except ImportError:
        return
    systems = getattr(SharedSystemClient, "_identifier_to_system", {})
    counts = getattr(SharedSystemClient, "_identifier_to_refcount", {})
    system = systems.pop(path, None)
    counts.pop(path, None)
    if system is not None:
        with contextlib.suppress(Exception):
            system.stop()
