"""The right memory at each prompt: on UserPromptSubmit, a few recorded observations that the
prompt is clearly about and the session has not been given yet.

Standard library only (it runs inside the hook): SQLite FTS5 over the project's observations,
read-only with a short busy timeout. Evidence, not chance: a record is injected only when it
holds at least ``MIN_MATCHED`` of the prompt's distinctive words and at least ``MIN_COVERAGE``
of their IDF weight (words the memory has never seen count neither way), so most prompts add
nothing. At most ``items`` lines within ``max_chars``, framed as recorded data by the same
``frame.block`` as the SessionStart notes; records flagged as reading like instructions are
never injected; every id injected is remembered for the session (``seen``) and not injected again.
"""

from __future__ import annotations

from .. import ftsquery, querydates, settings
from ..sqldriver import driver as sqlite3
from ..store.fts import Idf
from . import open_readonly, seen
from .common import CommonWords

TYPE_CHECKING = False
if TYPE_CHECKING:
    import datetime as dt

    from ..records import StoredObservation

MAX_WORDS = 16         # the prompt's rarest content words that are searched
COMMON_SHARE = 0.05    # words in more than this share of observations carry no evidence,
COMMON_MOST = 300      # nor words in more than this many (and counting stops there)
MIN_MATCHED = 2        # distinctive words a record must hold (or one identifier, path, number)
MIN_COVERAGE = 0.5     # share of the prompt's distinctive IDF weight a record must hold
CANDIDATES = 8
FOOTER = "Details: get_observations(ids)."


def framed(lines: list[str], project: str = "") -> str:
    """The notes as recorded data, in the same block as the SessionStart notes (``frame``)."""
    from . import frame  # only when there is something to frame (most prompts: nothing)

    return frame.block(project, lines, FOOTER)


def _field(value: object) -> str:
    """A recorded value as one neutral line that cannot pose as a heading, quote or list item."""
    from . import frame

    return frame.field(value)


def distinctive(conn: sqlite3.Connection, prompt: str, common: CommonWords | None = None
                ) -> list[tuple[float, tuple[str, ...], list[int]]]:
    """The prompt's words that the memory holds but that are not common, rarest first: (IDF
    weight, word, the ids of every record holding it). A word in fewer than ``cap`` records is
    listed whole by the same bounded FTS query that counts it; words ``common`` knows are
    common are not counted again, and the ones found common are added to it."""
    idf = Idf(conn, "observations", COMMON_SHARE, COMMON_MOST, whole_forms=True)
    known = common.known(idf.cap) if common else set()
    weighted = []
    for word in ftsquery.query_words(prompt[:2000])[:64]:
        if " ".join(word) in known:
            continue
        ids = idf.ids(word)
        if 0 < len(ids) < idf.cap:
            weighted.append((idf.weight_of(len(ids)), word, ids))
        elif ids and common is not None:
            common.found.append(" ".join(word))
    weighted.sort(key=lambda item: item[0], reverse=True)
    return weighted[:MAX_WORDS]


def specific(text: str) -> set[tuple[str, ...]]:
    """Words that name one thing on their own: identifiers, paths, error codes, numbers
    (several tokens, a digit, or capitals inside: ``parse_invoice_line``, ``CrashLoopBackOff``)."""
    out = set()
    for raw in text.split():
        word = tuple(ftsquery.tokens(raw))
        if len(word) > 1 or any(c.isdigit() for c in raw) or any(c.isupper() for c in raw[1:]):
            out.add((ftsquery.stem(word[0]),) if len(word) == 1 else word)
    return out


def select(conn: sqlite3.Connection, project: str, prompt: str, skip: set[int], items: int,
           now: dt.datetime | None = None, common: CommonWords | None = None
           ) -> list[StoredObservation]:
    """The observations of ``project`` the prompt is clearly about, best first: each holds two
    of its distinctive words (or one identifier, path or number) and half their weight; dates
    named in the prompt narrow the search to them. Which record holds which word comes from the
    FTS lists of ``distinctive``: one indexed lookup of the best ids, no second FTS query."""
    text, since, until = prompt[:2000], None, None
    if querydates.may_name_date(text):  # only then the ~2 ms of datetime
        import datetime as dt

        text, since, until = querydates.parse(text, now or dt.datetime.now(dt.timezone.utc))
    text, since, until = events_as_dates(conn, project, text, since, until)
    words = distinctive(conn, text, common)
    total = sum(weight for weight, _, _ in words)
    special = specific(text)
    held: dict[int, list[int]] = {}
    for n, (_, _, ids) in enumerate(words):
        for record in ids:
            held.setdefault(record, []).append(n)
    scored = []
    for record, found in held.items():
        cover = sum(words[n][0] for n in found) / total
        named = any(words[n][1] in special for n in found)
        if (len(found) >= MIN_MATCHED or named) and cover >= MIN_COVERAGE and record not in skip:
            scored.append((cover, len(found), record))
    best = [record for _, _, record in sorted(scored, reverse=True)[:CANDIDATES * 8]]
    if not best:
        return []
    low, high = since or "", until or "~"
    from ..store import observations  # records only for a prompt with candidates (most: none)

    return [obs for obs in observations.get(conn, best, project)  # in the order asked
            if low <= obs.created_at < high and not obs.flagged][:items]


def events_as_dates(conn: sqlite3.Connection, project: str, text: str, since: str | None,
                    until: str | None) -> tuple[str, str | None, str | None]:
    """An event named as a point in time ("before the shipped_at migration") dated by the
    project's newest record holding each of its distinctive words, as search does; the prompt
    without it and the narrowed span. An event the memory does not hold changes nothing."""
    rest, found = querydates.anchors(text)
    for mode, event in found:
        held = [set(ids) for _, _, ids in distinctive(conn, event)]
        ids = sorted(set.intersection(*held)) if held else []
        from ..store import observations

        dated = [obs.created_at for obs in observations.get(conn, ids, project)]
        if not dated:
            return text, since, until
        if mode in ("before", "until"):
            until = min(filter(None, (until, max(dated))))
        else:
            since = max(filter(None, (since, max(dated) + "~")))  # just after it
    return rest, since, until


def line(obs: StoredObservation) -> str:
    files = obs.files_modified or obs.files_read
    names = ", ".join(_field(f.rsplit("/", 1)[-1]) for f in files[:2])
    text = f"#{obs.id} {_field(obs.created_at[:10])} {_field(obs.type)}: {_field(obs.title)}"
    subtitle = _field(obs.subtitle or "")
    return text + (f" - {subtitle}" if subtitle else "") + (f" ({names})" if names else "")


def render(conn: sqlite3.Connection, project: str, prompt: str, skip: set[int], items: int,
           max_chars: int, now: dt.datetime | None = None, common: CommonWords | None = None
           ) -> tuple[str, list[int]]:
    """The injection for ``prompt`` and the ids in it ("" and [] for none)."""
    lines: list[str] = []
    ids: list[int] = []
    chosen = select(conn, project, prompt, skip, items, now, common)
    if not chosen:
        return "", []
    from ..store.projects import project_label  # its identity import, only for a real injection

    name = project_label(conn, project)
    for obs in chosen:
        candidate = [*lines, line(obs)[:300]]
        if len(framed(candidate, name)) > max_chars:
            break
        lines, ids = candidate, [*ids, obs.id]
    return (framed(lines, name), ids) if lines else ("", [])


def for_prompt(data_dir: str, project: str, session_id: str, prompt: str, items: int = 3,
               max_chars: int = 800) -> str:
    """What to inject for this prompt ("" for nothing); remembers what it injected."""
    if not prompt.strip() or items <= 0:
        return ""
    conn = open_readonly(data_dir)
    if conn is None:
        return ""
    common = CommonWords(data_dir)
    try:
        text, ids = render(conn, project, prompt, seen.read(data_dir, session_id), items, max_chars,
                           common=common)
        common.save()
    except sqlite3.Error:
        return ""  # busy, locked, an older schema: nothing rather than a wait
    finally:
        conn.close()
    seen.add(data_dir, session_id, ids)
    return text


def for_event(project: str, session_id: str, prompt: str, conf: settings.Settings) -> str:
    """The injection for a captured prompt under the settings ("" when off)."""
    if not conf.flag("CLAUDE_RECALL_PROMPT_CONTEXT"):
        return ""
    return for_prompt(conf.data_dir, project, session_id, prompt,
                      conf.number("CLAUDE_RECALL_PROMPT_CONTEXT_ITEMS"),
                      conf.number("CLAUDE_RECALL_PROMPT_CONTEXT_MAX_CHARS"))
