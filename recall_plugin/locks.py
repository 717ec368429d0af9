"""File locks: the one way claude-recall takes an ``flock``.

A lock belongs to an open file descriptor; closing the descriptor releases it. Four ways to
take one: ``lock`` waits for as long as it takes, ``try_lock`` tries once, ``lock_by`` tries
until a deadline (pausing between tries, the pause doubling up to a cap), and ``held_elsewhere``
only asks whether another process holds a file's lock.

Ground floor and hook hot path (the spool takes its lock on every tool call): ``fcntl``,
``os`` and ``time`` only.
"""

from __future__ import annotations

import fcntl
import os
import time


def _mode(shared: bool) -> int:
    return fcntl.LOCK_SH if shared else fcntl.LOCK_EX


def lock(fd: int, *, shared: bool = False) -> None:
    """Take the lock on ``fd``, waiting for as long as another process holds it."""
    fcntl.flock(fd, _mode(shared))


def try_lock(fd: int, *, shared: bool = False) -> bool:
    """Take the lock on ``fd`` if it is free now: True when taken, False when another holds it."""
    try:
        fcntl.flock(fd, _mode(shared) | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def lock_by(fd: int, deadline: float, *, shared: bool = False, pause: float = 0.05,
            max_pause: float | None = None) -> bool:
    """Try until ``deadline`` (``time.monotonic()``): True when taken, False once it passed.
    Sleeps ``pause`` between tries, doubling it up to ``max_pause`` (default: ``pause``)."""
    cap = pause if max_pause is None else max_pause
    while not try_lock(fd, shared=shared):
        if time.monotonic() >= deadline:
            return False
        time.sleep(pause)
        pause = min(pause * 2, cap)
    return True


def unlock(fd: int) -> None:
    fcntl.flock(fd, fcntl.LOCK_UN)


def held_elsewhere(path: str) -> bool:
    """True when another process holds an exclusive lock on ``path`` (False when it cannot
    be opened: then nobody holds it either)."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        return False
    try:
        return not try_lock(fd)
    finally:
        os.close(fd)
