"""``python -m recall_plugin`` and the ``claude-recall`` command.

``hook EVENT`` is dispatched before anything else is imported: it is the hot path.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["hook"] and not set(args[1:2]) & {"-h", "--help"}:
        from .capture.hook import main as run_hook

        return run_hook(args[1] if len(args) > 1 else "")
    from .cli import main as run_cli

    return run_cli(args)


if __name__ == "__main__":
    sys.exit(main())
