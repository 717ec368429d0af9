"""``claude-recall mcp``: the MCP server on stdio (Claude Code starts it from ``.mcp.json``)."""

from __future__ import annotations

import argparse
import sys

from .. import log


def add(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    cmd = sub.add_parser("mcp", help="run the MCP server on stdio (Claude Code starts it)")
    cmd.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        from ..mcpserver.server import main
    except ImportError as exc:  # python3 fallback while the plugin environment is being built
        message = (f"claude-recall: the MCP server cannot start ({exc}); the plugin environment is "
                   "probably still being built: restart Claude Code in a minute")
        log.warning(message)
        print(message, file=sys.stderr)
        return 1
    return main()
