"""Chroma clients: local folder, server or cloud, by ``CLAUDE_RECALL_INDEX_MODE``.

local: ``PersistentClient(<data dir>/chroma)`` in this process; server: ``HttpClient`` after a
TCP probe, so a dead host fails in seconds rather than never; cloud: ``CloudClient``.

A local Chroma folder is not made for several processes (the extractor, the MCP server, the
CLI): each keeps the vector index in memory. So each process keeps one client per folder
(``Local``), reopened whenever ``chroma.sqlite3`` changed under it; writers also take
``<data dir>/chroma.lock`` (see ``chroma.ChromaIndex.writing``). ``chromadb`` is imported
lazily: it costs about half a second.
"""

from __future__ import annotations

import hashlib
import os
import socket
import threading
from typing import TYPE_CHECKING, Any

from .. import paths
from ..errors import IndexUnavailable

if TYPE_CHECKING:
    from chromadb.api import ClientAPI

    from ..settings import Settings

PROBE_TIMEOUT_S = 3.0


def chroma_dir(settings: Settings) -> str:
    return os.path.join(settings.data_dir, "chroma")


def location(settings: Settings) -> str:
    """Where the index lives, for messages."""
    mode = settings.text("CLAUDE_RECALL_INDEX_MODE")
    if mode == "server":
        scheme = "https" if settings.flag("CLAUDE_RECALL_CHROMA_SSL") else "http"
        return f"{scheme}://{settings.text('CLAUDE_RECALL_CHROMA_HOST')}:" \
               f"{settings.number('CLAUDE_RECALL_CHROMA_PORT')}"
    if mode == "cloud":
        return f"Chroma Cloud ({settings.text('CLAUDE_RECALL_CHROMA_TENANT') or 'default tenant'})"
    return chroma_dir(settings)


def _quiet() -> Any:
    from chromadb.config import Settings as ChromaSettings

    return ChromaSettings(anonymized_telemetry=False)


class Local:
    """This process's client for one Chroma folder, reopened when another process wrote to it."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.client: ClientAPI | None = None
        self.seen: tuple[int, ...] = ()
        self.generation = 0
        self.mutex = threading.RLock()

    def stamp(self) -> tuple[int, ...]:
        found: list[int] = []
        for name in ("chroma.sqlite3", "chroma.sqlite3-wal"):
            try:
                info = os.stat(os.path.join(self.path, name))
                found += [info.st_mtime_ns, info.st_size]
            except OSError:
                found += [0, 0]
        return tuple(found)

    def current(self) -> ClientAPI:
        with self.mutex:
            if self.client is None or self.stamp() != self.seen:
                self.reopen()
            assert self.client is not None
            return self.client

    def reopen(self) -> None:
        import chromadb

        close = getattr(self.client, "close", None)
        if close is not None:
            close()
        paths.ensure_dir(self.path)
        self.client = chromadb.PersistentClient(path=self.path, settings=_quiet())
        self.seen, self.generation = self.stamp(), self.generation + 1

    def wrote(self) -> None:
        """Our own write changed the folder: no need to reopen for it."""
        self.seen = self.stamp()


_LOCALS: dict[str, Local] = {}
_REMOTE: dict[str, ClientAPI] = {}


def local(path: str) -> Local:
    return _LOCALS.setdefault(path, Local(path))


def connect(settings: Settings) -> ClientAPI:
    """A client for the configured mode; ``IndexUnavailable`` when off or unreachable."""
    mode = settings.text("CLAUDE_RECALL_INDEX_MODE")
    if mode == "off":
        raise IndexUnavailable("the vector index is off (CLAUDE_RECALL_INDEX_MODE=off)", kind="off")
    try:
        if mode == "server":
            return _server(settings)
        if mode == "cloud":
            return _cloud(settings)
        return local(chroma_dir(settings)).current()
    except IndexUnavailable:
        raise
    except Exception as exc:
        kind = "error" if mode == "local" else "unreachable"
        raise IndexUnavailable(f"Chroma at {location(settings)} cannot be used: {exc}", kind=kind) from exc


def _server(settings: Settings) -> ClientAPI:
    import chromadb

    host, port = settings.text("CLAUDE_RECALL_CHROMA_HOST"), settings.number("CLAUDE_RECALL_CHROMA_PORT")
    try:
        socket.create_connection((host, port), timeout=PROBE_TIMEOUT_S).close()
    except OSError as exc:
        raise IndexUnavailable(f"Chroma server at {location(settings)} unreachable: {exc}",
                               kind="unreachable") from exc
    ssl = settings.flag("CLAUDE_RECALL_CHROMA_SSL")
    key = f"{host}:{port}:{ssl}"
    if key not in _REMOTE:  # one client (and HTTP connection pool) per server per process
        _REMOTE[key] = chromadb.HttpClient(host=host, port=port, ssl=ssl, settings=_quiet())
    return _REMOTE[key]


def _cloud(settings: Settings) -> ClientAPI:
    import chromadb

    key = settings.text("CLAUDE_RECALL_CHROMA_API_KEY")
    if not key:
        raise IndexUnavailable("cloud mode needs CLAUDE_RECALL_CHROMA_API_KEY (or CHROMA_API_KEY)",
                               kind="unreachable")
    tenant = settings.text("CLAUDE_RECALL_CHROMA_TENANT")
    database = settings.text("CLAUDE_RECALL_CHROMA_DATABASE")
    ident = f"cloud:{tenant}:{database}:{hashlib.sha256(key.encode()).hexdigest()}"
    if ident not in _REMOTE:
        _REMOTE[ident] = chromadb.CloudClient(tenant=tenant or None, database=database or None, api_key=key,
                                              settings=_quiet())
    return _REMOTE[ident]
