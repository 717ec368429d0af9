"""Keep oversized tool inputs and outputs small: head and tail, with a marker saying what was cut.

Cuts fall on whitespace where one is near, so that a token (a key, a path) is kept whole or
dropped whole rather than split across the elision.
"""

from __future__ import annotations

SNAP = 200  # how far a cut may move to land on whitespace
MAX_DEPTH = 64


def elision(cut: int, total: int) -> str:
    return f"\n[... claude-recall elided {cut:,} of {total:,} chars ...]\n"


def trim_text(text: str, limit: int) -> tuple[str, int]:
    """``text`` cut to about ``limit`` chars (2/3 head, 1/3 tail); returns (text, chars cut)."""
    if len(text) <= limit:
        return text, 0
    head_end = _snap_back(text, (limit * 2) // 3)
    tail_start = _snap_forward(text, len(text) - limit // 3)
    tail_start = max(tail_start, head_end)
    cut = tail_start - head_end
    return text[:head_end] + elision(cut, len(text)) + text[tail_start:], cut


def _snap_back(text: str, pos: int) -> int:
    space = max(text.rfind(" ", pos - SNAP, pos), text.rfind("\n", pos - SNAP, pos))
    return space + 1 if space > 0 else pos


def _snap_forward(text: str, pos: int) -> int:
    hits = [i for i in (text.find(" ", pos, pos + SNAP), text.find("\n", pos, pos + SNAP)) if i >= 0]
    return min(hits) + 1 if hits else pos


def trim_value(value: object, limit: int, depth: int = 0) -> tuple[object, int]:
    """Trim every string inside a JSON-like value; returns (value, total chars cut)."""
    if isinstance(value, str):
        return trim_text(value, limit)
    if depth >= MAX_DEPTH:
        return "[too deep]", 0
    if isinstance(value, dict):
        out: dict[str, object] = {}
        total = 0
        for key, item in value.items():
            out[str(key)], cut = trim_value(item, limit, depth + 1)
            total += cut
        return out, total
    if isinstance(value, list):
        items = [trim_value(item, limit, depth + 1) for item in value]
        return [i for i, _ in items], sum(c for _, c in items)
    return value, 0
