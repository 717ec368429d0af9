"""Search's SQL over the memory tables: which observations and summaries pass a search's
filters, their full-text rank (FTS5 ``bm25``), their searchable text, and the records.

``table`` is "observations" or "summaries"; ``filters`` is a ``search.Filters`` (anything with
its attributes: project, types, since, until, file, concept). The scoring itself (weights,
coverage, fusion with vectors) stays in ``search``: this module only asks SQLite.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Protocol

from ..records import StoredObservation, StoredSummary
from . import observations, summaries

TABLES = ("observations", "summaries")
# Each table's searchable text, the columns its FTS index holds, joined as SQL.
TEXT = {table: " || ' ' || ".join(f"{table}.{c}" for c in module.TEXT_COLUMNS)
        for table, module in (("observations", observations), ("summaries", summaries))}


class Filters(Protocol):
    @property
    def project(self) -> str | None: ...
    @property
    def types(self) -> tuple[str, ...]: ...
    @property
    def since(self) -> str | None: ...
    @property
    def until(self) -> str | None: ...
    @property
    def file(self) -> str | None: ...
    @property
    def concept(self) -> str | None: ...


def where(filters: Filters, table: str, by_id: bool = False) -> tuple[str, list[object]]:
    """The SQL condition (and its arguments) a row of ``table`` passes ``filters`` by; "1"
    when nothing filters. ``by_id``: the rows are already named by id (``id IN (...)``), so the
    filtered columns are written ``+column``: SQLite otherwise walks the whole project index
    for ``project = ?`` (20,000 entries of a 100,000-record store, 18 ms) instead of looking up
    the few hundred ids (1.5 ms)."""
    clauses: list[str] = []
    args: list[object] = []
    plus = "+" if by_id else ""
    if filters.project:
        clauses.append(f"{plus}{table}.project = ?")
        args.append(filters.project)
    if table == "observations" and any(t != "summary" for t in filters.types):
        types = [t for t in filters.types if t != "summary"]
        clauses.append(f"{plus}observations.type IN ({','.join('?' * len(types))})")
        args += types
    for bound, op in ((filters.since, ">="), (filters.until, "<")):
        if bound:
            clauses.append(f"{plus}{table}.created_at {op} ?")
            args.append(bound)
    if table == "observations" and filters.file:
        clauses.append("(observations.files_read LIKE ? OR observations.files_modified LIKE ?)")
        args += [f"%{filters.file}%"] * 2
    if table == "observations" and filters.concept:
        clauses.append("observations.concepts LIKE ?")
        args.append(f'%"{filters.concept}"%')
    if table == "summaries" and (filters.file or filters.concept):
        clauses.append("0")
    return (" AND ".join(clauses) or "1"), args


def _marks(ids: Sequence[int]) -> str:
    return ",".join("?" * len(ids))


def fts_best(conn: sqlite3.Connection, table: str, match: str, weights: str, limit: int,
             floor: int = 0) -> list[tuple[int, float]]:
    """(id, bm25 with column ``weights``) of the best ``limit`` FTS matches of the whole table
    with an id of at least ``floor``."""
    rank = f"bm25({table}_fts, {weights})"
    sql = (f"SELECT rowid, {rank} AS rank FROM {table}_fts WHERE {table}_fts MATCH ?"
           " AND rowid >= ? ORDER BY rank, rowid DESC LIMIT ?")
    return [(int(r[0]), float(r[1])) for r in conn.execute(sql, (match, floor, limit))]


def fts_nth_newest(conn: sqlite3.Connection, table: str, match: str, nth: int) -> int:
    """The id of the ``nth`` newest FTS match (0 when there are fewer); listing matches newest
    first costs no scoring."""
    row = conn.execute(f"SELECT rowid FROM {table}_fts WHERE {table}_fts MATCH ?"
                       " ORDER BY rowid DESC LIMIT 1 OFFSET ?", (match, nth - 1)).fetchone()
    return int(row[0]) if row else 0


def fts_best_where(conn: sqlite3.Connection, table: str, match: str, weights: str,
                   filters: Filters, limit: int) -> list[tuple[int, float]]:
    """(id, bm25) of the best ``limit`` FTS matches that pass ``filters`` (a join on every match)."""
    rank = f"bm25({table}_fts, {weights})"
    condition, args = where(filters, table)
    sql = (f"SELECT {table}.id, {rank} AS rank FROM {table}_fts"
           f" JOIN {table} ON {table}.id = {table}_fts.rowid WHERE {table}_fts MATCH ? AND {condition}"
           f" ORDER BY rank, {table}.id DESC LIMIT ?")
    return [(int(r[0]), float(r[1])) for r in conn.execute(sql, [match, *args, limit])]


def texts(conn: sqlite3.Connection, table: str, ids: Sequence[int]) -> dict[int, str]:
    """The searchable text of each of the rows ``ids`` (as the FTS index holds it)."""
    if not ids:
        return {}
    rows = conn.execute(f"SELECT id, {TEXT[table]} FROM {table} WHERE id IN ({_marks(ids)})", list(ids))
    return {int(r[0]): str(r[1] or "") for r in rows}


def passing(conn: sqlite3.Connection, table: str, ids: Sequence[int], filters: Filters) -> list[int]:
    """Those of ``ids`` whose rows exist and pass ``filters``."""
    if not ids:
        return []
    condition, args = where(filters, table, by_id=True)
    rows = conn.execute(f"SELECT id FROM {table} WHERE id IN ({_marks(ids)}) AND {condition}",
                        [*ids, *args])
    return [int(r[0]) for r in rows]


def matching(conn: sqlite3.Connection, table: str, ids: Sequence[int],
             filters: Filters) -> list[StoredObservation] | list[StoredSummary]:
    """The records among ``ids`` that pass ``filters``."""
    condition, args = where(filters, table, by_id=True)
    sql = f"SELECT * FROM {table} WHERE id IN ({_marks(ids)}) AND {condition}"
    if table == "observations":
        return list(observations.from_cursor(conn.execute(sql, [*ids, *args])))
    return list(summaries.from_cursor(conn.execute(sql, [*ids, *args])))


def newest(conn: sqlite3.Connection, table: str, filters: Filters,
           limit: int) -> list[StoredObservation] | list[StoredSummary]:
    """The newest ``limit`` records passing ``filters``, newest first."""
    condition, args = where(filters, table)
    sql = f"SELECT * FROM {table} WHERE {condition} ORDER BY created_at DESC, id DESC LIMIT ?"
    if table == "observations":
        return list(observations.from_cursor(conn.execute(sql, [*args, limit])))
    return list(summaries.from_cursor(conn.execute(sql, [*args, limit])))
