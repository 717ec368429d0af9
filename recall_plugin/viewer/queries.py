"""Read-only SQL behind the viewer's API: feed pages, sessions, usage, and the stream's cursor."""

from __future__ import annotations

import sqlite3
from dataclasses import asdict

from ..search import Hit
from ..search.records import get_observations, observation_dict
from ..store import feed
from . import shapes


def row_dict(row: sqlite3.Row) -> dict[str, object]:
    return dict(row)


def summary_dict(row: sqlite3.Row) -> dict[str, object]:
    return {**row_dict(row), "kind": "summary"}


def _where(project: str | None, before: int | None, types: tuple[str, ...] = ()
           ) -> tuple[str, list[object]]:
    clauses: list[str] = []
    args: list[object] = []
    if project:
        clauses.append("project = ?")
        args.append(project)
    if types:
        clauses.append(f"type IN ({','.join('?' * len(types))})")
        args += types
    if before is not None:
        clauses.append("id < ?")
        args.append(before)
    return " AND ".join(clauses) or "1", args


def observations_page(conn: sqlite3.Connection, *, project: str | None, types: tuple[str, ...],
                      before: int | None, limit: int) -> list[dict[str, object]]:
    """Newest observations first (by id), older than ``before`` when given."""
    where, args = _where(project, before, types)
    rows = conn.execute(f"SELECT * FROM observations WHERE {where} ORDER BY id DESC LIMIT ?",
                        [*args, limit])
    return [observation_dict(r) for r in rows]


def summaries_page(conn: sqlite3.Connection, *, project: str | None, before: int | None,
                   limit: int) -> list[dict[str, object]]:
    where, args = _where(project, before)
    rows = conn.execute(f"SELECT * FROM summaries WHERE {where} ORDER BY id DESC LIMIT ?",
                        [*args, limit])
    return [summary_dict(r) for r in rows]


def observations_after(conn: sqlite3.Connection, after: int, limit: int) -> list[dict[str, object]]:
    rows = conn.execute("SELECT * FROM observations WHERE id > ? ORDER BY id LIMIT ?", (after, limit))
    return [observation_dict(r) for r in rows]


def summaries_since(conn: sqlite3.Connection, stamp: str, limit: int) -> list[dict[str, object]]:
    """Summaries written or replaced after ``stamp`` (a replaced summary keeps its id)."""
    rows = conn.execute("SELECT * FROM summaries WHERE updated_at > ? ORDER BY updated_at, id"
                        " LIMIT ?", (stamp, limit))
    return [summary_dict(r) for r in rows]


def records_for(conn: sqlite3.Connection, hits: list[Hit]) -> list[dict[str, object]]:
    """Full records for search hits, in hit order, with the hit's score and what matched."""
    observations = {int(str(r["id"])): r for r in
                    get_observations(conn, [h.id for h in hits if h.kind == "observation"])}
    sum_ids = [h.id for h in hits if h.kind == "summary"]
    rows = conn.execute(f"SELECT * FROM summaries WHERE id IN ({','.join('?' * len(sum_ids))})",
                        sum_ids) if sum_ids else []
    summaries = {int(r["id"]): summary_dict(r) for r in rows}
    out = []
    for hit in hits:
        record = (observations if hit.kind == "observation" else summaries).get(hit.id)
        if record is not None:
            out.append({**record, "score": round(hit.score, 6), "matched": list(hit.matched),
                        "evidence": {"fts": round(hit.fts, 3), "vector": round(hit.vector, 3)}})
    return out


def session_view(conn: sqlite3.Connection, session_id: str) -> dict[str, object] | None:
    """One session in order: prompts, the observations made from each, then the summary."""
    session = feed.session_row(conn, session_id)
    prompts = [shapes.prompt(p) for p in feed.prompts_of(conn, session_id)]
    observations = [observation_dict(r) for r in conn.execute(
        "SELECT * FROM observations WHERE session_id = ?", (session_id,))]
    summary = conn.execute("SELECT * FROM summaries WHERE session_id = ?", (session_id,)).fetchone()
    if session is None and not prompts and not observations and summary is None:
        return None
    items = sorted(prompts + observations, key=_order)
    project = session.project if session else next(
        (str(i.get("project")) for i in [*observations, *([row_dict(summary)] if summary else [])]), "")
    return {"session_id": session_id, "project": project,
            "session": asdict(session) if session else None,
            "items": items, "summary": summary_dict(summary) if summary else None,
            "counts": {"prompts": len(prompts), "observations": len(observations)}}


def _order(item: dict[str, object]) -> tuple[int, int, str, int]:
    number = item.get("prompt_number")
    return (int(str(number)) if number is not None else 1 << 30,
            0 if item["kind"] == "prompt" else 1, str(item["created_at"]), int(str(item["id"])))


