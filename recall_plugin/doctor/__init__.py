"""``claude-recall doctor``: check everything a working install needs, say how to fix it, and
repair what can be repaired (``--fix``).

``data`` checks the data dir, database, queue, settings, provider and index; ``environment``
the install around it (dependencies, the plugin environment, Claude Code's settings).
"""

from __future__ import annotations

from collections.abc import Callable

from .check import Check
from .data import (
    check_database,
    check_extractor,
    check_index,
    check_permissions,
    check_provider,
    check_python,
    check_queue,
    check_settings,
)
from .environment import (
    check_dependencies,
    check_plugin,
    check_plugin_build,
    check_plugin_env,
    check_shell_command,
)

__all__ = ["Check", "check_index", "check_provider", "checks", "fix"]


def checks(root: str, *, deep: bool = False) -> list[Check]:
    """Every check; ``deep`` adds the slower ones (the plugin environment, the vector index)."""
    steps: list[Callable[[], Check]] = [
        check_python, check_dependencies, lambda: check_permissions(root),
        lambda: check_database(root), lambda: check_extractor(root), lambda: check_settings(root),
        lambda: check_queue(root), lambda: check_provider(root), check_plugin,
    ]
    results = [step() for step in steps]
    results += [c for c in (check_plugin_build(), check_shell_command()) if c]
    results += check_plugin_env()
    if deep:
        results.append(check_index(root))
    return results


def fix(root: str, out: Callable[[str], None] = print) -> list[Check]:
    """Repair every failing check that can be repaired; returns the checks run afterwards."""
    for check in checks(root, deep=True):
        if check.repair is not None and (not check.ok or check.warn_only):
            try:
                out(f"fixed {check.name}: {check.repair()}")
            except Exception as exc:  # report and go on with the other repairs
                out(f"could not fix {check.name}: {type(exc).__name__}: {exc}")
    return checks(root, deep=True)
