"""The durable queue between the hooks and the extractor.

Why a spool and not a SQLite table: a hook must finish in a few milliseconds, and a file-locked
append costs ~0.2 ms where importing ``sqlite3`` alone costs ~6 ms. The hooks append one JSON
line per event to ``queue/spool.jsonl`` (``spool``); the ingester (``ingest``), run by the
extractor and the CLI, moves spooled lines into the SQLite ``events`` table, where the natural
key of each event makes the move idempotent and where the pending/failed/dead states live.
"""
