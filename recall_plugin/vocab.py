"""The words every layer shares, written once: observation types, record types, event kinds,
provider names, and the one UTC timestamp format.

Ground floor and hook hot path: plain tuples and the ``time`` module only (no ``dataclasses``
or ``typing`` at run time). The viewer's script reads them from ``/api/vocab``.

The first migration's CHECK constraint spells the observation types out on purpose: a
migration is history and must not change when this list does.
"""

from __future__ import annotations

import time

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


def utc_stamp_ms(moment: float) -> str:
    """``moment`` as an ISO 8601 UTC time to the millisecond: 2026-05-01T10:00:00.123Z."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(moment)) + f".{int(moment % 1 * 1000):03d}Z"
