"""The vector index: SQLite rows embedded offline and kept in Chroma, rebuildable at any time.

SQLite is the truth. ``docs`` turns observation and summary rows into ``IndexDoc`` (text +
metadata), ``embed`` computes embeddings with a bundled ONNX sentence model (sha256-checked,
never downloaded), ``chroma`` keeps them in a collection (local folder, a Chroma server, or
Chroma Cloud) that records the model id, and ``sync`` back-fills what is missing and removes
what SQLite no longer has. Everything here is optional at run time: without a usable model or
Chroma, ``open_index`` raises ``IndexUnavailable``; ``open_for_search``, the opener every caller
uses, then says why and search runs on FTS5 alone.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from .. import log
from ..errors import IndexUnavailable

if TYPE_CHECKING:
    from ..settings import Settings

Progress = Callable[[int, int, str], None]  # (done, total, what the last step did: may be "")


@dataclass(frozen=True)
class IndexDoc:
    id: str  # "obs:<rowid>" or "sum:<rowid>"
    text: str
    # kind, project, type, session_id, created_at, created_ts
    metadata: dict[str, str | int] = field(default_factory=dict)


@dataclass(frozen=True)
class VectorHit:
    id: str
    distance: float


class VectorIndex(Protocol):
    model_id: str

    def upsert(self, docs: Sequence[IndexDoc]) -> None: ...
    def delete(self, ids: Sequence[str]) -> None: ...
    def query(self, text: str, k: int, where: dict[str, object] | None = None) -> list[VectorHit]: ...
    def count(self) -> int: ...
    def ids(self) -> set[str]: ...


def open_index(settings: Settings) -> VectorIndex:
    """The configured index, ready to query and sync. Loads (once per process) and checks the
    model; ``IndexUnavailable`` when off, without a model, built with another model, or when
    the server cannot be reached."""
    from . import chroma

    return chroma.open_chroma(settings)


def open_for_search(settings: Settings, note: str = "search without vectors"
                    ) -> tuple[VectorIndex | None, IndexUnavailable | None]:
    """``(index, None)``, or ``(None, why)`` when no index can be used now and search runs on
    FTS5 alone. Any failure counts (off, no model, Chroma down, mismatch, a broken vector
    stack): one that is not an ``IndexUnavailable`` comes back as one naming its type. The
    reason is logged here, once, as "<note>: <why>" (info; nothing when ``note`` is "")."""
    try:
        return open_index(settings), None
    except IndexUnavailable as exc:
        problem = exc
    except Exception as exc:  # a failing import or client: FTS still answers
        problem = IndexUnavailable(f"{type(exc).__name__}: {exc}")
        problem.__cause__ = exc
    if note:
        log.info(f"{note}: {problem}", settings.data_dir)
    return None, problem


def sync_index(conn: sqlite3.Connection, settings: Settings,
               progress: Progress | None = None) -> tuple[int, int]:
    """Open the index and bring it in step with SQLite: ``(added, removed)``."""
    from .sync import sync

    return sync(conn, open_index(settings), progress)


def reindex(conn: sqlite3.Connection, settings: Settings,
            progress: Progress | None = None, notice: Callable[[str], None] | None = None) -> int:
    """Drop the collection, recreate it for the current model and embed every row again; a
    corrupt local folder is moved aside first (``notice`` hears where)."""
    from .sync import rebuild

    return rebuild(conn, settings, progress, notice)


def index_status(settings: Settings, conn: sqlite3.Connection) -> str:
    """One line for doctor: "ok: ...", "off: ...", "missing model: ...", "mismatch: ...",
    "unreachable: ...", "behind: N rows not yet indexed ..." or "error: ..."."""
    from .sync import status_line

    return status_line(settings, conn)


def where_filter(project: str | None = None, kind: str | None = None,
                 types: Sequence[str] = (), since_ts: int | None = None,
                 until_ts: int | None = None) -> dict[str, object] | None:
    """A Chroma ``where`` for ``VectorIndex.query``: project, kind ("observation"/"summary"),
    types (observation types or "summary"), created_ts in [since_ts, until_ts)."""
    terms: list[dict[str, object]] = []
    if project:
        terms.append({"project": project})
    if kind:
        terms.append({"kind": kind})
    if types:
        terms.append({"type": {"$in": list(types)}})
    if since_ts is not None:
        terms.append({"created_ts": {"$gte": since_ts}})
    if until_ts is not None:
        terms.append({"created_ts": {"$lt": until_ts}})
    if len(terms) > 1:
        return {"$and": terms}
    return terms[0] if terms else None
