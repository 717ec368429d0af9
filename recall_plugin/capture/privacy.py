"""Privacy filter for everything a hook captures, applied before anything touches disk.

* ``<private>...</private>`` blocks - the user's "never remember this" - become ``[private]``.
  Tags are case-insensitive and may nest or span lines; an unclosed ``<private>`` hides the rest
  of the text (fail safe); a stray ``</private>`` is dropped.
* Secrets become a visible ``[REDACTED:<kind>]``, so a memory still says what was there: keys
  known by shape (Anthropic, OpenRouter, OpenAI, Google, AWS key ids, GitHub, Slack, PEM private
  keys), URL passwords, Bearer/Basic tokens, password/secret/API-key fields, and ``NAME=value``
  whose name has a sensitive part (KEY, SECRET, TOKEN, PASSWORD, ...) - every ``NAME=value`` of
  a ``.env`` file. Left alone: git SHAs, UUIDs, ``sk-learn``, token counts, paths and code-like
  values (``password: str``, ``key=lambda``, ``$VAR``). Redacting twice changes nothing.

It runs on the hook hot path: only ``re``, a few patterns compiled at import, each starting with
a literal (so the engine skips ahead) and free of overlapping quantifiers (so it stays linear).
Keyword rules match a lowercased copy of the text, whose offsets equal the original's.
"""

from __future__ import annotations

import re

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    Span = tuple[int, int, str]

PRIVATE_MARKER = "[private]"
_REDACTED = "[REDACTED:"
_TOO_DEEP = "[too deep]"
_MAX_DEPTH = 64
_SLACK_HOOK = "https://hooks.slack.com/services/"

_PRIVATE_TAG = re.compile(r"<(/?)private\s*>", re.IGNORECASE)

# Secrets known by their shape. The lookbehind right after each literal acts as a leading \b
# while keeping the literal first (a leading \b would cost a full attempt at every offset).
_SHAPED = re.compile(
    r"-----BEGIN[A-Z0-9 ]{0,40}PRIVATE KEY(?s:.*?)"
    r"(?:-----END[A-Z0-9 ]{0,40}PRIVATE KEY[A-Z ]{0,12}-----|\Z)"
    r"|sk-(?<!\wsk-)[\w-]{20,}"
    r"|AIza(?<!\wAIza)[\w-]{35}"
    r"|A(?<!\wA)(?:KIA|SIA|BIA|CCA)[A-Z0-9]{16}(?!\w)"
    r"|gh[pousr]_(?<!\wgh._)[A-Za-z0-9]{36,}|github_pat_(?<!\wgithub_pat_)\w{22,}"
    r"|xox[abposr]-(?<!\wxox.-)[\w-]{10,}|xapp-(?<!\wxapp-)[\w-]{10,}"
    r"|https://hooks\.slack\.com/services/[\w/-]+"
    r"|://[^\s:@/]*:[^\s/?#]+@",
    re.ASCII,
)
_SHAPE_KINDS = (
    ("-----", "private-key"), ("sk-ant-", "anthropic-key"), ("sk-or-", "openrouter-key"),
    ("sk-", "openai-key"), ("AIza", "google-api-key"), ("g", "github-token"),
    ("x", "slack-token"), ("A", "aws-access-key-id"),
)

# Matched on lowercased text: "Authorization: Bearer <token>" and "Authorization: Basic <b64>".
_AUTH = re.compile(
    r"bearer[ \t]+(?P<bearer_token>[\w.~+/=-]{16,})"
    r"|authorization[ \t]*:[ \t]*basic[ \t]+(?P<basic_auth>[\w+/=]{8,})",
    re.ASCII,
)
# Matched on lowercased text: a name with a sensitive part, a separator, then a value: "double"
# or 'single' quoted (possibly JSON-escaped) or bare. Which names count is decided in _field_kind.
# The name's tail sits in a lookahead, which never backtracks: the usual atomic-group stand-in.
_FIELD = re.compile(
    r"(?:passw(?:or)?d|pwd|secrets?|keys?|token|credentials?|auth|private|api)"
    r"(?:[_.-](?=(?P<tail>[\w.-]{0,63}))(?P=tail))?"
    r"(?P<sep>\\*[\"']?[ \t]*[:=](?![=:>])[ \t]*)"
    r"(?:\\*\"(?P<dq>[^\"\\\r\n]+)|\\*'(?P<sq>[^'\\\r\n]+)|(?P<bare>[^\s\"'\\,;&)}\]]+))",
    re.ASCII,
)
# Bare values that are code or placeholders, not secrets (checked lowercased).
_NOT_A_SECRET = re.compile(
    r"[\[$%{<*]"
    r"|(?:none|null|nil|true|false|undefined|lambda|str|bytes|int|bool|string|number|boolean"
    r"|object|any)(?![\w-])"
    r"|(?:self|this|cls|os|args|options|config|settings|process)\."
    r"|[a-z_][\w.]*[(\[]",
    re.ASCII,
)
# One KEY=value line of a .env file.
_ENV_LINE = re.compile(
    r"^([ \t]*(?:export[ \t]+)?[A-Za-z_][\w.-]*[ \t]*=[ \t]*)([^\r\n]*)", re.MULTILINE | re.ASCII
)

_PASSWORD_WORDS = ("password", "passwd", "pwd")
_SECRET_WORDS = ("secret", "apikey", "accesskey", "privatekey", "secretkey", "sessiontoken")
_KEY_SECRET_WORDS = (*_SECRET_WORDS, "token", "authorization")


def _mark(kind: str) -> str:
    return f"{_REDACTED}{kind}]"


def strip_private(text: str) -> tuple[str, bool]:
    """Replace every <private> block by PRIVATE_MARKER; return (text, anything removed)."""
    parts: list[str] = []
    depth = pos = 0
    for tag in _PRIVATE_TAG.finditer(text):
        closing = tag.group(1) == "/"
        if depth == 0:
            parts.append(text[pos : tag.start()])
            pos = tag.end()
            depth = 0 if closing else 1  # a stray closer is simply dropped
        elif closing:
            depth -= 1
            if depth == 0:
                parts.append(PRIVATE_MARKER)
                pos = tag.end()
        else:
            depth += 1
    if not parts:
        return text, False
    if depth:
        parts.append(PRIVATE_MARKER)  # unclosed: hide everything to the end
        pos = len(text)
    parts.append(text[pos:])
    return "".join(parts), True


def is_entirely_private(text: str) -> bool:
    """True when text had a private block and only whitespace and markers remain."""
    stripped, removed = strip_private(text)
    return removed and not stripped.replace(PRIVATE_MARKER, "").strip()


def redact_secrets(text: str, *, env_file: bool = False) -> str:
    """Replace secrets by [REDACTED:<kind>]; env_file=True redacts every KEY=value value."""
    if not text:
        return text
    text = _SHAPED.sub(_shaped_replacement, text)
    text = _replace_lowered(text, _AUTH, _auth_span)
    text = _replace_lowered(text, _FIELD, _field_span)
    if env_file:
        text = _ENV_LINE.sub(_env_line_replacement, text)
    return text


def scrub(text: str, *, env_file: bool = False) -> tuple[str, bool]:
    """strip_private then redact_secrets; returns (text, had_private)."""
    stripped, had_private = strip_private(text)
    return redact_secrets(stripped, env_file=env_file), had_private


def scrub_value(value: object, *, env_file: bool = False) -> tuple[object, bool]:
    """scrub every string in a JSON-like value; secret-named dict keys hide their value."""
    return _scrub_any(value, env_file, 0)


def _scrub_any(value: object, env_file: bool, depth: int) -> tuple[object, bool]:
    if depth > _MAX_DEPTH:
        return _TOO_DEEP, False
    if isinstance(value, str):
        return scrub(value, env_file=env_file)
    if isinstance(value, dict):
        return _scrub_dict(value, env_file, depth)
    if isinstance(value, (list, tuple)):
        pairs = [_scrub_any(item, env_file, depth + 1) for item in value]
        items = [item for item, _ in pairs]
        found = any(flag for _, flag in pairs)
        return (items if isinstance(value, list) else tuple(items)), found
    return value, False


def _scrub_dict(value: dict[object, object], env_file: bool, depth: int) -> tuple[object, bool]:
    result: dict[object, object] = {}
    found = False
    for key, item in value.items():
        kind = _key_kind(key) if isinstance(item, str) and item else None
        if kind:
            result[key] = _mark(kind)
            continue
        result[key], flag = _scrub_any(item, env_file, depth + 1)
        found = found or flag
    return result, found


def _key_kind(key: object) -> str | None:
    """Marker kind for the value of a dict key that names a password or secret."""
    if not isinstance(key, str):
        return None
    compact = key.lower().replace("_", "").replace("-", "")
    if compact.endswith(_PASSWORD_WORDS):
        return "password-field"
    return "secret-field" if compact.endswith(_KEY_SECRET_WORDS) else None


def _shaped_replacement(match: re.Match[str]) -> str:
    found = match.group()
    if found.startswith("://"):  # scheme://user:password@host
        colon = found.index(":", 3)
        if _is_placeholder(found[colon + 1 : -1], quoted=False):
            return found
        return f"{found[: colon + 1]}{_mark('url-password')}@"
    if found.startswith(_SLACK_HOOK):
        return _SLACK_HOOK + _mark("slack-token")
    if found.startswith("sk-") and found.islower() and found.replace("-", "").isalpha():
        return found  # no digit, no capital, no _: a word like sk-learn-compatible-estimator
    kind = next(kind for prefix, kind in _SHAPE_KINDS if found.startswith(prefix))
    return _mark(kind)


def _replace_lowered(
    text: str, pattern: re.Pattern[str], decide: Callable[[re.Match[str], str], Span | None]
) -> str:
    """Run pattern on a lowercased copy; replace the spans decide() returns in the original."""
    lowered = text.lower()
    if len(lowered) != len(text):  # a rare character (U+0130) lowercases to two
        lowered = "".join(char.lower()[:1] for char in text)
    parts: list[str] = []
    pos = 0
    for match in pattern.finditer(lowered):
        span = decide(match, text)
        if span is not None:
            parts += (text[pos : span[0]], span[2])
            pos = span[1]
    if not parts:
        return text
    parts.append(text[pos:])
    return "".join(parts)


def _auth_span(match: re.Match[str], text: str) -> Span | None:
    group = match.lastgroup or ""  # named after its marker kind: bearer_token or basic_auth
    return *match.span(group), _mark(group.replace("_", "-"))


def _field_span(match: re.Match[str], text: str) -> Span | None:
    group = match.lastgroup or "bare"  # dq, sq or bare: whichever value form matched
    start, end = match.span(group)
    quoted = group != "bare"
    sep_at = match.start("sep")
    name_at = _name_start(match.string, sep_at)
    if _is_placeholder(text[start:end], quoted):
        return None
    if not quoted and match.group(group) == match.string[name_at:sep_at]:
        return None  # secret_key=secret_key passes a variable along
    name = match.string[name_at:sep_at].replace("_", "").replace("-", "").replace(".", "")
    assign = match.group("sep") == "="
    upper = assign and text[name_at:sep_at].isupper()  # NAME=value, as in a shell or .env
    alone = assign and _stands_alone(text, name_at)
    kind = _field_kind(name, upper, alone, quoted, text[start:end])
    return None if kind is None else (start, end, _mark(kind))


def _name_start(lowered: str, end: int) -> int:
    """Where the name (letters, digits, _ - .) ending at end starts; looks back 200 at most."""
    start = end
    while start > max(0, end - 200) and (lowered[start - 1].isalnum()
                                         or lowered[start - 1] in "_-."):
        start -= 1
    return start


def _stands_alone(text: str, at: int) -> bool:
    """name=value at the very start of a line (or after export), or as a URL query parameter.
    Indented lines are left out: there name=value is usually a keyword argument."""
    if text[max(0, at - 7) : at] == "export ":
        at -= 7
    return at == 0 or text[at - 1] in "\n?&"


def _field_kind(name: str, upper: bool, alone: bool, quoted: bool, value: str) -> str | None:
    """Marker kind for the value of the compacted, lowercased name; None keeps it."""
    if name.endswith("secretaccesskey"):
        return "aws-secret-key"
    if name.endswith("pwd") and value[0] in "/~":
        return None  # PWD=/home/me is the working directory
    if upper:
        return "env-value"
    if name.endswith(_PASSWORD_WORDS):
        return "password-field"
    if name.endswith(_SECRET_WORDS) or (quoted and name.endswith("token")):
        return "secret-field"
    return "env-value" if alone else None


def _is_placeholder(value: str, quoted: bool) -> bool:
    """Already redacted, or (when bare) code or a placeholder rather than a secret."""
    bare_code = not quoted and _NOT_A_SECRET.match(value.lower()) is not None
    return bare_code or value.startswith(_REDACTED)


def _env_line_replacement(match: re.Match[str]) -> str:
    """Redact a .env value, keeping its quotes; empty and already-redacted values stay."""
    head, value = match.group(1), match.group(2).rstrip()
    quote = value[0] if len(value) > 1 and value[0] in "'\"" and value[-1] == value[0] else ""
    inner = value[1:-1] if quote else value
    if not inner or inner.startswith(_REDACTED):
        return match.group()
    return f"{head}{quote}{_mark('env-value')}{quote}"
