"""Move spooled events into the store's ``events`` table, exactly once each.

A claimed segment is read line by line inside one write transaction; each valid line becomes
a typed ``SpoolEvent`` (``store.rows``), stored through ``store.events`` and
``store.sessions``. ``INSERT OR IGNORE`` on the natural key makes a replayed payload, a
duplicated line or a re-read segment (after a crash between commit and delete) harmless. A
line that is not a valid event is never dropped: it is copied to ``queue/corrupt.jsonl``
with its reason and logged. Ingestion also keeps ``sessions`` and ``prompts`` current.
Events of a session the user forgot (``forgotten_sessions``) are dropped, counted as
``forgotten``: queued work never brings a forgotten session back.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import time
from dataclasses import dataclass

from .. import log, paths
from ..store import events, projects, sessions
from ..store.db import write
from ..store.rows import SpoolEvent
from ..vocab import EVENT_KINDS as KINDS
from ..vocab import utc_stamp
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
            elif sessions.is_forgotten(conn, event.session_id):
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


def parse_line(line: bytes) -> tuple[SpoolEvent | None, str]:
    """The event of one spool line, or (None, why it is not one)."""
    try:
        data = storable(json.loads(line))
    except ValueError as exc:
        return None, f"not JSON: {exc}"
    if not isinstance(data, dict):
        return None, "not a JSON object"
    return event_of(data)


def event_of(data: dict[str, object]) -> tuple[SpoolEvent | None, str]:
    """The event of one decoded spool line, or (None, why it is not one)."""
    for name in ("key", "session_id", "ts"):
        if not isinstance(data.get(name), str) or not data[name]:
            return None, f"missing {name}"
    if data.get("kind") not in KINDS:
        return None, f"unknown kind {data.get('kind')!r}"
    key = str(data["key"])
    return SpoolEvent(
        key=key, session_id=str(data["session_id"]), kind=str(data["kind"]),
        ts=_checked_ts(str(data["ts"]), key), project=_text(data.get("project")),
        project_name=_text(data.get("project_name")), tool_name=_text(data.get("tool_name")),
        tool_use_id=_text(data.get("tool_use_id")), prompt_id=_text(data.get("prompt_id")),
        agent_id=_text(data.get("agent_id")), agent_type=_text(data.get("agent_type")),
        private=bool(data.get("private")),
        body={k: v for k, v in data.items() if k not in COLUMNS}), ""


def _text(value: object) -> str | None:
    """A text column's value: None when absent or null (any other JSON value as text)."""
    return value if value is None or isinstance(value, str) else str(value)


def _checked_ts(ts: str, key: str) -> str:
    """An event stamped more than a day ahead (a wrong clock, a forged line) would never look
    idle enough to extract: it is stored with the ingest time instead, and logged."""
    limit = utc_stamp(time.time() + FUTURE_SLACK_S)[:19]
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


def insert_event(conn: sqlite3.Connection, event: SpoolEvent) -> bool:
    """Store one event, keeping its session and prompt current; False when its key is
    already stored."""
    project = projects.for_event(conn, event.project, event.extra("project_root"),
                                 event.project_name, event.ts)
    rowid = events.insert(conn, event, project, _initial_state(event), _now())
    if rowid is None:
        return False
    sessions.touch(conn, event, project)
    number = (sessions.add_prompt(conn, event, project) if event.kind == "prompt"
              else sessions.prompt_number(conn, event.session_id, event.prompt_id))
    events.set_prompt_number(conn, rowid, number)
    return True


def _initial_state(event: SpoolEvent) -> str:
    if event.private:
        return "skipped"
    return "done" if event.kind == "session_start" else "pending"


def _now() -> str:
    return utc_stamp()


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
