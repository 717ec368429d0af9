"""``claude-recall status``: what is queued, stored and spent."""

from __future__ import annotations

import argparse
import json
import os

from .. import paths, settings
from ..errors import RecallError
from ..queue import spool
from ..queue.ingest import ingest
from ..store import db, stats
from .text import open_readable, provider_state


def add(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    cmd = sub.add_parser("status", help="queue by state, counts, usage, last extractor run")
    cmd.add_argument("--json", action="store_true", help="print one JSON object")
    cmd.set_defaults(run=run)


def gather(data_dir: str | None = None) -> stats.Status:
    """Ingest what the hooks spooled, then count. Works (read-only) if ingestion cannot."""
    conf = settings.load(data_dir)
    root = conf.data_dir
    from ..providers import billing_note

    notes = [f"settings: {p}" for p in conf.problems]
    usable, provider = provider_state(conf)
    if not usable:  # the same words as doctor's provider check
        notes.append(f"provider: {provider}")
    billing = billing_note(conf)
    notes += [billing] if billing else []
    # an empty data dir stays empty: nothing to ingest, nothing to create
    writable = spool.count_lines(paths.queue_dir(root)) or os.path.exists(paths.db_file(root))
    conn = db.open_store(root) if writable else open_readable(root)
    try:
        try:
            report = ingest(conn, root) if writable else None
            if report and report.corrupt:
                notes.append(f"{report.corrupt} corrupt queue line(s) set aside in queue/")
        except (OSError, RecallError) as exc:
            notes.append(f"spooled events not ingested yet: {exc}")
        spooled = spool.count_lines(paths.queue_dir(root))
        return stats.collect(conn, root, conf.text("CLAUDE_RECALL_PROVIDER"), spooled,
                             tuple(notes))
    finally:
        conn.close()


def render(status: stats.Status) -> str:
    q = status.queue
    lines = [
        f"data dir      {status.data_dir}",
        f"provider      {status.provider}",
        f"queue         {q['pending']} pending, {q['processing']} processing, "
        f"{q['failed']} failed, {q['dead']} dead, {q['done']} done, {q['skipped']} skipped"
        + (f", {q['spooled']} spooled" if q.get("spooled") else ""),
        f"sessions      {status.sessions}",
        f"prompts       {status.prompts}",
        f"events        {status.events}",
        f"observations  {status.observations}",
        f"summaries     {status.summaries}",
        f"last run      {status.last_extractor_run or 'never'}",
    ]
    usage = status.usage_today
    lines.append(f"today         {usage.calls} calls, {usage.input_tokens:,} in / "
                 f"{usage.output_tokens:,} out tokens, ${usage.cost_usd:.4f} (estimated)")
    if status.last_error:
        lines.append(f"last error    {status.last_error}")
    lines += [f"paused        {p['reason']}" for p in status.paused]
    lines += [f"note          {note}" for note in status.notes]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    status = gather()
    print(json.dumps(status.as_dict(), indent=2) if args.json else render(status))
    return 0
