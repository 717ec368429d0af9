"""Start detached processes (the extractor, the environment builder) from a hook.

No ``subprocess`` (~8 ms to import on the hot path): ``posix_spawn`` directly.

The child gets a new session (so Claude Code's process-group kill does not reach it), stdin
from /dev/null and stdout/stderr to a log file, and is never waited for: when the hook exits
it is re-parented to init.
"""

from __future__ import annotations

import os
import sys

from ..locks import held_elsewhere

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


def extractor_python() -> str | None:
    """The interpreter that has the extractor's dependencies, or None while it is being built."""
    plugin_data = os.environ.get("CLAUDE_PLUGIN_DATA")
    if not plugin_data:
        return sys.executable  # installed with pip: this interpreter, with its site-packages
    python = os.path.join(plugin_data, "venv", "bin", "python")
    return python if os.path.exists(python) else None


def start_extractor(data_dir: str, lock_path: str, output: str) -> str:
    """Start the background extractor unless one runs; returns what happened."""
    if held_elsewhere(lock_path):
        return "running"
    python = extractor_python()
    if python is None:
        return "waiting for the plugin environment"
    env = dict(os.environ)
    root = env.get("CLAUDE_PLUGIN_ROOT")
    if root:  # the plugin's own code first, its environment's packages after
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    env["CLAUDE_RECALL_DATA_DIR"] = data_dir
    os.makedirs(os.path.dirname(output), 0o700, exist_ok=True)  # posix_spawn will open it
    spawn_detached([python, "-m", "recall_plugin", "extract", "--background"], output, env)
    return "started"
