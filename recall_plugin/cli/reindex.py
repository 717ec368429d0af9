"""``claude-recall reindex``: rebuild the vector index from the SQLite store.

Drops the Chroma collection, recreates it for the current embedding model and embeds every
observation and summary again. A local index folder that cannot be used (corrupt, or a file in
its place) is moved aside (kept) and rebuilt from scratch. A progress bar on a terminal; plain
progress lines otherwise.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import TextIO

from .. import settings
from ..index import reindex
from ..store import db

BAR_WIDTH = 30
LINE_EVERY_S = 10.0


def add(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    cmd = sub.add_parser("reindex", help="rebuild the vector index from the stored memory")
    cmd.set_defaults(run=run)


class Progress:
    """``(done, total)`` callbacks shown as a bar (TTY) or as lines every 10% / 10 s."""

    def __init__(self, out: TextIO, tty: bool) -> None:
        self.out, self.tty = out, tty
        self.started = time.monotonic()
        self.last_line = (-1, 0.0)  # (tenth of the work, time) of the last plain line

    def __call__(self, done: int, total: int) -> None:
        rate = done / max(time.monotonic() - self.started, 1e-6)
        if self.tty:
            self._bar(done, total, rate)
        else:
            self._line(done, total, rate)

    def _bar(self, done: int, total: int, rate: float) -> None:
        filled = BAR_WIDTH * done // total if total else BAR_WIDTH
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        self.out.write(f"\rreindex [{bar}] {done}/{total} {rate:.0f} docs/s")
        if done >= total:
            self.out.write("\n")
        self.out.flush()

    def _line(self, done: int, total: int, rate: float) -> None:
        tenth, now = (10 * done // total if total else 10), time.monotonic()
        if tenth == self.last_line[0] and now - self.last_line[1] < LINE_EVERY_S and done < total:
            return
        self.last_line = (tenth, now)
        percent = 100 * done // total if total else 100
        self.out.write(f"reindex: {done}/{total} ({percent}%), {rate:.0f} docs/s\n")
        self.out.flush()


def run(args: argparse.Namespace) -> int:
    conf = settings.load()
    conn = db.open_store(conf.data_dir)
    started = time.monotonic()
    try:
        added = reindex(conn, conf, Progress(sys.stderr, sys.stderr.isatty()), notice=print)
    finally:
        conn.close()
    print(f"reindexed {added} document(s) in {time.monotonic() - started:.1f} s")
    return 0
