"""Doctor checks of the data: the data dir's permissions, the database, stale extractor state,
settings, the queue, the provider and the vector index, each with its repair where one exists."""

from __future__ import annotations

import os
import sqlite3
import stat
import sys
from collections.abc import Iterator

from .. import paths, settings
from ..cli.text import plural, provider_state
from ..extract import stale
from ..queue.ingest import CORRUPT_FILE
from ..store import db, pauses, repair
from ..store.migrations import pending
from .check import Check


def check_python() -> Check:
    version = ".".join(map(str, sys.version_info[:3]))
    ok = sys.version_info >= (3, 10)
    return Check("python", ok, f"{sys.executable} ({version})",
                 "" if ok else "install Python 3.10 or newer as python3")


def check_permissions(root: str) -> Check:
    loose = [p for p in _private_paths(root) if stat.S_IMODE(os.stat(p).st_mode) & 0o077]
    if not os.path.isdir(root):
        return Check("data dir", True, f"{root} (not created yet)")
    if not loose:
        return Check("data dir", True, f"{root} (private)")
    shown = ", ".join(os.path.relpath(p, root) for p in loose[:3])
    return Check("data dir", False, f"readable by others: {shown}",
                 f"chmod -R go-rwx {root}", repair=lambda: _make_private(root))


def _make_private(root: str) -> str:
    loose = [p for p in _private_paths(root) if stat.S_IMODE(os.stat(p).st_mode) & 0o077]
    for path in loose:
        os.chmod(path, stat.S_IMODE(os.stat(path).st_mode) & 0o700)
    return f"made {len(loose)} path(s) private to the user (go-rwx)"


def _private_paths(root: str) -> Iterator[str]:
    if not os.path.isdir(root):
        return
    yield root
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith("venv")]
        for name in dirs + files:
            yield os.path.join(folder, name)


def check_database(root: str) -> Check:
    path = paths.db_file(root)
    state = repair.inspect_database(path)
    if state.state == "missing":
        return Check("database", True, "not created yet (created on first use)")
    if state.state == "corrupt":
        return Check("database", False, f"{path} is damaged: {state.detail}",
                     "run `claude-recall doctor --fix`: it moves the file aside (kept) and recovers "
                     "what can be read into a new database",
                     repair=lambda: repair.recover_database(root).describe())
    if state.state == "locked":
        return Check("database", False, f"{path} is {state.detail}",
                     "wait for that process to finish, or stop it if it hangs", warn_only=True)
    try:
        conn = db.connect(path, readonly=True)
        todo = pending(conn)
        conn.close()
    except sqlite3.Error as exc:
        return Check("database", False, f"{path}: {exc}", "run `claude-recall doctor --fix`",
                     repair=lambda: repair.recover_database(root).describe())
    detail = f"{path} ok" + (f", {len(todo)} migration(s) pending" if todo else "")
    return Check("database", True, detail)


def check_extractor(root: str) -> Check:
    """A lock or ``processing`` events left by an extractor that died."""
    holder = stale.lock_holder(root)
    if holder:
        return Check("extractor", True, f"running (pid {holder} holds extractor.lock)")
    dead_pid = stale.stale_lock_pid(root)
    stuck = stale.stale_processing(root) if repair.inspect_database(paths.db_file(root)).state == "ok" else 0
    if not dead_pid and not stuck:
        return Check("extractor", True, "not running, nothing left behind")
    parts = ([f"extractor.lock names process {dead_pid}, which exited without releasing it"]
             if dead_pid else []) + (
        [f"{plural(stuck, 'event')} left 'processing' by an extractor that died"] if stuck else [])
    # not a fault: the next extractor resets both by itself; --fix does it now
    return Check("extractor", True, "; ".join(parts) + " (the next extraction recovers them)",
                 "run `claude-recall doctor --fix` to reset them now", warn_only=True,
                 repair=lambda: stale.reset_stale(root))


def check_index(root: str) -> Check:
    from ..index import index_status

    conf = settings.load(root)
    if conf.text("CLAUDE_RECALL_INDEX_MODE") == "off" or repair.inspect_database(
            paths.db_file(root)).state != "ok":
        return Check("index", True, "not checked (index off or no usable database)")
    conn = db.open_store(root)
    try:
        line = index_status(conf, conn)
    finally:
        conn.close()
    local_error = line.startswith("error") and conf.text("CLAUDE_RECALL_INDEX_MODE") == "local"
    if line.startswith("mismatch") or local_error:  # a corrupt local folder: moved aside, rebuilt
        return Check("index", False, line, "run `claude-recall reindex` (or doctor --fix)",
                     repair=lambda: _reindex(root))
    return Check("index", True, line, warn_only=not line.startswith(("ok", "behind")))


def _reindex(root: str) -> str:
    from ..index import reindex

    conn = db.open_store(root)
    try:
        notes: list[str] = []
        count = reindex(conn, settings.load(root), notice=notes.append)
        return "; ".join([*notes, f"reindexed {count} row(s)"])
    finally:
        conn.close()


def check_settings(root: str) -> Check:
    problems = settings.load(root).problems
    if not problems:
        return Check("settings", True, paths.settings_file(root))
    return Check("settings", False, "; ".join(problems),
                 "fix the file, or use `claude-recall settings set KEY VALUE`")


def check_queue(root: str) -> Check:
    corrupt = os.path.join(paths.queue_dir(root), CORRUPT_FILE)
    if os.path.exists(corrupt):
        return Check("queue", True, f"corrupt lines were set aside in {corrupt}",
                     "inspect them; they are kept, never dropped", warn_only=True)
    return Check("queue", True, "no corrupt lines")


def check_provider(root: str) -> Check:
    """Can extraction call a provider, and is it paused? Agrees with ``status``."""
    usable, detail = provider_state(settings.load(root))
    paused = _pauses(root)
    if paused:
        return Check("provider", False, f"{detail}; extraction paused: {paused[0]}",
                     "fix the setting the pause names (it lifts by itself when that setting "
                     "changes), or `claude-recall retry`")
    if usable:
        from ..providers import billing_note

        billing = billing_note(settings.load(root))
        return Check("provider", True, f"{detail}; {billing}" if billing else detail)
    if detail.startswith("not checked"):
        return Check("provider", True, detail, warn_only=True)
    fix = ("fill in the API key setting named above (claude-recall settings set KEY VALUE)"
           if detail.startswith("no usable") else "set the key of the provider named first")
    return Check("provider", not detail.startswith("no usable"), detail, fix,
                 warn_only=not detail.startswith("no usable"))


def _pauses(root: str) -> list[str]:
    """Reasons of the pauses recorded in the store (read-only; none without a database)."""
    if repair.inspect_database(paths.db_file(root)).state != "ok":
        return []
    try:
        conn = db.connect(paths.db_file(root), readonly=True)
        try:
            return [p.reason for p in pauses.listed(conn)]
        finally:
            conn.close()
    except sqlite3.Error:
        return []
