"""``claude-recall projects``: list projects, join two, rename one.

A project's id comes from where its memory lives (``recall_plugin.identity``); nothing a
repository contains can attach it to another project. Joining is this explicit command:
``projects join KEEP OTHER`` moves OTHER's memory into KEEP and makes every later session of
OTHER's folders use KEEP (the ``project-aliases`` file in the data dir).
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys

from .. import identity, settings
from ..errors import RecallError
from ..store import projects
from ..store.db import open_store, write


def add(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    cmd = sub.add_parser("projects", help="list, join or rename projects",
                         description="Without an action: every project with its id, display "
                                     "name, paths and counts.")
    cmd.add_argument("--json", action="store_true", help="print a JSON list")
    cmd.set_defaults(run=run_list)
    actions = cmd.add_subparsers(dest="action", metavar="ACTION")
    listing = actions.add_parser("list", help="every project (the default)")
    listing.add_argument("--json", action="store_true", help="print a JSON list")
    listing.set_defaults(run=run_list)
    join = actions.add_parser(
        "join", help="move OTHER's memory into KEEP; OTHER's folders use KEEP from now on",
        description="Both are ids or unique display names from `claude-recall projects`.")
    join.add_argument("keep", metavar="KEEP")
    join.add_argument("other", metavar="OTHER")
    join.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    join.set_defaults(run=run_join)
    rename = actions.add_parser("rename", help="set a project's display name (wins over "
                                               "the repository's .claude-recall.json)")
    rename.add_argument("project", metavar="ID")
    rename.add_argument("name", metavar="NAME")
    rename.set_defaults(run=run_rename)


def run_list(args: argparse.Namespace) -> int:
    conn = open_store(settings.load().data_dir)
    try:
        items = projects.listing(conn)
    finally:
        conn.close()
    if args.json:
        print(json.dumps(items, indent=2))
        return 0
    if not items:
        print("no projects yet")
    for item in items:
        print(f"{item['name']}  ({item['id']})")
        print(f"    {item['sessions']} sessions, {item['observations']} observations, "
              f"{item['summaries']} summaries, {item['prompts']} prompts; "
              f"since {str(item['created_at'] or '?')[:10]}")
        for path in item["paths"]:  # type: ignore[attr-defined]
            print(f"    {path}")
        for old in item["joined"]:  # type: ignore[attr-defined]
            print(f"    joined: {old}")
    return 0


def _find(conn: sqlite3.Connection, text: str) -> str:
    try:
        return projects.find(conn, text)
    except ValueError as exc:
        raise RecallError(str(exc)) from None


def run_join(args: argparse.Namespace) -> int:
    conf = settings.load()
    conn = open_store(conf.data_dir)
    try:
        keep, other = _find(conn, args.keep), _find(conn, args.other)
        print(f"join {projects.project_label(conn, other)} ({other}) into "
              f"{projects.project_label(conn, keep)} ({keep}): both folders will share all memory")
        if not _confirmed(args.yes):
            return 1
        try:
            with write(conn):
                moved = projects.join(conn, keep, other)
                identity.save_aliases(conf.data_dir, projects.aliases(conn))
        except ValueError as exc:
            raise RecallError(str(exc)) from None
    finally:
        conn.close()
    counts = ", ".join(f"{n} {t}" for t, n in sorted(moved.items()) if n)
    print(f"joined: moved {counts or 'no rows'}; the vector index catches up on the next "
          "extraction (or run `claude-recall reindex`)")
    return 0


def run_rename(args: argparse.Namespace) -> int:
    conn = open_store(settings.load().data_dir)
    try:
        project_id = _find(conn, args.project)
        with write(conn):
            name = projects.rename(conn, project_id, args.name)
    except ValueError as exc:
        raise RecallError(str(exc)) from None
    finally:
        conn.close()
    print(f"{project_id} is now shown as {name!r}")
    return 0


def _confirmed(yes: bool) -> bool:
    if yes:
        return True
    if not sys.stdin.isatty():
        print("claude-recall: not joining without confirmation: stdin is not a terminal; "
              "re-run with --yes", file=sys.stderr)
        return False
    try:
        answer = input("Join them? [y/N] ").strip().lower()
    except EOFError:
        answer = ""
    return answer in ("y", "yes")
