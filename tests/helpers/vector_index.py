"""What the vector index tests share: the offline guard every one of them runs under (no hub, no
network beyond loopback), the embedder loaded once per module, settings and a store in the test's
data dir, and rows to index. Test modules bind the fixtures by assignment (``offline = ...``)."""

from __future__ import annotations

import json
import socket
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from recall_plugin import settings
from recall_plugin.index import embed
from recall_plugin.store import db

LOOPBACK = ("127.0.0.1", "::1", "localhost")


def _guarded_connect(real: Any) -> Any:
    def connect(self: socket.socket, address: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6) and address[0] not in LOOPBACK:
            raise OSError(f"network blocked by the test: {address}")
        return real(self, address)
    return connect


@pytest.fixture(scope="module", autouse=True)
def offline() -> Iterator[None]:
    """No hub, no network beyond loopback, for every test of a module that binds it."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_HUB_OFFLINE", "1")
        mp.setenv("TRANSFORMERS_OFFLINE", "1")
        mp.setattr(socket.socket, "connect", _guarded_connect(socket.socket.connect))
        mp.setattr(socket.socket, "connect_ex", _guarded_connect(socket.socket.connect_ex))
        yield


@pytest.fixture(scope="module")
def embedder(offline: None) -> embed.Embedder:
    """Loaded once for the module (``embed.load`` keeps it for the process too)."""
    return embed.load()


@pytest.fixture
def conf(data_dir: Path, embedder: embed.Embedder) -> settings.Settings:
    return settings.load(str(data_dir))


@pytest.fixture
def conn(data_dir: Path) -> Iterator[sqlite3.Connection]:
    connection = db.open_store(str(data_dir))
    yield connection
    connection.close()


def add_observation(conn: sqlite3.Connection, title: str, project: str = "alpha", type_: str = "bugfix",
                    narrative: str = "", created_at: str = "2025-03-01T10:00:00.000Z") -> int:
    with db.write(conn):
        cur = conn.execute(
            "INSERT INTO observations (session_id, project, type, title, subtitle, narrative, facts,"
            " created_at) VALUES (?,?,?,?,?,?,?,?)",
            ("s-1", project, type_, title, "", narrative, json.dumps(["fact about " + title]), created_at))
    return int(cur.lastrowid or 0)


def add_summary(conn: sqlite3.Connection, session: str, learned: str, project: str = "alpha") -> int:
    stamp = "2025-03-02T10:00:00.000Z"
    with db.write(conn):
        cur = conn.execute(
            "INSERT INTO summaries (session_id, project, request, learned, created_at, updated_at)"
            " VALUES (?,?,?,?,?,?)", (session, project, "the request", learned, stamp, stamp))
    return int(cur.lastrowid or 0)


def cosine(a: Any, b: Any) -> float:
    return float(np.dot(a, b))
