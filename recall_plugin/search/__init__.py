"""One search for every surface (CLI, MCP, viewer, SessionStart): full text and vectors, fused.

FTS5 ranks with BM25 over observations and summaries (each word of the query becomes a quoted
phrase, so identifiers, error strings and file paths match exactly and nothing in the query
can break FTS syntax); the vector index, when there is one, ranks by meaning. The two lists
are merged by reciprocal-rank fusion; recency only breaks ties. Filters: project, type, date
range, file path and concept.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field

from ..index import VectorIndex

RRF_K = 60
FTS_WEIGHTS = {"observations": "10.0, 4.0, 1.0, 2.0, 3.0, 2.0, 2.0",
               "summaries": "3.0, 1.0, 1.0, 1.5, 1.0, 1.0"}


@dataclass(frozen=True)
class Filters:
    project: str | None = None
    types: tuple[str, ...] = ()  # observation types, or "summary"
    since: str | None = None     # ISO date or datetime, inclusive
    until: str | None = None     # ISO date or datetime, exclusive
    file: str | None = None      # a path (or part of one) read or modified
    concept: str | None = None


@dataclass(frozen=True)
class Hit:
    id: int
    kind: str  # "observation" or "summary"
    type: str
    title: str
    subtitle: str
    project: str
    session_id: str
    created_at: str
    files: tuple[str, ...]
    score: float
    matched: tuple[str, ...] = field(default=())  # "fts", "vector"
    flagged: str = ""  # why it reads as an instruction to the agent ("" when it does not)

    @property
    def ref(self) -> str:
        return f"{'obs' if self.kind == 'observation' else 'sum'}:{self.id}"

    def as_dict(self) -> dict[str, object]:
        return {"id": self.id, "kind": self.kind, "type": self.type, "title": self.title,
                "subtitle": self.subtitle, "project": self.project, "session_id": self.session_id,
                "created_at": self.created_at, "files": list(self.files),
                "score": round(self.score, 6), "matched": list(self.matched), "flagged": self.flagged}


def fts_query(text: str, joiner: str = " OR ") -> str:
    """The query as FTS5 syntax: each whitespace-separated word a quoted phrase, OR-ed (or
    AND-ed with ``joiner=" "``)."""
    words = [w.replace('"', '""') for w in text.split() if any(c.isalnum() for c in w)]
    return joiner.join(f'"{w}"' for w in words)


def _wanted(filters: Filters, kind: str) -> bool:
    if not filters.types:
        return True
    return ("summary" in filters.types) if kind == "summaries" else any(
        t != "summary" for t in filters.types)


def _where(filters: Filters, table: str) -> tuple[str, list[object]]:
    clauses: list[str] = []
    args: list[object] = []
    if filters.project:
        clauses.append(f"{table}.project = ?")
        args.append(filters.project)
    if table == "observations" and any(t != "summary" for t in filters.types):
        types = [t for t in filters.types if t != "summary"]
        clauses.append(f"observations.type IN ({','.join('?' * len(types))})")
        args += types
    for bound, op in ((filters.since, ">="), (filters.until, "<")):
        if bound:
            clauses.append(f"{table}.created_at {op} ?")
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


def _fts_ids(conn: sqlite3.Connection, table: str, query: str, filters: Filters,
             limit: int) -> list[int]:
    where, args = _where(filters, table)
    sql = (f"SELECT {table}.id FROM {table}_fts JOIN {table} ON {table}.id = {table}_fts.rowid"
           f" WHERE {table}_fts MATCH ? AND {where}"
           f" ORDER BY bm25({table}_fts, {FTS_WEIGHTS[table]}), {table}.created_at DESC LIMIT ?")
    return [int(r[0]) for r in conn.execute(sql, [query, *args, limit])]


def fts_ranked(conn: sqlite3.Connection, text: str, filters: Filters, limit: int) -> list[str]:
    """Doc refs ("obs:12", "sum:3") in BM25 order, observations and summaries interleaved:
    records holding every word first, then (when those are few) records holding any."""
    ranked: list[str] = []
    for joiner in (" ", " OR "):
        query = fts_query(text, joiner)
        if not query:
            return []
        lists = [[f"{prefix}:{i}" for i in _fts_ids(conn, table, query, filters, limit)]
                 for table, prefix in (("observations", "obs"), ("summaries", "sum"))
                 if _wanted(filters, table)]
        ranked += [ref for ref in _interleave(lists) if ref not in ranked]
        if len(ranked) >= limit or len(text.split()) < 2:
            break
    return ranked[:limit]


def _interleave(lists: list[list[str]]) -> list[str]:
    out: list[str] = []
    for i in range(max((len(x) for x in lists), default=0)):
        out += [x[i] for x in lists if i < len(x)]
    return out


def vector_ranked(index: VectorIndex | None, text: str, filters: Filters, limit: int) -> list[str]:
    if index is None or not text.strip():
        return []
    where: dict[str, object] = {"project": filters.project} if filters.project else {}
    try:
        hits = index.query(text, limit, where or None)
    except Exception:  # a failing index must never break search: FTS still answers
        return []
    return [h.id for h in hits]


def fuse(*rankings: list[str]) -> dict[str, tuple[float, tuple[str, ...]]]:
    """Reciprocal-rank fusion: ref -> (score, names of the lists it came from)."""
    names = ("fts", "vector")
    fused: dict[str, tuple[float, tuple[str, ...]]] = {}
    for name, ranking in zip(names, rankings, strict=False):
        for rank, ref in enumerate(ranking):
            score, where = fused.get(ref, (0.0, ()))
            fused[ref] = (score + 1.0 / (RRF_K + rank + 1), (*where, name))
    return fused


def search(conn: sqlite3.Connection, query: str, filters: Filters = Filters(), limit: int = 10,
           index: VectorIndex | None = None) -> list[Hit]:
    """The best ``limit`` records for ``query`` under ``filters`` (newest first if no query)."""
    if not query.strip():
        return recent(conn, filters, limit)
    depth = max(limit * 4, 20)
    fused = fuse(fts_ranked(conn, query, filters, depth),
                 vector_ranked(index, query, filters, depth))
    hits = [h for h in load_hits(conn, fused, filters) if h is not None]
    hits.sort(key=lambda h: (-h.score, _neg_time(h.created_at)))
    return hits[:limit]


def _neg_time(stamp: str) -> tuple[int, ...]:
    return tuple(-ord(c) for c in stamp)


OBS_COLUMNS = ("id, 'observation' AS kind, type, title, subtitle, project, session_id, created_at,"
               " files_read, files_modified, flagged")
SUM_COLUMNS = ("id, 'summary' AS kind, 'summary' AS type, request AS title, completed AS subtitle,"
               " project, session_id, created_at, '[]' AS files_read, '[]' AS files_modified, flagged")


def load_hits(conn: sqlite3.Connection, fused: dict[str, tuple[float, tuple[str, ...]]],
              filters: Filters) -> list[Hit | None]:
    """Rows for the fused refs that pass the filters (vector hits are filtered here too)."""
    out: list[Hit | None] = []
    for table, prefix, columns in (("observations", "obs", OBS_COLUMNS),
                                   ("summaries", "sum", SUM_COLUMNS)):
        ids = [int(r.split(":")[1]) for r in fused if r.startswith(prefix + ":")]
        if not ids or not _wanted(filters, table):
            continue
        where, args = _where(filters, table)
        rows = conn.execute(f"SELECT {columns} FROM {table} WHERE id IN"
                            f" ({','.join('?' * len(ids))}) AND {where}", [*ids, *args])
        out += [_hit(row, *fused[f"{prefix}:{row[0]}"]) for row in rows]
    return out


def _hit(row: sqlite3.Row | tuple[object, ...], score: float, matched: tuple[str, ...]) -> Hit:
    files = tuple(dict.fromkeys(json.loads(str(row[9])) + json.loads(str(row[8]))))
    return Hit(int(str(row[0])), str(row[1]), str(row[2]), str(row[3]), str(row[4] or ""),
               str(row[5]), str(row[6]), str(row[7]), files, score, matched, str(row[10] or ""))


def recent(conn: sqlite3.Connection, filters: Filters, limit: int) -> list[Hit]:
    hits: list[Hit] = []
    for table, columns in (("observations", OBS_COLUMNS), ("summaries", SUM_COLUMNS)):
        if not _wanted(filters, table):
            continue
        where, args = _where(filters, table)
        rows = conn.execute(f"SELECT {columns} FROM {table} WHERE {where}"
                            " ORDER BY created_at DESC, id DESC LIMIT ?", [*args, limit])
        hits += [_hit(row, 0.0, ()) for row in rows]
    hits.sort(key=lambda h: h.created_at, reverse=True)
    return hits[:limit]
