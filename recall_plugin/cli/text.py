"""Helpers shared by the commands: wording, reading without creating files, provider state."""

from __future__ import annotations

import os
import sqlite3

from .. import paths, settings


def plural(count: int, singular: str, many: str | None = None) -> str:
    """``1 observation``, ``2 observations``, ``1 batch``, ``0 batches``."""
    return f"{count:,} {singular if count == 1 else (many or singular + 's')}"


def open_readable(data_dir: str) -> sqlite3.Connection:
    """The store of ``data_dir`` for a read-only command. Before anything was stored (no
    database file) it is an empty in-memory store, so reading creates no file."""
    from ..store import db
    from ..store.migrations import migrate

    if os.path.exists(paths.db_file(data_dir)):
        return db.open_store(data_dir)
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.row_factory = sqlite3.Row
    migrate(conn)
    return conn


def provider_state(conf: settings.Settings) -> tuple[bool, str]:
    """Whether extraction can call a provider, and how (which one; for ``claude``, whether with
    an API key or through the user's own ``claude`` CLI), or why not. ``status`` and ``doctor``
    both say this, so they agree."""
    from ..providers import create

    names = [conf.text("CLAUDE_RECALL_PROVIDER"), conf.text("CLAUDE_RECALL_FALLBACK_PROVIDER")]
    problems: list[str] = []
    for name in dict.fromkeys(n for n in names if n != "none"):
        try:
            provider = create(name, conf)
            why = provider.unusable()
        except ImportError as exc:  # run before the plugin environment exists
            return False, f"not checked: {exc.name or exc} is not installed yet"
        if why is None:
            how = _how(provider)
            instead = f" (instead of {names[0]}: {problems[0]})" if problems else ""
            return not problems, f"{name} is usable{how}{instead}"
        problems.append(f"{name}: {why}")
    return False, "no usable provider: " + "; ".join(problems)


def _how(provider: object) -> str:
    """Which of Claude's two providers runs: the SDK (a key) or the claude CLI (no key)."""
    if getattr(provider, "name", "") != "claude":
        return ""
    cli_path = getattr(provider, "cli_path", None)
    if cli_path is None:
        return ", with an API key (CLAUDE_RECALL_CLAUDE_API_KEY or ANTHROPIC_API_KEY)"
    return f", through your own claude CLI ({cli_path()}) with no API key"
