"""``POST /api/forget``: forget from the UI, through ``recall_plugin.lifecycle.forget``.

The browser asks twice: first with ``"dry_run": true`` to show what would go, then with the
reason the user typed. A missing reason is refused by ``forget`` itself (400), before
anything is removed.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import TypedDict

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from .api import viewer_of
from .security import MAX_BODY_BYTES, read_body
from .state import Viewer


class Chosen(TypedDict):
    ids: list[str]
    query: str | None
    session_id: str | None
    project: str | None
    since: str | None
    until: str | None


def selectors(body: dict[str, object]) -> Chosen:
    """The keyword arguments of ``forget``/``plan`` from the request body (ValueError: 400)."""
    ids = body.get("ids", [])
    if not isinstance(ids, list) or not all(isinstance(i, (int, str)) for i in ids):
        raise ValueError("ids must be a list of memory ids (12, obs:12 or sum:3)")
    text: dict[str, str | None] = {}
    for name in ("query", "session_id", "project", "since", "until"):
        value = body.get(name)
        if value is not None and not isinstance(value, str):
            raise ValueError(f"{name} must be a string")
        text[name] = value or None
    return Chosen(ids=[str(i) for i in ids], query=text["query"], session_id=text["session_id"],
                  project=text["project"], since=text["since"], until=text["until"])


async def post_forget(request: Request) -> Response:
    body = await read_body(request, MAX_BODY_BYTES)
    return await run_in_threadpool(apply_forget, viewer_of(request), body)


def apply_forget(viewer: Viewer, body: bytes) -> Response:
    try:
        data = json.loads(body or b"null")
        if not isinstance(data, dict):
            raise ValueError("expected a JSON object")
        chosen = selectors(data)
        if data.get("dry_run"):
            return preview(viewer, chosen)
        reason = data.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            raise ValueError("a reason is required to forget (it is logged with the ids removed)")
        return remove(viewer, chosen, reason)
    except ValueError as exc:
        return viewer.json({"ok": False, "error": str(exc)}, 400)


def preview(viewer: Viewer, chosen: Chosen) -> Response:
    from ..lifecycle import forget  # imported on use: the viewer starts without it

    with viewer.read() as conn:
        plan = forget.plan(conn, **chosen)
    return viewer.json({"ok": True, "dry_run": True, "items": [asdict(i) for i in plan.items],
                        "counts": {table: len(plan.rowids(table)) for table in forget.TABLES}})


def remove(viewer: Viewer, chosen: Chosen, reason: str) -> Response:
    from ..lifecycle import forget

    index = viewer.index(viewer.conf())
    with viewer.write() as conn:
        report = forget.forget(conn, **chosen, reason=reason, index=index)
    return viewer.json({"ok": True, "report": asdict(report)})
