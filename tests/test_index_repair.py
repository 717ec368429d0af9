"""A corrupt local vector index (garbage in the Chroma folder, or a file where the folder should
be) is moved aside (kept) and rebuilt from SQLite by ``reindex`` and by ``doctor --fix``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from recall_plugin import settings
from recall_plugin.index import open_for_search
from recall_plugin.store.db import open_store, write

GARBAGE = bytes(range(256)) * 64


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", "recall_plugin", *args], capture_output=True,
                          text=True, timeout=300, env=env)


@pytest.fixture
def stored(data_dir: Path) -> Path:
    index, why = open_for_search(settings.load(str(data_dir)))
    if index is None:
        pytest.skip(f"no real vector index here: {why}")
    conn = open_store(str(data_dir))
    with write(conn):
        for n in range(3):
            conn.execute("INSERT INTO observations (session_id, project, type, title, created_at)"
                         " VALUES ('s', 'p', 'discovery', ?, '2026-01-01T00:00:00Z')", (f"note {n}",))
    conn.close()
    return data_dir


def corrupt(data_dir: Path, how: str) -> bytes:
    folder = data_dir / "chroma"
    if how == "garbage":
        (folder / "chroma.sqlite3").write_bytes(GARBAGE)
        return GARBAGE
    for path in sorted(folder.rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    folder.rmdir()
    folder.write_bytes(b"not a folder\n")
    return b"not a folder\n"


def moved_aside(data_dir: Path, how: str) -> bytes:
    [aside] = data_dir.glob("chroma.corrupt-*")
    return (aside / "chroma.sqlite3").read_bytes() if how == "garbage" else aside.read_bytes()


def index_line(data_dir: Path) -> str:
    checks = json.loads(cli("doctor", "--json").stdout)
    return str(next(c for c in checks if c["name"] == "index")["detail"])


@pytest.mark.parametrize("how", ["garbage", "file"])
def test_reindex_moves_a_corrupt_index_aside_and_rebuilds(stored: Path, how: str) -> None:
    kept = corrupt(stored, how)
    result = cli("reindex")
    assert result.returncode == 0, result.stderr
    assert "moved it to" in result.stdout and "reindexed 3 document(s)" in result.stdout
    assert moved_aside(stored, how) == kept  # kept, untouched
    assert index_line(stored).startswith("ok: 3 docs")


@pytest.mark.parametrize("how", ["garbage", "file"])
def test_doctor_fix_moves_a_corrupt_index_aside_and_rebuilds(stored: Path, how: str) -> None:
    kept = corrupt(stored, how)
    assert index_line(stored).startswith("error")
    result = cli("doctor", "--fix")
    assert "fixed index:" in result.stdout and "reindexed 3 row(s)" in result.stdout, result.stdout
    assert moved_aside(stored, how) == kept
    assert index_line(stored).startswith("ok: 3 docs")
