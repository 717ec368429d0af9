"""``claude-recall``: thin commands over library functions.

Each command lives in its own module and registers itself with ``add(subparsers)``; this
module only builds the parser and turns ``RecallError`` into a one-line message and exit 1.
"""

from __future__ import annotations

import argparse
import sys

from .. import __version__, paths
from ..errors import RecallError
from . import doctor, extract, hook, lifecycle, mcp, recall, reindex, settings_cmd, status, viewer

COMMANDS = (status, extract, recall, settings_cmd, hook, doctor, mcp, lifecycle, viewer, reindex)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="claude-recall",
        description="Memory for Claude Code that lasts across sessions.",
    )
    top.add_argument("--version", action="version", version=f"claude-recall {__version__}")
    sub = top.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        command.add(sub)
    return top


def main(argv: list[str] | None = None) -> int:
    paths.private_umask()
    args = parser().parse_args(argv)
    if not getattr(args, "run", None):
        parser().print_help()
        return 0
    try:
        return int(args.run(args))
    except RecallError as exc:
        print(f"claude-recall: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 0
