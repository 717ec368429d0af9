"""The ``observations`` table: the one place that writes and reads it.

Writers hand in an ``Observation`` with where and when it belongs; readers get
``StoredObservation`` records (list columns decoded by ``decode_list``, the one decoder of
the table's JSON list columns). The flag (``store.flags``) is computed here, on every insert.

SessionStart reads observations inside its hook (``context``): this module imports neither
``json`` nor ``sqlite3`` nor ``typing`` at run time (``json`` only inside the write path).
Reads tolerate an older schema (a read-only store not yet migrated): a missing column reads
as its default.
"""

from __future__ import annotations

from .. import fastjson
from ..records import Observation, StoredObservation

TYPE_CHECKING = False
if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Iterable, Iterator, Sequence
    from typing import Any

TABLE = "observations"
CHUNK = 500  # ids per statement (SQLite limits the variables of one)
LISTS = Observation.LISTS
# The columns that make an observation's searchable text (FTS5 indexes these, in this order).
TEXT_COLUMNS = ("title", "subtitle", "narrative", "facts", "concepts", "files_read", "files_modified")


def decode_list(text: object) -> tuple[str, ...]:
    """A JSON list column as strings: NULL or '' -> (); text that is not JSON -> (text,);
    a JSON scalar -> (its text,); items that are not strings are written as text."""
    if text is None or text == "" or text == "[]":
        return ()
    try:
        value = fastjson.loads(str(text))
    except ValueError:
        return (str(text),)
    if isinstance(value, list):
        return tuple(map(str, value))
    return () if value is None else (str(value),)


def decode_ids(text: object) -> tuple[int, ...]:
    """A JSON list of ids (``source_event_ids``); anything else -> ()."""
    if text is None or text == "" or text == "[]":
        return ()
    try:
        value = fastjson.loads(str(text))
    except ValueError:
        return ()
    return tuple(value) if isinstance(value, list) else ()  # stored by us: ints


def encode_list(items: Iterable[object]) -> str:
    """A list column's stored text (``json.dumps`` of the list, as always stored)."""
    import json

    return json.dumps(list(items))


def record(values: dict[str, Any]) -> StoredObservation:
    """The record of one row (column name -> value); missing columns take their default."""
    get = values.get
    prompt = get("prompt_number")
    return StoredObservation(
        int(values["id"]), str(values["session_id"]), str(values["project"]),
        None if prompt is None else int(prompt), str(values["type"]), str(values["title"]),
        str(get("subtitle") or ""), decode_list(get("facts")), str(get("narrative") or ""),
        decode_list(get("concepts")), decode_list(get("files_read")),
        decode_list(get("files_modified")), decode_ids(get("source_event_ids")), get("batch_key"),
        int(get("input_tokens") or 0), int(get("output_tokens") or 0), str(get("created_at") or ""),
        str(get("flagged") or ""))


def from_row(row: Sequence[Any]) -> StoredObservation:
    """The record of a row of every column in table order (``SELECT *`` on a migrated store).
    The four text lists are parsed in one scan when they are what is always stored: this runs
    for each of the observations SessionStart weighs, inside the hook."""
    texts = (row[7], row[9], row[10], row[11])
    try:
        parsed: list[Any] = fastjson.loads(f"[{','.join(texts)}]")  # type: ignore[assignment]
        lists = tuple(tuple(v) for v in parsed if type(v) is list)  # lists of text (``insert``)
    except (TypeError, ValueError):
        lists = ()
    if len(lists) != 4:  # not four JSON lists: each on its own
        lists = tuple(decode_list(text) for text in texts)
    return StoredObservation(
        row[0], row[1], row[2], row[3], row[4], row[5], row[6], lists[0], row[8], lists[1],
        lists[2], lists[3], decode_ids(row[12]), row[13], row[14], row[15], row[16], row[17])


def from_cursor(cursor: sqlite3.Cursor) -> Iterator[StoredObservation]:
    """The records of the rows a ``SELECT *`` on the table returns."""
    names = tuple(d[0] for d in cursor.description)
    if names == StoredObservation.FIELDS:  # the migrated table: by position, the fast way
        return (from_row(row) for row in cursor)
    return (record(dict(zip(names, row, strict=True))) for row in cursor)


def _read(conn: sqlite3.Connection, sql: str, args: Sequence[object] = ()) -> list[StoredObservation]:
    return list(from_cursor(conn.execute(sql, args)))


def _marks(ids: Sequence[object]) -> str:
    return ",".join("?" * len(ids))


# -- write --------------------------------------------------------------------------------
def insert(conn: sqlite3.Connection, obs: Observation, *, session_id: str, project: str,
           created_at: str, prompt_number: int | None = None,
           source_event_ids: Sequence[int] = (), batch_key: str | None = None,
           input_tokens: int = 0, output_tokens: int = 0) -> int:
    """Store ``obs`` (inside the caller's transaction), flagged when it reads as an
    instruction to the agent; returns its id."""
    from .flags import observation_flag

    flagged = observation_flag(obs.title, obs.subtitle, obs.narrative, obs.facts, obs.concepts)
    cursor = conn.execute(
        "INSERT INTO observations (session_id, project, prompt_number, type, title, subtitle,"
        " facts, narrative, concepts, files_read, files_modified, source_event_ids, batch_key,"
        " input_tokens, output_tokens, created_at, flagged) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (session_id, project, prompt_number, obs.type, obs.title, obs.subtitle,
         encode_list(obs.facts), obs.narrative, encode_list(obs.concepts),
         encode_list(obs.files_read), encode_list(obs.files_modified),
         encode_list(source_event_ids), batch_key, input_tokens, output_tokens, created_at, flagged))
    return int(cursor.lastrowid or 0)


def date_by_events(conn: sqlite3.Connection, session_id: str) -> None:
    """Date the session's observations by the newest event each was made from (a backfill
    stores them long after the work)."""
    conn.execute("UPDATE observations SET created_at = coalesce((SELECT max(e.created_at) FROM"
                 " json_each(observations.source_event_ids) j JOIN events e ON e.id = j.value),"
                 " created_at) WHERE session_id = ?", (session_id,))


def exists(conn: sqlite3.Connection, session_id: str, title: str, created_at: str) -> bool:
    """Whether this session already holds an observation with this title and time."""
    return conn.execute(
        "SELECT 1 FROM observations WHERE session_id = ? AND title = ? AND created_at = ?",
        (session_id, title, created_at)).fetchone() is not None


# -- read ---------------------------------------------------------------------------------
def get(conn: sqlite3.Connection, ids: Sequence[int], project: str | None = None
        ) -> list[StoredObservation]:
    """The observations ``ids`` (of ``project`` when given), in the order asked; unknown ids
    are left out."""
    # +project: the ids name the rows; a bare "project = ?" lets SQLite walk the project's
    # index entries instead (20,000 of a 100,000-record store, 18 ms against 1.5 ms)
    scope, extra = (" AND +project = ?", [project]) if project is not None else ("", [])
    found: dict[int, StoredObservation] = {}
    for start in range(0, len(ids), CHUNK):
        part = list(ids[start:start + CHUNK])
        found.update((o.id, o) for o in _read(
            conn, f"SELECT * FROM observations WHERE id IN ({_marks(part)}){scope}", [*part, *extra]))
    return [found[i] for i in ids if i in found]


def get_one(conn: sqlite3.Connection, obs_id: int) -> StoredObservation | None:
    found = get(conn, [obs_id])
    return found[0] if found else None


def recent(conn: sqlite3.Connection, project: str, limit: int, *,
           unflagged: bool = False) -> list[StoredObservation]:
    """The project's newest ``limit`` observations, newest first; ``unflagged``: none that
    reads as an instruction to the agent (on a store that has the flag)."""
    flagged = " AND flagged = ''" if unflagged and _has_column(conn, "flagged") else ""
    return _read(conn, f"SELECT * FROM observations WHERE project = ?{flagged}"
                 " ORDER BY created_at DESC, id DESC LIMIT ?", (project, limit))


def timeline(conn: sqlite3.Connection, anchor: str, before: int, after: int,
             project: str | None = None) -> list[StoredObservation]:
    """In time order: the ``before`` observations older than ``anchor`` (an ISO time), then
    the ``after + 1`` from ``anchor`` on (of ``project`` when given)."""
    scope, args = ("AND project = ?", [project]) if project else ("", [])
    older = _read(conn, f"SELECT * FROM observations WHERE created_at < ? {scope}"
                  " ORDER BY created_at DESC, id DESC LIMIT ?", [anchor, *args, before])
    newer = _read(conn, f"SELECT * FROM observations WHERE created_at >= ? {scope}"
                  " ORDER BY created_at, id LIMIT ?", [anchor, *args, after + 1])
    return list(reversed(older)) + newer


def each(conn: sqlite3.Connection, project: str | None = None) -> Iterator[StoredObservation]:
    """Every observation (of ``project``), oldest first."""
    where, args = ("WHERE project = ?", [project]) if project else ("", [])
    yield from from_cursor(conn.execute(f"SELECT * FROM observations {where} ORDER BY created_at, id", args))


def count(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM observations").fetchone()[0])


def _has_column(conn: sqlite3.Connection, name: str) -> bool:
    return any(str(r[1]) == name for r in conn.execute("PRAGMA table_info(observations)"))


def max_id(conn: sqlite3.Connection) -> int:
    """The highest id stored so far (0 when empty)."""
    return int(conn.execute("SELECT coalesce(max(id), 0) FROM observations").fetchone()[0])


def after(conn: sqlite3.Connection, last_id: int, limit: int | None = None) -> list[StoredObservation]:
    """The records with an id above ``last_id`` (stored since it was the highest), by id;
    the first ``limit`` when given."""
    if limit is None:
        return _read(conn, "SELECT * FROM observations WHERE id > ? ORDER BY id", (last_id,))
    return _read(conn, "SELECT * FROM observations WHERE id > ? ORDER BY id LIMIT ?", (last_id, limit))


def page(conn: sqlite3.Connection, *, project: str | None, types: tuple[str, ...],
         before: int | None, limit: int) -> list[StoredObservation]:
    """Newest observations first (by id), of ``project`` and ``types`` when given, older than
    ``before`` when given (the viewer's feed)."""
    clauses: list[str] = []
    args: list[object] = []
    if project:
        clauses.append("project = ?")
        args.append(project)
    if types:
        clauses.append(f"type IN ({_marks(types)})")
        args += types
    if before is not None:
        clauses.append("id < ?")
        args.append(before)
    return _read(conn, f"SELECT * FROM observations WHERE {' AND '.join(clauses) or '1'}"
                 " ORDER BY id DESC LIMIT ?", [*args, limit])


def of_session(conn: sqlite3.Connection, session_id: str) -> list[StoredObservation]:
    """The session's observations, by id."""
    return _read(conn, "SELECT * FROM observations WHERE session_id = ? ORDER BY id", (session_id,))


def per_project(conn: sqlite3.Connection) -> list[tuple[str, int, str]]:
    """Each project with observations: how many and the newest ``created_at``, most recently
    active first."""
    return [(str(r[0]), int(r[1]), str(r[2])) for r in conn.execute(
        "SELECT project, count(*), max(created_at) FROM observations GROUP BY project ORDER BY 3 DESC")]
