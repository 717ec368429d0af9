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


def _skip(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in WHITESPACE:
        pos += 1
    return pos
