"""``claude-recall mcp``: the MCP server on stdio (Claude Code starts it from ``.mcp.json``
through ``hooks/mcp``, which runs the same server without this CLI)."""

from __future__ import annotations

import argparse


def add(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    cmd = sub.add_parser("mcp", help="run the MCP server on stdio (Claude Code starts it)")
    cmd.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..mcpserver.server import main

    return main()
