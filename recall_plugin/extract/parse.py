"""Read the model's reply: observation blocks, a summary or a skip marker, tolerantly.

Accepted format (tag names in any letter case, ``-`` and ``_`` alike, whitespace allowed
inside the angle brackets, attributes ignored)::

    <observation>
      <type>bugfix|feature|refactor|discovery|decision|change</type>
      <title>...</title> <subtitle>...</subtitle> <narrative>...</narrative>
      <facts><fact>...</fact></facts>  <concepts><concept>...</concept></concepts>
      <files_read><file>...</file></files_read>  <files_modified><file>...</file></files_modified>
    </observation>
    <summary><request/><investigated/><learned/><completed/><next_steps/><notes/></summary>
    <skip_summary/>            (also <skip_summary>, <skip_summary></skip_summary>)
    <no_observations/>         "nothing worth recording" (also <observations/> or an empty
                               <observations></observations>): an empty reply, not an error

Tolerance: prose, markdown fences and any wrapping root (or none) around the blocks are
ignored; CDATA is taken literally; stray ``&``, ``<`` and ``>`` stay text and only complete
entities (``&amp;``, ``&#39;``) are decoded; a field or block without its closing tag ends
where the next one starts; a last ``<observation>`` cut off by the token limit is kept when
its type and title are complete. List fields take child elements of any name, else one item
per line (bullets and numbers removed); concepts and files also split on commas. Items are
de-duplicated in order; whitespace is normalised; fields are capped (title 200 chars,
subtitle 300, narrative and each summary field 8,000, each list item 1,000, 30 items a list).

Reasoning (``<think>``, ``<thinking>``, ``<reasoning>`` blocks) is removed first; a reply that
ends inside one was cut off. Every record then passes ``sanity``: no template echoes, no
markup floods, real content; a summary without field tags is not kept.

Validation: obvious type synonyms are mapped (``fix`` -> ``bugfix``), other types reject the
observation, as does a missing title; with ``known_paths``, a ``files_modified`` path the
session never showed is dropped. Everything dropped or changed is described in ``problems``.
``ReplyParseError`` (the only exception raised) means the reply held nothing usable.
"""

from __future__ import annotations

import html
import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field

from ..errors import CutInReasoning, ReplyParseError
from ..records import Observation, Summary
from ..vocab import OBSERVATION_TYPES
from .known import PathCheck, norm_path

_SYNONYMS: dict[str, str] = {
    **dict.fromkeys(("fix", "bug", "hotfix"), "bugfix"),
    **dict.fromkeys(("feat", "enhancement", "addition"), "feature"),
    **dict.fromkeys(("refactoring", "cleanup", "restructure"), "refactor"),
    **dict.fromkeys(("investigation", "finding", "research", "learning"), "discovery"),
    **dict.fromkeys(("choice", "design", "architecture"), "decision"),
    **dict.fromkeys(("update", "modification", "chore", "config", "docs"), "change"),
}
_OBS_FIELDS = Observation.FIELDS  # the reply's tags are the records' fields
_SUMMARY_FIELDS = Summary.FIELDS
_LIST_FIELDS = Observation.LISTS
_INLINE = ("type", "title", "subtitle")
_CAPS = {"type": 200, "title": 200, "subtitle": 300, "narrative": 8000}
_ITEM_CAP, _MAX_ITEMS, _SUMMARY_CAP = 1000, 30, 8000

_TAG_RE = re.compile(r"<\s*(?:(/)\s*)?([A-Za-z_][\w.:-]*)((?:\s|/)[^<>]*)?>")
_CDATA_RE = re.compile(r"<!\[CDATA\[(.*?)(?:\]\]>|\Z)", re.S)
_ENTITY_RE = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_BULLET_RE = re.compile(r"(?:[-*+\u2022]|\d{1,3}[.)])\s+")
_FRAGMENT_RE = re.compile(r"<[\s/!\[\w.:-]*")
_BLANKS_RE = re.compile(r"\n{3,}")


@dataclass(frozen=True)
class ParsedReply:
    """Everything usable in a reply, and why anything else was dropped or changed."""

    observations: tuple[Observation, ...]
    summary: Summary | None
    skip_summary: bool
    problems: tuple[str, ...]


@dataclass
class _Tag:
    name: str
    kind: str  # "open", "close" or "empty"
    start: int
    end: int


@dataclass
class _Span:
    """A block or field: its content range, the tags inside it, whether its closing tag came."""

    name: str
    start: int
    end: int
    closed: bool = False
    cut: bool = False  # runs into the end of a truncated reply
    tags: list[_Tag] = field(default_factory=list)


def _short(value: str, limit: int = 60) -> str:
    return value if len(value) <= limit else value[: limit - 3] + "..."


def _scan(text: str) -> list[_Tag]:
    tags = []
    for m in _TAG_RE.finditer(text):
        rest = (m.group(3) or "").rstrip()
        kind = "close" if m.group(1) else "empty" if rest.endswith("/") else "open"
        tags.append(_Tag(m.group(2).lower().replace("-", "_"), kind, m.start(), m.end()))
    return tags


def _spans(tags: list[_Tag], names: tuple[str, ...], end: int) -> list[_Span]:
    """Split ``tags`` into spans of the given names; an unclosed span ends where the next begins."""
    spans: list[_Span] = []
    cur: _Span | None = None
    for tag in tags:
        if cur is not None and tag.kind == "close" and tag.name == cur.name:
            cur.end, cur.closed = tag.start, True
            cur = None
        elif tag.name in names and tag.kind != "close":
            if cur is not None:
                cur.end = tag.start
            cur = _Span(tag.name, tag.end, tag.end, closed=tag.kind == "empty")
            spans.append(cur)
            cur = None if cur.closed else cur
        elif cur is not None:
            cur.tags.append(tag)
    if cur is not None:
        cur.end = end
    return spans


def _markers(text: str, tags: list[_Tag]) -> tuple[bool, bool]:
    """(skip_summary, nothing to record) as the reply states them anywhere."""
    skip = nothing = False
    for i, tag in enumerate(tags):
        skip = skip or (tag.name == "skip_summary" and tag.kind != "close")
        nothing = nothing or (tag.name == "no_observations" and tag.kind != "close")
        if tag.name == "observations" and tag.kind != "close":
            after = tags[i + 1] if i + 1 < len(tags) else None
            nothing = nothing or tag.kind == "empty" or (
                after is not None and after.kind == "close" and after.name == "observations"
                and not text[tag.end:after.start].strip())
    return skip, nothing


def _trim_tail(text: str, span: _Span) -> None:
    """A reply cut off mid-block: drop a half-written tag and a closing code fence at the end."""
    tail = text[span.start:span.end]
    cut = tail.rfind("<")
    if cut >= 0 and _FRAGMENT_RE.fullmatch(tail, cut):
        tail = tail[:cut]
    head, _, last = tail.rstrip().rpartition("\n")
    if last.strip().startswith(("```", "~~~")):
        tail = head
    span.end = span.start + len(tail)


def _decode(raw: str) -> str:
    return _ENTITY_RE.sub(lambda m: html.unescape(m.group(0)), raw)


def _inline(raw: str) -> str:
    return " ".join(_decode(raw).split())


def _block(raw: str) -> str:
    """Multi-line text: the lines after the first are dedented together, blank runs collapsed."""
    lines = [line.rstrip() for line in _decode(raw).replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    body = lines[0].strip() + "\n" + textwrap.dedent("\n".join(lines[1:]))
    return _BLANKS_RE.sub("\n\n", body.strip())


def _cap(value: str, limit: int, what: str, problems: list[str]) -> str:
    if len(value) <= limit:
        return value
    problems.append(f"{what} cut from {len(value):,} to {limit:,} chars")
    return value[: limit - 1].rstrip() + "\u2026"


def _children(text: str, fld: _Span) -> list[str] | None:
    """Contents of child elements, when at least one child is properly closed."""
    items: list[str] = []
    cur: _Tag | None = None
    closed = False
    for tag in fld.tags:
        if cur is not None and tag.kind == "close" and tag.name == cur.name:
            items.append(text[cur.end:tag.start])
            cur, closed = None, True
        elif tag.kind == "open" and (cur is None or tag.name == cur.name):
            if cur is not None:
                items.append(text[cur.end:tag.start])
            cur = tag
    if cur is not None:
        items.append(text[cur.end:fld.end])
    return items if closed else None


def _raw_items(text: str, fld: _Span, commas: bool) -> list[str]:
    children = _children(text, fld)
    if children is not None:
        return children
    items: list[str] = []
    for line in text[fld.start:fld.end].splitlines():
        line = line.strip()
        bullet = _BULLET_RE.match(line)
        line = line[bullet.end():] if bullet else line
        items.extend(line.split(",") if commas else [line])
    return items


def _list_field(text: str, flds: list[_Span], name: str, label: str, problems: list[str]) -> tuple[str, ...]:
    clean: Callable[[str], str] = (lambda s: norm_path(_inline(s))) if name.startswith("files") else _inline
    items = [clean(raw) for fld in flds for raw in _raw_items(text, fld, name != "facts")]
    items = [item for item in items if item]
    unique = list(dict.fromkeys(items))
    if len(unique) < len(items):
        problems.append(f"{label}: {len(items) - len(unique)} duplicate {name} removed")
    if len(unique) > _MAX_ITEMS:
        problems.append(f"{label}: {name} cut from {len(unique)} to {_MAX_ITEMS} items")
    what = f"{label}: an item of {name}"
    return tuple(_cap(item, _ITEM_CAP, what, problems) for item in unique[:_MAX_ITEMS])


def _text_field(text: str, flds: list[_Span], name: str, label: str, problems: list[str]) -> str:
    if not flds:
        return ""
    if len(flds) > 1:
        problems.append(f"{label}: {len(flds) - 1} extra <{name}> ignored")
    raw = text[flds[0].start:flds[0].end]
    value = _inline(raw) if name in _INLINE else _block(raw)
    return _cap(value, _CAPS.get(name, _SUMMARY_CAP), f"{label}: {name}", problems)


def _group(spans: list[_Span]) -> dict[str, list[_Span]]:
    groups: dict[str, list[_Span]] = {}
    for span in spans:
        groups.setdefault(span.name, []).append(span)
    return groups


def _singulars(key: str) -> tuple[str, ...]:
    if key.endswith("ies"):
        return key, key[:-3] + "y"
    if key.endswith("es"):
        return key, key[:-1], key[:-2]
    return (key, key[:-1]) if key.endswith("s") else (key,)


def _resolve_type(raw: str, label: str, problems: list[str]) -> str | None:
    value = raw.lower()
    if value in OBSERVATION_TYPES:
        return value
    for cand in _singulars(re.sub(r"[^a-z]", "", value[:100])):
        if cand in OBSERVATION_TYPES or cand in _SYNONYMS:
            mapped = _SYNONYMS.get(cand, cand)
            problems.append(f"{label}: type {_short(raw)!r} taken as {mapped!r}")
            return mapped
    problems.append(f"{label}: unknown type {_short(raw)!r}, observation rejected" if raw
                    else f"{label}: no type, observation rejected")
    return None


def _complete_text(text: str, block: _Span, flds: dict[str, list[_Span]], name: str, label: str,
                   problems: list[str]) -> str:
    """A required field; one left unfinished by a truncated reply counts as missing."""
    spans = flds.get(name, [])
    if spans and block.cut and not spans[0].closed and spans[0].end == block.end:
        return ""
    return _text_field(text, spans, name, label, problems)


def _observation(text: str, block: _Span, n: int, paths: PathCheck,
                 problems: list[str]) -> Observation | None:
    flds = _group(_spans(block.tags, _OBS_FIELDS, block.end))
    title = _complete_text(text, block, flds, "title", f"observation {n}", problems)
    label = f"observation {n} ({_short(title)!r})" if title else f"observation {n}"
    if not title:
        problems.append(f"{label}: no complete title, observation rejected")
        return None
    obs_type = _resolve_type(_complete_text(text, block, flds, "type", label, problems), label, problems)
    if obs_type is None:
        return None
    lists = {name: _list_field(text, flds.get(name, []), name, label, problems) for name in _LIST_FIELDS}
    unknown = [path for path in lists["files_modified"] if not paths.allows(path)]
    if unknown:
        problems.append(f"{label}: files_modified never seen in the session, dropped: {', '.join(unknown)}")
    texts = {name: _text_field(text, flds.get(name, []), name, label, problems)
             for name in ("subtitle", "narrative")}
    obs = Observation(obs_type, title, texts["subtitle"], lists["facts"], texts["narrative"],
                      lists["concepts"], lists["files_read"],
                      tuple(path for path in lists["files_modified"] if path not in unknown))
    from . import sanity  # it reads these records: imported here, not at module level

    obs = sanity.clean_items(obs, problems, label)
    why = sanity.check_observation(obs)
    if why:
        problems.append(f"{label}: {why}, observation rejected")
        return None
    return obs


def _summary(text: str, block: _Span, problems: list[str]) -> Summary | None:
    flds = _group(_spans(block.tags, _SUMMARY_FIELDS, block.end))
    values = {name: _text_field(text, flds.get(name, []), name, "summary", problems)
              for name in _SUMMARY_FIELDS}
    if not flds and text[block.start:block.end].strip():
        problems.append("summary: no field tags, ignored")
        return None
    if not any(values.values()):
        problems.append("summary: empty, ignored")
        return None
    from . import sanity

    return sanity.check_summary(Summary(**values), problems)


def _describe(block: _Span, n: int) -> str | None:
    if block.closed:
        return None
    if block.cut:
        return f"{block.name} {n}: cut off (reply truncated), read up to the end"
    return f"{block.name} {n}: no closing tag, ends where the next block starts"


def _parse(text: str, known_paths: frozenset[str], cwd: str, expect_summary: bool) -> ParsedReply:
    if not text.strip():
        raise ReplyParseError("empty reply")
    text = _CDATA_RE.sub(lambda m: html.escape(m.group(1), quote=False), text)
    tags = _scan(text)
    blocks = _spans(tags, ("observation", "summary"), len(text))
    skip, nothing = _markers(text, tags)
    if not blocks and not skip and not nothing:
        raise ReplyParseError(f"no <observation>, <summary> or <skip_summary/> in reply: {_short(text)!r}")
    problems: list[str] = []
    observations: list[Observation | None] = []
    summaries: list[Summary | None] = []
    paths, counts = PathCheck(known_paths, cwd), {"observation": 0, "summary": 0}
    for block in blocks:
        counts[block.name] += 1
        if not block.closed and block.end == len(text):
            block.cut = True
            _trim_tail(text, block)
        note = _describe(block, counts[block.name])
        problems.extend([note] if note else [])
        if block.name == "observation":
            observations.append(_observation(text, block, counts["observation"], paths, problems))
        elif counts["summary"] == 1:
            summaries.append(_summary(text, block, problems))
        else:
            problems.append(f"summary {counts['summary']}: only the first summary is kept, ignored")
    summary = summaries[0] if summaries else None
    kept = tuple(obs for obs in observations if obs is not None)
    if expect_summary and summary is None and not skip:
        problems.append("a summary was asked for, but the reply has no usable <summary> or <skip_summary/>")
    if blocks and not kept and summary is None and not skip and not nothing:
        more = f"; and {len(problems) - 10:,} more" if len(problems) > 10 else ""
        raise ReplyParseError("no usable block in reply: " + "; ".join(problems[:10]) + more)
    return ParsedReply(kept, summary, skip, tuple(problems))


def parse_reply(text: str, *, known_paths: frozenset[str] = frozenset(), cwd: str = "",
                expect_summary: bool = False) -> ParsedReply:
    """Parse one model reply; raise ``ReplyParseError`` (only) when it holds nothing usable."""
    try:
        # a reply cut mid-emoji can hold a lone surrogate: storable text only (U+FFFD instead)
        text = text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
        from . import sanity

        try:
            text = sanity.strip_reasoning(text)
        except CutInReasoning as exc:
            raise ReplyParseError(f"truncated reply: {exc}") from None
        return _parse(text, known_paths, cwd, expect_summary)
    except ReplyParseError:
        raise
    except Exception as exc:  # the contract: callers only ever handle ReplyParseError
        raise ReplyParseError(f"reply could not be parsed: {exc!r}") from exc
