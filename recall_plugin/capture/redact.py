"""The rules behind ``privacy``: what is removed and redacted, and how.

* ``<private>...</private>`` blocks - the user's "never remember this" - become ``[private]``.
  Tags are case-insensitive and may nest or span lines; an unclosed ``<private>`` hides the rest
  of the text (fail safe); a stray ``</private>`` is dropped. Past ``MAX_TAGS`` tags the text is
  cut at the first one (bounded work, still fail safe).
* Secrets become a visible ``[REDACTED:<kind>]``, so a memory still says what was there:
  tokens known by their documented prefix (``formats.PREFIXES``: AI providers, clouds, source
  hosts, CI, chat, payments, registries, SaaS), JWTs, private-key blocks (PEM, PGP, OpenSSH,
  PuTTY), webhook URLs, URL passwords, Bearer credentials, and (``fields``) values under
  secret-like names in any syntax, HTTP auth headers, CLI flags, credential files.

No regular expressions: every rule starts from a literal found with ``str.find`` (C speed), and
examines only its hits, so the cost is linear and ``re`` (~5 ms to import, more to compile
60 formats) stays off the hook hot path. Redacting twice is a no-op.
"""

from __future__ import annotations

from . import fields, formats, judge

PRIVATE_MARKER = "[private]"
MAX_TAGS = 20_000
MAX_TOKEN = 8192  # longest token examined (a longer run is still redacted, up to here)
_REDACTED = judge.REDACTED
_WD = frozenset(formats.WD)
_TOKEN_STOP = "\n"

TYPE_CHECKING = False
if TYPE_CHECKING:
    Span = tuple[int, int, int, str]  # start, end, priority, replacement


def mark(kind: str) -> str:
    return f"{_REDACTED}{kind}]"


# -- <private> --------------------------------------------------------------------------------
def _tags(lowered: str) -> list[tuple[int, int, bool]]:
    """(start, end, closing) of every <private> / </private> tag (spaces allowed before >)."""
    found: list[tuple[int, int, bool]] = []
    at = lowered.find("private")
    while at >= 0:
        closing = lowered[at - 2 : at] == "</"
        start = at - 2 if closing else at - 1
        end = at + 7
        while end < len(lowered) and lowered[end] in " \t\r\n":
            end += 1
        if start >= 0 and lowered[start] == "<" and lowered[end : end + 1] == ">":
            found.append((start, end + 1, closing))
            if len(found) > MAX_TAGS:
                break
        at = lowered.find("private", at + 7)
    return found


def strip_private(text: str) -> tuple[str, bool]:
    """Replace every <private> block by PRIVATE_MARKER; return (text, anything removed)."""
    tags = _tags(judge.lowercase(text))
    if not tags:
        return text, False
    if len(tags) > MAX_TAGS:  # adversarial: hide everything from the first tag on
        return text[: tags[0][0]] + PRIVATE_MARKER, True
    parts: list[str] = []
    depth = pos = 0
    for start, end, closing in tags:
        if depth == 0:
            parts.append(text[pos:start])
            pos = end
            depth = 0 if closing else 1  # a stray closer is simply dropped
        elif closing:
            depth -= 1
            if depth == 0:
                parts.append(PRIVATE_MARKER)
                pos = end
        else:
            depth += 1
    if depth:
        parts.append(PRIVATE_MARKER)  # unclosed: hide everything to the end
        pos = len(text)
    parts.append(text[pos:])
    return "".join(parts), True


# -- secrets ----------------------------------------------------------------------------------
def redact_secrets(text: str, *, env_file: bool = False) -> str:
    """Replace secrets by [REDACTED:<kind>]; env_file=True redacts every KEY=value value."""
    if not text:
        return text
    spans: list[Span] = []
    _pem_spans(text, spans)
    _prefix_spans(text, spans)
    _infix_spans(text, spans)
    lowered = judge.lowercase(text)
    _bearer_spans(text, lowered, spans)
    fields.field_spans(text, lowered, spans)
    _RUN.clear()
    text = apply(text, spans) if spans else text
    if env_file:  # then every remaining value of the file
        spans = []
        fields.env_spans(text, spans)
        text = apply(text, spans) if spans else text
    _RUN.clear()
    return text


def scrub(text: str) -> str:
    """Defence in depth off the hot path (extractor, export): private blocks and secrets."""
    return redact_secrets(strip_private(text)[0])


def apply(text: str, spans: list[Span]) -> str:
    """Replace the spans (overlaps merged; the highest priority names the merged span)."""
    spans.sort()
    parts: list[str] = []
    pos = 0
    start, end, prio, marker = spans[0]
    for s, e, p, m in spans[1:]:
        if s < end:
            if p > prio:
                prio, marker = p, m
            end = max(end, e)
            continue
        parts += (text[pos:start], marker)
        pos = end
        start, end, prio, marker = s, e, p, m
    parts += (text[pos:start], marker, text[end:])
    return "".join(parts)


def token_end(text: str, start: int, alphabet: str) -> int:
    """End of the run of ``alphabet`` characters starting at ``start`` (at most MAX_TOKEN).

    Rules call this for every hit of their literal, and a hostile text (``eyJeyJeyJ...``)
    puts a hit every few characters inside one long run: the last run is remembered, so a
    later start inside it costs only the characters not read yet (linear, not hits x run)."""
    known, open_from = _RUN.get(alphabet), start
    if known is not None and known[0] is text and known[1] <= start <= known[2]:
        if known[2] - known[1] < MAX_TOKEN:
            return known[2]  # that run ended (a stop character or the text's end) before a cap
        open_from = known[2]  # capped: the run goes on at least to there
    chunk = text[open_from : start + MAX_TOKEN]
    end = open_from + len(chunk) - len(chunk.lstrip(alphabet))
    _RUN[alphabet] = (text, start, end)
    return end


_RUN: dict[str, tuple[str, int, int]] = {}  # alphabet -> (text, start, end) of the last run


def _boundary(text: str, at: int) -> bool:
    return at == 0 or not (text[at - 1].isalnum() or text[at - 1] == "_")


def _wordy(body: str) -> bool:
    """Only lowercase words and numbers (a slug or file name, not a key)."""
    for part in body.replace("_", "-").replace(".", "-").split("-"):
        if part and not (part.isdigit() or (part.isalpha() and part.islower())):
            return False
    return True


def _wrapped(text: str, end: int, alphabet: str) -> int:
    """A token wrapped onto the next line: the continuation is taken in when that line is
    nothing but token characters, with a digit or an upper-case letter."""
    nl = end + (2 if text[end : end + 2] == "\r\n" else 1)
    if text[end : end + 1] not in ("\n", "\r") or nl >= len(text):
        return end
    stop = token_end(text, nl, alphabet)
    line_done = stop == len(text) or text[stop] in "\r\n \t\"'"
    piece = text[nl:stop]
    if line_done and len(piece) >= 8 and not _wordy(piece) and not piece.isalpha():
        return stop
    return end


def _prefix_spans(text: str, spans: list[Span]) -> None:
    claimed: set[int] = set()
    for prefix, kind, alphabet, minimum in formats.PREFIXES:
        at = text.find(prefix)
        while at >= 0:
            if at in claimed or not _boundary(text, at):  # cheap checks before the run
                at = text.find(prefix, at + 1)
                continue
            body_at = at + len(prefix)
            end = token_end(text, body_at, alphabet)
            if end - body_at >= minimum and not _wordy(text[body_at:end]):
                claimed.add(at)
                spans.append((at, _wrapped(text, end, alphabet), 6, mark(kind)))
            # A later hit inside this run has a body that is a suffix of this one's: no longer
            # and no less wordy, so it cannot pass where this one failed (linear, not n^2).
            at = text.find(prefix, max(end, at + 1))


def _pem_spans(text: str, spans: list[Span]) -> None:
    """PEM/PGP/OpenSSH private-key blocks (an unterminated one runs to the end; an END whose
    BEGIN was cut off starts where its base64 lines do) and PuTTY private lines."""
    covered = 0
    at = text.find("-----BEGIN ")
    while at >= 0:
        close = text.find("-----", at + 11, at + 90)
        if close >= 0 and "PRIVATE KEY" in text[at:close]:
            end_at = text.find("-----END", close + 5)
            stop = text.find("-----", end_at + 8, end_at + 90) if end_at >= 0 else -1
            covered = stop + 5 if stop >= 0 else len(text)
            spans.append((at, covered, 8, mark("private-key")))
            at = text.find("-----BEGIN ", covered)
        else:
            at = text.find("-----BEGIN ", at + 1)
    at = text.find("-----END ", covered)
    while 0 <= at < len(text):
        close = text.find("-----", at + 9, at + 90)
        if close >= 0 and "PRIVATE KEY" in text[at:close]:
            spans.append((_b64_lines_start(text, at), close + 5, 8, mark("private-key")))
        at = text.find("-----END ", at + 9)
    at = text.find("Private-Lines:")
    if at >= 0 and "PuTTY-User-Key-File-" in text:
        mac = text.find("Private-MAC:", at)
        stop = text.find("\n", mac) if mac >= 0 else -1
        spans.append((at, stop if stop >= 0 else len(text), 8, mark("private-key")))


def _b64_lines_start(text: str, at: int) -> int:
    """Start of the run of base64-only lines that ends at ``at``."""
    start = at
    while start > 0:
        prev = text.rfind("\n", 0, start - 1) + 1
        line = text[prev : start - 1].strip()
        if not line or line.strip(formats.B64 + "-_"):
            break
        start = prev
    return start


def _infix_spans(text: str, spans: list[Span]) -> None:
    _jwt_spans(text, spans)
    _around(text, spans, ":AA", "telegram-bot-token", _telegram)
    _around(text, spans, "Q~", "azure-client-secret", _azure)
    _around(text, spans, ":APA91b", "firebase-key", _fcm)
    _around(text, spans, ".atlasv1.", "terraform-token", _atlas)
    for marker, kind in formats.WEBHOOKS:
        at = text.find(marker)
        while at >= 0:
            start = at + len(marker)
            end = token_end(text, start, formats.WD + "/")
            if end - start >= 8:
                spans.append((start, end, 6, mark(kind)))
            at = text.find(marker, end)
    fields.url_password_spans(text, spans)


def _around(text: str, spans: list[Span], needle: str, kind: str, check: Checker) -> None:
    at = text.find(needle)
    while at >= 0:
        found = check(text, at)
        if found:
            spans.append((found[0], found[1], 6, mark(kind)))
        at = text.find(needle, at + len(needle))


def _jwt_spans(text: str, spans: list[Span]) -> None:
    at = text.find(formats.JWT_START)
    while at >= 0:
        end = _jwt_end(text, at)
        public = text[max(0, at - 3) : at] == "pk."  # a Mapbox public token
        if end and (at == 0 or text[at - 1] not in _WD) and not public:
            spans.append((at, end, 4, mark("jwt")))
            at = text.find(formats.JWT_START, end)
        else:
            at = text.find(formats.JWT_START, at + 3)


def _jwt_end(text: str, at: int) -> int:
    """End of header.payload.signature starting at ``at`` (payload also starts eyJ), or 0."""
    first = token_end(text, at, formats.WD)
    if first - at < 10 or text[first : first + 4] != "." + formats.JWT_START:
        return 0
    second = token_end(text, first + 1, formats.WD)
    if second - first < 10 or text[second : second + 1] != ".":
        return 0
    return token_end(text, second + 1, formats.WD)


def _telegram(text: str, at: int) -> tuple[int, int] | None:
    start = at
    while start > 0 and at - start < 10 and text[start - 1].isdigit():
        start -= 1
    end = token_end(text, at + 3, formats.WD)
    if at - start >= 8 and _boundary(text, start) and end - at - 3 >= 33:
        return start, end
    return None


def _azure(text: str, at: int) -> tuple[int, int] | None:
    alphabet = formats.WDD + "~"
    start = at - 4
    if start < 0 or not text[at - 1].isdigit() or text[start:at].strip(alphabet):
        return None
    end = token_end(text, at + 2, alphabet)
    if (start == 0 or text[start - 1] not in alphabet) and end - at - 2 >= 31:
        return start, end
    return None


def _fcm(text: str, at: int) -> tuple[int, int] | None:
    start = at
    while start > 0 and at - start < 64 and text[start - 1] in _WD:
        start -= 1
    end = token_end(text, at + 1, formats.WD)
    return (start, end) if at - start >= 8 and end - at >= 100 else None


def _atlas(text: str, at: int) -> tuple[int, int] | None:
    start = at
    while start > 0 and at - start < 14 and text[start - 1].isalnum():
        start -= 1
    end = token_end(text, at + 9, formats.WD)
    return (start, end) if at - start == 14 and end - at >= 60 else None


def _bearer_spans(text: str, lowered: str, spans: list[Span]) -> None:
    """``Bearer <credential>`` anywhere; the credential must look like one (not prose)."""
    at = lowered.find("bearer")
    budget = fields.MAX_HITS
    while at >= 0:
        budget -= 1
        if budget < 0:  # adversarial density: hide the rest rather than scan it
            spans.append((at, len(text), 0, mark(judge.TOO_DENSE)))
            return
        start = at + 6
        while start < len(text) and text[start] in " \t":
            start += 1
        end = token_end(text, start, formats.WDD + "~+/=")
        value = text[start:end]
        if (start > at + 6 and _boundary(text, at) and end - start >= 16
                and judge.plausible(value) and not judge.placeholder(value)):
            spans.append((start, end, 4, mark("bearer-token")))
        at = lowered.find("bearer", max(end, at + 6))


if TYPE_CHECKING:
    from collections.abc import Callable

    Checker = Callable[[str, int], "tuple[int, int] | None"]
