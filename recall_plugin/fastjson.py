"""JSON for the hook hot path without importing ``json``.

``json`` imports ``re`` (with ``enum``, ``functools`` and ``collections``), ~7 ms per hook on
this machine, and a hook runs on every tool call. This module drives CPython's own C
scanner and encoder (``_json``, the code ``json`` itself uses) directly, so the output is
byte-for-byte what ``json.dumps`` gives. Elsewhere ``json`` falls back in.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

WHITESPACE = " \t\n\r"
MAX_DEPTH = 200  # deeper arrays/objects become the string TOO_DEEP (the C scanner recurses)
TOO_DEEP = "[too deep]"
_CONSTANTS = {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}


class _Context:
    """The attributes ``_json.make_scanner`` reads from a decoder."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = _CONSTANTS.__getitem__


def _no_default(value: object) -> object:
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


try:
    from _json import encode_basestring_ascii, make_encoder, make_scanner
except ImportError:  # not CPython: the standard module does the same job
    import json

    def loads(text: str | bytes) -> object:
        return json.loads(text)

    def dumps(value: object, sort_keys: bool = False) -> str:
        return json.dumps(value, sort_keys=sort_keys, separators=(",", ":"))

else:
    _scan: Callable[[str, int], tuple[object, int]] = make_scanner(_Context())  # type: ignore[arg-type]

    def loads(text: str | bytes) -> object:
        """Parse one JSON document; ``ValueError`` when it is not one."""
        if isinstance(text, bytes):
            text = text.decode("utf-8")
        start = _skip(text, 0)
        try:
            try:
                value, end = _scan(text, start)
            except RecursionError:
                text = cap_depth(text, MAX_DEPTH)
                value, end = _scan(text, start)
        except StopIteration as stop:
            raise ValueError(f"Expecting value at char {stop.value}") from None
        except SystemError:
            # _json builds its error from json.decoder, which it looks up but never imports;
            # on this (error) path the standard module can afford to say what is wrong.
            import json

            return json.loads(text)
        end = _skip(text, end)
        if end != len(text):
            raise ValueError(f"Extra data at char {end}")
        return value

    def dumps(value: object, sort_keys: bool = False) -> str:
        """Compact ASCII JSON, as ``json.dumps(value, separators=(",", ":"))``."""
        encode = make_encoder({}, _no_default, encode_basestring_ascii, None, ":", ",",
                              sort_keys, False, True)
        return "".join(encode(value, 0))


def cap_depth(text: str, limit: int) -> str:
    """``text`` with every array or object nested deeper than ``limit`` replaced by the
    string TOO_DEEP, so that it parses. Strings are skipped with ``find``; a stretch between
    strings is walked character by character only when it could cross the limit."""
    parts: list[str] = []
    depth = pos = cut_from = 0
    size = len(text)
    while pos < size:
        quote = text.find('"', pos)
        stop = size if quote < 0 else quote
        opens = text.count("[", pos, stop) + text.count("{", pos, stop)
        closes = text.count("]", pos, stop) + text.count("}", pos, stop)
        if depth + opens <= limit or depth - closes > limit:
            depth += opens - closes
        else:
            for at in range(pos, stop):
                char = text[at]
                if char in "[{":
                    depth += 1
                    if depth == limit + 1:
                        parts.append(text[cut_from:at])
                elif char in "]}" and depth > 0:
                    depth -= 1
                    if depth == limit:
                        parts.append(f'"{TOO_DEEP}"')
                        cut_from = at + 1
        pos = size if quote < 0 else _string_end(text, quote)
    if depth > limit:  # never closed: the document ends inside the cut part
        return "".join(parts) + f'"{TOO_DEEP}"'
    parts.append(text[cut_from:])
    return "".join(parts)


def _string_end(text: str, pos: int) -> int:
    """Position just after the string starting at the quote at ``pos``."""
    end = text.find('"', pos + 1)
    while end > 0:
        slashes = 0
        while text[end - 1 - slashes] == "\\":
            slashes += 1
        if slashes % 2 == 0:
            return end + 1
        end = text.find('"', end + 1)
    return len(text)


def _skip(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in WHITESPACE:
        pos += 1
    return pos
