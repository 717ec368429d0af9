"""Real git repositories for project-identity tests, and ingesting the spool alone."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from recall_plugin.store.db import open_store

GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@t", "PATH": "/usr/bin:/bin"}


def git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                   env={**GIT_ENV, "HOME": str(cwd)})


def make_repo(path: Path, remote: str = "") -> Path:
    (path / "src" / "deep").mkdir(parents=True)
    git("init", "-q", "-b", "main", cwd=path)
    (path / "README").write_text(str(path))
    git("add", ".", cwd=path)
    git("commit", "-q", "-m", f"init {path}", cwd=path)
    if remote:
        git("remote", "add", "origin", remote, cwd=path)
    return path


@pytest.fixture
def two_apps(tmp_path: Path, data_dir: Path) -> tuple[Path, Path]:
    return make_repo(tmp_path / "alice" / "app"), make_repo(tmp_path / "bob" / "app")


def extract_spool_only(data_dir: Path) -> None:
    from recall_plugin.queue.ingest import ingest

    conn = open_store(str(data_dir))
    ingest(conn, str(data_dir))
    conn.close()
