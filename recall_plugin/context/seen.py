"""Which observations a session has already been given (SessionStart index and per-prompt
notes), so that nothing is injected twice: one small append-only file per session under
``<data dir>/state/seen/``. Standard library only (it runs inside hooks); a file that cannot
be read or written means "nothing seen yet", never an error.
"""

from __future__ import annotations

import os
import time

from .. import paths

KEEP_DAYS = 14  # files of sessions idle this long are removed when a session starts


def seen_dir(data_dir: str) -> str:
    return os.path.join(data_dir, "state", "seen")


def _file(data_dir: str, session_id: str) -> str:
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in session_id)[:120] or "_"
    return os.path.join(seen_dir(data_dir), safe + ".ids")


def read(data_dir: str, session_id: str) -> set[int]:
    """Observation ids already given to ``session_id``."""
    try:
        with open(_file(data_dir, session_id), encoding="ascii") as handle:
            return {int(part) for part in handle.read().split() if part.isdigit()}
    except (OSError, ValueError):
        return set()


def add(data_dir: str, session_id: str, ids: list[int]) -> None:
    """Record that ``ids`` were given to ``session_id``."""
    if not ids or not session_id:
        return
    try:
        paths.ensure_dir(seen_dir(data_dir))
        fd = os.open(_file(data_dir, session_id), os.O_WRONLY | os.O_CREAT | os.O_APPEND, paths.FILE_MODE)
        try:
            os.write(fd, ("\n".join(str(i) for i in ids) + "\n").encode("ascii"))
        finally:
            os.close(fd)
    except OSError:
        return


def prune(data_dir: str, now: float | None = None) -> int:
    """Remove the files of sessions untouched for ``KEEP_DAYS``; returns how many."""
    cutoff, removed = (now or time.time()) - KEEP_DAYS * 86400, 0
    try:
        names = os.listdir(seen_dir(data_dir))
    except OSError:
        return 0
    for name in names:
        path = os.path.join(seen_dir(data_dir), name)
        try:
            if os.stat(path).st_mtime < cutoff:
                os.unlink(path)
                removed += 1
        except OSError:
            continue
    return removed
