"""Start a detached process without importing ``subprocess`` (~8 ms on the hot path).

The child gets a new session (so Claude Code's process-group kill does not reach it), stdin
from /dev/null and stdout/stderr to a log file, and is never waited for: when the hook exits
it is re-parented to init.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # collections.abc costs ~2 ms on the hook hot path
if TYPE_CHECKING:
    from collections.abc import Mapping


def spawn_detached(argv: list[str], output: str | None = None,
                   env: Mapping[str, str] | None = None) -> int:
    """Start ``argv`` detached; returns its pid. Raises ``OSError`` if it cannot start."""
    sink = output or os.devnull
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, sink, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600),
        (os.POSIX_SPAWN_DUP2, 1, 2),
    ]
    return os.posix_spawn(argv[0], argv, dict(os.environ if env is None else env),
                          file_actions=actions, setsid=True)
