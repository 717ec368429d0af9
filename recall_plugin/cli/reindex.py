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

from .. import settings
from ..index import reindex
from ..store import db
from .progress import Progress


def add(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    cmd = sub.add_parser("reindex", help="rebuild the vector index from the stored memory")
    cmd.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    conf = settings.load()
    conn = db.open_store(conf.data_dir)
    started = time.monotonic()
    try:
        added = reindex(conn, conf, Progress(sys.stderr, sys.stderr.isatty(), "reindex", "docs"),
                        notice=print)
    finally:
        conn.close()
    print(f"reindexed {added} document(s) in {time.monotonic() - started:.1f} s")
    return 0
