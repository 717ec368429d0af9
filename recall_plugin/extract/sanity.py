"""What a model's reply must pass before anything in it becomes memory.

* ``strip_reasoning``: ``<think>``, ``<thinking>`` and ``<reasoning>`` blocks are the model
  drafting, never its answer (a draft ``<observation>`` inside one is not recorded); a reply
  whose reasoning never closes was cut off inside it.
* ``check_observation`` and ``check_summary``: every record stored has real content: a title
  with words, no text echoed from the prompt's template (its
  placeholders, read from ``prompts.SYSTEM_PROMPT``, the one source), no field that is mostly
  markup (a flood of HTML is not memory).
* ``scrub_parsed``: a last pass of the capture's privacy filter over every stored text.
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import cache

from ..capture.privacy import scrub
from ..errors import CutInReasoning
from ..records import Observation, Summary
from .parse import ParsedReply
from .prompts import SYSTEM_PROMPT

MARKUP_SHARE = 0.6  # a field longer than MARKUP_MIN chars with more markup than this is junk
MARKUP_MIN = 80
_OPEN_RE = re.compile(r"<\s*(think|thinking|reasoning)(\s[^<>]*)?>", re.I)
_MARKUP_RE = re.compile(r"<[^<>\n]{0,200}>|&#?\w{1,32};")
_PLACEHOLDER_RE = re.compile(r"<(\w+)>([^<>]+)</\1>")
_LETTERS_RE = re.compile(r"[^\W_]")


def strip_reasoning(text: str) -> str:
    """``text`` without reasoning blocks; raise ``CutInReasoning`` when one never closes."""
    out, pos = [], 0
    close_only = re.search(r"</\s*(think|thinking|reasoning)\s*>", text, re.I)
    if close_only and not _OPEN_RE.search(text, 0, close_only.start()):
        pos = close_only.end()  # the template opened the block for the model: all before is thought
    while True:
        found = _OPEN_RE.search(text, pos)
        if found is None:
            out.append(text[pos:])
            return "".join(out)
        out.append(text[pos:found.start()])
        name = found.group(1).lower()
        end = re.compile(rf"</\s*{name}\s*>", re.I).search(text, found.end())
        if end is None:
            if "".join(out).strip():
                return "".join(out)  # an answer came first; what follows is not the answer
            raise CutInReasoning(f"the reply ends inside its <{name}> block (cut off while reasoning)")
        pos = end.end()


@cache
def placeholders() -> dict[str, frozenset[str]]:
    """Field name -> the texts the prompt's template shows for it (normalised)."""
    found: dict[str, set[str]] = {}
    for name, text in _PLACEHOLDER_RE.findall(SYSTEM_PROMPT):
        found.setdefault(name, set()).add(_norm(text))
    return {name: frozenset(texts) for name, texts in found.items()}


def _norm(text: str) -> str:
    return " ".join(text.lower().split()).strip(" .")


def is_placeholder(text: str) -> bool:
    norm = _norm(text)
    return bool(norm) and any(norm in texts for texts in placeholders().values())


def mostly_markup(text: str) -> bool:
    if len(text) < MARKUP_MIN:
        return False
    markup = sum(len(m.group(0)) for m in _MARKUP_RE.finditer(text))
    return markup / len(text) > MARKUP_SHARE


def _bad_text(name: str, value: str) -> str | None:
    if is_placeholder(value):
        return f"{name} is the prompt's template text"
    if mostly_markup(value):
        return f"{name} is mostly markup"
    return None


def check_observation(obs: Observation) -> str | None:
    """Why ``obs`` must not be stored, or None."""
    if not _LETTERS_RE.search(obs.title):
        return "title has no words"
    for name in ("title", "subtitle", "narrative"):
        why = _bad_text(name, getattr(obs, name))
        if why:
            return why
    items = [*obs.facts, *obs.concepts, *obs.files_read, *obs.files_modified]
    echoed = sum(1 for item in items if is_placeholder(item) or mostly_markup(item))
    if items and echoed == len(items) and not obs.narrative:
        return "its lists are the prompt's template text"
    return None


def clean_items(obs: Observation, problems: list[str], label: str) -> Observation:
    """Drop list items that echo the template or are mostly markup."""
    changes: dict[str, object] = {}
    for name in ("facts", "concepts", "files_read", "files_modified"):
        items: tuple[str, ...] = getattr(obs, name)
        kept = tuple(i for i in items if not (is_placeholder(i) or mostly_markup(i)))
        if len(kept) < len(items):
            problems.append(f"{label}: {len(items) - len(kept)} {name} echoing the template or "
                            "markup dropped")
            changes[name] = kept
    return obs.replace(**changes) if changes else obs


def check_summary(summary: Summary, problems: list[str]) -> Summary | None:
    """The summary with template echoes and markup floods cleared; None when nothing real is left."""
    values = {}
    for name in Summary.FIELDS:
        value = getattr(summary, name)
        why = _bad_text(name, value) if value else None
        if why:
            problems.append(f"summary: {why}, cleared")
        values[name] = "" if why else value
    if not any(_LETTERS_RE.search(v) for v in values.values()):
        problems.append("summary: no real content, ignored")
        return None
    return Summary(**values)


def _scrub_text(value: str) -> str:
    return scrub(value)[0]


def _scrub_items(items: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(_scrub_text(item) for item in items)


def scrub_parsed(parsed: ParsedReply) -> ParsedReply:
    """Every text of every record through the privacy filter (defence in depth: the events
    were filtered at capture, but a model can reassemble what it was shown)."""
    observations = tuple(
        Observation(obs.type, _scrub_text(obs.title), _scrub_text(obs.subtitle),
                    _scrub_items(obs.facts), _scrub_text(obs.narrative), _scrub_items(obs.concepts),
                    _scrub_items(obs.files_read), _scrub_items(obs.files_modified))
        for obs in parsed.observations)
    summary = parsed.summary
    if summary is not None:
        summary = Summary(**{name: _scrub_text(getattr(summary, name)) for name in Summary.FIELDS})
    return replace(parsed, observations=observations, summary=summary)

