"""Where claude-recall keeps its files, and how it writes them privately.

Data dir: ``$CLAUDE_RECALL_DATA_DIR`` or ``~/.claude-recall``. Folders are created 0700 and
files 0600; the process umask is tightened so that SQLite's own files inherit the same mode.
Standard library only: the hook hot path imports this module.
"""

from __future__ import annotations

import os

DATA_DIR_ENV = "CLAUDE_RECALL_DATA_DIR"
DIR_MODE = 0o700
FILE_MODE = 0o600


def data_dir(env: dict[str, str] | None = None) -> str:
    """The data dir, from the environment or the default, as an absolute path."""
    source = os.environ if env is None else env
    raw = source.get(DATA_DIR_ENV) or os.path.join("~", ".claude-recall")
    return os.path.abspath(os.path.expanduser(raw))


def private_umask() -> None:
    """Make every file this process creates private to the user."""
    os.umask(0o077)


def ensure_dir(path: str) -> str:
    """Create ``path`` and any missing parents as 0700 folders; return it."""
    if not os.path.isdir(path):
        previous = os.umask(0o077)  # makedirs applies ``mode`` to the leaf only
        try:
            os.makedirs(path, mode=DIR_MODE, exist_ok=True)
        finally:
            os.umask(previous)
    return path


def settings_file(root: str) -> str:
    return os.path.join(root, "settings.json")


def queue_dir(root: str) -> str:
    return os.path.join(root, "queue")


def logs_dir(root: str) -> str:
    return os.path.join(root, "logs")


def db_file(root: str) -> str:
    return os.path.join(root, "recall.db")


def extractor_lock(root: str) -> str:
    """Held by the one extractor that may run for this data dir."""
    return os.path.join(root, "extractor.lock")


def atomic_write(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically and durably (temp file, fsync, rename), mode 0600."""
    ensure_dir(os.path.dirname(path) or ".")
    tmp = f"{path}.tmp-{os.getpid()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    _fsync_dir(os.path.dirname(path) or ".")


def _fsync_dir(path: str) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
