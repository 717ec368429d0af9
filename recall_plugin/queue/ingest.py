"""Move spooled events into the store's ``events`` table, exactly once each.

A claimed segment is read line by line inside one write transaction. ``INSERT OR IGNORE`` on
the natural key makes a replayed payload, a duplicated line or a re-read segment (after a
crash between commit and delete) harmless. A line that is not a valid event is never
dropped: it is copied to ``queue/corrupt.jsonl`` with its reason and logged. Ingestion also
keeps ``sessions`` and ``prompts`` current. Events of a session the user forgot
(``forgotten_sessions``) are dropped, counted as ``forgotten``: queued work never brings a
forgotten session back.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import time
from dataclasses import dataclass

from .. import log, paths
from ..store import projects
from ..store.db import write
from ..vocab import EVENT_KINDS as KINDS
from . import spool

COLUMNS = ("key", "v", "kind", "session_id", "project", "ts", "tool_name", "tool_use_id",
           "prompt_id", "agent_id", "agent_type", "private", "project_name")
CORRUPT_FILE = "corrupt.jsonl"
MARKER_MAX_AGE_S = 7 * 86400
FUTURE_SLACK_S = 86400


@dataclass(frozen=True)
class IngestReport:
    segments: int = 0
    lines: int = 0
    inserted: int = 0
    duplicates: int = 0
    corrupt: int = 0
    forgotten: int = 0  # lines of forgotten sessions, dropped

    def __add__(self, other: IngestReport) -> IngestReport:
        return IngestReport(*(a + b for a, b in zip(self.astuple(), other.astuple(), strict=True)))

    def astuple(self) -> tuple[int, int, int, int, int, int]:
        return (self.segments, self.lines, self.inserted, self.duplicates, self.corrupt, self.forgotten)


def ingest(conn: sqlite3.Connection, data_dir: str) -> IngestReport:
    """Ingest every spooled line; returns what happened."""
    queue_dir = paths.queue_dir(data_dir)
    total = IngestReport()
    for segment in spool.claim(queue_dir):
        total = total + _ingest_segment(conn, queue_dir, segment)
    _prune_markers(queue_dir)
    if total.corrupt:
        log.warning(f"ingest: {total.corrupt} corrupt queue line(s) kept in "
                    f"{os.path.join(queue_dir, CORRUPT_FILE)}")
    return total


def _ingest_segment(conn: sqlite3.Connection, queue_dir: str, segment: str) -> IngestReport:
    inserted = duplicates = lines = forgotten = 0
    corrupt: list[dict[str, object]] = []
    with write(conn):
        for number, line in spool.read_lines(segment):
            lines += 1
            event, reason = parse_line(line)
            if event is None:
                corrupt.append(_quarantined(segment, number, line, reason))
            elif is_forgotten(conn, str(event["session_id"])):
                forgotten += 1
            elif insert_event(conn, event):
                inserted += 1
            else:
                duplicates += 1
    _keep_corrupt(queue_dir, corrupt)
    with contextlib.suppress(FileNotFoundError):  # another ingester finished it
        os.unlink(segment)
    if forgotten:
        log.info(f"ingest: dropped {forgotten} queued event(s) of forgotten sessions")
    return IngestReport(1, lines, inserted, duplicates, len(corrupt), forgotten)


def is_forgotten(conn: sqlite3.Connection, session_id: str) -> bool:
    return conn.execute("SELECT 1 FROM forgotten_sessions WHERE session_id = ?",
                        (session_id,)).fetchone() is not None


def storable(value: object) -> object:
    """``value`` with every lone surrogate (valid JSON, e.g. an emoji cut in half, but not
    valid UTF-8) replaced by U+FFFD, so SQLite can store it."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
        return value
    if isinstance(value, dict):
        return {storable(k): storable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [storable(v) for v in value]
    return value


def parse_line(line: bytes) -> tuple[dict[str, object] | None, str]:
    """The event of one spool line, or (None, why it is not one)."""
    try:
        data = storable(json.loads(line))
    except ValueError as exc:
        return None, f"not JSON: {exc}"
    if not isinstance(data, dict):
        return None, "not a JSON object"
    for name in ("key", "session_id", "ts"):
        if not isinstance(data.get(name), str) or not data[name]:
            return None, f"missing {name}"
    if data.get("kind") not in KINDS:
        return None, f"unknown kind {data.get('kind')!r}"
    data["ts"] = _checked_ts(str(data["ts"]), str(data["key"]))
    return data, ""


def _checked_ts(ts: str, key: str) -> str:
    """An event stamped more than a day ahead (a wrong clock, a forged line) would never look
    idle enough to extract: it is stored with the ingest time instead, and logged."""
    limit = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(time.time() + FUTURE_SLACK_S))
    if ts[:19] <= limit and ts[:4].isdigit():
        return ts
    now = _now()
    log.warning(f"ingest: event {key} is stamped {ts[:40]!r}, beyond now + 1 day or not a "
                f"date; stored with the ingest time {now}")
    return now


def _quarantined(segment: str, number: int, line: bytes, reason: str) -> dict[str, object]:
    return {"segment": os.path.basename(segment), "line": number, "reason": reason,
            "raw": line.decode("utf-8", "backslashreplace")}


def _keep_corrupt(queue_dir: str, records: list[dict[str, object]]) -> None:
    if not records:
        return
    data = b"".join(json.dumps(r).encode() + b"\n" for r in records)
    fd = os.open(os.path.join(queue_dir, CORRUPT_FILE),
                 os.O_WRONLY | os.O_APPEND | os.O_CREAT, paths.FILE_MODE)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    for record in records:
        log.warning(f"ingest: corrupt line {record['segment']}:{record['line']} "
                    f"({record['reason']}) set aside")


def insert_event(conn: sqlite3.Connection, event: dict[str, object]) -> bool:
    """Store one event; False when its key is already stored."""
    session, kind = str(event["session_id"]), str(event["kind"])
    event["project"] = projects.for_event(conn, event)
    cur = conn.execute(
        "INSERT OR IGNORE INTO events (event_key, session_id, project, kind, tool_name,"
        " tool_use_id, prompt_id, agent_id, agent_type, private, body, created_at,"
        " ingested_at, state) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (event["key"], session, _project(event), kind, event.get("tool_name"),
         event.get("tool_use_id"), event.get("prompt_id"), event.get("agent_id"),
         event.get("agent_type"), int(bool(event.get("private"))), _body(event),
         event["ts"], _now(), _initial_state(event)))
    if cur.rowcount == 0:
        return False
    _touch_session(conn, event)
    number = _record_prompt(conn, event) if kind == "prompt" else _prompt_number(conn, event)
    conn.execute("UPDATE events SET prompt_number = ? WHERE id = ?", (number, cur.lastrowid))
    return True


def _project(event: dict[str, object]) -> str:
    return str(event.get("project") or "unknown")


def _body(event: dict[str, object]) -> str:
    rest = {k: v for k, v in event.items() if k not in COLUMNS}
    return json.dumps(rest, ensure_ascii=False)


def _initial_state(event: dict[str, object]) -> str:
    if event.get("private"):
        return "skipped"
    return "done" if event["kind"] == "session_start" else "pending"


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _touch_session(conn: sqlite3.Connection, event: dict[str, object]) -> None:
    ended = event["kind"] == "session_end"
    conn.execute(
        "INSERT INTO sessions (session_id, project, project_root, cwd, transcript_path,"
        " started_at, last_event_at, ended_at, end_reason) VALUES (?,?,?,?,?,?,?,?,?)"
        " ON CONFLICT(session_id) DO UPDATE SET"
        " started_at = min(started_at, excluded.started_at),"
        " last_event_at = max(last_event_at, excluded.last_event_at),"
        " transcript_path = coalesce(excluded.transcript_path, transcript_path),"
        " ended_at = coalesce(excluded.ended_at, ended_at),"
        " end_reason = coalesce(excluded.end_reason, end_reason)",
        (event["session_id"], _project(event), event.get("project_root"), event.get("cwd"),
         event.get("transcript_path"), event["ts"], event["ts"],
         event["ts"] if ended else None, event.get("reason") if ended else None))


def _record_prompt(conn: sqlite3.Connection, event: dict[str, object]) -> int:
    session = event["session_id"]
    conn.execute("UPDATE sessions SET prompt_count = prompt_count + 1 WHERE session_id = ?",
                 (session,))
    row = conn.execute("SELECT prompt_count FROM sessions WHERE session_id = ?",
                       (session,)).fetchone()
    number = int(row[0])
    conn.execute(
        "INSERT OR IGNORE INTO prompts (session_id, prompt_id, prompt_number, project, text,"
        " private, created_at) VALUES (?,?,?,?,?,?,?)",
        (session, event.get("prompt_id") or event["key"], number, _project(event),
         str(event.get("prompt") or ""), int(bool(event.get("private"))), event["ts"]))
    return number


def _prompt_number(conn: sqlite3.Connection, event: dict[str, object]) -> int | None:
    row = conn.execute(
        "SELECT prompt_number FROM prompts WHERE session_id = ? AND prompt_id = ?",
        (event["session_id"], event.get("prompt_id"))).fetchone()
    if row is None:
        row = conn.execute("SELECT prompt_count FROM sessions WHERE session_id = ?",
                           (event["session_id"],)).fetchone()
    return int(row[0]) if row and row[0] else None


def _prune_markers(queue_dir: str) -> None:
    folder = os.path.join(queue_dir, "private")
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return
    cutoff = time.time() - MARKER_MAX_AGE_S
    for name in names:
        path = os.path.join(folder, name)
        try:
            if os.path.getmtime(path) < cutoff:
                os.unlink(path)
        except OSError:
            continue
