"""The five tools, over stdio. Each call opens the store for itself and answers with text; a bad
argument or any failure becomes one clear error line for Claude (and a line in recall.log),
never a crash. The vector index is opened on the first query that needs it, then kept."""

from __future__ import annotations

import functools
import importlib
import json
import os
import signal
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Annotated, Any, Literal, TypeVar, cast

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.tools import Tool
from mcp.types import CallToolResult, InputRequiredResult, TextContent, ToolAnnotations
from pydantic import Field, ValidationError

from .. import __version__, log, settings
from ..index import VectorIndex
from ..search import Filters
from ..search import search as find
from ..search.records import get_observations as load_observations
from ..search.records import observation_dict
from ..search.records import timeline as load_timeline
from ..store.db import open_store
from . import MAX_ROWS, TYPES, BadInput, date_arg, hits_text, refs_arg, timeline_text, types_arg

ObsType = Literal["bugfix", "feature", "refactor", "discovery", "decision", "change"]
INDEX_RETRY_S = 300.0
UNUSED = ("resources/list", "resources/read", "resources/templates/list", "prompts/list", "prompts/get")
F = TypeVar("F", bound=Callable[..., str])
TOOLS: list[Tool] = []
Project = Annotated[str, Field(description='default: current project; "*" = all')]
Ids = Annotated[list[int | str], Field(description='123 for #123, "sum:7" for a summary')]


def tool(description: str, read_only: bool = True) -> Callable[[F], F]:
    """Register ``fn`` as a text tool whose failures come back as one error line."""
    def register(fn: F) -> F:
        @functools.wraps(fn)
        def guarded(*args: Any, **kwargs: Any) -> str:
            started = time.monotonic()
            try:
                out = fn(*args, **kwargs)
            except BadInput as exc:
                log.info(f"mcp {fn.__name__}: bad input: {exc}")
                raise ToolError(str(exc)) from None
            except Exception as exc:
                log.error(f"mcp {fn.__name__} failed: {type(exc).__name__}: {exc}")
                raise ToolError(f"{fn.__name__} failed: {type(exc).__name__}: {exc}") from None
            log.info(f"mcp {fn.__name__} ok in {(time.monotonic() - started) * 1000:.0f} ms")
            return out
        hints = ToolAnnotations(read_only_hint=read_only, destructive_hint=fn.__name__ == "forget",
                                open_world_hint=False)
        made = Tool.from_function(guarded, description=description, annotations=hints,
                                  structured_output=False)
        made.parameters.pop("title", None)  # titles only repeat the names: tokens in every session
        for schema in made.parameters.get("properties", {}).values():
            schema.pop("title", None)
        TOOLS.append(made)
        return fn
    return register


class RecallServer(MCPServer[Any]):
    async def call_tool(self, name: str, arguments: dict[str, Any], context: Context[Any, Any] | None = None
                        ) -> CallToolResult | InputRequiredResult:
        """Arguments that fail validation come back as one short line, not pydantic's report."""
        try:
            return await super().call_tool(name, arguments, context)
        except ToolError as exc:
            if not isinstance(exc.__cause__, ValidationError):
                raise
            problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'arguments'}: "
                                 + ("required" if e["type"] == "missing" else e["msg"])
                                 for e in exc.__cause__.errors())
            log.info(f"mcp {name}: bad arguments: {problems}")
            text = f"{name}: bad arguments: {problems}"
            return CallToolResult(content=[TextContent(type="text", text=text)], is_error=True)


@contextmanager
def store() -> Iterator[tuple[sqlite3.Connection, settings.Settings]]:
    conf = settings.load()
    conn = open_store(conf.data_dir)
    try:
        yield conn, conf
    finally:
        conn.close()


class _Index:
    """The vector index, opened once on first need; a failure is retried after a while."""

    def __init__(self) -> None:
        self.lock, self.index, self.retry_at = threading.Lock(), cast(VectorIndex | None, None), 0.0

    def get(self, conf: settings.Settings) -> VectorIndex | None:
        with self.lock:
            if self.index is None and time.monotonic() >= self.retry_at:
                try:
                    opener = getattr(importlib.import_module("recall_plugin.index"), "open_index", None)
                    if opener is None:
                        raise LookupError("no open_index yet")
                    self.index = cast(VectorIndex, opener(conf))
                except Exception as exc:  # no model, no Chroma, mismatch: FTS still answers
                    log.info(f"mcp: no vector index: {type(exc).__name__}: {exc}")
                    self.retry_at = time.monotonic() + INDEX_RETRY_S
            return self.index


vectors = _Index()


def project_of(value: str, conf: settings.Settings) -> str:
    """The project asked for, else the one of the working directory (CLAUDE_PROJECT_DIR)."""
    from ..capture.project import resolve

    if value.strip():
        return value.strip()
    cwd = os.environ.get("CLAUDE_PROJECT_DIR") or os.getcwd()
    return resolve(cwd, conf.text("CLAUDE_RECALL_PROJECT")).name


@tool("Search memory of past Claude Code sessions (observations and session summaries) by words,"
      " identifiers, error text or paths. Use before redoing work that may have been done, decided"
      " or debugged before. One line per hit (#id observation, sum:id summary); then fetch the"
      " few you need with get_observations.")
def search(query: Annotated[str, Field(description="words; empty = newest matching filters")] = "",
           project: Project = "",
           type: Annotated[str, Field(description=", ".join(TYPES) + "; comma-separated")] = "",
           since: Annotated[str, Field(description="YYYY-MM-DD, inclusive")] = "",
           until: Annotated[str, Field(description="YYYY-MM-DD, exclusive")] = "",
           file: Annotated[str, Field(description="path or part of one, read or modified")] = "",
           concept: str = "", limit: int = 10) -> str:
    if not query.strip() and not any(v.strip() for v in (project, type, since, until, file, concept)):
        raise BadInput("search needs a query or at least one filter (project, type, since, until, "
                       "file, concept)")
    with store() as (conn, conf):
        name = project_of(project, conf)
        filters = Filters(None if name == "*" else name, types_arg(type), date_arg(since, "since"),
                          date_arg(until, "until"), file.strip() or None, concept.strip() or None)
        index = vectors.get(conf) if query.strip() else None
        hits = find(conn, query, filters, max(1, min(limit, MAX_ROWS)), index)
    return hits_text(hits, name)


@tool("Observations in time order around an observation id (from search) or a date: what was"
      " done before and after. One line per observation; the anchor is marked >.")
def timeline(around_id: int | None = None,
             date: Annotated[str, Field(description="YYYY-MM-DD; default: now")] = "",
             before: int = 5, after: int = 5, project: Project = "") -> str:
    with store() as (conn, conf):
        name = project.strip()
        if around_id is not None:
            row = conn.execute("SELECT project FROM observations WHERE id = ?", (around_id,)).fetchone()
            if row is None:
                raise BadInput(f"no observation #{around_id}; take ids from search")
            name = name or str(row[0])
        name = project_of(name, conf)
        rows = load_timeline(conn, around_id=around_id, date=date_arg(date, "date"),
                             before=max(0, min(before, MAX_ROWS)), after=max(0, min(after, MAX_ROWS)),
                             project=None if name == "*" else name)
    return timeline_text(rows, around_id, name)


def fetch(conn: sqlite3.Connection, ids: Sequence[int | str]) -> tuple[list[str], dict[str, Any]]:
    """The refs asked for ("#12", "sum:3") and the full records of those that exist."""
    refs = refs_arg(ids)
    obs = [int(r[1:]) for r in refs if r.startswith("#")]
    sums = [int(r[4:]) for r in refs if r.startswith("sum:")]
    found: dict[str, Any] = {f"#{r['id']}": r for r in load_observations(conn, obs)}
    rows = conn.execute(f"SELECT * FROM summaries WHERE id IN ({','.join('?' * len(sums))})", sums)
    found |= {f"sum:{r['id']}": {**observation_dict(r), "kind": "summary"} for r in rows}
    if not found:
        raise BadInput(f"no memory record {', '.join(refs)}; take ids from search or timeline")
    return refs, found


@tool("Full memory records (facts, narrative, files, concepts, ...) as JSON, by ids from search"
      " or timeline.")
def get_observations(ids: Ids) -> str:
    with store() as (conn, _):
        refs, found = fetch(conn, ids)
    records = [found.get(ref, {"ref": ref, "error": "not found"}) for ref in refs]
    return json.dumps(records, ensure_ascii=False, indent=1, default=str)


@tool("Save a note to long-term memory on purpose: a decision, finding or gotcha worth knowing in"
      " future sessions (work is also captured automatically). Returns its id.", read_only=False)
def save_memory(title: Annotated[str, Field(description="one line")], text: str,
                type: ObsType = "discovery", concepts: tuple[str, ...] = (),
                files: tuple[str, ...] = (),
                project: Annotated[str, Field(description="default: current project")] = "") -> str:
    from ..lifecycle.notes import save_memory as save

    if not title.strip() or not text.strip():
        raise BadInput("save_memory needs a non-empty title and text")
    if project.strip() == "*":
        raise BadInput("a note belongs to one project; leave project empty for the current one")
    with store() as (conn, conf):
        name = project_of(project, conf)
        new_id = save(conn, title=title.strip(), text=text.strip(), project=name, type=type,
                      concepts=concepts, files=files, index=vectors.get(conf),
                      session_id=os.environ.get("CLAUDE_CODE_SESSION_ID") or None)
    return f"Saved as #{new_id} in project {name}."


@tool("Permanently delete memory records by id, when the user asks or a record is wrong or"
      " sensitive. Needs a reason; says what was removed and whether verification passed.",
      read_only=False)
def forget(ids: Ids, reason: Annotated[str, Field(description="why (logged)")]) -> str:
    from ..lifecycle.forget import forget as remove

    if not reason.strip():
        raise BadInput("forget needs a reason")
    with store() as (conn, conf):
        refs, found = fetch(conn, ids)
        known = [ref for ref in refs if ref in found]
        report = remove(conn, ids=[ref.replace("#", "obs:") for ref in known], reason=reason,
                        index=vectors.get(conf))
    counts = ((report.observations, "observation"), (report.summaries, "summary"),
              (report.prompts, "prompt"), (report.events, "event"), (report.turns, "provider turn"),
              (report.index_docs, "vector doc"))
    removed = ", ".join(f"{n} {word}{'' if n == 1 else 's'}".replace("ys", "ies") for n, word in counts
                        if n) + ("" if report.index_checked else "; no vector index")
    verdict = "passed" if report.verified else "FAILED: " + "; ".join(report.problems)
    missing = [ref for ref in refs if ref not in found]
    return (f"Forgot {', '.join(known)} ({removed}). Verification {verdict}."
            + (f" Not found: {', '.join(missing)}." if missing else ""))


def build() -> RecallServer:
    """The server with the five tools and nothing else (no resources or prompts to advertise)."""
    server = RecallServer("recall", version=__version__, log_level="WARNING", tools=list(TOOLS),
                          subscriptions=False)
    handlers = getattr(getattr(server, "_lowlevel_server", None), "_request_handlers", None)
    if isinstance(handlers, dict):  # else Claude Code adds its resource tools for this server
        for method in UNUSED:
            handlers.pop(method, None)
    return server


def main() -> int:
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # Claude Code stops servers with SIGINT: just go
    conf = settings.load()
    log.configure(conf.text("CLAUDE_RECALL_LOG_LEVEL"), component="mcp")
    log.info(f"mcp server up (pid {os.getpid()}, data dir {conf.data_dir})")
    build().run("stdio")
    return 0
