"""What a new session is told at SessionStart: a compact, budgeted index of the project's memory.

The latest session summary, then one line per recent observation (id, date, type, title, key
files), then one line saying how to get details through the MCP tools. Index first, details on
demand: the whole thing stays within ``CLAUDE_RECALL_CONTEXT_MAX_CHARS`` (default 4,000; Claude
Code shows only a preview past 10,000). A project without memory gets nothing.

Recorded memory is data, not instructions: the notes are framed by ``frame.block`` (a titled,
fenced block saying so, every field one neutral line), and records flagged as reading like
instructions to the agent (``flagged``, migration 005_flags) are never injected.

It runs inside the SessionStart hook, so it uses the standard library only and reads SQLite
read-only with a short busy timeout: a busy or missing store means no context, never a wait.
"""

from __future__ import annotations

import os
import sys

from .. import paths
from ..sqldriver import driver as sqlite3  # the C module alone: 5 ms less per hook (sqldriver)
from . import frame

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..records import StoredObservation, StoredSummary

FOOTER = ("Details on demand: use the recall MCP tools - search (query, filters), timeline "
          "(around an id) and get_observations (ids) - before re-reading files or re-deriving "
          "what is listed here.")
BUSY_MS = 250


def mcp_tools_usable() -> bool:
    """Whether the recall MCP tools can run for this session: the server needs only the standard
    library of a Python >= 3.10 (the interpreter the hooks run with, picked the same way), and,
    inside the plugin, the plugin's ``.mcp.json`` that starts it."""
    root = os.environ.get("CLAUDE_PLUGIN_ROOT")
    return sys.version_info >= (3, 10) and (not root or os.path.isfile(os.path.join(root, ".mcp.json")))


def open_readonly(data_dir: str) -> sqlite3.Connection | None:
    path = paths.db_file(data_dir)
    if not os.path.exists(path):
        return None
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=BUSY_MS / 1000)
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {BUSY_MS}")
        conn.execute("PRAGMA mmap_size = 268435456")
        return conn
    except sqlite3.Error:
        return None


def _observations(conn: sqlite3.Connection, project: str, count: int, project_root: str,
                  skip: set[int]) -> list[StoredObservation]:
    """The ``count`` observations most relevant to the starting session (``select``)."""
    from . import select

    where = select.situation(conn, project, project_root)
    return select.ranked(conn, select.pool(conn, project), where, skip)[:count]


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def summary_line(summary: StoredSummary, budget: int) -> str:
    parts = [("asked", summary.request), ("done", summary.completed), ("learned", summary.learned),
             ("next", summary.next_steps)]
    body = "; ".join(f"{label}: {frame.field(value)}" for label, value in parts if frame.field(value))
    return _clip(f"Session {frame.field(summary.updated_at[:10])} - {body}", budget)


def _files(obs: StoredObservation) -> str:
    names = [frame.field(os.path.basename(f), 60) for f in (obs.files_modified or obs.files_read)[:3]]
    return f" ({', '.join(names)})" if names else ""


def observation_line(obs: StoredObservation) -> str:
    return _clip(f"#{obs.id} {frame.field(obs.created_at[:10])} {frame.field(obs.type)}:"
                 f" {frame.field(obs.title)}{_files(obs)}", 200)


def render(conn: sqlite3.Connection, project: str, observations: int, summaries: int,
           max_chars: int, project_root: str = "", skip: set[int] | None = None,
           given: list[int] | None = None) -> str:
    """The injected text for ``project``, or "" when there is no memory to show; the ids
    shown are appended to ``given``."""
    # here, not at the top: the UserPromptSubmit hook imports this package for open_readonly
    from ..store import summaries as stored_summaries
    from ..store.projects import project_label

    latest = stored_summaries.recent(conn, project, summaries, unflagged=True) if summaries else []
    chosen = _observations(conn, project, observations, project_root, skip or set()) \
        if observations else []
    if not latest and not chosen:
        return ""
    lines: list[str] = []
    if latest:
        lines.append("Latest sessions:")
        lines += ["- " + summary_line(summary, max(200, max_chars // 4)) for summary in latest]
    if chosen:
        lines.append("Observations most relevant now (to the latest session, the working tree,"
                     " recency and type):")
    footer = FOOTER if mcp_tools_usable() else ""
    name = project_label(conn, project)  # the display name; ``project`` is the id
    used = sum(len(line) + 1 for line in lines) + frame.overhead(name, footer)
    for obs in chosen:
        line = observation_line(obs)
        if used + len(line) + 1 > max_chars:
            break
        lines.append(line)
        used += len(line) + 1
        if given is not None:
            given.append(obs.id)
    return framed(name, lines, max_chars, footer)


def framed(project: str, lines: list[str], max_chars: int, footer: str = FOOTER) -> str:
    """``lines`` in the recorded-notes block, then ``footer``, dropping trailing lines to stay
    within ``max_chars``; "" when not even the frame fits (never a cut-off frame)."""
    while True:
        text = frame.block(project, lines, footer)
        if len(text) <= max_chars:
            return text
        if not lines:
            return ""
        lines = lines[:-1]


def for_project(data_dir: str, project: str, observations: int = 20, summaries: int = 1,
                max_chars: int = 4000, *, project_root: str = "", session_id: str = "",
                source: str = "") -> str:
    """The SessionStart injection; on ``resume`` and ``compact`` without what the session was
    already given. The ids shown are remembered for the session."""
    from . import seen

    conn = open_readonly(data_dir)
    if conn is None:
        return ""
    skip = seen.read(data_dir, session_id) if session_id and source in ("resume", "compact") else set()
    given: list[int] = []
    try:
        text = render(conn, project, observations, summaries, max_chars, project_root, skip, given)
    except sqlite3.Error:
        return ""  # busy, locked or an older schema: no context rather than a wait
    finally:
        conn.close()
    if session_id:
        seen.add(data_dir, session_id, given)
    return text
