"""``GET /api/stream``: server-sent events for the live feed.

Every ``POLL_S`` the server asks SQLite (read-only) for observations with an id above the
last one sent and summaries written after the last ``updated_at`` sent, and sends each as
``event: observation`` / ``event: summary`` with the record as JSON. ``event: status`` (the
``/api/status`` object) is sent at once and again whenever it changes. Each record event
carries ``id: <obs id>|<summary stamp>``, so a reconnecting ``EventSource`` resumes where it
stopped (``Last-Event-ID``); a new client passes the ``cursor`` of its first page as
``?after=<obs id>&since=<summary stamp>``. ``?once=1`` answers one poll and closes.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from ..store import feed, observations, summaries
from . import shapes
from .api import status_data, viewer_of
from .state import Viewer

POLL_S = 1.0
STATUS_EVERY_S = 2.0
HEARTBEAT_S = 15.0
BATCH = 100


class Cursor:
    """What this client has already been sent."""

    def __init__(self, obs: int, stamp: str) -> None:
        self.obs, self.stamp = obs, stamp
        self.status = ""
        self.status_at = 0.0

    @property
    def event_id(self) -> str:
        return f"{self.obs}|{self.stamp}"


def start_cursor(request: Request, conn: sqlite3.Connection) -> Cursor:
    """From ``Last-Event-ID``, else ``?after=&since=``, else what the store holds now."""
    now = feed.cursor(conn)
    obs, stamp = now.observation_id, now.summary_stamp
    last = request.headers.get("last-event-id", "")
    raw_stamp: str | None
    if "|" in last:
        raw_obs, _, raw_stamp = last.partition("|")
    else:
        raw_obs, raw_stamp = request.query_params.get("after", ""), request.query_params.get("since")
    if raw_obs.strip().isdigit():
        obs = int(raw_obs)
    if raw_stamp is not None:
        stamp = raw_stamp
    return Cursor(obs, stamp)


def frame(event: str, data: str, event_id: str | None = None) -> str:
    head = f"event: {event}\n" + (f"id: {event_id}\n" if event_id else "")
    return head + "".join(f"data: {line}\n" for line in data.splitlines() or [""]) + "\n"


def poll(viewer: Viewer, conn: sqlite3.Connection, cursor: Cursor) -> list[str]:
    """The frames for what changed since ``cursor`` (advancing it)."""
    conf = viewer.conf()
    frames = []
    for obs in observations.after(conn, cursor.obs, BATCH):
        cursor.obs = obs.id
        frames.append(frame("observation", viewer.dumps(shapes.observation(obs), conf), cursor.event_id))
    for summary in summaries.updated_since(conn, cursor.stamp, BATCH):
        cursor.stamp = summary.updated_at
        frames.append(frame("summary", viewer.dumps(shapes.summary(summary), conf), cursor.event_id))
    if time.monotonic() - cursor.status_at >= STATUS_EVERY_S:
        cursor.status_at = time.monotonic()
        status = viewer.dumps(status_data(viewer, conn, conf), conf)
        if status != cursor.status:
            cursor.status = status
            frames.append(frame("status", status))
    return frames


async def events(request: Request, viewer: Viewer, once: bool) -> AsyncIterator[str]:
    conn = await run_in_threadpool(viewer.reader)
    try:
        cursor = await run_in_threadpool(start_cursor, request, conn)
        yield "retry: 2000\n\n"
        quiet_since = time.monotonic()
        while True:
            frames = await run_in_threadpool(poll, viewer, conn, cursor)
            for item in frames:
                yield item
            if once:
                return
            if frames:
                quiet_since = time.monotonic()
            elif time.monotonic() - quiet_since >= HEARTBEAT_S:
                quiet_since = time.monotonic()
                yield ": keep-alive\n\n"
            await asyncio.sleep(POLL_S)
    finally:
        conn.close()


async def stream(request: Request) -> Response:
    once = request.query_params.get("once", "") in ("1", "true")
    return StreamingResponse(events(request, viewer_of(request), once),
                             media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
