"""Privacy filter for everything a hook captures, applied before anything touches disk.

* ``<private>...</private>`` blocks (the user's "never remember this") become ``[private]``;
  an unclosed ``<private>`` hides the rest of the text; a prompt that was nothing but private
  is ``is_entirely_private``.
* Secrets become a visible ``[REDACTED:<kind>]`` (the rules are in ``redact``, ``fields`` and
  the list of formats in ``formats``). Dict values under a secret-named key are hidden whole.
* Bounded: ``clean_value`` trims every string to its limit *before* scanning it, stops after
  ``MAX_STRINGS`` strings or ``MAX_CHARS`` characters (the rest is elided with a marker, never
  kept unscanned), and raises ``HookDeadline`` once the hook's deadline has passed.

The rules need a separator, a known literal or a keyword; a text with none of them cannot
match, so it is returned as is without importing the rules at all. A property test checks
that this gate never changes a result. Standard library only: this runs on every tool call.
"""

from __future__ import annotations

import time

from ..errors import HookDeadline
from . import trim

PRIVATE_MARKER = "[private]"
TOO_DEEP = "[too deep]"
ELIDED = "[elided by claude-recall: too many values]"
MAX_DEPTH = 64
MAX_STRINGS = 20_000
MAX_CHARS = 400_000
MAX_ITEMS = 5_000  # per list or dict
SCAN_CAP = 200_000  # no single string is scanned beyond this, whatever the field limit

# Necessary conditions of the rules: a separator or one of the literals below.
SEPARATORS = ("=", ":", "-", "_", ".", "@", "~", "/")
WORDS = ("bearer", "basic", "password", "passwd", "login", "akia", "asia", "abia", "acca",
         "aiza", "ltai", "sk", "dapi", "gr1348941", "atatt3", "atctt3", "akcp", "ezak", "eaaa")
KEY_HINTS = ("pass", "pwd", "pw", "secret", "key", "token", "auth", "cred", "cookie", "session",
             "jwt", "bearer", "dsn", "conn", "pat", "pin", "sk", "sig", "salt", "hmac", "otp",
             "seed", "mnemonic", "private")


def may_hold_secret(text: str, lowered: str, env_file: bool) -> bool:
    """False only when no redaction rule can match ``text``."""
    if env_file and "=" in text:
        return True
    if len(text) < 5:
        return False
    return any(sep in text for sep in SEPARATORS) or any(word in lowered for word in WORDS)


def strip_private(text: str) -> tuple[str, bool]:
    """Replace every <private> block by PRIVATE_MARKER; return (text, anything removed)."""
    if "private" not in text.lower():
        return text, False
    from . import redact

    return redact.strip_private(text)


def is_entirely_private(text: str) -> bool:
    """True when text had a private block and only whitespace and markers remain."""
    stripped, removed = strip_private(text)
    return removed and not stripped.replace(PRIVATE_MARKER, "").strip()


def redact_secrets(text: str, *, env_file: bool = False) -> str:
    """Replace secrets by [REDACTED:<kind>]; env_file=True redacts every KEY=value value."""
    if not text or not may_hold_secret(text, text.lower(), env_file):
        return text
    from . import redact

    return redact.redact_secrets(text, env_file=env_file)


def scrub(text: str, *, env_file: bool = False) -> tuple[str, bool]:
    """strip_private then redact_secrets; returns (text, had_private). The one function every
    capture path (hooks, backfill, import, notes) sends its text through."""
    stripped, had_private = strip_private(text)
    return redact_secrets(stripped, env_file=env_file), had_private


def scrub_value(value: object, *, env_file: bool = False) -> tuple[object, bool]:
    """scrub every string in a JSON-like value; secret-named dict keys hide their value."""
    walk = Walk(0, env_file, None)
    return walk.any(value, 0), walk.private


def clean_value(value: object, limit: int, env_file: bool = False,
                deadline: float | None = None) -> tuple[object, bool, int]:
    """Private blocks out, trim to ``limit``, then redact, every string of a JSON-like value,
    within the work bounds. Returns (value, had_private, chars cut)."""
    walk = Walk(limit, env_file, deadline)
    return walk.any(value, 0), walk.private, walk.cut


class Walk:
    """One bounded pass over a JSON-like value."""

    __slots__ = ("chars", "cut", "deadline", "env_file", "limit", "private", "strings")

    def __init__(self, limit: int, env_file: bool, deadline: float | None) -> None:
        self.limit, self.env_file, self.deadline = limit, env_file, deadline
        self.strings, self.chars, self.cut, self.private = MAX_STRINGS, MAX_CHARS, 0, False

    def any(self, value: object, depth: int) -> object:
        if depth > MAX_DEPTH:
            return TOO_DEEP
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return self.mapping(value, depth)
        if isinstance(value, (list, tuple)):
            items = [self.any(item, depth + 1) for item in value[:MAX_ITEMS]]
            if len(value) > MAX_ITEMS:
                items.append(f"[... claude-recall elided {len(value) - MAX_ITEMS:,} items ...]")
            return items if isinstance(value, list) else tuple(items)
        return value

    def mapping(self, value: dict[object, object], depth: int) -> object:
        result: dict[object, object] = {}
        for count, (key, item) in enumerate(value.items()):
            if count >= MAX_ITEMS:
                result["[elided]"] = f"[... claude-recall elided {len(value) - count:,} keys ...]"
                break
            kind = key_kind(key, item) if isinstance(item, str) and item else None
            result[key] = f"[REDACTED:{kind}]" if kind else self.any(item, depth + 1)
        return result

    def text(self, value: str) -> str:
        self.strings -= 1
        if self.deadline is not None and self.strings % 256 == 0 \
                and time.monotonic() > self.deadline:
            raise HookDeadline("the hook's time budget ran out while scrubbing")
        if self.strings < 0 or self.chars <= 0:
            self.cut += len(value)
            return ELIDED
        value, had_private = strip_private(value)
        self.private = self.private or had_private
        limit = min(self.limit or len(value), SCAN_CAP, self.chars)
        value, cut = trim.trim_text(value, limit)
        self.cut += cut
        self.chars -= len(value)
        return redact_secrets(value, env_file=self.env_file)


def key_kind(key: object, value: str = "") -> str | None:
    """Marker kind for the value of a dict key that names a secret (a weak name, such as
    ``token`` or ``key``, only when the value also looks like one)."""
    if not isinstance(key, str) or len(key) > 100:
        return None
    lowered = key.lower()
    if not any(hint in lowered for hint in KEY_HINTS):
        return None
    from . import judge

    found = judge.classify(key)
    if found is None or judge.placeholder(value):
        return None
    kind, strong = found
    if strong or judge.plausible(value) or (kind == "pin" and value.isdigit()):
        return kind
    return None
