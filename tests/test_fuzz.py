"""Property-based fuzzing of every boundary that reads untrusted input: hook stdin, the model's
replies, settings files and import JSONL. (``--hypothesis-show-statistics`` prints the counts.)"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from helpers.guards import hang_guard
from helpers.hooks import HookRunner, load_payloads
from helpers.reply_fuzz import check, fuzz, replies, tag_soup
from hypothesis import given
from hypothesis import strategies as st

from recall_plugin import settings as recall_settings
from recall_plugin.capture.hook import main as hook
from recall_plugin.errors import BadRecord
from recall_plugin.extract.parse import parse_reply
from recall_plugin.lifecycle.transfer import import_lines, parse_record
from recall_plugin.queue.ingest import ingest
from recall_plugin.store.db import open_store

HOOK_EVENTS = ("SessionStart", "UserPromptSubmit", "PostToolUse", "PostToolUseFailure", "Stop",
               "SessionEnd")
RECORDS = [p for name in ("multi_tool", "subagent", "bash_inject") for p in load_payloads(name)]
PAYLOADS = [p["payload"] for p in RECORDS]
PAYLOAD_EVENTS = [p["event"] for p in RECORDS]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=50),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children,
                                                                        max_size=5),
    max_leaves=30)
wrong_values = st.one_of(
    st.integers(), st.integers(min_value=2**63) | st.integers(max_value=-(2**63) - 1),
    st.floats(allow_nan=False, allow_infinity=False), st.booleans(), st.none(),
    st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
    st.text(max_size=30), st.just("x" * 200_000), st.just("\ud800\udfff lone surrogates? \u0000 nul"),
    st.just("\udc80 a lone surrogate"),
    st.integers(min_value=1, max_value=60).map(lambda d: _nested(d)),
)


def _nested(depth: int) -> Any:
    value: Any = "leaf"
    for n in range(depth):
        value = [value] if n % 2 else {"k": value}
    return value


def _run_hook(event: str, data: bytes) -> None:
    with hang_guard():  # the hook's own deadline bounds it; its speed is benchmarks/bench_hooks.py's
        assert hook(event, io.BytesIO(data)) == 0


def _queue_readable(data_dir: Path) -> None:
    """Ingest never raises; a line the hooks wrote is never corrupt."""
    conn = open_store(str(data_dir))
    try:
        report = ingest(conn, str(data_dir))
        assert report.corrupt == 0
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()


# -- hook stdin -------------------------------------------------------------------------------
@fuzz(150)
@given(event=st.sampled_from(HOOK_EVENTS), value=json_values)
def test_hook_random_json(data_dir: Path, event: str, value: Any) -> None:
    _run_hook(event, json.dumps(value).encode())
    _queue_readable(data_dir)


@fuzz(250)
@given(index=st.integers(0, len(PAYLOADS) - 1), data=st.data(), value=wrong_values)
def test_hook_wrong_type_in_every_field(data_dir: Path, index: int, data: st.DataObject,
                                        value: Any) -> None:
    payload = dict(PAYLOADS[index])
    key = data.draw(st.sampled_from(sorted(payload)))
    payload[key] = value
    if isinstance(value, str) and value.startswith("\udc80"):
        value = payload[key] = "not a surrogate"  # see test_hook_lone_surrogate_escape
    raw = json.dumps(payload).encode("utf-8", "surrogatepass")
    _run_hook(PAYLOAD_EVENTS[index], raw)
    _queue_readable(data_dir)


@fuzz(150)
@given(index=st.integers(0, len(PAYLOADS) - 1), cut=st.integers(0, 10_000), junk=st.binary(max_size=40))
def test_hook_binary_and_invalid_utf8(data_dir: Path, index: int, cut: int, junk: bytes) -> None:
    raw = json.dumps(PAYLOADS[index]).encode()
    cut %= len(raw) + 1
    _run_hook(PAYLOAD_EVENTS[index], raw[:cut] + junk + raw[cut:])
    _run_hook(PAYLOAD_EVENTS[index], junk)
    # invalid UTF-8 inside a string value of an otherwise valid payload
    _run_hook(PAYLOAD_EVENTS[index], raw.replace(b'"session_id": "', b'"session_id": "\xff\xfe', 1))
    _queue_readable(data_dir)


def test_hook_lone_surrogate_escape_does_not_poison_the_queue(data_dir: Path) -> None:
    payload = {**PAYLOADS[1], "prompt": "cut emoji \ud83d"}  # JS string slicing makes these
    _run_hook("UserPromptSubmit", json.dumps(payload).encode())
    _queue_readable(data_dir)


REAL_HOOK_INPUTS = [
    b"\xff\xfe\x00binary\x80",
    b"[" * 100_000,
    json.dumps({"session_id": 12, "hook_event_name": "PostToolUse", "tool_input": "str"}).encode(),
    json.dumps({**PAYLOADS[3], "tool_response": "y" * 3_000_000}).encode(),
    json.dumps({**PAYLOADS[1], "session_id": ["a", {"b": 1}], "prompt": 5}).encode(),
]


@pytest.mark.parametrize("data", REAL_HOOK_INPUTS, ids=["binary", "deep", "types", "huge", "list-id"])
def test_real_hook_survives_bad_stdin(run_hook: HookRunner, data_dir: Path, data: bytes) -> None:
    for event in ("PostToolUse", "UserPromptSubmit"):
        done = run_hook(event, data)  # a hang fails its timeout; speed: bench_hooks.py --adversarial
        assert done.returncode == 0, done.stderr
    _queue_readable(data_dir)


# -- the model's replies (the one parser fuzzer: helpers.reply_fuzz) ---------------------------
@fuzz(300)
@given(text=st.text(max_size=400), known=st.sampled_from((frozenset(), frozenset({"/w/a.py"}))),
       summary=st.booleans())
def test_parser_random_text(text: str, known: frozenset[str], summary: bool) -> None:
    check(text, known, "/w", summary)


@fuzz(300)
@given(text=tag_soup())
def test_parser_tag_soup(text: str) -> None:
    check(text)


@fuzz(700)
@given(reply=replies(), summary=st.booleans())
def test_parser_mutated_replies(reply: tuple[str, frozenset[str], str], summary: bool) -> None:
    text, known, cwd = reply
    check(text, known, cwd, summary)


def test_parser_output_with_a_lone_surrogate_is_storable() -> None:
    parsed = parse_reply("<observation><type>bugfix</type><title>cut \ud83d</title></observation>")
    parsed.observations[0].title.encode("utf-8")


# -- settings files ---------------------------------------------------------------------------
SETTING_NAMES = ["CLAUDE_RECALL_MAX_ATTEMPTS", "CLAUDE_RECALL_PROVIDER", "CLAUDE_RECALL_AUTO_EXTRACT",
                 "CLAUDE_RECALL_SKIP_TOOLS", "CLAUDE_RECALL_OPENROUTER_MODEL", "CLAUDE_RECALL_NOPE"]


@fuzz(200)
@given(bad=st.dictionaries(st.sampled_from(SETTING_NAMES), json_values, max_size=4))
def test_bad_settings_name_the_key_and_keep_the_good(data_dir: Path, bad: dict[str, Any]) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    good = {"CLAUDE_RECALL_BATCH_MAX_EVENTS": 7}
    (data_dir / "settings.json").write_text(json.dumps({**bad, **good}))
    loaded = recall_settings.load(str(data_dir))
    assert loaded.number("CLAUDE_RECALL_BATCH_MAX_EVENTS") == 7  # the good value is kept
    for problem in loaded.problems:
        assert "settings.json" in problem
        assert any(name in problem for name in bad), problem
    for name in bad:
        if name in recall_settings.BY_NAME and not any(name in p for p in loaded.problems):
            assert loaded.sources[name] == "file"


@fuzz(60)
@given(raw=st.binary(max_size=200))
def test_unreadable_settings_file_gives_one_message(data_dir: Path, raw: bytes) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "settings.json").write_bytes(raw)
    loaded = recall_settings.load(str(data_dir))
    assert loaded.number("CLAUDE_RECALL_MAX_ATTEMPTS") == 6  # the default
    assert all("settings.json" in p for p in loaded.problems)


# -- import JSONL -----------------------------------------------------------------------------
GOOD_RECORD = {"record": "observation", "session_id": "s1", "project": "p", "prompt_number": 1,
               "type": "bugfix", "title": "good one", "subtitle": "", "facts": ["f"], "narrative": "n",
               "concepts": [], "files_read": [], "files_modified": [], "created_at": "2026-01-01T00:00:00Z"}


@fuzz(120)
@given(data=st.data(), n_bad=st.integers(1, 4))
def test_import_rejects_bad_lines_by_number_and_keeps_good(data_dir: Path, data: st.DataObject,
                                                          n_bad: int) -> None:
    bad_lines: list[bytes] = []
    for _ in range(n_bad):
        key = data.draw(st.sampled_from(sorted(GOOD_RECORD)))
        mutated = {**GOOD_RECORD, key: data.draw(wrong_values)}
        bad_lines.append(data.draw(st.sampled_from((
            json.dumps(mutated, ensure_ascii=False).encode("utf-8", "surrogatepass"),
            data.draw(st.binary(min_size=1, max_size=30)),
            json.dumps(data.draw(json_values)).encode())),
        ))
    title = f"good {data.draw(st.integers(0, 10**6))}"
    lines = [json.dumps({**GOOD_RECORD, "title": title}).encode(), *bad_lines]
    conn = open_store(str(data_dir))
    try:
        report = import_lines(conn, lines)
        stored = conn.execute("SELECT count(*) FROM observations WHERE title = ?", (title,)).fetchone()[0]
    finally:
        conn.close()
    assert stored == 1  # the good line survives whatever the bad ones hold
    numbers = [r.line for r in report.rejected]
    assert numbers == sorted(set(numbers)) and all(2 <= n <= len(lines) for n in numbers)
    assert all(r.reason for r in report.rejected)
    for number, line in enumerate(lines[1:], 2):
        if not line.strip():
            assert number not in numbers  # a blank line is skipped, not rejected
            continue
        try:
            parse_record(line)
        except BadRecord:
            assert number in numbers


@pytest.mark.parametrize("value", [2**63, -(2**63) - 1, 10**30])
def test_import_out_of_range_integer_is_one_rejected_line(data_dir: Path, value: int) -> None:
    """Found by the fuzzer: an integer SQLite cannot store raised OverflowError and rolled back
    the whole chunk, good lines included."""
    lines = [json.dumps(GOOD_RECORD), json.dumps({**GOOD_RECORD, "title": "big", "prompt_number": value})]
    conn = open_store(str(data_dir))
    try:
        report = import_lines(conn, lines)
    finally:
        conn.close()
    assert report.observations == 1
    assert [(r.line, r.reason) for r in report.rejected] == [(2, "field 'prompt_number' is not an integer")]
