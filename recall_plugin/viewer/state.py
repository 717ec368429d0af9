"""What every request of the viewer shares: the data dir, store connections, the vector index,
and JSON responses that can never carry a configured secret."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from starlette.responses import Response

from .. import paths, settings
from ..index import VectorIndex, open_for_search
from ..store import db

INDEX_RETRY_S = 60.0
MIN_SECRET_CHARS = 8  # shorter values are not scrubbed: they would mangle ordinary text


class Viewer:
    """The viewer's view of one data dir. It reads the store; forget and settings are its
    only writes, and both go through the same library code as the CLI."""

    def __init__(self, data_dir: str | None = None) -> None:
        self.data_dir = data_dir or paths.data_dir()
        self._index_lock = threading.Lock()
        self._index: VectorIndex | None = None
        self._index_retry_at = 0.0
        self._index_key: tuple[str, ...] = ()
        db.open_store(self.data_dir).close()  # create and migrate once, so readers can open it

    def conf(self) -> settings.Settings:
        """Settings as they are now (re-read on every call: the CLI may change them too)."""
        return settings.load(self.data_dir)

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        conn = self.reader()
        try:
            yield conn
        finally:
            conn.close()

    def reader(self) -> sqlite3.Connection:
        return db.connect(paths.db_file(self.data_dir), readonly=True)

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        conn = db.open_store(self.data_dir)
        try:
            yield conn
        finally:
            conn.close()

    def index(self, conf: settings.Settings) -> VectorIndex | None:
        """The vector index when one is usable: opened once per index configuration; a
        failure is retried after a while. Search runs on FTS5 alone meanwhile."""
        key = tuple(str(conf[s.name]) for s in settings.SETTINGS if s.group == "index")
        with self._index_lock:
            if key != self._index_key:
                self._index, self._index_key, self._index_retry_at = None, key, 0.0
            if self._index is None and time.monotonic() >= self._index_retry_at:
                self._index, _ = open_for_search(conf, "viewer: search without vectors")
                if self._index is None:  # off, no model, no Chroma, mismatch: FTS still answers
                    self._index_retry_at = time.monotonic() + INDEX_RETRY_S
            return self._index

    def secrets(self, conf: settings.Settings | None = None) -> list[str]:
        """Every configured secret value long enough to be recognised in text."""
        conf = conf or self.conf()
        values = (conf.text(s.name) for s in settings.SETTINGS if s.secret)
        return sorted({v for v in values if len(v) >= MIN_SECRET_CHARS}, key=len, reverse=True)

    def scrub(self, text: str, conf: settings.Settings | None = None) -> str:
        """``text`` with every configured secret replaced by its mask (defence in depth: an
        error message quoting a key must not carry it to the browser)."""
        for secret in self.secrets(conf):
            for form in {secret, json.dumps(secret, ensure_ascii=False)[1:-1]}:
                text = text.replace(form, settings.mask(secret))
        return text

    def json(self, data: object, status: int = 200) -> Response:
        return Response(self.dumps(data), status_code=status, media_type="application/json")

    def dumps(self, data: object, conf: settings.Settings | None = None) -> str:
        return self.scrub(json.dumps(data, ensure_ascii=False, default=str), conf)
