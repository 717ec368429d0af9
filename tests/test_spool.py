"""The spool: torn lines, rotation under writers, corrupt lines kept, not dropped."""

from __future__ import annotations

import contextlib
import json
import os
import threading
from pathlib import Path

import pytest
from helpers.guards import hang_guard

from recall_plugin.queue import spool
from recall_plugin.queue.ingest import CORRUPT_FILE, ingest
from recall_plugin.store.db import open_store


def event_line(n: int, session: str = "s1") -> bytes:
    return json.dumps({"v": 1, "key": f"{session}:tool:t{n}", "kind": "tool",
                       "session_id": session, "project": "p", "ts": "2026-11-21T10:00:00.000Z",
                       "tool_name": "Bash", "tool_use_id": f"t{n}"}).encode()


def test_a_torn_line_is_isolated_and_kept(tmp_path: Path) -> None:
    queue = tmp_path / "queue"
    spool.append(str(queue), event_line(1))
    with open(queue / "spool.jsonl", "ab") as handle:  # a writer killed mid-line
        handle.write(event_line(2)[:25])
    spool.append(str(queue), event_line(3))
    conn = open_store(str(tmp_path))
    report = ingest(conn, str(tmp_path))
    assert (report.inserted, report.corrupt) == (2, 1)
    kept = [json.loads(line) for line in (queue / CORRUPT_FILE).read_text().splitlines()]
    assert kept[0]["raw"] == event_line(2)[:25].decode()
    assert "not JSON" in kept[0]["reason"]


def test_bad_records_are_set_aside_with_a_reason(tmp_path: Path) -> None:
    queue = tmp_path / "queue"
    spool.append(str(queue), b'{"kind": "tool"}')
    spool.append(str(queue), b'{"key": "k", "session_id": "s", "ts": "t", "kind": "nope"}')
    spool.append(str(queue), b"[1,2]")
    spool.append(str(queue), event_line(1))
    report = ingest(open_store(str(tmp_path)), str(tmp_path))
    assert (report.inserted, report.corrupt) == (1, 3)
    reasons = [json.loads(x)["reason"] for x in (queue / CORRUPT_FILE).read_text().splitlines()]
    assert reasons == ["missing key", "unknown kind 'nope'", "not a JSON object"]


def test_claim_rotates_while_writers_keep_writing(tmp_path: Path) -> None:
    queue, conn = str(tmp_path / "queue"), open_store(str(tmp_path))
    stop, written = threading.Event(), []

    def writer(w: int) -> None:
        n = 0
        while not stop.is_set() or n < 50:
            spool.append(queue, event_line(w * 100_000 + n))
            written.append(n)
            n += 1

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(3)]
    for t in threads:
        t.start()
    inserted = 0
    for _ in range(20):
        inserted += ingest(conn, str(tmp_path)).inserted
    stop.set()
    for t in threads:
        t.join()
    inserted += ingest(conn, str(tmp_path)).inserted
    assert inserted == len(written)
    assert conn.execute("SELECT count(*) FROM events").fetchone()[0] == len(written)
    assert spool.segments(queue) == []


def test_reingesting_a_segment_after_a_crash_adds_nothing(tmp_path: Path) -> None:
    queue = tmp_path / "queue"
    for n in range(5):
        spool.append(str(queue), event_line(n))
    [segment] = spool.claim(str(queue))
    copy = Path(segment).read_bytes()
    conn = open_store(str(tmp_path))
    assert ingest(conn, str(tmp_path)).inserted == 5
    Path(segment).write_bytes(copy)  # as if we had died before deleting it
    report = ingest(conn, str(tmp_path))
    assert (report.inserted, report.duplicates) == (0, 5)


def test_failed_write_leaves_no_partial_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    queue = tmp_path / "queue"
    spool.append(str(queue), event_line(1))
    real_write = os.write

    def short_then_fail(fd: int, data: bytes) -> int:
        if len(data) > 40:
            real_write(fd, bytes(data[:40]))
            raise OSError(28, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", short_then_fail)
    with contextlib.suppress(OSError):
        spool.append(str(queue), event_line(2))
    monkeypatch.undo()
    assert (queue / "spool.jsonl").read_bytes() == event_line(1) + b"\n"


def test_spool_file_is_private(tmp_path: Path) -> None:
    spool.append(str(tmp_path / "q"), event_line(1))
    assert (tmp_path / "q" / "spool.jsonl").stat().st_mode & 0o077 == 0


def test_a_held_lock_never_blocks_a_hook(tmp_path: Path) -> None:
    """A writer stuck holding the lock: the next append goes to a segment of its own."""
    import fcntl

    queue = tmp_path / "queue"
    spool.append(str(queue), event_line(1))
    holder = os.open(queue / "spool.jsonl", os.O_RDWR)
    fcntl.flock(holder, fcntl.LOCK_EX)
    try:
        with hang_guard():  # the lock is held until the end: a hook that waited for it would hang here
            spool.append(str(queue), event_line(2), wait=0.2)
    finally:
        os.close(holder)
    [side] = spool.segments(str(queue))
    assert Path(side).read_bytes() == event_line(2) + b"\n"
    report = ingest(open_store(str(tmp_path)), str(tmp_path))
    assert (report.inserted, report.corrupt) == (2, 0)
