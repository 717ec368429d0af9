"""The assistant turn kept in a session's history: what the model meant, not what it said.

A reply is stored as its parsed records rendered back into the prompt's XML, compactly (one
line per record, empty fields left out, text escaped), so reasoning, prose, junk and
duplicates never reach a later request, and the turn is rendered once, when it is stored, in
the form every later request resends byte for byte.
"""

from __future__ import annotations

from html import escape

from ..records import Observation, Summary
from .parse import ParsedReply

_LIST_CHILD = {"facts": "fact", "concepts": "concept", "files_read": "file", "files_modified": "file"}


def _tag(name: str, value: str) -> str:
    return f"<{name}>{escape(value, quote=False)}</{name}>" if value else ""


def _list(name: str, items: tuple[str, ...]) -> str:
    if not items:
        return ""
    child = _LIST_CHILD[name]
    return f"<{name}>" + "".join(_tag(child, item) for item in items) + f"</{name}>"


def observation(obs: Observation) -> str:
    parts = [_tag("type", obs.type), _tag("title", obs.title), _tag("subtitle", obs.subtitle),
             _list("facts", obs.facts), _tag("narrative", obs.narrative),
             _list("concepts", obs.concepts), _list("files_read", obs.files_read),
             _list("files_modified", obs.files_modified)]
    return "<observation>" + "".join(parts) + "</observation>"


def summary(value: Summary) -> str:
    parts = [_tag(name, getattr(value, name)) for name in
             ("request", "investigated", "learned", "completed", "next_steps", "notes")]
    return "<summary>" + "".join(parts) + "</summary>"


def render_reply(parsed: ParsedReply) -> str:
    lines = [observation(obs) for obs in parsed.observations] or ["<no_observations/>"]
    if parsed.summary is not None:
        lines.append(summary(parsed.summary))
    elif parsed.skip_summary:
        lines.append("<skip_summary/>")
    return "\n".join(lines)
