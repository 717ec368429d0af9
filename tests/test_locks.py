"""The one flock helper, on real files, with the holder in another process."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from helpers.hooks import PYTHON

from recall_plugin import locks


@contextmanager
def held_by_another_process(path: Path, *, shared: bool = False) -> Iterator[None]:
    mode = "LOCK_SH" if shared else "LOCK_EX"
    holder = subprocess.Popen([PYTHON, "-c", "import fcntl, os, sys\n"
                               f"fd = os.open({str(path)!r}, os.O_RDWR | os.O_CREAT)\n"
                               f"fcntl.flock(fd, fcntl.{mode}); print('held', flush=True)\n"
                               "sys.stdin.read()"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        yield
    finally:
        holder.kill()
        holder.wait(timeout=30)


def open_lock(path: Path) -> int:
    return os.open(path, os.O_RDWR | os.O_CREAT, 0o600)


def test_a_free_lock_is_taken_at_once_and_released_by_unlock(tmp_path: Path) -> None:
    path = tmp_path / "a.lock"
    fd = open_lock(path)
    try:
        assert not locks.held_elsewhere(str(path))
        assert locks.try_lock(fd)
        assert locks.held_elsewhere(str(path))  # another descriptor sees it held
        locks.unlock(fd)
        assert not locks.held_elsewhere(str(path))
        locks.lock(fd)
        assert locks.held_elsewhere(str(path))
    finally:
        os.close(fd)
    assert not locks.held_elsewhere(str(path))  # closing releases it


def test_a_held_lock_is_refused_and_waited_for_only_until_the_deadline(tmp_path: Path) -> None:
    path = tmp_path / "b.lock"
    with held_by_another_process(path):
        assert locks.held_elsewhere(str(path))
        fd = open_lock(path)
        try:
            assert not locks.try_lock(fd)
            assert not locks.try_lock(fd, shared=True)
            assert not locks.lock_by(fd, time.monotonic() + 0.05, pause=0.01)
            assert not locks.lock_by(fd, time.monotonic() - 1)  # a past deadline: one try
        finally:
            os.close(fd)
    fd = open_lock(path)
    try:
        assert locks.lock_by(fd, time.monotonic() - 1)  # free again: taken on the first try
    finally:
        os.close(fd)


def test_shared_holders_coexist_and_keep_out_an_exclusive_one(tmp_path: Path) -> None:
    path = tmp_path / "c.lock"
    with held_by_another_process(path, shared=True):
        fd = open_lock(path)
        try:
            assert locks.lock_by(fd, time.monotonic() + 30, shared=True)
            assert locks.held_elsewhere(str(path))
        finally:
            os.close(fd)
        fd = open_lock(path)
        try:
            assert not locks.try_lock(fd)
        finally:
            os.close(fd)


def test_an_unopenable_path_counts_as_not_held(tmp_path: Path) -> None:
    assert not locks.held_elsewhere(str(tmp_path / "missing" / "x.lock"))
