"""The append-only JSONL spool the hooks write to.

Writers (the hooks) append one complete line per event under an exclusive ``flock`` with
``O_APPEND``, then ``fsync``: an event is on disk before the hook returns, and a line is never
interleaved with another. A writer killed mid-line leaves a fragment; the next writer starts
its line on a fresh line, and the ingester sets the fragment aside as corrupt. A failed write
(disk full) is truncated back so it leaves nothing behind. The cost of an append does not
depend on how much is queued.

The ingester claims the spool by renaming it, under the same lock, to a numbered segment;
writers that opened the old file notice (its inode no longer matches the path) and reopen.
Segments are deleted only after their lines are committed to the store.

A hook never waits long: if the lock cannot be had within ``LOCK_WAIT_S`` (a writer stopped
while holding it, say), the line goes to a segment file of its own, written atomically, which
the ingester reads like any other. Nothing is lost and Claude Code is not held up.
"""

from __future__ import annotations

import os
import time

from .. import locks, paths

TYPE_CHECKING = False  # collections.abc costs ~2 ms on the hook hot path
if TYPE_CHECKING:
    from collections.abc import Iterator

SPOOL_NAME = "spool.jsonl"
SEGMENT_PREFIX = "segment-"
MAX_REOPEN = 20
LOCK_WAIT_S = 0.5
LOCK_POLL_S = (0.0002, 0.005)  # first and longest pause: writers hold the lock well under 1 ms


def spool_path(queue_dir: str) -> str:
    return os.path.join(queue_dir, SPOOL_NAME)


def append(queue_dir: str, line: bytes, wait: float = LOCK_WAIT_S) -> None:
    """Append one JSON line (no newline inside) durably. Raises ``OSError`` on failure."""
    path = spool_path(queue_dir)
    deadline = time.monotonic() + wait
    for _ in range(MAX_REOPEN):
        fd = _open_for_append(queue_dir, path)
        try:
            if not locks.lock_by(fd, deadline, pause=LOCK_POLL_S[0], max_pause=LOCK_POLL_S[1]):
                break
            if _still_current(fd, path):
                _write_line(fd, line)
                return
        finally:
            os.close(fd)  # closing releases the lock
    write_segment(queue_dir, line + b"\n")


def write_segment(queue_dir: str, data: bytes) -> str:
    """Write ``data`` as a segment of its own, atomically (temp file, fsync, rename)."""
    name = f"{SEGMENT_PREFIX}{time.time_ns():020d}-{os.getpid()}.jsonl"
    target = os.path.join(queue_dir, name)
    paths.atomic_write(target, data)
    return target


def _open_for_append(queue_dir: str, path: str) -> int:
    try:
        return os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, paths.FILE_MODE)
    except FileNotFoundError:
        paths.ensure_dir(queue_dir)
        return os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, paths.FILE_MODE)


def _still_current(fd: int, path: str) -> bool:
    try:
        return os.stat(path).st_ino == os.fstat(fd).st_ino
    except FileNotFoundError:
        return False


def _write_line(fd: int, line: bytes) -> None:
    size = os.fstat(fd).st_size
    data = line + b"\n"
    if size and os.pread(fd, 1, size - 1) != b"\n":
        data = b"\n" + data  # a torn line before us: start on a fresh line
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    except OSError:
        os.ftruncate(fd, size)  # leave no partial line behind
        raise


def claim(queue_dir: str) -> list[str]:
    """Rotate the live spool into a segment; return every segment awaiting ingestion, oldest first."""
    path = spool_path(queue_dir)
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return segments(queue_dir)
    try:
        locks.lock(fd)
        if _still_current(fd, path) and os.fstat(fd).st_size > 0:
            target = os.path.join(queue_dir, f"{SEGMENT_PREFIX}{time.time_ns():020d}.jsonl")
            os.rename(path, target)
    finally:
        os.close(fd)
    return segments(queue_dir)


def segments(queue_dir: str) -> list[str]:
    try:
        names = os.listdir(queue_dir)
    except FileNotFoundError:
        return []
    found = (n for n in names if n.startswith(SEGMENT_PREFIX) and n.endswith(".jsonl"))
    return [os.path.join(queue_dir, n) for n in sorted(found)]


def read_lines(path: str) -> Iterator[tuple[int, bytes]]:
    """(line number, line) for every non-empty line of a claimed segment."""
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            line = raw.rstrip(b"\n")
            if line.strip():
                yield number, line


def count_lines(queue_dir: str) -> int:
    """Lines spooled and not yet ingested (live spool plus unclaimed segments)."""
    total = 0
    for path in [spool_path(queue_dir), *segments(queue_dir)]:
        try:
            with open(path, "rb") as handle:
                total += sum(1 for raw in handle if raw.strip())
        except FileNotFoundError:
            continue
    return total
