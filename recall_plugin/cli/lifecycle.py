"""``claude-recall forget``, ``export``, ``import`` and ``backfill``."""

from __future__ import annotations

import argparse
import contextlib
import os
import sqlite3
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING

from .. import paths, settings
from ..errors import ExtractorBusy, RecallError
from ..index import open_for_search
from ..lifecycle import forget as forgetting
from ..lifecycle import transfer
from ..queue.ingest import ingest
from ..store import db, projects
from .progress import Progress
from .recall import _date, _positive
from .text import open_readable, plural

if TYPE_CHECKING:
    from ..lifecycle.backfill import Selection

SHOWN_ITEMS = 20


def add(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    _add_forget(sub)
    cmd = sub.add_parser("export", help="write observations, summaries and prompts as JSONL",
                         description="One JSON object per line; the format is described in "
                                     "recall_plugin/lifecycle/transfer.py and the README.")
    cmd.add_argument("--project", help="only this project's records (id or display name)")
    cmd.add_argument("--output", "-o", metavar="FILE", help="write to FILE (created 0600) "
                                                            "instead of stdout")
    cmd.set_defaults(run=run_export)
    cmd = sub.add_parser("import", help="add records from an export (duplicates are skipped)",
                         description="Imports an export file. Exit 1 when any line was rejected "
                                     "(the other lines are still imported).")
    cmd.add_argument("file", metavar="FILE", help="a JSONL export, or - for stdin")
    cmd.set_defaults(run=run_import)
    cmd = sub.add_parser("backfill", help="build memory from existing Claude Code transcripts",
                         description="Extracts every transcript session not yet in the store.")
    cmd.add_argument("--projects-dir", metavar="DIR", help="default: $CLAUDE_CONFIG_DIR/projects "
                                                           "or ~/.claude/projects")
    cmd.add_argument("--dry-run", action="store_true",
                     help="only list what would be backfilled: sessions, events, estimated tokens")
    cmd.add_argument("--since", type=_date, metavar="DATE",
                     help="only sessions active on or after this date (YYYY-MM-DD)")
    cmd.add_argument("--project", help="only sessions of this project (id or display name)")
    cmd.add_argument("--limit", type=_positive, metavar="N", help="only the N most recent sessions")
    cmd.set_defaults(run=run_backfill)


def _add_forget(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    cmd = sub.add_parser(
        "forget", help="remove memories from the store, full-text and vector indexes",
        description="Removes what every given selector matches, then checks that nothing of it "
                    "remains. A session, project or date range also removes the captured events "
                    "and provider conversation. Asks first unless --yes.")
    cmd.add_argument("ids", nargs="*", metavar="ID", help="observation ids (12 or obs:12), sum:3")
    cmd.add_argument("--query", help="records holding every word of this text")
    cmd.add_argument("--session", help="a Claude Code session id")
    cmd.add_argument("--project", help="a project id or display name")
    cmd.add_argument("--since", metavar="DATE", help="created on or after (ISO date or time)")
    cmd.add_argument("--until", metavar="DATE", help="created before (ISO date or time)")
    cmd.add_argument("--reason", required=True, help="why (logged with the ids, never the content)")
    cmd.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    cmd.add_argument("--dry-run", action="store_true", help="only show what would be removed")
    cmd.set_defaults(run=run_forget)


@contextlib.contextmanager
def _store(readonly: bool = False) -> Iterator[tuple[settings.Settings, sqlite3.Connection]]:
    conf = settings.load()
    conn = open_readable(conf.data_dir) if readonly else db.open_store(conf.data_dir)
    try:
        yield conf, conn
    finally:
        conn.close()


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- forget -------------------------------------------------------------------------------
def run_forget(args: argparse.Namespace) -> int:
    if not args.reason.strip():
        raise RecallError("forget needs a reason: --reason \"why\" (it is logged with the ids)")
    with _store() as (conf, conn):
        try:
            ingest(conn, conf.data_dir)  # what the hooks spooled belongs to the session too
        except (OSError, RecallError) as exc:
            _say(f"spooled events not ingested ({exc}): they are not part of this forget")
        try:
            project = projects.find(conn, args.project) if args.project else None
            chosen = forgetting.plan(conn, ids=args.ids, query=args.query, session_id=args.session,
                                     project=project, since=args.since, until=args.until)
        except ValueError as exc:
            raise RecallError(str(exc)) from None
        if chosen.empty:
            print("nothing to forget: no memory matches")
            return 0
        print(describe(chosen))
        if args.dry_run or not _confirmed(args.yes):
            return 0 if args.dry_run else 1
        index, why = open_for_search(conf, note="")
        if index is None:
            _say(f"vector index not used ({why}): removing from SQLite and full-text search only")
        report = forgetting.execute(conn, chosen, reason=args.reason, index=index)
    print(render_report(report))
    return 0 if report.verified else 1


_ONE = {"summaries": "summary"}


def describe(chosen: forgetting.Plan) -> str:
    counts = ", ".join(plural(len(chosen.rowids(t)), _ONE.get(t, t.rstrip("s")), t)
                       for t in forgetting.TABLES)
    lines = [f"would forget {counts}"]
    lines += [f"  {i.ref:<12} {i.created_at[:16]:<16} {i.project:<16} {i.title}"
              for i in chosen.items[:SHOWN_ITEMS]]
    if len(chosen.items) > SHOWN_ITEMS:
        lines.append(f"  ... and {len(chosen.items) - SHOWN_ITEMS} more")
    return "\n".join(lines)


def _confirmed(yes: bool) -> bool:
    if yes:
        return True
    if not sys.stdin.isatty():
        _say("claude-recall: not forgetting without confirmation: stdin is not a terminal; "
             "re-run with --yes to confirm")
        return False
    try:
        answer = input("Forget all of this? [y/N] ").strip().lower()
    except EOFError:
        answer = ""
    if answer not in ("y", "yes"):
        print("nothing forgotten")
        return False
    return True


def render_report(report: forgetting.ForgetReport) -> str:
    line = (f"forgot {plural(report.observations, 'observation')}, "
            f"{plural(report.summaries, 'summary', 'summaries')}, {plural(report.prompts, 'prompt')}, "
            f"{plural(report.events, 'event')}, {plural(report.turns, 'turn')}"
            + (f"; {report.index_docs} vector index docs" if report.index_checked else ""))
    if report.verified:
        where = "SQLite, full-text" + (" and vector index" if report.index_checked else "")
        return f"{line}\nverified: nothing of it remains in {where}"
    return "\n".join([line, "NOT verified:", *(f"  {p}" for p in report.problems)])


# -- export / import ----------------------------------------------------------------------
def _project(conn: sqlite3.Connection, value: str | None) -> str | None:
    try:
        return projects.find(conn, value) if value else None
    except ValueError as exc:
        raise RecallError(str(exc)) from None


def run_export(args: argparse.Namespace) -> int:
    with _store(readonly=True) as (_, conn):
        try:
            fd = (os.open(args.output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, paths.FILE_MODE)
                  if args.output else sys.stdout.fileno())
            with open(fd, "w", encoding="utf-8", closefd=bool(args.output)) as out:
                counts = transfer.export(conn, out, _project(conn, args.project))
        except OSError as exc:
            raise RecallError(f"cannot write {args.output or 'stdout'}: {exc.strerror or exc}") from None
    _say(f"exported {plural(counts['observation'], 'observation')}, "
         f"{plural(counts['summary'], 'summary', 'summaries')}, {plural(counts['prompt'], 'prompt')}")
    return 0


def run_import(args: argparse.Namespace) -> int:
    with _store() as (conf, conn):
        index, why = open_for_search(conf, note="")
        try:
            with _input(args.file) as lines:
                report = transfer.import_lines(conn, lines, index)
        except OSError as exc:
            raise RecallError(f"cannot read {args.file}: {exc.strerror or exc}") from None
    for rejected in report.rejected:
        _say(f"line {rejected.line}: {rejected.reason}")
    if index is None and report.imported:
        _say(f"vector index not used ({why}): imported records are found by full-text search")
    if report.index_problem:
        _say(report.index_problem)
    print(report.summary_line())
    return 1 if report.rejected else 0


@contextlib.contextmanager
def _input(name: str) -> Iterator[Iterator[bytes]]:
    if name == "-":
        yield iter(sys.stdin.buffer)
        return
    with open(name, "rb") as handle:
        yield iter(handle)


# -- backfill -----------------------------------------------------------------------------
def run_backfill(args: argparse.Namespace) -> int:
    from ..extract.runner import release_lock, take_lock
    from ..lifecycle.backfill import Selection, backfill, default_projects_dir

    root, projects = settings.load().data_dir, args.projects_dir or default_projects_dir()
    if not os.path.isdir(projects):
        raise RecallError(f"no transcripts folder {projects}"
                          + ("" if args.projects_dir else " (pass --projects-dir DIR)"))
    selection = Selection(args.since, args.project, args.limit)
    if args.dry_run:
        return _dry_run(root, projects, selection)
    try:
        lock = take_lock(root, wait=False)
    except ExtractorBusy:
        _say(f"an extractor is already running for {root}; waiting for it")
        lock = take_lock(root, wait=True)
    try:
        report = backfill(root, projects, Progress(sys.stdout, sys.stdout.isatty(), "backfill"), selection)
    finally:
        release_lock(lock)
    if not report.found:
        _say(f"no transcripts found under {projects}")
    print(f"backfill: {plural(report.found, 'transcript')}: {report.imported} imported "
          f"({plural(report.events, 'event')}), {report.known} already known, {report.empty} empty"
          + (f", {report.filtered} not selected" if report.filtered else "")
          + f", {report.malformed} malformed lines skipped; "
          f"{plural(report.observations, 'observation')}")
    if report.remaining:
        _say(f"claude-recall: {plural(report.remaining, 'event')} still pending: {report.reason}")
        return 1
    return 0


def _dry_run(root: str, projects: str, selection: Selection) -> int:
    from ..lifecycle.backfill import plan

    chosen, counts = plan(root, projects, selection)
    for item in chosen:
        print(f"{item.transcript.session_id[:8]}  {item.last_ts[:10]}  {item.name or item.project:<16} "
              f"{plural(item.events, 'event')}, ~{item.chars // 4:,} tokens")
    events, chars = sum(p.events for p in chosen), sum(p.chars for p in chosen)
    print(f"would backfill {plural(len(chosen), 'session')}, {plural(events, 'event')}, "
          f"~{chars // 4:,} tokens of events to send (plus prompts and replies); "
          f"{counts['known']} already known, {counts['empty']} empty, "
          f"{counts['filtered']} not selected")
    return 0
