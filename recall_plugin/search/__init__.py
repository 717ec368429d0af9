"""One search for every surface (CLI, MCP, viewer): full text and vectors, fused by evidence.

Two legs find candidates, each to a fixed depth whatever the ``limit`` (so the top 5 is always
the start of the top 10):

- FTS5: every content word of the query (stop words left out) is a quoted phrase, so
  identifiers, error strings and paths match exactly and nothing in the query can break FTS
  syntax. Records holding every word come first; records holding only some are kept too, but
  each candidate's evidence is its *coverage*: the IDF-weighted share of the query's words it
  holds. Observations and summaries are merged by that evidence, not alternated.
- Vectors (when there is an index): cosine similarity of the query and the record.

A record's score is ``FTS_WEIGHT * coverage**2 + VECTOR_WEIGHT * scaled similarity``; a record
below ``FLOOR`` on both legs is not relevant, so an unrelated query finds nothing ("no
relevant memory") instead of every record. Dates named in the query ("last week", "in March",
"2026-06-22") become a date filter. Filters: project, type, date range, file path, concept.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass, field, replace

from .. import ftsquery as terms
from .. import querydates as dates
from ..index import VectorIndex
from ..records import StoredObservation, StoredSummary
from ..store import matching
from ..store.fts import Idf

DEPTH = 60             # candidates per leg, independent of limit
FTS_WEIGHT = 1.0       # a record holding every query word
VECTOR_WEIGHT = 1.0    # a record at or above SIM_HIGH
SIM_LOW, SIM_HIGH = 0.20, 0.60  # cosine similarity mapped to 0..1 between these
MIN_COVERAGE = 0.3     # FTS evidence below this share of the query is noise on its own
MIN_SIMILARITY = 0.27  # vector evidence below this is noise on its own
SUMMARY_YIELD = 0.8    # see details_first
OVERFETCH = 8          # filtered FTS: the best 8x depth of the whole table, then filtered by id
IDF_CAP = 1000         # a word's records are counted up to this many (more: simply common)
RANK_MOST = 2000       # BM25 ranks at most the newest 2,000 records a query matches (see _newest)
FTS_WEIGHTS = {"observations": "2.0, 1.5, 1.0, 1.5, 1.5, 1.0, 1.5",
               "summaries": "1.5, 1.0, 1.0, 1.0, 1.0, 1.0"}
PREFIX = {"observations": "obs", "summaries": "sum"}

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
    fts: float = 0.0     # share of the query's words it holds (IDF-weighted), 0..1
    vector: float = 0.0  # cosine similarity to the query (0: not among the nearest)

    @property
    def ref(self) -> str:
        return f"{'obs' if self.kind == 'observation' else 'sum'}:{self.id}"

    def as_dict(self) -> dict[str, object]:
        return {"id": self.id, "kind": self.kind, "type": self.type, "title": self.title,
                "subtitle": self.subtitle, "project": self.project, "session_id": self.session_id,
                "created_at": self.created_at, "files": list(self.files),
                "score": round(self.score, 6), "matched": list(self.matched), "flagged": self.flagged,
                "evidence": {"fts": round(self.fts, 3), "vector": round(self.vector, 3)}}

    def evidence(self) -> str:
        """Which leg found it and how strongly, e.g. "fts 100%, vector 0.62"."""
        parts = ([f"fts {self.fts:.0%}"] if self.fts else []) + (
            [f"vector {self.vector:.2f}"] if self.vector else [])
        return ", ".join(parts) or "recent"


def fts_query(text: str, joiner: str = " OR ") -> str:
    """The query as FTS5 syntax: each whitespace-separated word a quoted phrase, OR-ed (or
    AND-ed with ``joiner=" "``)."""
    words = [w.replace('"', '""') for w in text.split() if any(c.isalnum() for c in w)]
    return joiner.join(f'"{w}"' for w in words)


@dataclass(frozen=True)
class Evidence:
    """Why a record was found: FTS coverage (0..1) and vector similarity (-1..1, 0 = none)."""

    fts: float = 0.0
    vector: float = 0.0
    fts_rank: float = 0.0  # 0..1: its BM25 relative to the best of its list

    @property
    def score(self) -> float:
        sim = min(1.0, max(0.0, (self.vector - SIM_LOW) / (SIM_HIGH - SIM_LOW)))
        return FTS_WEIGHT * self.fts ** 2 * (0.8 + 0.2 * self.fts_rank) + VECTOR_WEIGHT * sim

    @property
    def relevant(self) -> bool:
        return self.fts >= MIN_COVERAGE or self.vector >= MIN_SIMILARITY

    @property
    def matched(self) -> tuple[str, ...]:
        return tuple(name for name, value in (("fts", self.fts), ("vector", self.vector)) if value > 0)


def _wanted(filters: Filters, kind: str) -> bool:
    if not filters.types:
        return True
    return ("summary" in filters.types) if kind == "summaries" else any(
        t != "summary" for t in filters.types)


def _fts_ranked(conn: sqlite3.Connection, table: str, match: str, filters: Filters,
                limit: int) -> list[tuple[int, float]]:
    """(id, bm25) of the best ``limit`` matches under ``filters``. With a filter, the best
    ``OVERFETCH * limit`` of the whole table are ranked on the FTS index alone and filtered by id: if
    ``limit`` of them pass, they are exactly the filtered best; only a more selective filter
    pays for a join on every match."""
    floor = _newest(conn, table, match)
    if matching.where(filters, table)[0] == "1":
        return matching.fts_best(conn, table, match, FTS_WEIGHTS[table], limit, floor)
    wide = matching.fts_best(conn, table, match, FTS_WEIGHTS[table], limit * OVERFETCH, floor)
    keep = set(matching.passing(conn, table, [i for i, _ in wide], filters))
    passed = [(i, r) for i, r in wide if i in keep]
    if len(passed) >= limit or (len(wide) < limit * OVERFETCH and not floor):
        return passed[:limit]  # enough passed, or every match was seen
    return matching.fts_best_where(conn, table, match, FTS_WEIGHTS[table], filters, limit)


def _newest(conn: sqlite3.Connection, table: str, match: str) -> int:
    """The lowest id BM25 ranks for ``match``: the ``RANK_MOST``-th newest match, or 0 when
    there are fewer. Scoring is the cost of an FTS query (a query holding three common words of
    a 100,000-record store matches 6,000 records: 20 ms of BM25, 0.7 ms to count them), and
    listing match ids newest first costs no scoring at all."""
    return matching.fts_nth_newest(conn, table, match, RANK_MOST)


def _fts_rows(conn: sqlite3.Connection, table: str, match: str, filters: Filters,
              limit: int) -> list[tuple[int, float, str]]:
    """(id, bm25, text) of the best ``limit`` matches: ranked on ids alone, then the text of
    those few read (SQLite would otherwise build the text of every match before sorting)."""
    ranked = _fts_ranked(conn, table, match, filters, limit)
    text = matching.texts(conn, table, [i for i, _ in ranked])
    return [(i, rank, text.get(i, "")) for i, rank in ranked]


def fts_evidence(conn: sqlite3.Connection, text: str, filters: Filters,
                 depth: int = DEPTH) -> dict[str, Evidence]:
    """Records holding every content word of ``text`` (coverage 1), then, when those are
    fewer than ``depth``, records holding some (their IDF-weighted coverage). BM25 is scaled
    by the best of both tables, so observations and summaries compete on their scores."""
    words = terms.query_words(text)
    found: dict[str, tuple[float, float]] = {}
    for table, prefix in PREFIX.items():
        if not words or not _wanted(filters, table):
            continue
        idf = Idf(conn, table, 0.2, IDF_CAP)
        counts = [idf.docs(w) for w in words] if len(words) > 1 else [1]
        weights = [idf.weight_of(n) for n in counts] if len(words) > 1 else [1.0]
        # Any-word matches only through words that are not common: a record holding nothing
        # but common words cannot reach the coverage floor, and listing them costs the most.
        rare = [w for w, n in zip(words, counts, strict=True) if n < idf.cap] or words
        for joiner in (" ", " OR "):
            chosen = words if joiner == " " else rare
            rows = _fts_rows(conn, table, joiner.join(terms.phrase(w) for w in chosen), filters, depth)
            for rid, rank, body in rows:
                cover = 1.0 if joiner == " " else terms.coverage(terms.tokens(body), words, weights)
                found.setdefault(f"{prefix}:{rid}", (cover, rank))
            if len(rows) >= depth or len(words) < 2:
                break
    best = min((rank for _, rank in found.values()), default=-1.0) or -1.0
    return {ref: Evidence(fts=cover, fts_rank=rank / best) for ref, (cover, rank) in found.items()}


def fts_ranked(conn: sqlite3.Connection, text: str, filters: Filters, limit: int) -> list[str]:
    """Doc refs ("obs:12", "sum:3") by FTS evidence alone (best first)."""
    found = fts_evidence(conn, text, filters)
    return sorted(found, key=lambda ref: -found[ref].score)[:limit]


def vector_where(filters: Filters) -> dict[str, object] | None:
    from ..index import where_filter
    from ..index.docs import epoch

    types = tuple(t for t in filters.types if t != "summary")
    kind = None if not filters.types or ("summary" in filters.types and types) else (
        "summary" if not types else "observation")
    return where_filter(filters.project, kind, types if kind == "observation" else (),
                        epoch(filters.since) if filters.since else None,
                        epoch(filters.until) if filters.until else None)


def _passing(conn: sqlite3.Connection, refs: list[str], filters: Filters) -> set[str]:
    """The refs whose rows exist and pass ``filters``."""
    out: set[str] = set()
    for table, prefix in PREFIX.items():
        ids = [int(r.split(":")[1]) for r in refs if r.startswith(prefix + ":")]
        if not ids or not _wanted(filters, table):
            continue
        out.update(f"{prefix}:{i}" for i in matching.passing(conn, table, ids, filters))
    return out


def vector_evidence(conn: sqlite3.Connection, index: VectorIndex | None, text: str,
                    filters: Filters, depth: int = DEPTH) -> dict[str, Evidence]:
    """Similarity of the nearest records under ``filters``. Filtered queries over-fetch from
    the whole index and filter in SQLite (a filtered HNSW search grows with the index); only a
    filter that leaves too few asks the index with the filter itself."""
    if index is None or not text.strip():
        return {}
    try:
        if filters == Filters():
            hits = index.query(text, depth, None)
        else:
            hits = index.query(text, depth * 4, None)
            kept = _passing(conn, [h.id for h in hits], filters)
            if len(kept) < depth // 3 and len(hits) == depth * 4:
                hits = index.query(text, depth, vector_where(filters))
                kept = _passing(conn, [h.id for h in hits], filters)
            hits = [h for h in hits if h.id in kept][:depth]
    except Exception:  # a failing index must never break search: FTS still answers
        return {}
    return {h.id: Evidence(vector=1.0 - h.distance) for h in hits}


def vector_ranked(index: VectorIndex | None, text: str, filters: Filters, limit: int) -> list[str]:
    """Doc refs by vector similarity alone, only the project filter applied (for benchmarks)."""
    if index is None or not text.strip():
        return []
    where: dict[str, object] = {"project": filters.project} if filters.project else {}
    try:
        return [h.id for h in index.query(text, limit, where or None)]
    except Exception:
        return []


def combine(*legs: dict[str, Evidence]) -> dict[str, Evidence]:
    """One Evidence per ref from the legs' evidence."""
    out: dict[str, Evidence] = {}
    for leg in legs:
        for ref, ev in leg.items():
            have = out.get(ref, Evidence())
            out[ref] = Evidence(max(have.fts, ev.fts), max(have.vector, ev.vector),
                                max(have.fts_rank, ev.fts_rank))
    return out


def with_dates(query: str, filters: Filters, now: str | dt.datetime | None = None) -> tuple[str, Filters]:
    """The query without its date words, and ``filters`` narrowed to the dates it names."""
    moment = now if isinstance(now, dt.datetime) else (
        dt.datetime.fromisoformat(now.replace("Z", "+00:00")) if now else dt.datetime.now(dt.timezone.utc))
    text, since, until = dates.parse(query, moment)
    if since is None and until is None:
        return query, filters
    since = max(filter(None, (since, filters.since)), default=None)
    until = min(filter(None, (until, filters.until)), default=None)
    return text, replace(filters, since=since, until=until)


def search(conn: sqlite3.Connection, query: str, filters: Filters = Filters(), limit: int = 10,
           index: VectorIndex | None = None, *, now: str | dt.datetime | None = None,
           legs: tuple[str, ...] = ("fts", "vector")) -> list[Hit]:
    """The best ``limit`` relevant records for ``query`` under ``filters`` (newest first if no
    query; nothing when no record is relevant). Dates in the query narrow ``filters``."""
    if not query.strip():
        return recent(conn, filters, limit)
    text, filters = with_dates(query, filters, now)
    if " " in text.strip():
        from .anchors import narrow  # "before the migration": dated by the migration's record

        text, filters = narrow(conn, text, filters)
    if not text.strip() or not terms.query_words(text):
        return recent(conn, filters, limit) if text != query else []
    evidence = combine(fts_evidence(conn, text, filters) if "fts" in legs else {},
                       vector_evidence(conn, index, text, filters) if "vector" in legs else {})
    relevant = {ref: ev for ref, ev in evidence.items() if ev.relevant}
    hits = details_first([h for h in load_hits(conn, relevant, filters) if h is not None])
    hits.sort(key=lambda h: (-h.score, _neg_time(h.created_at), h.ref))
    return hits[:limit]


def details_first(hits: list[Hit]) -> list[Hit]:
    """A session summary found together with one of its own observations scoring nearly as
    well goes just below it: the observation is the specific record, the summary its overview."""
    best: dict[str, float] = {}
    for hit in hits:
        if hit.kind == "observation":
            best[hit.session_id] = max(best.get(hit.session_id, 0.0), hit.score)
    out = []
    for hit in hits:
        detail = best.get(hit.session_id, 0.0) if hit.kind == "summary" else 0.0
        if detail >= SUMMARY_YIELD * hit.score and detail < hit.score:
            hit = replace(hit, score=detail - 1e-6)
        out.append(hit)
    return out


def _neg_time(stamp: str) -> tuple[int, ...]:
    return tuple(-ord(c) for c in stamp)


def load_hits(conn: sqlite3.Connection, fused: dict[str, Evidence],
              filters: Filters) -> list[Hit | None]:
    """Hits for the fused refs whose records pass the filters (vector hits are filtered here too)."""
    out: list[Hit | None] = []
    for table, prefix in PREFIX.items():
        ids = [int(r.split(":")[1]) for r in fused if r.startswith(prefix + ":")]
        if not ids or not _wanted(filters, table):
            continue
        out += [_hit(record, fused[f"{prefix}:{record.id}"])
                for record in matching.matching(conn, table, ids, filters)]
    return out


def _hit(record: StoredObservation | StoredSummary, ev: Evidence | None = None) -> Hit:
    ev = ev or Evidence()
    if isinstance(record, StoredObservation):
        kind, type_, title, subtitle = "observation", record.type, record.title, record.subtitle
        files = tuple(dict.fromkeys(record.files_modified + record.files_read))
    else:
        kind, type_, title, subtitle, files = "summary", "summary", record.request, record.completed, ()
    return Hit(record.id, kind, type_, title, subtitle, record.project, record.session_id,
               record.created_at, files, ev.score if ev.matched else 0.0, ev.matched, record.flagged,
               ev.fts, ev.vector)


def recent(conn: sqlite3.Connection, filters: Filters, limit: int) -> list[Hit]:
    hits: list[Hit] = []
    for table in PREFIX:
        if _wanted(filters, table):
            hits += [_hit(record) for record in matching.newest(conn, table, filters, limit)]
    hits.sort(key=lambda h: h.created_at, reverse=True)
    return hits[:limit]
