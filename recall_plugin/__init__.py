"""claude-recall: memory for Claude Code that lasts across sessions.

The package is laid out in data-flow order:

1. ``capture``   - the hook hot path. Reads a hook payload from stdin, normalises it into one
                   event, removes private content and secrets, trims oversized fields and hands
                   it to the queue. Standard library only; never raises, always exits 0.
2. ``queue``     - the durable spool the hooks append to (file-locked JSONL, one fsync'd line
                   per event) and the ingester that moves spooled lines into the store,
                   de-duplicated by each event's natural key.
3. ``extract``   - the short-lived extractor that replays a session's events through a provider
                   into observations and summaries.
4. ``providers`` - one small interface, one module per provider (claude, gemini, openrouter).
5. ``store``     - SQLite, the source of truth: migrations, WAL, FTS5 kept in sync by triggers.
6. ``index`` / ``search`` / ``context`` - the vector index and the recall side.
7. surfaces      - ``cli`` (``claude-recall``), the MCP server and the viewer.

Cross-cutting: ``settings`` (every setting declared once), ``paths`` (data dir, private files),
``log`` (a small multi-process-safe rotating log), ``errors`` (one small hierarchy); ``runtime``
(the plugin environment's builder, detached processes) sits just above them. ``lifecycle``
(forget, notes, import/export, backfill) and ``doctor`` (checks and repairs) sit above
``extract``. Imports point down only: the order is in ``tests/test_structure.py``.

Importing this package must stay cheap: the hooks import it on every call.
"""

# The one place the version is written: pyproject.toml reads it (setuptools dynamic version);
# .claude-plugin/plugin.json and marketplace.json must agree (tests/test_version.py).
__version__ = "0.1.0"
