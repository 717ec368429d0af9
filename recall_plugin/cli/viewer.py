"""``claude-recall viewer``: the local web viewer on 127.0.0.1 (default port 37777)."""

from __future__ import annotations

import argparse
import sys

from .. import paths
from ..errors import RecallError


def add(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    cmd = sub.add_parser("viewer", help="open the local web viewer (live memory, search, settings)")
    cmd.add_argument("--port", type=port_number, default=None,
                     help="port on 127.0.0.1 (default 37777, or the next free one; 0: any free port)")
    cmd.add_argument("--no-open", action="store_true",
                     help="do not open a browser; print a one-time sign-in link instead")
    cmd.set_defaults(run=run)


def port_number(raw: str) -> int:
    try:
        port = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {raw!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"a port is between 0 and 65535, got {port}")
    return port


def run(args: argparse.Namespace) -> int:
    try:  # starlette and uvicorn load only for this command
        from ..viewer.server import serve
    except ImportError as exc:
        raise RecallError(f"the viewer needs {exc.name or 'starlette and uvicorn'}: "
                          "reinstall claude-recall with its dependencies") from None
    return serve(paths.data_dir(), args.port, not args.no_open,
                 out=print, err=lambda line: print(f"claude-recall: {line}", file=sys.stderr))
