"""The durable queue between the hooks and the extractor.

Why a spool and not a SQLite table: a hook must finish in a few milliseconds, and a file-locked
append costs ~0.2 ms where importing ``sqlite3`` alone costs ~6 ms. The hooks append one JSON
line per event to ``queue/spool.jsonl`` (``spool``); the ingester (``ingest``), run by the
extractor and the CLI, moves spooled lines into the SQLite ``events`` table, where the natural
key of each event makes the move idempotent and where the pending/failed/dead states live.
"""


def wake_extractor() -> None:
    """Start the extractor when anything waits in the queue (after the plugin environment is
    built: the hooks could not start it meanwhile). Imports lazily: the hooks import this package."""
    import os

    from .. import log, paths, settings
    from ..runtime.spawn import start_extractor
    from . import spool

    conf = settings.load()
    root = conf.data_dir
    waiting = spool.count_lines(paths.queue_dir(root)) or os.path.exists(paths.db_file(root))
    if not conf.flag("CLAUDE_RECALL_AUTO_EXTRACT") or not waiting:
        return
    try:
        state = start_extractor(root, paths.extractor_lock(root),
                                os.path.join(paths.logs_dir(root), "extractor.out"))
    except OSError as exc:
        log.error(f"could not start the extractor after the build: {exc}")
        return
    log.info(f"extractor after the environment build: {state}")
