"""Read-only SQL behind the viewer's API: feed pages, sessions, usage, and the stream's cursor."""

from __future__ import annotations

import sqlite3

from ..search import Hit
from ..search.records import get_observations, observation_dict
from ..store.projects import project_label


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


def cursor(conn: sqlite3.Connection) -> dict[str, object]:
    """Where the live stream should start for a page loaded now."""
    obs = conn.execute("SELECT coalesce(max(id), 0) FROM observations").fetchone()[0]
    stamp = conn.execute("SELECT coalesce(max(updated_at), '') FROM summaries").fetchone()[0]
    return {"obs": int(obs), "sum": str(stamp)}


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
    session = conn.execute("SELECT * FROM sessions WHERE session_id = ?", (session_id,)).fetchone()
    prompts = [{**row_dict(r), "kind": "prompt"} for r in conn.execute(
        "SELECT id, prompt_number, text, private, created_at FROM prompts WHERE session_id = ?",
        (session_id,))]
    observations = [observation_dict(r) for r in conn.execute(
        "SELECT * FROM observations WHERE session_id = ?", (session_id,))]
    summary = conn.execute("SELECT * FROM summaries WHERE session_id = ?", (session_id,)).fetchone()
    if session is None and not prompts and not observations and summary is None:
        return None
    items = sorted(prompts + observations, key=_order)
    project = session["project"] if session else next(
        (str(i.get("project")) for i in [*observations, *([row_dict(summary)] if summary else [])]), "")
    return {"session_id": session_id, "project": project,
            "session": row_dict(session) if session else None,
            "items": items, "summary": summary_dict(summary) if summary else None,
            "counts": {"prompts": len(prompts), "observations": len(observations)}}


def _order(item: dict[str, object]) -> tuple[int, int, str, int]:
    number = item.get("prompt_number")
    return (int(str(number)) if number is not None else 1 << 30,
            0 if item["kind"] == "prompt" else 1, str(item["created_at"]), int(str(item["id"])))


def sessions_page(conn: sqlite3.Connection, *, project: str | None, limit: int
                  ) -> list[dict[str, object]]:
    """Recent sessions (from captured sessions, or from observations when none were captured)."""
    scope, args = ("WHERE project = ?", [project]) if project else ("", [])
    rows = conn.execute(f"""
        WITH ids AS (SELECT session_id, project, max(created_at) AS at FROM observations {scope}
                     GROUP BY session_id
                     UNION ALL SELECT session_id, project, last_event_at FROM sessions {scope})
        SELECT ids.session_id, min(ids.project) AS project, max(ids.at) AS last_at,
               (SELECT count(*) FROM observations o WHERE o.session_id = ids.session_id) AS observations,
               (SELECT count(*) FROM prompts p WHERE p.session_id = ids.session_id) AS prompts,
               (SELECT request FROM summaries s WHERE s.session_id = ids.session_id) AS request,
               (SELECT text FROM prompts p WHERE p.session_id = ids.session_id AND NOT p.private
                ORDER BY prompt_number LIMIT 1) AS first_prompt
        FROM ids GROUP BY ids.session_id ORDER BY last_at DESC LIMIT ?""", [*args, *args, limit])
    return [row_dict(r) for r in rows]


def projects(conn: sqlite3.Connection) -> list[dict[str, object]]:
    rows = conn.execute("SELECT project, count(*) AS observations, max(created_at) AS last_at"
                        " FROM observations GROUP BY project ORDER BY last_at DESC")
    return [{**row_dict(r), "name": project_label(conn, r["project"])} for r in rows]


def usage(conn: sqlite3.Connection, days: int) -> dict[str, object]:
    """Tokens and estimated cost per day and provider for the last ``days`` days, and totals."""
    sums = ("count(*) AS calls, coalesce(sum(input_tokens), 0) AS input_tokens,"
            " coalesce(sum(output_tokens), 0) AS output_tokens,"
            " coalesce(sum(total_tokens), 0) AS total_tokens,"
            " round(coalesce(sum(cost_usd), 0), 6) AS cost_usd")
    since = f"date('now', '-{int(days) - 1} days')"
    by_day = conn.execute(f"SELECT substr(created_at, 1, 10) AS day, provider, {sums}"
                          f" FROM provider_calls WHERE created_at >= {since} GROUP BY 1, 2 ORDER BY 1, 2")
    by_provider = conn.execute(f"SELECT provider, {sums} FROM provider_calls GROUP BY 1 ORDER BY 5 DESC")
    by_model = conn.execute(f"SELECT provider, model, {sums} FROM provider_calls GROUP BY 1, 2"
                            " ORDER BY 6 DESC LIMIT 20")
    today = conn.execute(f"SELECT {sums} FROM provider_calls WHERE created_at >= date('now')")
    totals = conn.execute(f"SELECT {sums} FROM provider_calls")
    return {"days": int(days), "by_day": [row_dict(r) for r in by_day],
            "by_provider": [row_dict(r) for r in by_provider],
            "by_model": [row_dict(r) for r in by_model],
            "today": row_dict(today.fetchone()), "totals": row_dict(totals.fetchone())}


def last_call(conn: sqlite3.Connection) -> dict[str, object] | None:
    row = conn.execute("SELECT provider, model, status, error, total_tokens, cost_usd, duration_ms,"
                       " created_at FROM provider_calls ORDER BY id DESC LIMIT 1").fetchone()
    return row_dict(row) if row else None


def provider_error(conn: sqlite3.Connection, last_error: str | None) -> dict[str, str] | None:
    """The extractor's last error as ``{"at", "text"}``, or None once a provider call has
    succeeded after it (the banner then has nothing left to warn about)."""
    if not last_error:
        return None
    stamp, _, text = last_error.partition(" ")
    if not (len(stamp) >= 19 and stamp[4:5] == "-" and stamp[10:11] == "T"):
        stamp, text = "", last_error
    row = conn.execute("SELECT MAX(created_at) FROM provider_calls WHERE status = 'ok'").fetchone()
    last_ok = str(row[0]) if row and row[0] else ""
    if last_ok and (not stamp or last_ok > stamp):
        return None
    return {"at": stamp, "text": text}
