"""Secrets found by their name rather than their shape (the half of ``redact`` that reads names).

* ``name <sep> value`` where the name looks secret (``formats.STRONG_SUFFIXES``, or a
  ``WEAK_WORDS`` word whose value must also look like a secret): ``KEY=value``, ``key: value``,
  ``"key": "value"`` (also JSON-escaped), ``key = 'value'``, ``'key' => 'value'``,
  ``define('KEY', 'value')``, ``<key>value</key>``, ``--key value`` / ``--key=value``,
  ``os.environ["KEY"] = "value"``. HTTP headers (``Authorization``, ``Cookie``...) lose the
  rest of their line, with the auth scheme kept.
* CLI flags: ``mysql -pX``, ``curl -u user:pw``, ``docker login -p X``, ``sshpass -p X``,
  ``redis-cli -a X``.
* Credential files: ``.netrc`` ``password``, ``.pgpass`` lines, every value of a ``.env`` file.
* URL passwords: ``scheme://user:password@host``.

Code and placeholders are left alone: ``password: str``, ``key=lambda``, ``$VAR``, ``${X}``,
``<your-key>``, ``os.environ[...]``, calls and subscripts (what counts as either, and what a
name says, is ``judge``'s to tell).
"""

from __future__ import annotations

from . import formats, judge

NAME_CHARS = frozenset(formats.W + "-.")
# Lowercase substrings every secret-like name contains (where the name scan starts).
TRIGGERS = ("pass", "pwd", "pw", "secret", "key", "token", "auth", "cred", "cookie", "session",
            "jwt", "bearer", "dsn", "conn", "pat", "pin", "sk", "sig", "salt", "hmac", "otp",
            "seed", "mnemonic", "private")
_VALUE_STOPS = " \t\r\n\"'\\,;&)}]`<>|"
MAX_HITS = 4000  # candidate names examined per text; past that the rest is hidden
# A value is judged by at most its first MAX_PROBE characters, so that many candidate names
# inside one long run (``token=token=...``) cost each a bounded look, never the whole run.
MAX_PROBE = 256
_HEADERS = ("authorization", "proxyauthorization", "cookie", "setcookie")

REDACTED, TOO_DENSE = judge.REDACTED, judge.TOO_DENSE
classify, mark, placeholder, plausible = judge.classify, judge.mark, judge.placeholder, judge.plausible

TYPE_CHECKING = False
if TYPE_CHECKING:
    Span = tuple[int, int, int, str]


# -- name <sep> value ------------------------------------------------------------------------
def field_spans(text: str, lowered: str, spans: list[Span]) -> None:
    hits: list[int] = []
    for trigger in TRIGGERS:
        at = lowered.find(trigger)
        while at >= 0 and len(hits) <= MAX_HITS:
            hits.append(at)
            at = lowered.find(trigger, at + len(trigger))
    hits.sort()
    covered = 0
    for count, at in enumerate(hits):
        if at < covered:
            continue
        if count >= MAX_HITS:  # adversarial density: hide the rest rather than scan it
            spans.append((_name_start(text, at, covered), len(text), 0, mark(TOO_DENSE)))
            break
        start = _name_start(text, at, covered)
        covered = _one_field(text, lowered, start, spans)
    _cli_spans(text, lowered, spans)
    _line_spans(text, spans, False)
    _RUNS.clear()


def env_spans(text: str, spans: list[Span]) -> None:
    """Every value of a .env file (run on text whose other secrets are already redacted)."""
    _line_spans(text, spans, True)


def _name_start(text: str, at: int, floor: int = 0) -> int:
    start = at
    while start > floor and at - start < 100 and text[start - 1] in NAME_CHARS:
        start -= 1
    return start


def _one_field(text: str, lowered: str, start: int, spans: list[Span]) -> int:
    """Redact the value assigned to the name starting at ``start``; returns the name's end."""
    end = start
    while end < len(text) and end - start < 120 and text[end] in NAME_CHARS:
        end += 1
    name = text[start:end].lstrip("-.").rstrip("-.")
    found = _assignment(text, lowered, start, end) if name else None
    kind_strong = classify(name) if found else None
    if found is None or kind_strong is None:
        return end
    vstart, vend, sep = found
    kind, strong = kind_strong
    value = text[vstart : min(vend, vstart + MAX_PROBE)]
    span = _field_value(text, lowered, name, kind, strong, sep, vstart, vend, value, start)
    if span is None:
        return end
    spans.append(span)
    return max(end, span[1])  # nothing inside a redacted value needs a look of its own


def _field_value(text: str, lowered: str, name: str, kind: str, strong: bool, sep: str,
                 vstart: int, vend: int, value: str, start: int) -> Span | None:
    compact = name.lower().replace("_", "").replace("-", "")
    if compact in _HEADERS and sep in (":", "=") and not _quoted(text, vstart):
        vend = _line_end(text, vstart)
        value = text[vstart:vend].rstrip()
        vend = vstart + len(value)
        value = value[:MAX_PROBE]
    if compact.endswith("authorization"):
        scheme = value.split(" ", 1)[0].lower()
        if scheme in formats.AUTH_SCHEMES and " " in value:
            skip = len(value) - len(value.split(" ", 1)[1].lstrip())
            vstart, value = vstart + skip, value[skip:]
            kind = {"bearer": "bearer-token", "basic": "basic-auth"}.get(scheme, kind)
    if placeholder(value) or value == name or (compact.endswith("pwd") and value[:1] in "/~"):
        return None
    upper = sep == "=" and name.isupper()
    alone = sep == "=" and _stands_alone(text, start)
    pin = kind == "pin" and value.isdigit() and 4 <= len(value) <= 12
    if not (strong or upper or alone or sep == "xml" or pin or plausible(value)):
        return None
    if upper and kind not in ("aws-secret-key", "pin"):
        kind = "env-value"
    if sep == "flag":
        kind = "cli-password" if kind == "password-field" else kind
    return vstart, vend, 2, mark(kind)


def _quoted(text: str, vstart: int) -> bool:
    return vstart > 0 and text[vstart - 1] in "\"'"


def _line_end(text: str, at: int) -> int:
    known = _known_end(text, at, "line")
    if known is not None:
        return known
    end = text.find("\n", at)
    end = len(text) if end < 0 else end
    for quote in ("\"", "'", "\\"):
        q = text.find(quote, at, end)
        if q >= 0:
            end = q
    return _remember(text, at, end, "line")


# The end of the last run scanned, per kind of run: a later position inside the same run ends
# where it ended (the stop characters are the same), so a text full of candidate names is
# scanned once, not once per name. Cleared after each text.
_RUNS: dict[str, tuple[str, int, int]] = {}


def _known_end(text: str, at: int, kind: str) -> int | None:
    run = _RUNS.get(kind)
    if run is not None and run[0] is text and run[1] <= at <= run[2]:
        return run[2]
    return None


def _remember(text: str, at: int, end: int, kind: str) -> int:
    _RUNS[kind] = (text, at, end)
    return end


def _stands_alone(text: str, at: int) -> bool:
    """name=value at the start of a line (or after export), or as a URL query parameter."""
    if text[max(0, at - 7) : at] == "export ":
        at -= 7
    return at == 0 or text[at - 1] in "\n?&"


def _skip(text: str, pos: int, chars: str) -> int:
    while pos < len(text) and text[pos] in chars:
        pos += 1
    return pos


def _assignment(text: str, lowered: str, start: int, end: int) -> tuple[int, int, str] | None:
    """(value start, value end, separator kind) of the value assigned to the name ending at
    ``end``, or None when no value follows."""
    pos = _skip(text, end, "\\")
    quoted_name = pos < len(text) and text[pos] in "\"'"
    if quoted_name:
        pos = _skip(text, pos + 1, "]")
    pos = _skip(text, pos, " \t")
    two = text[pos : pos + 2]
    if two in ("=>", ":="):
        sep, pos = "=", pos + 2
    elif (two[:1] == "=" and two != "==") or (two[:1] == ":" and two not in ("::", ":/")):
        sep, pos = two[:1], pos + 1
    elif two[:1] == "," and quoted_name and lowered[max(0, start - 12) : start].rstrip(
            "\"' ").endswith("define("):
        sep, pos = "=", pos + 1
    elif two[:1] == ">" and start > 0 and text[start - 1] == "<":
        close = text.find("<", pos + 1, pos + 2000)  # <name>value</...>: a closing tag follows
        return (pos + 1, close, "xml") if close > pos + 1 and text[close + 1 : close + 2] == "/" else None
    elif text[start : start + 2] == "--" and text[end : end + 1] == " ":
        sep = "flag"
    elif _netrc(lowered, start, end):
        sep = "netrc"
    else:
        return None
    return _value(text, _skip(text, pos, " \t"), sep)


def _netrc(lowered: str, start: int, end: int) -> bool:
    if lowered[start:end] not in ("password", "passwd") or lowered[end : end + 1] != " ":
        return False
    line = lowered[lowered.rfind("\n", 0, start) + 1 : start]
    return "machine " in lowered and (not line.strip() or "login " in line)


def _value(text: str, pos: int, sep: str) -> tuple[int, int, str] | None:
    if sep == "flag" and text[pos : pos + 1] == "-":
        return None
    escapes = _skip(text, pos, "\\") - pos
    quote = text[pos + escapes : pos + escapes + 1]
    if quote in ("\"", "'"):
        vstart = pos + escapes + 1
        closer = "\\" * escapes + quote
        vend = text.find(closer, vstart)
        while vend > vstart and escapes == 0 and text[vend - 1] == "\\":
            vend = text.find(closer, vend + 1)
        line = text.find("\n", vstart, vend if vend >= 0 else len(text))
        if vend < 0 or 0 <= line < vend:
            vend = line if line >= 0 else len(text)
        return (vstart, vend, sep) if vend > vstart else None
    known = _known_end(text, pos, "value")
    if known is None:
        known = pos
        while known < len(text) and text[known] not in _VALUE_STOPS:
            known += 1
        _remember(text, pos, known, "value")
    return (pos, known, sep) if known > pos else None


# -- CLI flags -------------------------------------------------------------------------------
def _cli_spans(text: str, lowered: str, spans: list[Span]) -> None:
    for tool in ("mysql", "mariadb"):
        for line_at, line in _lines_with(lowered, tool):
            _short_flag(text, line_at, line, " -p", attached=True, spans=spans)
    for tool in (" login", "sshpass"):
        for line_at, line in _lines_with(lowered, tool):
            _short_flag(text, line_at, line, " -p ", attached=False, spans=spans)
    for line_at, line in _lines_with(lowered, "redis-cli"):
        for flag in (" -a ", " --pass "):
            _short_flag(text, line_at, line, flag, attached=False, spans=spans)
    for tool in ("curl", "wget", "http", "ftp"):
        for line_at, line in _lines_with(lowered, tool):
            for flag in (" -u ", " -u", " --user ", " --user=", " --proxy-user "):
                _user_password(text, line_at, line, flag, spans)


def _lines_with(lowered: str, word: str) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    at = lowered.find(word)
    while at >= 0 and len(out) < 200:
        start = lowered.rfind("\n", 0, at) + 1
        end = lowered.find("\n", at)
        end = len(lowered) if end < 0 else end
        out.append((start, lowered[start:end]))
        at = lowered.find(word, end)
    return out


def _short_flag(text: str, line_at: int, line: str, flag: str, attached: bool,
                spans: list[Span]) -> None:
    at = line.find(flag)
    while at >= 0:
        vstart = line_at + at + len(flag)
        if attached and text[vstart : vstart + 1] in (" ", "-", ""):
            at = line.find(flag, at + 1)
            continue
        found = _value(text, vstart, "flag")
        if found and not placeholder(text[found[0] : found[1]]):
            spans.append((found[0], found[1], 2, mark("cli-password")))
        at = line.find(flag, at + 1)


def _user_password(text: str, line_at: int, line: str, flag: str, spans: list[Span]) -> None:
    at = line.find(flag)
    while at >= 0:
        found = _value(text, _skip(text, line_at + at + len(flag), " "), "flag")
        if found:
            token = text[found[0] : found[1]]
            colon = token.find(":")
            secret = token[colon + 1 :]
            if colon > 0 and secret and not secret.isdigit() and not placeholder(secret):
                spans.append((found[0] + colon + 1, found[1], 2, mark("cli-password")))
        at = line.find(flag, at + 1)


# -- whole lines: .pgpass, .env ------------------------------------------------------------
def _line_spans(text: str, spans: list[Span], env_file: bool) -> None:
    pos = 0
    size = len(text)
    while pos < size:
        end = text.find("\n", pos)
        end = size if end < 0 else end
        line = text[pos:end]
        if line.count(":") >= 4 and not env_file:
            _pgpass(line, pos, spans)
        if env_file and "=" in line:
            _env_line(line, pos, spans)
        pos = end + 1


def _pgpass(line: str, at: int, spans: list[Span]) -> None:
    """host:port:database:user:password, the port a number or *."""
    body = line.rstrip("\r")
    host, port, database, user, password = body.split(":", 4)
    host = host.split()[-1] if host.strip() else ""  # the line may start with other words
    if (port.isdigit() or port == "*") and host and user and " " not in database + user \
            and password and " " not in password and not placeholder(password):
        start = at + len(body) - len(password)
        spans.append((start, start + len(password), 2, mark("pgpass-password")))


def _env_line(line: str, at: int, spans: list[Span]) -> None:
    """Every value of a KEY=value line of a .env file (empty and redacted ones stay)."""
    body = line.lstrip(" \t")
    offset = len(line) - len(body)
    if body.startswith("export "):
        body = body[7:].lstrip(" \t")
        offset = len(line) - len(body)
    eq = body.find("=")
    name = body[:eq].rstrip(" \t")
    if eq <= 0 or not (name[0].isalpha() or name[0] == "_") or any(c not in NAME_CHARS for c in name):
        return
    vstart = offset + eq + 1 + (len(body[eq + 1 :]) - len(body[eq + 1 :].lstrip(" \t")))
    value = line[vstart:].rstrip()
    if len(value) > 1 and value[0] in "'\"" and value[-1] == value[0]:
        vstart, value = vstart + 1, value[1:-1]
    if value and not value.startswith(REDACTED):
        spans.append((at + vstart, at + vstart + len(value), 5, mark("env-value")))


# -- URL passwords --------------------------------------------------------------------------
def url_password_spans(text: str, spans: list[Span]) -> None:
    at = text.find("://")
    while at >= 0:
        start = at + 3
        end = start
        limit = min(len(text), start + 512)
        while end < limit and text[end] not in " \t\r\n/?#\"'<>`":
            end += 1
        userinfo = text[start:end]
        last_at = userinfo.rfind("@")
        colon = userinfo.find(":")
        if 0 <= colon < last_at and "[" not in userinfo[:colon]:
            password = userinfo[colon + 1 : last_at]
            if not placeholder(password):
                spans.append((start + colon + 1, start + last_at, 4, mark("url-password")))
        at = text.find("://", max(end, start))
