"""Is it a secret? The judgements the name-based rules (``fields``) share with ``redact`` and
``privacy``: what a name says (``classify``), whether a value is code or a placeholder
(``placeholder``) or looks like a credential (``plausible``), and the marker that replaces it.

Hot path (the hooks scrub with it): nothing but ``formats`` at import time.
"""

from __future__ import annotations

from . import formats

REDACTED = "[REDACTED:"
TOO_DENSE = "too-many-candidates"  # the marker of a text too dense with candidate names
_STRONG_WORDS = ("password", "passwd", "passphrase", "secret", "secrets")
_WEAK = dict(formats.WEAK_WORDS)
_CODE_WORDS = frozenset(("none", "null", "nil", "true", "false", "undefined", "lambda", "str",
                         "bytes", "int", "bool", "string", "number", "boolean", "object", "any",
                         "optional", "required", "yes", "no", "on", "off", "redacted"))
_CODE_STARTS = ("[", "$", "%", "{", "<", "*", "self.", "this.", "cls.", "os.", "args.",
                "options.", "config.", "settings.", "process.", "env.", "getenv", "secrets.",
                "vault.", "...", "xxx", "…", "@", "!")
_HEX = "0123456789abcdef"


def lowercase(text: str) -> str:
    """text.lower(), with every offset kept (U+0130 alone lowercases to two characters)."""
    lowered = text.lower()
    if len(lowered) != len(text):
        lowered = "".join(char.lower()[:1] for char in text)
    return lowered


def mark(kind: str) -> str:
    return f"{REDACTED}{kind}]"


def placeholder(value: str) -> bool:
    """Already redacted, empty, code or a placeholder rather than a secret."""
    low = value.lower().strip()
    if not low or low.startswith(REDACTED.lower()) or low.startswith(_CODE_STARTS):
        return True
    rest = low.lstrip("abcdefghijklmnopqrstuvwxyz0123456789_.")
    name = low[: len(low) - len(rest)]
    if name[:1].isalpha() and rest[:1] in ("(", "["):
        return True  # a call or a subscript
    return low in _CODE_WORDS or (name in _CODE_WORDS and rest[:1] in ("", " ", "|"))


def plausible(value: str) -> bool:
    """Looks like a credential: 8+ characters mixing letters with digits (or cases or
    symbols, when long), or high entropy; not a path, URL or plain word."""
    if len(value) < 8 or value.startswith(("/", "./", "~/", "http:", "https:")):
        return False
    if len(value) < 16 and not value.strip(_HEX):
        return False  # a short hex id (session="7a11b000", a commit): 32-60 bits, no credential
    digit = any(c.isdigit() for c in value)
    alpha = any(c.isalpha() for c in value)
    mixed = value != value.lower() and value != value.upper()
    if (alpha and digit) or (alpha and mixed and len(value) >= 12):
        return True
    return len(value) >= 16 and _entropy(value) >= 3.5


def _entropy(value: str) -> float:
    import math  # a builtin module: no cost worth gating

    counts: dict[str, int] = {}
    for char in value:
        counts[char] = counts.get(char, 0) + 1
    size = len(value)
    return -sum(n / size * math.log2(n / size) for n in counts.values())


def classify(name: str) -> tuple[str, bool] | None:
    """(marker kind, strong) for a secret-like name, None for any other name."""
    compact = name.lower().replace("_", "").replace("-", "").replace(".", "")
    if not compact or compact.endswith(formats.BENIGN_SUFFIXES):
        return None
    for suffix, kind in formats.STRONG_SUFFIXES:
        if compact.endswith(suffix):
            return kind, True
    words = _words(name)
    if words and words[-1] in _WEAK:
        return _WEAK[words[-1]], words[-1] in ("pin", "pincode", "pass", "pwd", "pw")
    if len(words) > 1 and words[-1] not in formats.META_WORDS and any(
            w in _WEAK or w in _STRONG_WORDS for w in words[:-1]):
        return ("password-field" if "password" in words else "secret-field"), False
    return None


def _words(name: str) -> list[str]:
    """snake, kebab, dotted and camelCase words, lowercased."""
    out: list[str] = []
    word = ""
    for i, char in enumerate(name):
        if char in "_-. ":
            out.append(word)
            word = ""
            continue
        if char.isupper() and word and (name[i - 1].islower() or
                                        (i + 1 < len(name) and name[i + 1].islower())):
            out.append(word)
            word = ""
        word += char.lower()
    out.append(word)
    return [w for w in out if w]
