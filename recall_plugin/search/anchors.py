"""Events as points in time: "deploy issues before the shipped_at migration" searches "deploy
issues" among the records older than the record the memory holds for "shipped_at migration".

An event is dated by the record of the same filters (project, types) that holds every content
word of it, the best such record by BM25, newest on a tie. An event the memory does not hold
leaves the query as it was, words and all: no guess narrows a search. The event's own record is
never part of the answer ("since" and "after" start just after it, "before" and "until" stop at
it).
"""

from __future__ import annotations

import sqlite3
from dataclasses import replace

from .. import querydates as dates
from . import Filters, fts_evidence, load_hits

JUST_AFTER = "~"  # sorts after every character of an ISO timestamp: "stamp~" is just past "stamp"


def when(conn: sqlite3.Connection, event: str, filters: Filters) -> str | None:
    """The ``created_at`` of the record that dates ``event`` (None: no record holds it)."""
    scope = replace(filters, since=None, until=None)
    held = {ref: ev for ref, ev in fts_evidence(conn, event, scope).items() if ev.fts >= 1.0}
    if not held:
        return None
    hits = [h for h in load_hits(conn, held, scope) if h is not None]
    best = max(hits, key=lambda h: (held[h.ref].fts_rank, h.created_at), default=None)
    return best.created_at if best else None


def narrow(conn: sqlite3.Connection, text: str, filters: Filters) -> tuple[str, Filters]:
    """``text`` without the events it names as points in time, and ``filters`` narrowed to the
    span they bound; unchanged when it names none or one the memory does not hold."""
    rest, found = dates.anchors(text)
    if not found:
        return text, filters
    since, until = filters.since, filters.until
    for mode, event in found:
        stamp = when(conn, event, filters)
        if stamp is None:
            return text, filters
        if mode in ("before", "until"):
            until = min(filter(None, (until, stamp)))
        else:
            since = max(filter(None, (since, stamp + JUST_AFTER)))
    return rest, replace(filters, since=since, until=until)

