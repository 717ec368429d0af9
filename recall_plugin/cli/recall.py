"""``claude-recall search`` and ``claude-recall context``: the recall side, from a terminal."""

from __future__ import annotations

import argparse
import json
import os
import sqlite3

from .. import paths, settings
from ..errors import RecallError
from ..index import open_for_search
from ..search import Filters, Hit, search
from ..store import projects
from ..store.db import open_store
from ..store.projects import project_label
from ..vocab import RECORD_TYPES as TYPES


def add(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    find = sub.add_parser("search", help="search memory (full text and vectors, fused)")
    find.add_argument("query", nargs="*", help="words, identifiers, error strings or paths")
    find.add_argument("--project", help="only this project: id or display name (default: all)")
    find.add_argument("--type", action="append", default=[], type=_record_type,
                      help="observation type (bugfix, feature, refactor, discovery, decision, "
                           "change) or summary; repeatable")
    find.add_argument("--since", type=_date, help="from this date (YYYY-MM-DD), inclusive")
    find.add_argument("--until", type=_date, help="before this date (YYYY-MM-DD)")
    find.add_argument("--file", help="records that read or modified this path")
    find.add_argument("--concept", help="records tagged with this concept")
    find.add_argument("--limit", type=_positive, default=10, help="most results (default 10)")
    find.add_argument("--json", action="store_true", help="print a JSON list")
    find.set_defaults(run=run_search)
    context = sub.add_parser("context", help="print what SessionStart injects for a project")
    context.add_argument("--project", help="project id or name (default: the current directory's)")
    context.set_defaults(run=run_context)




def _record_type(text: str) -> str:
    if text not in TYPES:
        raise argparse.ArgumentTypeError(f"unknown type {text!r}; one of {', '.join(TYPES)}")
    return text


def _date(text: str) -> str:
    import datetime

    try:
        return datetime.date.fromisoformat(text).isoformat()
    except ValueError:
        pass
    try:
        datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
        return text
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return value


def run_search(args: argparse.Namespace) -> int:
    conf = settings.load()
    query = " ".join(args.query)
    if not os.path.exists(paths.db_file(conf.data_dir)):  # nothing stored yet: create nothing
        hits: list[Hit] = []
        labels: dict[str, str] = {}
    else:
        conn = open_store(conf.data_dir)
        try:
            filters = Filters(project_arg(conn, args.project), tuple(args.type), args.since,
                              args.until, args.file, args.concept)
            hits = search(conn, query, filters, args.limit,
                          open_for_search(conf)[0] if query else None)
            labels = {h.project: project_label(conn, h.project) for h in hits}
        finally:
            conn.close()
    if args.json:
        print(json.dumps([dict(h.as_dict(), project_name=labels[h.project]) for h in hits],
                         indent=2))
    else:
        for hit in hits:
            print(line(hit, labels[hit.project]) + (f"  [{hit.evidence()}]" if query else ""))
        if not hits:
            print("no relevant memory" if query else "no records match these filters")
    return 0


def project_arg(conn: sqlite3.Connection, value: str | None) -> str | None:
    """A ``--project`` value (an id or a display name) as the id filters use."""
    if not value:
        return None
    try:
        return projects.find(conn, value)
    except ValueError as exc:
        raise RecallError(str(exc)) from exc


def line(hit: Hit, label: str = "") -> str:
    files = f"  ({', '.join(os.path.basename(f) for f in hit.files[:3])})" if hit.files else ""
    ref = f"#{hit.id}" if hit.kind == "observation" else f"sum:{hit.id}"
    flag = f"  [FLAGGED: reads as instructions ({hit.flagged}); not injected]" if hit.flagged else ""
    shown = label or hit.project
    return f"{ref:<8} {hit.created_at[:10]} {shown:<16} {hit.type:<9} {hit.title}{files}{flag}"


def run_context(args: argparse.Namespace) -> int:
    from ..capture.hook import context_text
    from ..capture.project import resolve

    conf = settings.load()
    where = resolve(os.getcwd(), conf.text("CLAUDE_RECALL_PROJECT"), data_dir=conf.data_dir)
    project, root, display = where.id, where.root, where.display
    if args.project and not os.path.exists(paths.db_file(conf.data_dir)):
        project, root, display = args.project, "", ""  # nothing stored: create nothing
    elif args.project:
        conn = open_store(conf.data_dir)
        try:
            project, root, display = project_arg(conn, args.project) or "", "", ""
        finally:
            conn.close()
    text = context_text(project, root, conf, display)
    print(text if text else f"(no memory for project {project!r} in {paths.data_dir()})")
    return 0
