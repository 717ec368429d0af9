"""``claude-recall hook EVENT``: exactly what the plugin's hooks run."""

from __future__ import annotations

import argparse

from ..capture.event import KINDS


def add(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    cmd = sub.add_parser("hook", help="run one hook: read its payload on stdin, capture it",
                         description="What the plugin's hooks run. Always exits 0.")
    cmd.add_argument("event", choices=sorted(KINDS), help="the Claude Code hook event")
    cmd.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..capture.hook import main

    return main(args.event)
