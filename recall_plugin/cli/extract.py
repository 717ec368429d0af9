"""``claude-recall extract`` (drain the queue now, in the foreground) and ``retry``."""

from __future__ import annotations

import argparse
import os
import sys

from .. import log, paths, settings
from ..errors import ExtractorBusy
from ..store import calls, events
from ..store import observations as stored_observations
from ..store.db import open_store, write
from .text import plural


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
    from ..extract.runner import Extractor, release_lock, take_lock

    waited = False
    try:
        lock = take_lock(root, wait=False)
    except ExtractorBusy:
        lock, waited = _wait_for_background(root), True
    extractor = Extractor(root, drain=True, out=lambda line: print(line, flush=True))
    try:
        outcome = extractor.run(idle_s=0)
    finally:
        extractor.close()
        release_lock(lock)
    t = outcome.totals
    if t.batches or not (waited or outcome.remaining):  # (after waiting, only news)
        print(f"{plural(t.events, 'event')} in {plural(t.batches, 'batch', 'batches')}: "
              f"{plural(t.observations, 'observation')}, {t.input_tokens:,} input / "
              f"{t.output_tokens:,} output tokens, ${t.cost_usd:.4f}")
    if outcome.remaining:
        for failure in dict.fromkeys(t.failures):  # every failed batch, once each
            print(f"claude-recall: failed: {failure}", file=sys.stderr)
        print(f"claude-recall: {plural(outcome.remaining, 'event')} still pending: {outcome.reason}",
              file=sys.stderr)
        return 1
    return 0


def _wait_for_background(root: str) -> int:
    """Wait for the running extractor, then say what it did while we waited."""
    from ..extract.runner import take_lock
    from ..extract.stale import lock_holder

    holder = lock_holder(root)
    print(f"an extractor is already running for {root}"
          + (f" (pid {holder})" if holder else "") + "; waiting for it to finish", flush=True)
    before = _done_so_far(root)
    lock = take_lock(root, wait=True)
    after = _done_so_far(root)
    calls, events, observations = (a - b for a, b in zip(after, before, strict=True))
    print(f"the running extractor finished: {plural(events, 'event')} done in "
          f"{plural(calls, 'provider call')}, {plural(observations, 'observation')} stored",
          flush=True)
    return lock


def _done_so_far(root: str) -> tuple[int, int, int]:
    """Provider calls, events done and observations stored so far (zeros with no database)."""
    if not os.path.exists(paths.db_file(root)):
        return (0, 0, 0)
    conn = open_store(root)
    try:
        return (calls.count_ok(conn), events.count_in(conn, ("done", "skipped")),
                stored_observations.count(conn))
    finally:
        conn.close()


def background(root: str) -> int:
    """What the hooks start: exits at once if another extractor runs, else until idle."""
    from ..extract.runner import Extractor, release_lock, take_lock

    try:
        lock = take_lock(root, wait=False)
    except ExtractorBusy:
        return 0
    from ..index import embed

    embed.prefer_threads(1)  # in the background: leave the other core to the user's session
    try:
        extractor = Extractor(root, drain=False)
        try:
            extractor.run(idle_s=settings.load(root).number("CLAUDE_RECALL_EXTRACTOR_IDLE_S"))
        finally:
            extractor.close()
    except Exception as exc:  # a background process has nobody to tell but the log
        log.error(f"extractor stopped: {type(exc).__name__}: {exc}")
    finally:
        release_lock(lock)
    return 0


def run_retry(args: argparse.Namespace) -> int:
    from ..extract import pauses

    conn = open_store(paths.data_dir())
    with write(conn):
        revived = events.revive(conn)
    lifted = pauses.lift_all(conn)
    print(f"re-queued {plural(revived, 'event')}; lifted {plural(lifted, 'pause')}")
    return 0
