"""Read endpoints of the viewer's JSON API (shapes in the package docstring).

Handlers are plain functions: Starlette runs them in its thread pool, so SQLite and the
vector index never block the event loop.
"""

from __future__ import annotations

import os
import sqlite3

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from .. import __version__, paths, settings
from ..queue import spool
from ..search import Filters, search
from ..store import calls, feed, stats
from ..store import observations as stored_observations
from ..store import summaries as stored_summaries
from ..vocab import EVENT_KINDS, OBSERVATION_TYPES, PROVIDER_NAMES, RECORD_TYPES
from . import auth, shapes
from .state import Viewer

MAX_LIMIT = 200


def viewer_of(request: Request) -> Viewer:
    found = request.app.state.viewer
    assert isinstance(found, Viewer)
    return found


def int_param(request: Request, name: str, default: int | None, low: int = 0,
              high: int = 1 << 62) -> int | None:
    raw = request.query_params.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise HTTPException(400, f"{name} must be a whole number, got {raw!r}") from None
    return max(low, min(high, value))


def limit_param(request: Request, default: int) -> int:
    return int_param(request, "limit", default, 1, MAX_LIMIT) or default


def types_param(request: Request) -> tuple[str, ...]:
    """``type=a&type=b`` or ``type=a,b``; each an observation type or ``summary``."""
    words = [w.strip() for raw in request.query_params.getlist("type") for w in raw.split(",")]
    types = tuple(dict.fromkeys(w for w in words if w))
    unknown = [t for t in types if t not in RECORD_TYPES]
    if unknown:
        raise HTTPException(400, f"unknown type {unknown[0]!r}; expected one of "
                                 f"{', '.join(RECORD_TYPES)}")
    return types


def text_param(request: Request, name: str) -> str | None:
    return request.query_params.get(name, "").strip() or None


def health(request: Request) -> Response:
    """Who this viewer is; with ``?challenge=<nonce>``, also the proof that it holds the
    token (``auth.server_proof``), which ``claude-recall viewer`` checks before reusing it."""
    viewer = viewer_of(request)
    data: dict[str, object] = {"ok": True, "app": "claude-recall-viewer", "version": __version__,
                               "data_dir": viewer.data_dir, "pid": os.getpid()}
    nonce = request.query_params.get("challenge", "")
    if 0 < len(nonce) <= auth.MAX_NONCE_CHARS:
        data["proof"] = auth.server_proof(str(request.app.state.token), nonce)
    return viewer.json(data)


def observations(request: Request) -> Response:
    viewer, project = viewer_of(request), text_param(request, "project")
    asked = types_param(request)
    types = tuple(t for t in asked if t != "summary")
    before, limit = int_param(request, "before", None, 1), limit_param(request, 50)
    with viewer.read() as conn:
        found = [] if asked and not types else stored_observations.page(
            conn, project=project, types=types, before=before, limit=limit)
        cursor = feed.cursor(conn)
    next_before = found[-1].id if len(found) == limit else None
    return viewer.json({"items": [shapes.observation(o) for o in found], "next_before": next_before,
                        "cursor": shapes.cursor(cursor)})


def summaries(request: Request) -> Response:
    viewer, project = viewer_of(request), text_param(request, "project")
    before, limit = int_param(request, "before", None, 1), limit_param(request, 20)
    with viewer.read() as conn:
        found = stored_summaries.page(conn, project=project, before=before, limit=limit)
        cursor = feed.cursor(conn)
    next_before = found[-1].id if len(found) == limit else None
    return viewer.json({"items": [shapes.summary(s) for s in found], "next_before": next_before,
                        "cursor": shapes.cursor(cursor)})


def search_records(request: Request) -> Response:
    """The CLI's hybrid search (FTS5 + vectors, fused); an empty query lists the newest."""
    viewer, conf = viewer_of(request), viewer_of(request).conf()
    query = request.query_params.get("q", "")
    filters = Filters(text_param(request, "project"), types_param(request),
                      text_param(request, "since"), text_param(request, "until"),
                      text_param(request, "file"), text_param(request, "concept"))
    limit = limit_param(request, 30)
    index = viewer.index(conf) if query.strip() else None
    with viewer.read() as conn:
        hits = search(conn, query, filters, limit, index)
        found_obs = stored_observations.get(conn, [h.id for h in hits if h.kind == "observation"])
        found_sums = stored_summaries.get(conn, [h.id for h in hits if h.kind == "summary"])
    items = shapes.search_items(hits, found_obs, found_sums)
    return viewer.json({"query": query, "items": items, "vectors": index is not None})


def vocab(request: Request) -> Response:
    """The shared words (``recall_plugin.vocab``), so the page never retypes them."""
    return viewer_of(request).json({"observation_types": list(OBSERVATION_TYPES),
                                    "record_types": list(RECORD_TYPES),
                                    "event_kinds": list(EVENT_KINDS), "providers": list(PROVIDER_NAMES)})


def projects(request: Request) -> Response:
    viewer = viewer_of(request)
    with viewer.read() as conn:
        return viewer.json({"items": [shapes.project(p) for p in feed.projects(conn)]})


def sessions(request: Request) -> Response:
    viewer = viewer_of(request)
    with viewer.read() as conn:
        found = feed.sessions_page(conn, project=text_param(request, "project"),
                                   limit=limit_param(request, 50))
        items = [shapes.session_listing(s) for s in found]
    return viewer.json({"items": items})


def session(request: Request) -> Response:
    viewer, session_id = viewer_of(request), str(request.path_params["session_id"])
    with viewer.read() as conn:
        found = feed.session_view(conn, session_id)
    if found is None:
        raise HTTPException(404, f"no session {session_id!r} in memory")
    return viewer.json(shapes.session_view(found))


def status_data(viewer: Viewer, conn: sqlite3.Connection,
                conf: settings.Settings) -> dict[str, object]:
    """``claude-recall status --json`` without ingesting (the viewer never writes the queue),
    plus the configured model and the last provider call."""
    root = viewer.data_dir
    provider = conf.text("CLAUDE_RECALL_PROVIDER")
    notes = tuple(f"settings: {p}" for p in conf.problems)
    found = stats.collect(conn, root, provider, spool.count_lines(paths.queue_dir(root)), notes)
    data = found.as_dict()
    data.update(model=conf.text(f"CLAUDE_RECALL_{provider.upper()}_MODEL"),
                fallback=conf.text("CLAUDE_RECALL_FALLBACK_PROVIDER"),
                last_call=shapes.last_call(calls.last_call(conn)), version=__version__,
                provider_error=shapes.provider_error(calls.provider_error(conn, found.last_error)))
    return data


def status(request: Request) -> Response:
    viewer = viewer_of(request)
    conf = viewer.conf()
    with viewer.read() as conn:
        data = status_data(viewer, conn, conf)
    return viewer.json(data)


def usage(request: Request) -> Response:
    viewer = viewer_of(request)
    days = int_param(request, "days", 14, 1, 366) or 14
    from ..providers import billing_note

    with viewer.read() as conn:
        found = calls.usage(conn, days)
    return viewer.json({**shapes.usage(found), "billing": billing_note(viewer.conf())})
