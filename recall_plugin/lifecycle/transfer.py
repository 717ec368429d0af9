"""Export and import memory as JSON Lines.

Format: UTF-8 text, one JSON object per line. Every object has a ``"record"`` field naming
its kind, ``"observation"``, ``"summary"`` or ``"prompt"``, and that record's fields below.
An export lists observations, then summaries, then prompts, each oldest first. Lists are JSON
lists of strings, never strings holding JSON. Times are ISO-8601 UTC strings as stored
(``2026-11-21T10:58:22.239Z``); ``since``/``until`` style dates compare as text.

``observation``: ``id`` (int), ``session_id`` (str), ``project`` (str), ``prompt_number``
(int or null), ``type`` (one of bugfix, feature, refactor, discovery, decision, change),
``title`` (str), ``subtitle`` (str), ``facts`` (list), ``narrative`` (str), ``concepts``
(list), ``files_read`` (list), ``files_modified`` (list), ``created_at`` (str).

``summary``: ``id``, ``session_id``, ``project``, ``prompt_number`` (int or null),
``request``, ``investigated``, ``learned``, ``completed``, ``next_steps``, ``notes`` (str
each), ``created_at``, ``updated_at``.

``prompt``: ``id``, ``session_id``, ``prompt_id`` (str), ``prompt_number`` (int), ``project``,
``text`` (str), ``private`` (bool), ``created_at``.

Import requires, per kind: observation ``session_id project type title created_at``; summary
``session_id project created_at``; prompt ``session_id prompt_id prompt_number project text
created_at``. Missing optional fields take their empty value (``""``, ``[]``, ``null``,
``false``; ``updated_at`` defaults to ``created_at``); ``id`` and unknown fields are ignored
(rows get new ids). A record already stored is skipped as a duplicate: an observation with
the same (session_id, title, created_at), a summary of the same session_id, a prompt with the
same (session_id, prompt_id). A line that is not a valid record is rejected with its line
number and reason; the other lines are still imported. Imported text passes the privacy
filter, and each record's session is registered (so ``backfill`` will not extract it again).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TextIO

from ..capture.privacy import scrub
from ..errors import BadRecord
from ..index import VectorIndex
from ..records import Observation, StoredObservation, StoredSummary, Summary
from ..store import observations, summaries
from ..store import sessions as session_rows
from ..store.db import write
from ..vocab import OBSERVATION_TYPES, parse_utc
from . import ISO_DATE, update_index

CHUNK_LINES = 500
FUTURE_SLACK_S = 86400  # a time beyond now plus a day is refused (it would sort first forever)
# kind of each field: str, text (may be empty), list, int? (int or null), int, bool, type, time
FIELDS: dict[str, tuple[tuple[str, str], ...]] = {
    "observation": (("session_id", "str"), ("project", "str"), ("prompt_number", "int?"),
                    ("type", "type"), ("title", "str"), ("subtitle", "text"), ("facts", "list"),
                    ("narrative", "text"), ("concepts", "list"), ("files_read", "list"),
                    ("files_modified", "list"), ("created_at", "time")),
    "summary": (("session_id", "str"), ("project", "str"), ("prompt_number", "int?"),
                ("request", "text"), ("investigated", "text"), ("learned", "text"),
                ("completed", "text"), ("next_steps", "text"), ("notes", "text"),
                ("created_at", "time"), ("updated_at", "time?")),
    "prompt": (("session_id", "str"), ("prompt_id", "str"), ("prompt_number", "int"),
               ("project", "str"), ("text", "str"), ("private", "bool"), ("created_at", "time")),
}
REQUIRED_KINDS = ("str", "int", "type", "time")
EMPTY: dict[str, object] = {"text": "", "list": [], "int?": None, "bool": False, "time?": None}


# -- export -------------------------------------------------------------------------------
def records(conn: sqlite3.Connection, project: str | None = None) -> Iterator[dict[str, object]]:
    """Every exportable record (of ``project``), as the JSON objects of the export format."""
    stored: tuple[tuple[str, Iterable[StoredObservation | StoredSummary]], ...] = (
        ("observation", observations.each(conn, project)), ("summary", summaries.each(conn, project)))
    for kind, found in stored:
        for record in found:
            yield {"record": kind, "id": record.id,
                   **{name: _exported(getattr(record, name), k) for name, k in FIELDS[kind]}}
    yield from _prompts(conn, project)


def _prompts(conn: sqlite3.Connection, project: str | None) -> Iterator[dict[str, object]]:
    for prompt in session_rows.each_prompt(conn, project):
        yield {"record": "prompt", "id": prompt.id,
               **{name: _exported(getattr(prompt, name), k) for name, k in FIELDS["prompt"]}}


def _exported(value: object, kind: str) -> object:
    """One field as exported; text is scanned again for secrets (defence in depth)."""
    if kind == "list" and isinstance(value, tuple):
        return [scrub(str(v))[0] for v in value]
    if kind in ("str", "text") and isinstance(value, str):
        return scrub(value)[0]
    return bool(value) if kind == "bool" else value


def export(conn: sqlite3.Connection, out: TextIO, project: str | None = None) -> dict[str, int]:
    """Write the export to ``out``; returns how many records of each kind were written."""
    counts = dict.fromkeys(FIELDS, 0)
    for record in records(conn, project):
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        counts[str(record["record"])] += 1
    return counts


# -- import -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Rejected:
    line: int
    reason: str


@dataclass(frozen=True)
class ImportReport:
    observations: int = 0
    summaries: int = 0
    prompts: int = 0
    duplicates: int = 0
    rejected: tuple[Rejected, ...] = ()
    index_problem: str = ""

    @property
    def imported(self) -> int:
        return self.observations + self.summaries + self.prompts

    def summary_line(self) -> str:
        return (f"imported {self.imported}, skipped {self.duplicates} duplicates, "
                f"rejected {len(self.rejected)} lines")


def parse_record(line: str | bytes) -> tuple[str, dict[str, object]]:
    """(kind, fields ready to insert) of one line, or BadRecord."""
    try:
        data = json.loads(line)
    except ValueError as exc:
        raise BadRecord(f"not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise BadRecord("not a JSON object")
    kind = data.get("record")
    if not isinstance(kind, str) or kind not in FIELDS:
        raise BadRecord(f"unknown record type {kind!r} (observation, summary or prompt)")
    fields = {name: _field(data, name, k) for name, k in FIELDS[kind]}
    if kind == "summary" and fields["updated_at"] is None:
        fields["updated_at"] = fields["created_at"]
    return kind, fields


def _field(data: dict[str, object], name: str, kind: str) -> object:
    value = data.get(name)
    if value is None:
        if kind in REQUIRED_KINDS:
            raise BadRecord(f"missing required field {name!r}")
        return EMPTY[kind]
    if not _valid(value, kind):
        raise BadRecord(f"field {name!r} is not {_expected(kind)}")
    if kind in ("time", "time?"):
        _check_time(name, str(value))
    if kind == "list":
        return [scrub(str(v))[0] for v in value] if isinstance(value, list) else []
    return scrub(value)[0] if kind in ("str", "text") and isinstance(value, str) else value


def _valid(value: object, kind: str) -> bool:
    if kind in ("str", "text", "time", "time?", "type"):
        return isinstance(value, str) and _valid_text(value, kind)
    if kind == "list":
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    if kind == "bool":
        return isinstance(value, bool)
    return isinstance(value, int) and not isinstance(value, bool) and -(2**63) <= value < 2**63


def _valid_text(value: str, kind: str) -> bool:
    if kind in ("time", "time?"):
        return ISO_DATE.match(value) is not None
    if kind == "type":
        return value in OBSERVATION_TYPES
    return (kind == "text" or bool(value.strip())) and not any("\ud800" <= c <= "\udfff" for c in value)


def _check_time(name: str, value: str) -> None:
    """A real date (and time), not beyond now plus a day; else BadRecord saying which."""
    import datetime as dt

    try:
        moment = parse_utc(value)
    except ValueError:
        raise BadRecord(f"field {name!r} is {value[:40]!r}, not a real date and time"
                        " (like 2026-01-31T12:00:00Z)") from None
    latest = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=FUTURE_SLACK_S)
    if moment > latest:
        raise BadRecord(f"field {name!r} is {value[:40]!r}, in the future (more than a day from now):"
                        " refused, it would be listed first forever")


def _expected(kind: str) -> str:
    return {"str": "a non-empty string", "text": "a string", "list": "a list of strings",
            "bool": "true or false", "type": f"one of {', '.join(OBSERVATION_TYPES)}",
            "time": "an ISO date", "time?": "an ISO date"}.get(kind, "an integer")


def import_lines(conn: sqlite3.Connection, lines: Iterable[str | bytes],
                 index: VectorIndex | None = None) -> ImportReport:
    """Import JSONL lines (see the module docstring); returns what happened to each."""
    counts = dict.fromkeys(FIELDS, 0)
    duplicates, rejected = 0, list[Rejected]()
    chunk: list[tuple[int, str | bytes]] = []
    for number, line in enumerate(lines, 1):
        if line.strip():
            chunk.append((number, line))
        if len(chunk) >= CHUNK_LINES:
            duplicates += _import_chunk(conn, chunk, counts, rejected)
            chunk = []
    duplicates += _import_chunk(conn, chunk, counts, rejected)
    problem = update_index(conn, index, "import") if index is not None and any(counts.values()) else ""
    return ImportReport(counts["observation"], counts["summary"], counts["prompt"], duplicates,
                        tuple(rejected), problem)


def _import_chunk(conn: sqlite3.Connection, chunk: list[tuple[int, str | bytes]], counts: dict[str, int],
                  rejected: list[Rejected]) -> int:
    """Import one chunk in one transaction; returns the duplicates skipped."""
    duplicates = 0
    with write(conn):
        for number, line in chunk:
            try:
                kind, fields = parse_record(line)
            except BadRecord as exc:
                rejected.append(Rejected(number, str(exc)))
                continue
            if _insert(conn, kind, fields):
                counts[kind] += 1
            else:
                duplicates += 1
    return duplicates


def _insert(conn: sqlite3.Connection, kind: str, fields: dict[str, Any]) -> bool:
    """Store one record; False when it is already stored."""
    if kind == "prompt":
        return _insert_prompt(conn, fields)
    f = fields
    if kind == "observation":
        if observations.exists(conn, f["session_id"], f["title"], f["created_at"]):
            return False
        _register_session(conn, fields)
        observations.insert(conn, Observation(*(_value(f[name]) for name in Observation.FIELDS)),
                            session_id=f["session_id"], project=f["project"],
                            created_at=f["created_at"], prompt_number=f["prompt_number"])
    else:
        if summaries.exists(conn, f["session_id"]):
            return False
        _register_session(conn, fields)
        summaries.insert(conn, Summary(*(f[name] for name in Summary.FIELDS)), session_id=f["session_id"],
                         project=f["project"], created_at=f["created_at"], updated_at=f["updated_at"],
                         prompt_number=f["prompt_number"])
    return True


def _insert_prompt(conn: sqlite3.Connection, fields: dict[str, object]) -> bool:
    session, prompt_id = str(fields["session_id"]), str(fields["prompt_id"])
    if session_rows.prompt_exists(conn, session, prompt_id):
        return False
    _register_session(conn, fields)
    number = fields["prompt_number"]
    session_rows.insert_prompt(conn, session, prompt_id, number if isinstance(number, int) else 0,
                               str(fields["project"]), str(fields["text"]), bool(fields["private"]),
                               str(fields["created_at"]))
    return True


def _value(value: object) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _register_session(conn: sqlite3.Connection, fields: dict[str, object]) -> None:
    number = fields.get("prompt_number") if "prompt_id" in fields else 0
    session_rows.register(conn, str(fields["session_id"]), str(fields["project"]),
                          str(fields["created_at"]), number if isinstance(number, int) else 0)
