"""Diagnose and repair what a crash, a full disk or a broken install leaves behind, for
``claude-recall doctor [--fix]``.

* A corrupt database is moved aside (``recall.db.corrupt-<UTC time>``, with its -wal and -shm;
  the old file is kept) and a new, fully migrated one receives every row that can still be
  read: first from ``sqlite3 .recover`` when the CLI is installed, else straight from the old
  file, table by table, row by row (a row that cannot be read is counted, not fatal).
* A locked database: the processes that have it open are named (from ``/proc``).

Stale extractor state lives in ``extract.stale``, the plugin environment's checks in
``doctor.environment``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass

from .. import paths
from ..vocab import utc_file_stamp
from .db import BUSY_TIMEOUT_MS, open_store

SKIPPED_TABLES = ("migrations", "sqlite_sequence")


@dataclass(frozen=True)
class DbState:
    state: str  # "missing", "ok", "corrupt", "locked"
    detail: str


def inspect_database(path: str, lock_wait_s: float = 0.3) -> DbState:
    """Is the store readable, consistent and writable right now?"""
    if not os.path.exists(path):
        return DbState("missing", "not created yet")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=lock_wait_s)
        try:
            result = conn.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            conn.close()
        if result != "ok":
            return DbState("corrupt", f"integrity check failed: {result}")
        conn = sqlite3.connect(path, timeout=lock_wait_s, isolation_level=None)
        try:  # can we take the write lock?
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("ROLLBACK")
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        return _failed_state(path, exc)
    return DbState("ok", "integrity ok")


def _failed_state(path: str, exc: sqlite3.DatabaseError) -> DbState:
    locked = isinstance(exc, sqlite3.OperationalError) and (
        "locked" in str(exc) or "busy" in str(exc))
    return DbState("locked", _locked_detail(path)) if locked else DbState("corrupt", str(exc))


def _locked_detail(path: str) -> str:
    holders = holders_of(path)
    if not holders:
        return "locked by another process (none found in /proc; another host or container?)"
    return "locked; open in " + ", ".join(f"pid {pid} ({cmd})" for pid, cmd in holders)


def holders_of(path: str) -> list[tuple[int, str]]:
    """(pid, command line) of every process with ``path`` (or its -wal/-shm) open."""
    targets = {os.path.realpath(path + suffix) for suffix in ("", "-wal", "-shm", "-journal")}
    found: list[tuple[int, str]] = []
    try:
        pids = [int(name) for name in os.listdir("/proc") if name.isdigit()]
    except OSError:
        return found
    for pid in pids:
        if pid == os.getpid():
            continue
        folder = f"/proc/{pid}/fd"
        try:
            links = {os.readlink(os.path.join(folder, fd)) for fd in os.listdir(folder)}
        except OSError:
            continue
        if links & targets:
            found.append((pid, _cmdline(pid)))
    return found


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read().replace(b"\0", b" ").decode("utf-8", "replace").strip()[:120]
    except OSError:
        return "?"


@dataclass(frozen=True)
class Recovered:
    moved_to: str
    rows: dict[str, int]
    unreadable: int
    method: str

    def describe(self) -> str:
        total = sum(self.rows.values())
        lost = f", {self.unreadable} unreadable row(s) or table(s) skipped" if self.unreadable else ""
        return (f"moved the damaged database to {self.moved_to} (kept); recovered {total} row(s) "
                f"into a new database via {self.method}{lost}")


def recover_database(root: str) -> Recovered:
    """Move the damaged store aside and rebuild a new one from whatever can be read."""
    path = paths.db_file(root)
    stamp = utc_file_stamp()
    moved = f"{path}.corrupt-{stamp}"
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.replace(path + suffix, moved + suffix)
    scratch = _recover_with_cli(moved)
    methods = (["sqlite3 .recover"] if scratch else []) + ["a row-by-row copy"]
    rows: dict[str, int] = {}
    unreadable = 0
    try:
        for source in ([scratch] if scratch else []) + [moved]:  # INSERT OR IGNORE: a union
            copied, bad = _copy_rows(source, root)
            for table, count in copied.items():
                rows[table] = rows.get(table, 0) + count
            unreadable = bad  # what the last, most direct source could not read
    finally:
        if scratch:
            with contextlib.suppress(OSError):
                os.unlink(scratch)
    return Recovered(moved, rows, unreadable, " and ".join(methods))


def _recover_with_cli(damaged: str) -> str | None:
    """``sqlite3 damaged .recover`` into a scratch database; None when that is not possible."""
    cli = shutil.which("sqlite3")
    if cli is None:
        return None
    fd, scratch = tempfile.mkstemp(prefix="recall-recover-", suffix=".db", dir=os.path.dirname(damaged))
    os.close(fd)
    os.unlink(scratch)
    try:
        dump = subprocess.run([cli, damaged, ".recover"], capture_output=True, timeout=300, check=False)
        if dump.returncode != 0 or not dump.stdout:
            return None
        conn = sqlite3.connect(scratch)
        try:
            conn.executescript(dump.stdout.decode("utf-8", "replace"))
        finally:
            conn.close()
    except (OSError, subprocess.SubprocessError, sqlite3.Error):
        with contextlib.suppress(OSError):
            os.unlink(scratch)
        return None
    return scratch


def _copy_rows(source: str, root: str) -> tuple[dict[str, int], int]:
    """Copy every readable row of ``source``'s own tables into a new migrated store."""
    target = open_store(root)
    rows: dict[str, int] = {}
    unreadable = 0
    try:
        old = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    except sqlite3.Error:
        target.close()
        return rows, 1
    try:
        wanted = _plain_tables(target)
        try:
            present = {r[0] for r in old.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        except sqlite3.Error:
            present = set(wanted)  # the schema page is damaged: try every table we know
        target.execute("BEGIN IMMEDIATE")
        for table in wanted:
            if table not in present:
                continue
            copied, bad = _copy_table(old, target, table, wanted[table])
            rows[table], unreadable = copied, unreadable + bad
        for fts in ("observations", "summaries", "prompts"):
            with contextlib.suppress(sqlite3.Error):
                target.execute(f"INSERT INTO {fts}_fts({fts}_fts) VALUES ('rebuild')")
        target.execute("COMMIT")
    finally:
        old.close()
        target.close()
    return rows, unreadable


def _plain_tables(conn: sqlite3.Connection) -> dict[str, list[str]]:
    tables: dict[str, list[str]] = {}
    for (name, sql) in conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'"):
        if name in SKIPPED_TABLES or "_fts" in name or "VIRTUAL" in (sql or "").upper():
            continue
        tables[name] = [r[1] for r in conn.execute(f"PRAGMA table_info({name})")]
    return tables


def _copy_table(old: sqlite3.Connection, target: sqlite3.Connection, table: str,
                columns: list[str]) -> tuple[int, int]:
    try:
        have = [r[1] for r in old.execute(f"PRAGMA table_info({table})")]
    except sqlite3.Error:
        return 0, 1
    shared = [c for c in columns if c in have]
    if not shared:
        return 0, 0
    names = ", ".join(shared)
    insert = f"INSERT OR IGNORE INTO {table} ({names}) VALUES ({', '.join('?' * len(shared))})"
    copied = 0
    seen: set[int] = set()
    try:
        for row in old.execute(f"SELECT rowid, {names} FROM {table}"):
            seen.add(row[0])
            copied += _insert_row(target, insert, row[1:])
        return copied, 0
    except sqlite3.OperationalError as exc:
        if "no such column" in str(exc):  # a WITHOUT ROWID table: one plain scan
            return _copy_plain(old, target, f"SELECT {names} FROM {table}", insert)
    except sqlite3.Error:
        pass  # a damaged page: fetch the remaining rows one by one, by rowid
    bad = 0
    for rowid in sorted(_rowids(old, table) - seen):
        try:
            row = old.execute(f"SELECT {names} FROM {table} WHERE rowid = ?", (rowid,)).fetchone()
        except sqlite3.Error:
            bad += 1
            continue
        if row is not None:
            copied += _insert_row(target, insert, tuple(row))
    return copied, max(bad, 1)


def _copy_plain(old: sqlite3.Connection, target: sqlite3.Connection, select: str,
                insert: str) -> tuple[int, int]:
    copied = 0
    try:
        for row in old.execute(select):
            copied += _insert_row(target, insert, tuple(row))
    except sqlite3.Error:
        return copied, 1
    return copied, 0


def _insert_row(target: sqlite3.Connection, insert: str, row: tuple[object, ...]) -> int:
    try:
        return target.execute(insert, row).rowcount
    except sqlite3.Error:
        return 0


def _rowids(old: sqlite3.Connection, table: str, probe_limit: int = 2_000_000) -> set[int]:
    """Every rowid any index of ``table`` still lists, and every one up to its max rowid."""
    found: set[int] = set()
    try:
        indexes = [r[1] for r in old.execute(f"PRAGMA index_list({table})")]
    except sqlite3.Error:
        indexes = []
    for index in indexes:
        with contextlib.suppress(sqlite3.Error):
            found.update(r[0] for r in old.execute(f"SELECT rowid FROM {table} INDEXED BY {index}"))
    with contextlib.suppress(sqlite3.Error, TypeError):
        top = int(old.execute(f"SELECT max(rowid) FROM {table}").fetchone()[0])
        found.update(range(1, min(top, probe_limit) + 1))
    return found
