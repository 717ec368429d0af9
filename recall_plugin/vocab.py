"""The words every layer shares, written once: observation types, record types, event kinds,
provider names, and the UTC timestamps: every time claude-recall writes or reads back is
formatted and parsed here.

Ground floor and hook hot path: plain tuples and the ``time`` module only (no ``dataclasses``
or ``typing`` at run time). The viewer's script reads them from ``/api/vocab``.

The first migration's CHECK constraint spells the observation types out on purpose: a
migration is history and must not change when this list does.
"""

from __future__ import annotations

import time

TYPE_CHECKING = False  # typing costs milliseconds on the hook hot path; mypy reads the block
if TYPE_CHECKING:
    from datetime import datetime

# What an observation records; the extractor's prompt offers exactly these (in this order).
OBSERVATION_TYPES = ("bugfix", "feature", "refactor", "discovery", "decision", "change")
# What search filters accept: an observation type, or "summary" for session summaries.
RECORD_TYPES = (*OBSERVATION_TYPES, "summary")
# The kinds of captured events, in the order a session produces them.
EVENT_KINDS = ("session_start", "prompt", "tool", "tool_failure", "stop", "session_end")
# The extraction providers (``CLAUDE_RECALL_PROVIDER``).
PROVIDER_NAMES = ("claude", "gemini", "openrouter")


def utc_stamp(moment: float | None = None) -> str:
    """``moment`` (default: now) as an ISO 8601 UTC time to the second: 2026-05-01T10:00:00Z."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(moment))


def utc_stamp_ms(moment: float | None = None) -> str:
    """``moment`` (default: now) as an ISO 8601 UTC time to the millisecond:
    2026-05-01T10:00:00.123Z (how events and records are stamped)."""
    moment = time.time() if moment is None else moment
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(moment)) + f".{int(moment % 1 * 1000):03d}Z"


def utc_day(moment: float | None = None) -> str:
    """The UTC date of ``moment`` (default: now): 2026-05-01."""
    return time.strftime("%Y-%m-%d", time.gmtime(moment))


def utc_file_stamp(moment: float | None = None) -> str:
    """``moment`` (default: now) for a file name, sortable and without colons: 20260501T100000Z."""
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(moment))


def utc_epoch(stamp: str) -> int:
    """Epoch seconds of a stored UTC time ("2025-01-02T03:04:05.678Z", a space for the "T", or
    just a date); 0 when it is neither."""
    import calendar

    text = stamp.strip()
    for size, pattern in ((19, "%Y-%m-%dT%H:%M:%S"), (10, "%Y-%m-%d")):
        try:
            return calendar.timegm(time.strptime(text[:size].replace(" ", "T"), pattern))
        except ValueError:
            continue
    return 0


def parse_utc(text: str) -> datetime:
    """An ISO 8601 date and time from outside (an imported record, say) as an aware datetime:
    "Z" and no zone at all both mean UTC. ``ValueError`` when it is not one."""
    import datetime as dt

    text = text.strip()
    text = text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text
    moment = dt.datetime.fromisoformat(text)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.timezone.utc)
