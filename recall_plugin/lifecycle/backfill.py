"""Backfill: build memory from Claude Code transcripts that were never captured.

Transcripts live in ``$CLAUDE_CONFIG_DIR/projects/<slug>/<session>.jsonl`` (default
``~/.claude/projects``), subagents in ``<session>/subagents/agent-<id>.jsonl``. A session whose
id is already in ``sessions`` is skipped. Each transcript becomes the hook payloads Claude Code
would have sent, and each payload goes through the hooks' own ``build`` (project resolution,
exclusions, skipped tools, privacy scrub, trimming), so a backfilled event is stored exactly
as a captured one, with the same natural key (a session partly captured live never doubles):

* a ``user`` line with text content (not meta, not a compaction summary): ``UserPromptSubmit``;
* an ``assistant`` ``tool_use`` block and the ``user`` ``tool_result`` answering it:
  ``PostToolUse`` (``tool_response`` = the line's ``toolUseResult``, else the result's text),
  or ``PostToolUseFailure`` when ``is_error`` (``error`` = the result's text); a subagent's
  calls carry its ``agent_id`` and ``agent_type`` (from ``agent-<id>.meta.json``);
* first ``SessionStart`` (source ``backfill``), last ``SessionEnd`` (reason ``backfill``, with
  the last assistant text), which asks for the session summary.

Events keep the transcript's times and order. Each session is spooled as one segment, ingested
and extracted (drain) before the next; its memory is then dated by the events it came from.
Lines that are not JSON objects are skipped and counted.
"""

from __future__ import annotations

import glob
import json
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field

from .. import fastjson, paths, settings
from ..capture import hook
from ..extract.runner import Extractor
from ..index import Progress
from ..queue import spool
from ..queue.ingest import ingest
from ..store import observations, sessions, summaries
from ..store.db import write

Payload = dict[str, object]


@dataclass(frozen=True)
class Transcript:
    session_id: str
    path: str
    subagents: tuple[str, ...] = ()
    others: tuple[str, ...] = ()  # more files holding the same sessionId (read as one session)


@dataclass(frozen=True)
class Selection:
    """Which sessions to backfill: active on or after ``since`` (ISO date), of ``project``,
    at most the ``limit`` most recent."""

    since: str | None = None
    project: str | None = None
    limit: int | None = None


@dataclass(frozen=True)
class Planned:
    transcript: Transcript
    events: int
    chars: int
    last_ts: str
    project: str    # the project id
    name: str = ""  # its display name


@dataclass(frozen=True)
class BackfillReport:
    found: int = 0          # transcripts found
    known: int = 0          # skipped: session already in the store
    imported: int = 0       # sessions turned into events
    empty: int = 0          # transcripts without a prompt or a tool call
    events: int = 0         # events ingested
    malformed: int = 0      # transcript lines skipped as not JSON objects
    observations: int = 0   # observations extracted during the backfill
    remaining: int = 0      # events still pending afterwards
    filtered: int = 0       # left out by --since, --project or --limit
    reason: str | None = None  # why work remains, when it does


def default_projects_dir() -> str:
    config = os.environ.get("CLAUDE_CONFIG_DIR") or os.path.join(os.path.expanduser("~"), ".claude")
    return os.path.join(config, "projects")


def find_transcripts(projects_dir: str) -> list[Transcript]:
    """One ``Transcript`` per session: by the ``sessionId`` its lines carry (the file name when
    none does), so two files of one session are one session."""
    by_session: dict[str, Transcript] = {}
    for path in sorted(glob.glob(os.path.join(glob.escape(projects_dir), "*", "*.jsonl"))):
        stem = os.path.basename(path)[:-len(".jsonl")]
        folder = os.path.join(glob.escape(os.path.dirname(path)), glob.escape(stem))
        subagents = tuple(sorted(glob.glob(os.path.join(folder, "subagents", "agent-*.jsonl"))))
        session = _session_id(path) or stem
        seen = by_session.get(session)
        by_session[session] = (Transcript(session, path, subagents) if seen is None else
                               Transcript(session, seen.path, seen.subagents + subagents,
                                          (*seen.others, path)))
    return list(by_session.values())


def _session_id(path: str) -> str:
    """The ``sessionId`` of the first line that has one ("" if none in the first 50 lines)."""
    try:
        with open(path, "rb") as handle:
            for _, raw in zip(range(50), handle, strict=False):
                try:
                    line = json.loads(raw)
                except (ValueError, RecursionError):
                    continue
                if isinstance(line, dict) and isinstance(line.get("sessionId"), str):
                    return str(line["sessionId"])
    except OSError:
        pass
    return ""


@dataclass
class _Reader:
    """Turns the lines of one transcript file into (timestamp, hook event, payload)."""

    session_id: str
    transcript_path: str
    agent: Payload = field(default_factory=dict)  # agent_id and agent_type of a subagent file
    uses: dict[str, dict[str, object]] = field(default_factory=dict)
    out: list[tuple[str, str, Payload]] = field(default_factory=list)
    cwd: str = ""
    ts: str = ""
    prompt_id: str = ""
    last_text: str = ""
    malformed: int = 0

    def read(self, path: str) -> None:
        with open(path, "rb") as handle:
            for raw in filter(bytes.strip, handle):
                try:
                    line = json.loads(raw)
                except (ValueError, RecursionError):
                    line = None
                if isinstance(line, dict):
                    self._line(line)
                else:
                    self.malformed += 1

    def _line(self, line: dict[str, object]) -> None:
        self.cwd = _str(line, "cwd") or self.cwd
        self.ts = _str(line, "timestamp") or self.ts
        if self.agent and _str(line, "attributionAgent"):
            self.agent.setdefault("agent_type", _str(line, "attributionAgent"))
        message = line.get("message")
        if line.get("type") not in ("user", "assistant"):
            return
        if not isinstance(message, dict):
            self.malformed += 1
        elif line["type"] == "assistant":
            self._assistant(message.get("content"))
        elif isinstance(message.get("content"), list) and _blocks(message["content"], "tool_result"):
            self._results(line, _blocks(message["content"], "tool_result"))
        elif not (line.get("isMeta") or line.get("isCompactSummary") or self.agent):
            self._prompt(line, _text(message.get("content")))

    def _assistant(self, content: object) -> None:
        for block in _blocks(content, "tool_use"):
            self.uses[str(block.get("id"))] = block
        texts = [_text([b]) for b in _blocks(content, "text")]
        self.last_text = "\n".join(t for t in texts if t) or self.last_text

    def _prompt(self, line: dict[str, object], text: str) -> None:
        if text.strip():
            self.prompt_id = _str(line, "promptId") or _str(line, "uuid") or self.ts
            self._emit("UserPromptSubmit", prompt=text, prompt_id=self.prompt_id)

    def _results(self, line: dict[str, object], results: list[dict[str, object]]) -> None:
        for block in results:
            use = self.uses.pop(str(block.get("tool_use_id")), None)
            if use is None:
                continue
            fields: Payload = {"tool_name": use.get("name"), "tool_input": use.get("input"),
                               "tool_use_id": block.get("tool_use_id"),
                               "prompt_id": _str(line, "promptId") or self.prompt_id, **self.agent}
            if block.get("is_error"):
                self._emit("PostToolUseFailure", error=_text(block.get("content")), **fields)
            else:
                whole = line.get("toolUseResult") if len(results) == 1 else None
                response = whole if whole is not None else _text(block.get("content"))
                self._emit("PostToolUse", tool_response=response, **fields)

    def _emit(self, event: str, **fields: object) -> None:
        self.out.append((self.ts, event, self.payload(event, **fields)))

    def payload(self, event: str, **fields: object) -> Payload:
        return {"session_id": self.session_id, "transcript_path": self.transcript_path,
                "cwd": self.cwd, "hook_event_name": event, **fields}


def _str(data: dict[str, object], name: str) -> str:
    value = data.get(name)
    return value if isinstance(value, str) else ""


def _blocks(content: object, kind: str) -> list[dict[str, object]]:
    items = content if isinstance(content, list) else []
    return [b for b in items if isinstance(b, dict) and b.get("type") == kind]


def _text(content: object) -> str:
    """A message's or tool result's text: a string, or its text blocks joined."""
    if isinstance(content, str):
        return content
    parts = [b.get("text") if b.get("type") == "text" else f"[{b.get('type')}]"
             for b in content if isinstance(b, dict)] if isinstance(content, list) else []
    return "\n".join(p for p in parts if isinstance(p, str))


def _agent(path: str) -> Payload:
    agent_id = os.path.basename(path)[len("agent-"):-len(".jsonl")]
    try:
        with open(path[:-len(".jsonl")] + ".meta.json", "rb") as handle:
            meta = json.loads(handle.read())
    except (OSError, ValueError):
        meta = {}
    kind = meta.get("agentType") if isinstance(meta, dict) else None
    return {"agent_id": agent_id, **({"agent_type": kind} if isinstance(kind, str) else {})}


def payloads(transcript: Transcript) -> tuple[list[tuple[str, str, Payload]], int]:
    """The hook payloads of one session in time order, and how many lines were malformed."""
    main = _Reader(transcript.session_id, transcript.path)
    for path in (transcript.path, *transcript.others):
        main.read(path)
    events, malformed = list(main.out), main.malformed
    for path in transcript.subagents:
        sub = _Reader(transcript.session_id, transcript.path, _agent(path), cwd=main.cwd,
                      prompt_id=main.prompt_id)
        sub.read(path)
        events, malformed = events + sub.out, malformed + sub.malformed
    events.sort(key=lambda item: item[0])  # stable: ties keep the order of the files
    if not events:
        return [], malformed
    start = (events[0][0], "SessionStart", main.payload("SessionStart", source="backfill"))
    end = (max(main.ts, events[-1][0]), "SessionEnd",
           main.payload("SessionEnd", reason="backfill", last_assistant_message=main.last_text))
    return [start, *events, end], malformed


def captured_lines(items: list[tuple[str, str, Payload]], conf: settings.Settings,
                   mark_private: bool = True) -> Iterator[bytes]:
    """Each payload built exactly as its hook would build it, with the transcript's time
    (``mark_private`` False: write nothing, for a dry run)."""
    seen: set[object] = set()
    for ts, event, payload in items:
        captured = hook.build(event, payload, conf)
        key = captured.get("key") if captured is not None else None
        if captured is None or (key and key in seen):
            continue  # (the same call read from two files of one session)
        seen.add(key)
        if ts:
            captured["ts"] = ts
        if mark_private:
            hook._before(captured, conf)  # a private prompt keeps its tool calls private too
        yield fastjson.dumps(captured).encode("ascii") + b"\n"


def plan(data_dir: str, projects_dir: str | None = None,
         selection: Selection = Selection()) -> tuple[list[Planned], dict[str, int]]:
    """The sessions a backfill would import (oldest first) and the counts of the others."""
    from ..store.db import connect

    conf = settings.load(data_dir)
    db_file = paths.db_file(conf.data_dir)
    known: set[str] = set()
    if os.path.exists(db_file):
        conn = connect(db_file, readonly=True)
        try:
            known = sessions.all_ids(conn)
        finally:
            conn.close()
    counts = dict.fromkeys(("found", "known", "empty", "malformed", "filtered"), 0)
    chosen = []
    for transcript in find_transcripts(projects_dir or default_projects_dir()):
        counts["found"] += 1
        if transcript.session_id in known:
            counts["known"] += 1
            continue
        items, malformed = payloads(transcript)
        counts["malformed"] += malformed
        lines = list(captured_lines(items, conf, mark_private=False))
        if not lines:
            counts["empty"] += 1
            continue
        first = fastjson.loads(lines[0])
        head = first if isinstance(first, dict) else {}
        planned = Planned(transcript, len(lines), sum(map(len, lines)), max(i[0] for i in items),
                          str(head.get("project", "")), str(head.get("project_name", "")))
        if _selected(planned, selection):
            chosen.append(planned)
        else:
            counts["filtered"] += 1
    chosen.sort(key=lambda p: p.last_ts, reverse=True)
    if selection.limit is not None:
        counts["filtered"] += len(chosen[selection.limit:])
        chosen = chosen[:selection.limit]
    return sorted(chosen, key=lambda p: p.last_ts), counts


def _selected(planned: Planned, selection: Selection) -> bool:
    if selection.project is not None and selection.project not in (planned.project, planned.name):
        return False
    return selection.since is None or planned.last_ts[:len(selection.since)] >= selection.since


def backfill(data_dir: str, projects_dir: str | None = None,
             progress: Progress | None = None, selection: Selection = Selection()) -> BackfillReport:
    """Backfill the selected unknown sessions under ``projects_dir`` (see the module docstring)."""
    chosen, planned_counts = plan(data_dir, projects_dir, selection)
    conf = settings.load(data_dir)
    queue_dir = paths.ensure_dir(paths.queue_dir(conf.data_dir))
    extractor = Extractor(conf.data_dir, drain=True)
    counts = dict(dict.fromkeys(("imported", "events"), 0),
                  known=planned_counts["known"], empty=planned_counts["empty"],
                  malformed=planned_counts["malformed"])
    try:
        for done, item in enumerate(chosen, 1):
            what = _one(extractor, item.transcript, conf, queue_dir, counts)
            if progress is not None:
                progress(done, len(chosen), f"{item.transcript.session_id[:8]} {what}")
        outcome = extractor.run(idle_s=0)
    finally:
        extractor.close()
    return BackfillReport(found=planned_counts["found"], observations=outcome.totals.observations,
                          remaining=outcome.remaining, reason=outcome.reason,
                          filtered=planned_counts["filtered"], **counts)


def _one(extractor: Extractor, transcript: Transcript, conf: settings.Settings, queue_dir: str,
         counts: dict[str, int]) -> str:
    """Backfill one session; returns a few words on what happened."""
    if sessions.known(extractor.conn, transcript.session_id):
        counts["known"] += 1
        return "already known, skipped"
    items, _ = payloads(transcript)  # malformed lines were counted by plan()
    data = b"".join(captured_lines(items, conf))
    if not data:
        counts["empty"] += 1
        return "nothing to extract"
    spool.write_segment(queue_dir, data)
    inserted = ingest(extractor.conn, conf.data_dir).inserted
    counts["imported"] += 1
    counts["events"] += inserted
    before = extractor.totals.observations
    extractor.run(idle_s=0)
    backdate(extractor.conn, transcript.session_id)
    made = extractor.totals.observations - before
    return (f"{inserted} event{'' if inserted == 1 else 's'}, "
            f"{made} observation{'' if made == 1 else 's'}")


def backdate(conn: sqlite3.Connection, session_id: str) -> None:
    """Date a backfilled session's memory by the work it records, not by the backfill."""
    with write(conn):
        observations.date_by_events(conn, session_id)
        summaries.date_by_events(conn, session_id)
