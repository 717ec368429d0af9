"""The viewer's Starlette application: routes, static files, the guard, JSON errors."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from ..errors import RecallError
from . import api, forget_api, settings_api, stream
from .auth import Gate
from .security import Guard
from .state import Viewer

STATIC = Path(__file__).resolve().parent / "static"


def index_page(request: Request) -> Response:
    return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})


def routes() -> list[BaseRoute]:
    return [
        Route("/", index_page),
        Route("/api/health", api.health),
        Route("/api/status", api.status),
        Route("/api/observations", api.observations),
        Route("/api/summaries", api.summaries),
        Route("/api/search", api.search_records),
        Route("/api/projects", api.projects),
        Route("/api/vocab", api.vocab),
        Route("/api/sessions", api.sessions),
        Route("/api/sessions/{session_id:path}", api.session),
        Route("/api/usage", api.usage),
        Route("/api/stream", stream.stream),
        Route("/api/settings", settings_api.get_settings, methods=["GET"]),
        Route("/api/settings", settings_api.post_settings, methods=["POST"]),
        Route("/api/forget", forget_api.post_forget, methods=["POST"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return JSONResponse({"error": exc.detail}, exc.status_code, headers=exc.headers)


async def store_error(request: Request, exc: Exception) -> Response:
    return JSONResponse({"error": f"the store is unavailable: {exc}"}, 503)


def create_app(data_dir: str | None = None, *, token: str, port: int | None = None) -> Starlette:
    """The viewer for ``data_dir`` (default: the configured one), answering only requests that
    carry ``token`` (``auth.py``). ``port`` is the port it listens on, for the Host and Origin
    checks and the cookie's name; None reads it from each request's socket."""
    app = Starlette(routes=routes(),
                    middleware=[Middleware(Guard, port=port), Middleware(Gate, token=token, port=port)],
                    exception_handlers={HTTPException: http_error, RecallError: store_error,
                                        sqlite3.Error: store_error})
    app.state.viewer = Viewer(data_dir)
    app.state.token = token
    return app
