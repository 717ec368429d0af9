"""The regular expressions behind ``privacy``: what is removed and redacted, and how.

``privacy`` (the public face) imports this module only when a text could hold something to
remove, so a hook whose payload cannot skips ``re`` and these compiles altogether.

* ``<private>...</private>`` blocks - the user's "never remember this" - become ``[private]``.
  Tags are case-insensitive and may nest or span lines; an unclosed ``<private>`` hides the rest
  of the text (fail safe); a stray ``</private>`` is dropped.
* Secrets become a visible ``[REDACTED:<kind>]``, so a memory still says what was there: keys
  known by shape (Anthropic, OpenRouter, OpenAI, Google, AWS key ids, GitHub, Slack, PEM private
  keys), URL passwords, Bearer/Basic tokens, password/secret/API-key fields, and the value of
  ``NAME=value`` when the name has a sensitive part (KEY, SECRET, TOKEN, PASSWORD, ...) or the
  text is a ``.env`` file. Left alone: git SHAs, UUIDs, ``sk-learn``, token counts, paths and
  code-like values (``password: str``, ``key=lambda``, ``$VAR``). Redacting twice is a no-op.

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
    r"|://[^\s:@/\[]*:[^\s/?#]+@",
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
# Bare values that are code or placeholders rather than secrets (compared lowercased).
_CODE_WORDS = frozenset(("none", "null", "nil", "true", "false", "undefined", "lambda", "str",
                         "bytes", "int", "bool", "string", "number", "boolean", "object", "any"))
_CODE_STARTS = ("[", "$", "%", "{", "<", "*", "self.", "this.", "cls.", "os.", "args.",
                "options.", "config.", "settings.", "process.")
_NAME_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789_."
# One KEY=value line of a .env file.
_ENV_LINE = re.compile(
    r"^([ \t]*(?:export[ \t]+)?[A-Za-z_][\w.-]*[ \t]*=[ \t]*)([^\r\n]*)", re.MULTILINE | re.ASCII
)

_PASSWORD_WORDS = ("password", "passwd", "pwd")
_SECRET_WORDS = ("secret", "apikey", "accesskey", "privatekey", "secretkey", "sessiontoken")


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


def redact_secrets(text: str, *, env_file: bool = False) -> str:
    """Replace secrets by [REDACTED:<kind>]; env_file=True redacts every KEY=value value."""
    if not text:
        return text
    text = _SHAPED.sub(_shaped_replacement, text)
    lowered = _lowercase(text)
    if "bearer" in lowered or "basic" in lowered:
        redacted = _replace_spans(text, lowered, _AUTH, _auth_span)
        if redacted is not text:
            text, lowered = redacted, _lowercase(redacted)
    text = _replace_spans(text, lowered, _FIELD, _field_span)
    if env_file:
        text = _ENV_LINE.sub(_env_line_replacement, text)
    return text


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


def _lowercase(text: str) -> str:
    """text.lower(), with every offset kept (U+0130 alone lowercases to two characters)."""
    lowered = text.lower()
    if len(lowered) != len(text):
        lowered = "".join(char.lower()[:1] for char in text)
    return lowered


def _replace_spans(text: str, lowered: str, pattern: re.Pattern[str],
                   decide: Callable[[re.Match[str], str], Span | None]) -> str:
    """Run pattern on lowered; replace in text the spans that decide() returns."""
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
    return value.startswith(_REDACTED) or (not quoted and _looks_like_code(value.lower()))


def _looks_like_code(value: str) -> bool:
    """$VAR, {x}, <x>, ***, None, str, lambda, self.x, f(...), items[...] and the like."""
    rest = value.lstrip(_NAME_CHARS)  # what follows a leading name or dotted path
    name = value[: len(value) - len(rest)]
    if name[:1].isalpha() and rest[:1] in ("(", "["):
        return True  # a call or a subscript
    return value.startswith(_CODE_STARTS) or (name in _CODE_WORDS and rest[:1] != "-")


def _env_line_replacement(match: re.Match[str]) -> str:
    """Redact a .env value, keeping its quotes; empty and already-redacted values stay."""
    head, value = match.group(1), match.group(2).rstrip()
    quote = value[0] if len(value) > 1 and value[0] in "'\"" and value[-1] == value[0] else ""
    inner = value[1:-1] if quote else value
    if not inner or inner.startswith(_REDACTED):
        return match.group()
    return f"{head}{quote}{_mark('env-value')}{quote}"
