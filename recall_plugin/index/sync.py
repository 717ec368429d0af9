"""Keeping the index in step with SQLite, which stays the truth.

``index_state`` (migration 004) records each embedded row: kind ("obs"/"sum"), row id, model
id and the row's version (observations: created_at; summaries: updated_at, since a summary is
rewritten as its session goes on). ``sync`` removes from the index what SQLite no longer has,
then embeds every row that is missing, stale or embedded with another model: rows stored while
the index was unavailable are back-filled this way. Chroma is written first and the state
after, so a crash in between leaves the two counts apart; ``sync`` then reconciles them from
the index's own ids. ``rebuild`` drops the collection and embeds everything again.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from .. import log
from ..errors import IndexUnavailable
from ..store import indexstate
from ..store.barrier import held
from ..store.db import write
from ..vocab import utc_stamp
from . import Progress, VectorIndex, docs

if TYPE_CHECKING:
    from ..settings import Settings

CHUNK = 128  # rows embedded and recorded per step


def pending_ids(conn: sqlite3.Connection, model_id: str) -> list[str]:
    """Doc ids whose row is not (or not currently) embedded with ``model_id``."""
    return [docs.doc_id(prefix, rowid) for prefix, table in docs.TABLES.items()
            for rowid in indexstate.pending(conn, prefix, table, docs.VERSION_COLUMN[prefix], model_id)]


def gone_ids(conn: sqlite3.Connection) -> list[str]:
    """Doc ids recorded as indexed whose SQLite row no longer exists."""
    return [docs.doc_id(prefix, rowid) for prefix, table in docs.TABLES.items()
            for rowid in indexstate.gone(conn, prefix, table)]


def state_ids(conn: sqlite3.Connection) -> set[str]:
    return {docs.doc_id(kind, rowid) for kind, rowid in indexstate.entries(conn)}


def forget(conn: sqlite3.Connection, ids: Sequence[str]) -> None:
    """Drop ``ids`` from index_state (they will be embedded again if their row exists)."""
    with write(conn):
        indexstate.delete(conn, [docs.parse_id(doc) for doc in ids])


def record(conn: sqlite3.Connection, entries: Sequence[tuple[str, str]], model_id: str) -> None:
    """Mark ``(doc id, version)`` pairs as embedded with ``model_id``."""
    stamp = utc_stamp()
    embedded = [(*docs.parse_id(doc), version) for doc, version in entries]
    with write(conn):
        indexstate.record(conn, embedded, model_id, stamp)


def reconcile(conn: sqlite3.Connection, index: VectorIndex) -> None:
    """When index and state disagree on how many docs there are, make each match the other:
    state entries the index lacks are forgotten, index entries without state are deleted."""
    recorded = indexstate.count(conn)
    if index.count() == recorded:
        return
    present, known = index.ids(), state_ids(conn)
    index.delete(sorted(present - known))
    forget(conn, sorted(known - present))


def remove_gone(conn: sqlite3.Connection, index: VectorIndex) -> int:
    gone = gone_ids(conn)
    if gone:
        index.delete(gone)
        forget(conn, gone)
    return len(gone)


def embed_pending(conn: sqlite3.Connection, index: VectorIndex, progress: Progress | None = None) -> int:
    """Embed every pending row, ``CHUNK`` at a time; returns how many were added."""
    todo = pending_ids(conn, index.model_id)
    added = 0
    if progress:
        progress(0, len(todo), "")
    for start in range(0, len(todo), CHUNK):
        chunk = [docs.parse_id(doc) for doc in todo[start:start + CHUNK]]
        loaded = [pair for prefix in docs.TABLES
                  for pair in docs.load(conn, prefix, [rowid for kind, rowid in chunk if kind == prefix])]
        index.upsert([doc for doc, _ in loaded])
        record(conn, [(doc.id, version) for doc, version in loaded], index.model_id)
        added += len(loaded)
        if progress:
            progress(min(start + CHUNK, len(todo)), len(todo), "")
    return added


def sync(conn: sqlite3.Connection, index: VectorIndex, progress: Progress | None = None) -> tuple[int, int]:
    """Bring ``index`` in step with SQLite: ``(added, removed)``. ``IndexUnavailable`` if the
    index fails midway (what was done stays recorded; the next sync goes on from there)."""
    with held(conn):  # a forget waits for this sync, then verifies (store.barrier)
        reconcile(conn, index)
        removed = remove_gone(conn, index)
        return embed_pending(conn, index, progress), removed


def rebuild(conn: sqlite3.Connection, settings: Settings, progress: Progress | None = None,
            notice: Callable[[str], None] | None = None) -> int:
    """Drop and recreate the collection for the current model, then embed every row. A local
    folder that fails to open or rebuild (corrupt, or a file in its place) is moved aside
    (kept; ``notice`` hears where) and the rebuild starts again in an empty folder."""
    from .chroma import is_local, move_aside

    try:
        return _rebuild(conn, settings, progress)
    except IndexUnavailable as exc:
        if exc.kind != "error" or not is_local(settings):
            raise
        moved = move_aside(settings)
        message = f"the vector index could not be used ({exc}); moved it to {moved} (kept) and rebuilt it"
        log.warning(message)
        if notice:
            notice(message)
    return _rebuild(conn, settings, progress)


def _rebuild(conn: sqlite3.Connection, settings: Settings, progress: Progress | None) -> int:
    from .chroma import open_chroma

    index = open_chroma(settings, recreate=True)
    with held(conn):
        with write(conn):
            indexstate.clear(conn)
        return embed_pending(conn, index, progress)


def status_line(settings: Settings, conn: sqlite3.Connection) -> str:
    """One line on the index's health, for doctor."""
    from .chroma import open_chroma
    from .client import location

    labels = {"off": "off", "model": "missing model", "mismatch": "mismatch", "unreachable": "unreachable"}
    try:
        index = open_chroma(settings)
        behind = len(pending_ids(conn, index.model_id)) + len(gone_ids(conn))
        count = index.count()
    except IndexUnavailable as exc:
        return f"{labels.get(exc.kind, 'error')}: {exc}"
    if behind:
        return f"behind: {behind} row(s) not yet indexed in {location(settings)} ({count} docs); " \
               "they are added on the next extraction, or run `claude-recall reindex`"
    return f"ok: {count} docs in {location(settings)}, model {index.model_id}"
