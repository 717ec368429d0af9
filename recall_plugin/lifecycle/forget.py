"""Forget: remove memories from SQLite, FTS and the vector index, then prove they are gone.

Selectors (every one given must match; at least one is required):

* ``ids``: observation ids (``12`` or ``"obs:12"``) and summary refs (``"sum:3"``);
* ``query``: observations, summaries and prompts whose text holds every word of the query;
* ``session_id``, ``project``, ``since`` (inclusive) and ``until`` (exclusive) on ``created_at``.

What goes: the selected observations and summaries; with no ids, the selected prompts (and
each one's prompt event); with neither ids nor a query (a session, project or date range),
also the captured events. Conversation turns with the provider that rendered a removed event
or produced a removed record go too (they quote it). The ``sessions`` row stays, holding no
content, so that a backfill does not bring a forgotten session back.

Forgetting wins every race. A forgotten session (``session_id``, or every session of a
whole ``project``) is recorded in ``forgotten_sessions``: its events still queued in the spool
are dropped at ingest, and a reply the provider sends later for it is not stored
(``extract.results``). The removing transaction also takes what was stored after the plan was
made from the planned events (or in a forgotten session), and the whole removal and its
verification hold the forget barrier (``store.barrier``), so no index sync that read a removed
row can land after the check.

Afterwards the removed rowids are looked up again in the tables and in each FTS index (its
``_docsize`` shadow table, which the FTS ``delete`` command clears), and the removed doc ids
in the vector index. The reason and the ids, never the content, go to the log.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from .. import log
from ..capture.privacy import redact_secrets
from ..context import common
from ..errors import BarrierTimeout
from ..index import VectorIndex
from ..search import fts_query
from ..store import calls, observations, selection, summaries
from ..store import events as event_rows
from ..store import sessions as session_rows
from ..store.barrier import data_dir_of, held
from ..store.db import write
from . import ISO_DATE, drop_from_index, index_leftovers

CHUNK = 500
TABLES = ("observations", "summaries", "prompts", "events", "turns")
FTS_TABLES = ("observations", "summaries", "prompts")


@dataclass(frozen=True)
class Item:
    """One record about to be forgotten, for display (never logged)."""

    ref: str  # "obs:12", "sum:3" or "prompt:7"
    created_at: str
    project: str
    title: str


@dataclass(frozen=True)
class Plan:
    """The rowids a forget would remove, per table, and what to show the user."""

    observations: tuple[int, ...] = ()
    summaries: tuple[int, ...] = ()
    prompts: tuple[int, ...] = ()
    events: tuple[int, ...] = ()
    turns: tuple[int, ...] = ()
    items: tuple[Item, ...] = ()
    sessions: tuple[str, ...] = ()  # forgotten whole: tombstoned, their late rows go too
    horizon: tuple[int, int, int] = (0, 0, 0)  # max observation, summary, turn id when planned

    @property
    def refs(self) -> tuple[str, ...]:
        """Vector index doc ids of the removed observations and summaries."""
        return (*(f"obs:{i}" for i in self.observations), *(f"sum:{i}" for i in self.summaries))

    @property
    def empty(self) -> bool:
        return not any(self.rowids(t) for t in TABLES)

    def rowids(self, table: str) -> tuple[int, ...]:
        ids: tuple[int, ...] = getattr(self, table)
        return ids


@dataclass(frozen=True)
class ForgetReport:
    observations: int
    summaries: int
    prompts: int
    events: int
    turns: int
    index_docs: int      # doc ids removed from the vector index (0 without one)
    index_checked: bool  # False when there was no vector index to check
    verified: bool       # nothing removed is left anywhere that was checked
    problems: tuple[str, ...] = ()


Filter = tuple[str, str, str]  # column, operator, value


def parse_ids(ids: Iterable[int | str]) -> tuple[frozenset[int], frozenset[int]]:
    """Observation and summary rowids from ``12``, ``"12"``, ``"obs:12"`` and ``"sum:3"``."""
    obs: set[int] = set()
    sums: set[int] = set()
    for raw in ids:
        kind, _, number = str(raw).strip().rpartition(":")
        if kind not in ("", "obs", "sum") or not number.isdigit():
            raise ValueError(f"not a memory id: {raw!r} (use 12, obs:12 or sum:3)")
        (sums if kind == "sum" else obs).add(int(number))
    return frozenset(obs), frozenset(sums)


def plan(conn: sqlite3.Connection, *, ids: Sequence[int | str] = (), query: str | None = None,
         session_id: str | None = None, project: str | None = None, since: str | None = None,
         until: str | None = None) -> Plan:
    """What ``forget`` with the same selectors would remove; removes nothing."""
    obs, sums = parse_ids(ids)
    filters = [(column, op, value) for column, op, value in (
        ("session_id", "=", session_id), ("project", "=", project),
        ("created_at", ">=", since), ("created_at", "<", until)) if value]
    if query is not None and not fts_query(query):
        raise ValueError("the query has no words to match")
    if any(bound and not ISO_DATE.match(bound) for bound in (since, until)):
        raise ValueError("since and until must be ISO dates or times, like 2026-01-31 or 2026-01-31T12:00")
    if not (ids or query or filters):
        raise ValueError("say what to forget: ids, a query, a session, a project or dates")
    if ids:
        return _complete(conn, _select(conn, "observations", filters, query, obs),
                         _select(conn, "summaries", filters, query, sums), [], [])
    prompts = _select(conn, "prompts", filters, query)
    events = _prompt_events(conn, prompts) if query else _select(conn, "events", filters, None)
    chosen = _complete(conn, _select(conn, "observations", filters, query),
                       _select(conn, "summaries", filters, query), prompts, events)
    whole = None if query or since or until else (session_id, project)
    return replace(chosen, sessions=_whole_sessions(conn, *whole) if whole else (),
                   horizon=_horizon(conn))


def _whole_sessions(conn: sqlite3.Connection, session_id: str | None, project: str | None) -> tuple[str, ...]:
    """The sessions a session or project forget removes entirely."""
    if session_id:
        return (session_id,) if not project or not session_rows.in_other_project(
            conn, session_id, project) else ()
    return tuple(sorted({session for table in ("sessions", "events", "observations", "summaries")
                         for session in selection.sessions_of_project(conn, table, str(project))}))


def _horizon(conn: sqlite3.Connection) -> tuple[int, int, int]:
    return observations.max_id(conn), summaries.max_id(conn), calls.max_turn_id(conn)


def _complete(conn: sqlite3.Connection, obs: list[int], sums: list[int], prompts: list[int],
              events: list[int]) -> Plan:
    """The plan for these records and events, with the turns that rendered or produced them."""
    touched = _source_events(conn, obs, sums) | set(events)
    turns = _turns(conn, {"observations": obs, "summaries": sums, "prompts": prompts,
                          "events": events}, touched)
    return Plan(tuple(obs), tuple(sums), tuple(prompts), tuple(events), tuple(turns),
                tuple(_items(conn, obs, sums, prompts)))


def _select(conn: sqlite3.Connection, table: str, filters: list[Filter], query: str | None,
            wanted: frozenset[int] | None = None) -> list[int]:
    """Ids of ``table`` passing the filters, matching every word of ``query``, among ``wanted``."""
    match = " ".join(fts_query(word) for word in query.split() if fts_query(word)) if query else None
    return selection.select_ids(conn, table, filters, match, wanted)


def _prompt_events(conn: sqlite3.Connection, prompts: Sequence[int]) -> list[int]:
    return [i for start in range(0, len(prompts), CHUNK)
            for i in event_rows.of_prompts(conn, prompts[start:start + CHUNK])]


def _source_events(conn: sqlite3.Connection, obs: Sequence[int], sums: Sequence[int]) -> set[int]:
    """The events each observation was made from, and the last event each summary covers."""
    ids = {i for o in observations.get(conn, obs) for i in o.source_event_ids}
    return ids | {s.last_event_id for s in summaries.get(conn, sums) if s.last_event_id is not None}


def _turns(conn: sqlite3.Connection, picked: dict[str, Sequence[int]], touched: set[int]) -> list[int]:
    """Turns, in the sessions of the ``picked`` rows, that rendered or answered a ``touched`` event."""
    sessions = {session for table, ids in picked.items()
                for session in selection.sessions_of(conn, table, ids)}
    return calls.turns_touching(conn, sorted(sessions), touched)


def _items(conn: sqlite3.Connection, obs: Sequence[int], sums: Sequence[int],
           prompts: Sequence[int]) -> list[Item]:
    items = [Item(f"obs:{o.id}", o.created_at, o.project, _shown(o.title))
             for o in observations.get(conn, obs)]
    items += [Item(f"sum:{s.id}", s.created_at, s.project, _shown(s.request))
              for s in summaries.get(conn, sums)]
    return items + [Item(f"prompt:{p.id}", p.created_at, p.project, _shown(p.text))
                    for p in session_rows.prompts_by_id(conn, prompts)]


def _shown(text: str) -> str:
    return " ".join(text.split())[:100]


def forget(conn: sqlite3.Connection, *, ids: Sequence[int | str] = (), query: str | None = None,
           session_id: str | None = None, project: str | None = None, since: str | None = None,
           until: str | None = None, reason: str, index: VectorIndex | None = None) -> ForgetReport:
    """Remove what the selectors pick (see the module docstring); returns what happened."""
    chosen = plan(conn, ids=ids, query=query, session_id=session_id, project=project,
                  since=since, until=until)
    return execute(conn, chosen, reason=reason, index=index)


def execute(conn: sqlite3.Connection, chosen: Plan, *, reason: str,
            index: VectorIndex | None = None) -> ForgetReport:
    """Remove exactly what ``chosen`` lists (a plan the user confirmed), verify, log."""
    if not reason or not reason.strip():
        raise ValueError("a reason is required to forget (it is logged with the ids removed)")
    try:
        with held(conn, exclusive=True):  # no index sync in flight while removing and checking
            chosen, problems = _remove_and_verify(conn, chosen, index)
    except BarrierTimeout as exc:
        chosen, problems = _remove_and_verify(conn, chosen, index)
        problems.append(f"an index sync was still running ({exc}): run the forget again to verify")
    common.forget(data_dir_of(conn))  # the per-prompt hook's counts start again
    report = ForgetReport(len(chosen.observations), len(chosen.summaries), len(chosen.prompts),
                          len(chosen.events), len(chosen.turns),
                          len(chosen.refs) if index is not None else 0, index is not None,
                          not problems, tuple(problems))
    _log(reason, chosen, report)
    return report


def _remove_and_verify(conn: sqlite3.Connection, chosen: Plan,
                       index: VectorIndex | None) -> tuple[Plan, list[str]]:
    chosen = remove(conn, chosen)
    problems = drop_from_index(conn, index, chosen.refs) if index is not None and chosen.refs else []
    return chosen, problems + verify(conn, chosen, index)


def remove(conn: sqlite3.Connection, chosen: Plan) -> Plan:
    """Delete the planned rows, and what was stored from them since the plan was made, in one
    transaction (FTS follows through its triggers); tombstone forgotten sessions. Returns the
    plan of everything removed."""
    with write(conn):
        session_rows.tombstone(conn, chosen.sessions)
        chosen = _with_late_rows(conn, chosen)
        for table in TABLES:
            selection.delete(conn, table, chosen.rowids(table))
    return chosen


def _with_late_rows(conn: sqlite3.Connection, chosen: Plan) -> Plan:
    """``chosen`` plus rows of its forgotten sessions and rows made from its events that were
    stored after it was planned (a reply that arrived meanwhile)."""
    extra: dict[str, set[int]] = {table: set() for table in TABLES}
    for session in chosen.sessions:
        for table in TABLES:
            extra[table].update(selection.ids_of_session(conn, table, session))
    events = set(chosen.events)
    if events:
        obs_after, sum_after, turn_after = chosen.horizon
        extra["observations"].update(o.id for o in observations.after(conn, obs_after)
                                     if events.intersection(o.source_event_ids))
        extra["summaries"].update(s.id for s in summaries.after(conn, sum_after)
                                  if s.last_event_id in events)
        extra["turns"].update(calls.turns_after(conn, turn_after, events))
    if not any(extra.values()):
        return chosen
    merged = {table: tuple(sorted(set(chosen.rowids(table)) | extra[table])) for table in TABLES}
    return replace(chosen, observations=merged["observations"], summaries=merged["summaries"],
                   prompts=merged["prompts"], events=merged["events"], turns=merged["turns"])


def verify(conn: sqlite3.Connection, chosen: Plan, index: VectorIndex | None) -> list[str]:
    """What of ``chosen`` is still stored: in the tables, the FTS indexes, the vector index."""
    places = [(t, False, "SQLite") for t in TABLES] + [(t, True, "the full-text index") for t in FTS_TABLES]
    problems = []
    for table, fts, where in places:
        left = selection.left(conn, table, chosen.rowids(table), fts=fts)
        problems += [f"{left} {table} rows still in {where}"] if left else []
    for session in chosen.sessions:
        left = sum(selection.count_of_session(conn, t, session) for t in TABLES)
        problems += [f"{left} rows of forgotten session {session} still in SQLite"] if left else []
    if index is not None and chosen.refs:
        problems += index_leftovers(index, chosen.refs)
    return problems


def ranges(ids: Sequence[int]) -> str:
    """``[1, 2, 3, 7]`` as ``"1-3,7"`` (so that long id lists stay short in the log)."""
    parts: list[str] = []
    for i in sorted(ids):
        if parts and parts[-1].split("-")[-1] == str(i - 1):
            parts[-1] = f"{parts[-1].split('-')[0]}-{i}"
        else:
            parts.append(str(i))
    return ",".join(parts) or "-"


def _log(reason: str, chosen: Plan, report: ForgetReport) -> None:
    ids = " ".join(f"{table}={ranges(chosen.rowids(table))}" for table in TABLES)
    line = (f"forget: reason={redact_secrets(reason.strip())!r} {ids}"
            f" index_docs={report.index_docs} verified={report.verified}")
    for start in range(0, len(line), 3500):
        log.info(("" if start == 0 else "forget (cont.): ") + line[start:start + 3500])
    for problem in report.problems:
        log.warning(f"forget: {problem}")
