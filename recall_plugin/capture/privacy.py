"""Privacy filter for everything a hook captures, applied before anything touches disk.

* ``<private>...</private>`` blocks (the user's "never remember this") become ``[private]``;
  an unclosed ``<private>`` hides the rest of the text; a prompt that was nothing but private
  is ``is_entirely_private``.
* Secrets become a visible ``[REDACTED:<kind>]``: keys known by shape (Anthropic, OpenRouter,
  OpenAI, Google, AWS, GitHub, Slack, PEM private keys), bearer tokens, passwords in URLs,
  password and secret fields, sensitive ``NAME=value`` lines, and every value of a ``.env``
  file. Dict values under a password- or secret-named key are hidden whole.

The rules themselves are regular expressions in ``redact``. Each starts with a literal or a
keyword, so a text that contains none of those cannot match any rule: such texts (most hook
payloads) are returned as they are without importing ``re`` at all, which saves ~7 ms per
hook. A property test checks that the gate never changes a result.
"""

from __future__ import annotations

PRIVATE_MARKER = "[private]"
TOO_DEEP = "[too deep]"
MAX_DEPTH = 64

# Literals that start the shape rules (case-sensitive, as the rules are).
SHAPE_TRIGGERS = ("-----BEGIN", "sk-", "AIza", "AKIA", "ASIA", "ABIA", "ACCA", "ghp_", "gho_",
                  "ghu_", "ghs_", "ghr_", "github_pat_", "xox", "xapp-", "://")
# Keywords (lowercased) that start the field rule; a field also needs ':' or '='.
FIELD_WORDS = ("passw", "pwd", "secret", "key", "token", "credential", "auth", "private", "api")
AUTH_WORDS = ("bearer", "basic")
PASSWORD_KEYS = ("password", "passwd", "pwd")
SECRET_KEYS = ("secret", "apikey", "accesskey", "privatekey", "secretkey", "sessiontoken",
               "token", "authorization")


def may_hold_secret(text: str, lowered: str, env_file: bool) -> bool:
    """False only when no redaction rule can match ``text``."""
    if any(trigger in text for trigger in SHAPE_TRIGGERS):
        return True
    if any(word in lowered for word in AUTH_WORDS):
        return True
    has_separator = "=" in text or ":" in text
    if has_separator and any(word in lowered for word in FIELD_WORDS):
        return True
    return env_file and "=" in text


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
    """strip_private then redact_secrets; returns (text, had_private)."""
    stripped, had_private = strip_private(text)
    return redact_secrets(stripped, env_file=env_file), had_private


def scrub_value(value: object, *, env_file: bool = False) -> tuple[object, bool]:
    """scrub every string in a JSON-like value; secret-named dict keys hide their value."""
    return _scrub_any(value, env_file, 0)


def _scrub_any(value: object, env_file: bool, depth: int) -> tuple[object, bool]:
    if depth > MAX_DEPTH:
        return TOO_DEEP, False
    if isinstance(value, str):
        return scrub(value, env_file=env_file)
    if isinstance(value, dict):
        return _scrub_dict(value, env_file, depth)
    if isinstance(value, (list, tuple)):
        pairs = [_scrub_any(item, env_file, depth + 1) for item in value]
        items = [item for item, _ in pairs]
        return (items if isinstance(value, list) else tuple(items)), any(f for _, f in pairs)
    return value, False


def _scrub_dict(value: dict[object, object], env_file: bool, depth: int) -> tuple[object, bool]:
    result: dict[object, object] = {}
    found = False
    for key, item in value.items():
        kind = key_kind(key) if isinstance(item, str) and item else None
        if kind:
            result[key] = f"[REDACTED:{kind}]"
            continue
        result[key], flag = _scrub_any(item, env_file, depth + 1)
        found = found or flag
    return result, found


def key_kind(key: object) -> str | None:
    """Marker kind for the value of a dict key that names a password or secret."""
    if not isinstance(key, str):
        return None
    compact = key.lower().replace("_", "").replace("-", "")
    if compact.endswith(PASSWORD_KEYS):
        return "password-field"
    return "secret-field" if compact.endswith(SECRET_KEYS) else None
