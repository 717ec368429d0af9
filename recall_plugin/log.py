"""A small log that many short-lived processes can share.

Each record is one line appended with ``O_APPEND`` (atomic for lines this short), so hooks,
the extractor and the CLI can all write ``<data dir>/logs/recall.log`` at once. When the file
passes ``MAX_BYTES`` the writer that notices rotates it under an exclusive lock, keeping
``KEEP`` old files. Logging never raises: a log that cannot be written falls back to stderr.
Standard library only (``logging`` alone costs ~11 ms to import on the hook hot path).
"""

from __future__ import annotations

import os
import sys

from . import locks, paths
from .vocab import utc_stamp

MAX_BYTES = 1_000_000
KEEP = 3
LEVELS = {"debug": 10, "info": 20, "warning": 30, "error": 40}
_state: dict[str, int | str] = {"level": 20, "component": "recall"}


def configure(level: str = "info", component: str = "recall") -> None:
    """Set the minimum level and the component name written in each line."""
    _state["level"] = LEVELS.get(level.lower(), 20)
    _state["component"] = component


def log_file(root: str | None = None) -> str:
    return os.path.join(paths.logs_dir(root or paths.data_dir()), "recall.log")


def debug(msg: str, root: str | None = None) -> None:
    write("debug", msg, root)


def info(msg: str, root: str | None = None) -> None:
    write("info", msg, root)


def warning(msg: str, root: str | None = None) -> None:
    write("warning", msg, root)


def error(msg: str, root: str | None = None) -> None:
    write("error", msg, root)


def write(level: str, msg: str, root: str | None = None) -> None:
    """Append one line; never raises."""
    if LEVELS.get(level, 20) < int(_state["level"]):
        return
    stamp = utc_stamp()
    text = " ".join(str(msg).split("\n"))[:4000]
    line = f"{stamp} {level.upper():7} [{_state['component']} pid={os.getpid()}] {text}\n"
    try:
        _append(log_file(root), line.encode("utf-8", "replace"))
    except OSError:
        try:  # noqa: SIM105 - contextlib costs ~0.5 ms on the hook hot path
            sys.stderr.write(line)
        except Exception:
            pass


def _append(path: str, data: bytes) -> None:
    paths.ensure_dir(os.path.dirname(path))
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, paths.FILE_MODE)
    try:
        os.write(fd, data)
        if os.fstat(fd).st_size > MAX_BYTES:
            _rotate(path, fd)
    finally:
        os.close(fd)


def _rotate(path: str, fd: int) -> None:
    locks.lock(fd)
    try:
        if os.stat(path).st_ino != os.fstat(fd).st_ino:
            return  # somebody rotated it while we waited
        for n in range(KEEP - 1, 0, -1):
            older = f"{path}.{n}"
            if os.path.exists(older):
                os.replace(older, f"{path}.{n + 1}")
        os.replace(path, f"{path}.1")
    finally:
        locks.unlock(fd)
