"""Dates named in a query become a date range (ground floor, standard library only: search
and the UserPromptSubmit hook share it): "yesterday", "last week", "in March",
"before April", "after 2026-10-01", "3 days ago", "this month", "2026-06-22", "2025"; and
``anchors``: an event named as a point in time ("before the migration", "since we switched to
Postgres"), which search dates by the record it finds for it.

``parse(query, now)`` returns the query without its date words and the ``[since, until)``
range (ISO dates, UTC). Weeks start on Monday; a month or weekday named without a year is its
latest occurrence not after ``now``. Words that only look like dates ("may" as a verb before
anything but a date position) are left alone unless they follow "in", "on", "during",
"since", "before", "after", "until" or stand next to a year.
"""

from __future__ import annotations

TYPE_CHECKING = False  # datetime costs ~2 ms to import: only a query that may name a date pays it
if TYPE_CHECKING:
    import datetime as dt

    Range = tuple[dt.date, dt.date]

MONTHS = {name: n + 1 for n, name in enumerate((
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december"))}
MONTHS.update({name[:3]: n for name, n in list(MONTHS.items())})
MONTHS["sept"] = 9
PREPOSITIONS = {"in", "on", "during", "since", "before", "after", "until", "from", "of", "by"}
AMBIGUOUS = {"may", "mar", "jun", "jan", "dec", "sep", "oct", "nov", "aug", "apr", "feb", "jul"}
UNITS = {"day": 1, "days": 1, "week": 7, "weeks": 7, "month": 30, "months": 30}
RELATIVE = {"today", "yesterday", "ago", "week", "month", "year", *UNITS}


def may_name_date(query: str) -> bool:
    """Whether ``parse`` could find a date in ``query`` (no false negatives, cheap, no datetime):
    a month, a relative word, or a word starting with four digits."""
    for word in query.lower().split():
        word = word.strip(",.?!;:()\"'")
        if word in MONTHS or word in RELATIVE or (len(word) >= 4 and word[:4].isdigit()):
            return True
    return False


def _month_range(year: int, month: int) -> Range:
    import datetime as dt

    start = dt.date(year, month, 1)
    end = dt.date(year + (month == 12), month % 12 + 1, 1)
    return start, end


def _latest_month(month: int, today: dt.date) -> Range:
    year = today.year if month <= today.month else today.year - 1
    return _month_range(year, month)


def _relative(words: list[str], i: int, today: dt.date) -> tuple[Range, int] | None:
    """A relative expression starting at ``words[i]``: (range, words used)."""
    import datetime as dt

    word, nxt = words[i], words[i + 1] if i + 1 < len(words) else ""
    monday = today - dt.timedelta(days=today.weekday())
    one = dt.timedelta(days=1)
    if word == "today":
        return (today, today + one), 1
    if word == "yesterday":
        return (today - one, today), 1
    if word in ("last", "this", "past") and nxt in ("week", "month", "year"):
        if nxt == "week":
            span = (monday - 7 * one, monday) if word == "last" else (monday, today + one)
            return (span if word != "past" else (today - 7 * one, today + one)), 2
        if nxt == "month":
            first = today.replace(day=1)
            prev = (first - one).replace(day=1)
            span = (prev, first) if word == "last" else (first, today + one)
            return (span if word != "past" else (today - 30 * one, today + one)), 2
        jan = today.replace(month=1, day=1)
        return ((jan.replace(year=jan.year - 1), jan) if word == "last" else (jan, today + one)), 2
    if word in ("last", "past") and nxt.isdigit() and i + 2 < len(words) and words[i + 2] in UNITS:
        return (today - int(nxt) * UNITS[words[i + 2]] * one, today + one), 3
    if word.isdigit() and nxt in UNITS and i + 2 < len(words) and words[i + 2] == "ago":
        day = today - int(word) * UNITS[nxt] * one
        width = UNITS[nxt] * one
        return (day - (width - one) // 2, day + one + width // 2), 3
    return None


def _absolute(words: list[str], i: int, today: dt.date) -> tuple[Range, int] | None:
    import datetime as dt

    word, nxt = words[i], words[i + 1] if i + 1 < len(words) else ""
    prev = words[i - 1] if i else ""
    if len(word) == 10 and word[4] == "-" and word[7] == "-":
        try:
            day = dt.date.fromisoformat(word)
        except ValueError:
            return None
        return (day, day + dt.timedelta(days=1)), 1
    if len(word) == 7 and word[4] == "-" and word[:4].isdigit() and word[5:].isdigit() \
            and 1 <= int(word[5:]) <= 12:
        return _month_range(int(word[:4]), int(word[5:])), 1
    if word in MONTHS:
        if nxt.isdigit() and len(nxt) == 4:
            return _month_range(int(nxt), MONTHS[word]), 2
        if word in AMBIGUOUS and prev not in PREPOSITIONS:
            return None
        return _latest_month(MONTHS[word], today), 1
    if word.isdigit() and len(word) == 4 and 1990 <= int(word) <= 2100 and prev in PREPOSITIONS:
        return (dt.date(int(word), 1, 1), dt.date(int(word) + 1, 1, 1)), 1
    return None


def parse(query: str, now: dt.datetime) -> tuple[str, str | None, str | None]:
    """``(rest of the query, since, until)``; since/until are ISO dates or None."""
    words = query.split()
    low = [w.lower().strip(",.?!;:()\"'") for w in words]
    today, keep = now.date(), []
    since: dt.date | None = None
    until: dt.date | None = None
    i = 0
    while i < len(words):
        found = _relative(low, i, today) or _absolute(low, i, today)
        if found is None:
            keep.append(words[i])
            i += 1
            continue
        (start, end), used = found
        mode = low[i - 1] if i and low[i - 1] in ("before", "after", "since", "until") else ""
        if mode:
            keep.pop()
        if mode in ("before", "until"):
            since, until = since, _min(until, start)
        elif mode in ("after",):
            since = _max(since, end)
        elif mode == "since":
            since = _max(since, start)
        else:
            since, until = _max(since, start), _min(until, end)
        if keep and keep[-1].lower() in PREPOSITIONS:
            keep.pop()
        i += used
    return " ".join(keep), (since.isoformat() if since else None), (until.isoformat() if until else None)


def _max(a: dt.date | None, b: dt.date) -> dt.date:
    return b if a is None or b > a else a


def _min(a: dt.date | None, b: dt.date) -> dt.date:
    return b if a is None or b < a else a


ANCHOR_MODES = ("before", "after", "since", "until")
# An event is named after a definite word ("before the migration", "since we moved..."): a bare
# verb is a step, not a moment ("validate before saving", "retry after failing").
ANCHOR_LEADS = {"the", "our", "that", "this", "we", "i", "they", "you", "my", "their", "last"}
ANCHOR_ENDS = {"and", "but", "or", "when", "while", "where", "which", "in", "on", "at", "for",
               "during", "with", "about", "what", "why", "how", "did", "was", "were"}
ANCHOR_WORDS = 5
# A clause is not an event: "closed before the connection is established", "growing until the
# kernel terminated it", "rebooted before they had finished booting" name no moment the memory
# could date, and taking them so would hide the very record they describe.
NOT_EVENTS = {"is", "are", "was", "were", "be", "been", "being", "had", "has", "have", "do",
              "does", "did", "it", "them", "him", "her", "me", "us", "itself", "themselves"}


def anchors(query: str) -> tuple[str, list[tuple[str, str]]]:
    """Events the query uses as points in time: ``(query without them, [(mode, event)])``,
    mode one of ``ANCHOR_MODES``; "deploy issues before the shipped_at migration" ->
    ``("deploy issues", [("before", "shipped_at migration")])``. Dates are ``parse``'s, not
    anchors: parse first."""
    words, keep, found = query.split(), [], []
    i = 0
    while i < len(words):
        mode = words[i].lower().strip(",.?!;:()\"'")
        lead = words[i + 1].lower() if i + 1 < len(words) else ""
        if mode not in ANCHOR_MODES or lead not in ANCHOR_LEADS or words[i].endswith((",", ".")):
            keep.append(words[i])
            i += 1
            continue
        event: list[str] = []
        j = i + 2
        while j < len(words) and len(event) < ANCHOR_WORDS:
            bare = words[j].lower().strip(",.?!;:()\"'")
            if bare in ANCHOR_ENDS:
                break
            event.append(words[j].strip(",.?!;:()\"'"))
            j += 1
            if words[j - 1][-1:] in ",.?!;:":
                break
        lowered = {w.lower() for w in event}
        if lowered <= ANCHOR_LEADS or lowered & NOT_EVENTS:
            keep.append(words[i])
            i += 1
            continue
        found.append((mode, " ".join(event)))
        i = j
    return " ".join(keep), found
