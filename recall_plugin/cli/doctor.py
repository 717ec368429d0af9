"""``claude-recall doctor``: the command line of ``recall_plugin.doctor``."""

from __future__ import annotations

import argparse
import json

from .. import doctor, paths


def add(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    cmd = sub.add_parser("doctor", help="check the install and say what to fix")
    cmd.add_argument("--json", action="store_true", help="print the checks as JSON")
    cmd.add_argument("--fix", action="store_true",
                     help="repair what can be repaired (corrupt database, stale state, broken "
                          "environment, mismatched index), then check again")
    cmd.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    root = paths.data_dir()
    results = doctor.fix(root) if args.fix else doctor.checks(root, deep=True)
    if args.json:
        print(json.dumps([r.shown() for r in results], indent=2))
    for r in results if not args.json else []:
        mark = "ok  " if r.ok and not r.warn_only else ("warn" if r.ok or r.warn_only else "FAIL")
        print(f"{mark}  {r.name:<12} {r.detail}")
        if r.fix and mark != "ok  ":
            print(f"      {'':<12} fix: {r.fix}")
    return 0 if all(r.ok or r.warn_only for r in results) else 1
