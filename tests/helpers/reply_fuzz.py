"""The one fuzzer of the reply parser: what a model might send, and the contract every parse
result keeps.

Inputs (all bounded): ``st.text``, ``tag_soup()`` and ``replies()``, valid replies in two
shapes (bare blocks with a summary; a fenced ``<observations>`` list with a synonym type)
mutated 1 to 8 times: a markup piece or a few characters inserted, a stretch deleted,
duplicated or upper-cased, the rest cut off. ``check`` runs the parser proper (``parse._parse``,
without the safety net that turns any bug into ``ReplyParseError``) and ``parse_reply`` on one
input; ``assert_storable`` holds each result to the contract: records of the right shapes and
sizes that the importer's validator accepts too. ``fuzz(n)``: hypothesis settings with no
deadline and no example database; nothing here is timed.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from recall_plugin.errors import ReplyParseError
from recall_plugin.extract import parse
from recall_plugin.extract.parse import ParsedReply, parse_reply
from recall_plugin.lifecycle.transfer import parse_record
from recall_plugin.vocab import OBSERVATION_TYPES

SLOW_CHECKS = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large]

GOOD = """\
<observation>
  <type>bugfix</type>
  <title>Fix retry storm in uploader</title>
  <subtitle>Backoff now honours Retry-After</subtitle>
  <facts><fact>uploader.py retried 429s immediately</fact><fact>Retry-After is in seconds</fact></facts>
  <narrative>The uploader ignored Retry-After.
    It now sleeps for it.</narrative>
  <concepts><concept>retry</concept><concept>rate-limit</concept></concepts>
  <files_read><file>src/uploader.py</file><file>docs/api.md</file></files_read>
  <files_modified><file>src/uploader.py</file></files_modified>
</observation>"""

SUMMARY = """<summary>
  <request>Stop the retry storm</request><investigated>uploader logs</investigated>
  <learned>429s carry Retry-After</learned><completed>backoff fixed</completed>
  <next_steps>add jitter</next_steps><notes>none</notes>
</summary>"""


def obs(title: str = "A title", kind: str = "feature", extra: str = "") -> str:
    return f"<observation><type>{kind}</type><title>{title}</title>{extra}</observation>"


BARE = (
    "<observation><type>bugfix</type><title>Retry backs off</title><subtitle>s</subtitle>"
    "<facts><fact>retry doubles</fact><fact>max 1h</fact></facts><narrative>line one\n  two</narrative>"
    "<concepts><concept>retry</concept></concepts><files_read><file>src/a.py</file></files_read>"
    "<files_modified><file>src/retry.py</file></files_modified></observation>"
    "<summary><request>r</request><investigated>i</investigated><learned>l</learned>"
    "<completed>c</completed><next_steps>n</next_steps><notes></notes></summary>")
FENCED = (f"Here:\n```xml\n<observations>{GOOD}\n{obs('Second &amp; last', 'fix')}</observations>\n"
          f"{SUMMARY}\n```")
# (valid reply, the session's cwd, paths the session may have touched)
BASES = ((BARE, "/repo", ("/repo/src/retry.py", "/repo/src/a.py")),
         (FENCED, "/w", ("/w/src/uploader.py", "docs/api.md", "/x")))
PIECES = ("<", ">", "</", "/>", "&", "</observation>", "<observation>", "<observations>", "<title>",
          "</title>", "<type>", "fix", "<facts>", "<fact>", "</facts>", "<summary>", "</summary>", "&amp;",
          "&#0;", "&#x110000;", "&#99999999;", "<![CDATA[", "]]>", "<skip_summary/>", "<no_observations/>",
          "\n", "\n- ", "1. ", ",", "\x00", "\ud7ff", "\U0001f600", "```xml\n", "<files_modified>", "../",
          "/etc/x", "<file>", "</file>", "<TITLE >", "< / title>", "<type attr='x'>", "x" * 5000)
SOUP = "<>/&;![]CDAT obsrvtinypefaclum_-\n"


def fuzz(examples: int) -> settings:
    """Hypothesis settings for a fuzz test: ``examples`` inputs, no deadline, no database."""
    return settings(deadline=None, database=None, max_examples=examples, suppress_health_check=SLOW_CHECKS)


def tag_soup() -> st.SearchStrategy[str]:
    return st.text(alphabet=st.sampled_from(SOUP), max_size=300)


@st.composite
def replies(draw: st.DrawFn) -> tuple[str, frozenset[str], str]:
    """(a mutated valid reply, the paths its session touched, the session's cwd)."""
    text, cwd, paths = draw(st.sampled_from(BASES))
    for _ in range(draw(st.integers(1, 8))):
        at = draw(st.integers(0, len(text)))
        op = draw(st.sampled_from(("insert", "delete", "dup", "upper", "cut")))
        if op == "insert":
            text = text[:at] + draw(st.sampled_from(PIECES) | st.text(max_size=5)) + text[at:]
        elif op == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 40)):]
        elif op == "dup":
            text = text[:at] + text[at:at + 60] + text[at:]
        elif op == "upper":
            text = text[:at] + text[at:at + 30].upper() + text[at + 30:]
        else:
            text = text[:at]
    return text, draw(st.frozensets(st.sampled_from(paths), max_size=2)), cwd


def parse_strict(text: str, known_paths: frozenset[str] = frozenset(), cwd: str = "",
                 expect_summary: bool = False) -> ParsedReply | None:
    """The parser proper, without the safety net; None when it raises ReplyParseError (any
    other exception is a bug and fails the test). The result is held to the contract."""
    try:
        parsed = parse._parse(text, known_paths, cwd, expect_summary)
    except ReplyParseError:
        return None
    assert_storable(parsed)
    return parsed


def check(text: str, known_paths: frozenset[str] = frozenset(), cwd: str = "",
          expect_summary: bool = False) -> None:
    """Both entry points on ``text``: each result keeps the contract, or it is ReplyParseError."""
    parse_strict(text, known_paths, cwd, expect_summary)
    try:
        parsed = parse_reply(text, known_paths=known_paths, cwd=cwd, expect_summary=expect_summary)
    except ReplyParseError:
        return
    assert_storable(parsed)


def assert_storable(parsed: ParsedReply) -> None:
    """Every record is of the right shape and size, and one the store and the importer accept."""
    assert isinstance(parsed.skip_summary, bool)
    assert all(isinstance(p, str) for p in parsed.problems)
    for o in parsed.observations:
        assert o.type in OBSERVATION_TYPES and o.title.strip()
        for name in o.FIELDS:
            value = getattr(o, name)
            assert isinstance(value, str) or (
                isinstance(value, tuple) and all(isinstance(v, str) and v for v in value))
        assert len(o.title) <= 200 and len(o.subtitle) <= 300 and len(o.narrative) <= 8000
        for items in (o.facts, o.concepts, o.files_read, o.files_modified):
            assert len(items) <= 30 and all(item and len(item) <= 1000 for item in items)
            assert len(set(items)) == len(items)
        parse_record(json.dumps(_record(o)))  # the import validator agrees
    if parsed.summary is not None:
        for name in parsed.summary.FIELDS:
            value = getattr(parsed.summary, name)
            assert isinstance(value, str) and len(value) <= 8000


def _record(o: Any) -> dict[str, Any]:
    return {"record": "observation", "session_id": "s", "project": "p", "prompt_number": 1,
            "type": o.type, "title": o.title, "subtitle": o.subtitle, "facts": list(o.facts),
            "narrative": o.narrative, "concepts": list(o.concepts), "files_read": list(o.files_read),
            "files_modified": list(o.files_modified), "created_at": "2026-01-01T00:00:00Z"}
