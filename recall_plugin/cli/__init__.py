"""``claude-recall``: thin commands over library functions.

Each command lives in its own module and registers itself with ``add(subparsers)``; this
module only builds the parser and turns ``RecallError`` into a one-line message and exit 1.
"""

from __future__ import annotations

import argparse
import difflib
import sys

from .. import __version__, paths
from ..errors import RecallError
from . import (
    doctor,
    extract,
    hook,
    lifecycle,
    mcp,
    projects_cmd,
    recall,
    reindex,
    settings_cmd,
    status,
    viewer,
)

COMMANDS = (status, extract, recall, settings_cmd, hook, doctor, mcp, lifecycle, viewer, reindex,
            projects_cmd)


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
    top = parser()
    words = sys.argv[1:] if argv is None else argv
    unknown = _unknown_command(top, words)
    if unknown is not None:
        print(f"claude-recall: unknown command {words[0]!r}{unknown}\n"
              "run `claude-recall --help` for the list", file=sys.stderr)
        return 2
    args = top.parse_args(words)
    if not getattr(args, "run", None):
        top.print_help()
        return 0
    try:
        return int(args.run(args))
    except RecallError as exc:
        print(f"claude-recall: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        print("claude-recall: interrupted", file=sys.stderr)
        return 130
    except OSError as exc:  # a full disk, a missing permission: a message, not a traceback
        print(f"claude-recall: {exc.strerror or exc}"
              + (f": {exc.filename}" if exc.filename else ""), file=sys.stderr)
        return 1


def _unknown_command(top: argparse.ArgumentParser, words: list[str]) -> str | None:
    """A suggestion (possibly "") when the first word is not a command, else None."""
    if not words or words[0].startswith("-"):
        return None
    sub = next(a for a in top._actions if isinstance(a, argparse._SubParsersAction))
    names = list(sub.choices)
    if words[0] in names:
        return None
    close = difflib.get_close_matches(words[0], names, n=1, cutoff=0.6)
    return f"; did you mean `claude-recall {close[0]}`?" if close else ""
