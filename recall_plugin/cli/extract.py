"""``claude-recall extract`` (drain the queue now, in the foreground) and ``retry``."""

from __future__ import annotations

import argparse
import os
import sys

from .. import log, paths, settings
from ..store.db import open_store, write


def add(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    cmd = sub.add_parser("extract", help="turn captured events into memory now, until drained",
                         description="Runs the extractor in the foreground until the queue is "
                                     "drained. Exit 0 when drained; 1 with the reason when work "
                                     "remains pending.")
    cmd.add_argument("--background", action="store_true", help=argparse.SUPPRESS)
    cmd.set_defaults(run=run)
    retry = sub.add_parser("retry", help="re-queue dead and failed work and lift provider pauses")
    retry.set_defaults(run=run_retry)


def run(args: argparse.Namespace) -> int:
    root = paths.data_dir()
    return background(root) if args.background else foreground(root)


def foreground(root: str) -> int:
    from ..extract.runner import Busy, Extractor, take_lock

    try:
        lock = take_lock(root, wait=False)
    except Busy:
        print(f"an extractor is already running for {root}; waiting for it", flush=True)
        lock = take_lock(root, wait=True)
    extractor = Extractor(root, drain=True, out=lambda line: print(line, flush=True))
    try:
        outcome = extractor.run(idle_s=0)
    finally:
        extractor.close()
        os.close(lock)
    t = outcome.totals
    print(f"{t.events} events in {t.batches} batches: {t.observations} observations, "
          f"{t.input_tokens:,} input / {t.output_tokens:,} output tokens, ${t.cost_usd:.4f}")
    if outcome.remaining:
        print(f"claude-recall: {outcome.remaining} events still pending: {outcome.reason}",
              file=sys.stderr)
        return 1
    return 0


def background(root: str) -> int:
    """What the hooks start: exits at once if another extractor runs, else until idle."""
    from ..extract.runner import Busy, Extractor, take_lock

    try:
        lock = take_lock(root, wait=False)
    except Busy:
        return 0
    try:
        extractor = Extractor(root, drain=False)
        try:
            extractor.run(idle_s=settings.load(root).number("CLAUDE_RECALL_EXTRACTOR_IDLE_S"))
        finally:
            extractor.close()
    except Exception as exc:  # a background process has nobody to tell but the log
        log.error(f"extractor stopped: {type(exc).__name__}: {exc}")
    finally:
        os.close(lock)
    return 0


def run_retry(args: argparse.Namespace) -> int:
    from ..extract import pauses

    conn = open_store(paths.data_dir())
    with write(conn):
        revived = conn.execute(
            "UPDATE events SET state = 'pending', attempts = 0, next_attempt_at = NULL,"
            " last_error = NULL WHERE state IN ('dead', 'failed')").rowcount
    lifted = pauses.lift_all(conn)
    print(f"re-queued {revived} events; lifted {lifted} pauses")
    return 0
