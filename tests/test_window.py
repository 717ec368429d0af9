"""Window arithmetic and the rendering of events into a turn."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from recall_plugin.extract.render import StoredEvent, diff, known_paths, render_event
from recall_plugin.extract.window import estimate_tokens, fit
from recall_plugin.providers.base import Message


def history(exchanges: int, size: int = 400) -> list[Message]:
    out = []
    for n in range(exchanges):
        out += [Message("user", f"u{n} " + "x" * size), Message("assistant", f"a{n} " + "y" * size)]
    return out


def test_message_limit_keeps_newest_exchanges_whole() -> None:
    window = fit("sys", history(15), Message("user", "new"), max_messages=20, max_tokens=10**6)
    # 9 exchanges fit; the kept part starts at a multiple of 9: exchanges 9 to 14
    assert len(window.messages) == 13
    assert window.dropped == 18
    assert window.messages[0].content.startswith("u9") and window.messages[0].role == "user"
    assert window.messages[-2].content.startswith("a14") and window.messages[-1].content == "new"
    later = fit("sys", history(16), Message("user", "new"), max_messages=20, max_tokens=10**6)
    assert later.dropped == 18 and later.messages[0].content.startswith("u9")  # the same start


def test_the_history_sent_changes_only_when_a_step_is_dropped() -> None:
    firsts = [fit("sys", history(n), Message("user", "new"), 20, 10**6).messages[0].content[:3]
              for n in range(1, 25)]
    changes = sum(1 for a, b in itertools.pairwise(firsts) if a != b)
    assert changes == 2  # 24 requests: the oldest message kept moved twice (at 10 and 19)
    assert all(len(fit("sys", history(n), Message("user", "new"), 20, 10**6).messages) <= 19
               for n in range(25))


def test_token_limit_drops_oldest_first() -> None:
    # each exchange ~ 2 * 102 tokens; system + new ~ 2 tokens; budget 500 fits 2 exchanges
    window = fit("sys", history(5), Message("user", "new"), max_messages=20, max_tokens=500)
    assert [m.content[:2] for m in window.messages] == ["u3", "a3", "u4", "a4", "ne"]
    assert window.dropped == 6
    assert window.estimated_tokens <= 500


def test_code_is_estimated_at_more_tokens_than_prose() -> None:
    prose = "the uploader now waits for the retry after header before it tries again " * 20
    code = "if (x[i] != y[j]) { z->a = b(c, d); } // e;\n" * 30
    assert estimate_tokens(prose) == pytest.approx(len(prose) / 4, rel=0.1)
    assert estimate_tokens(code) == pytest.approx(len(code) / 3, rel=0.05)


def test_the_new_turn_is_always_sent_and_big_requests_are_flagged() -> None:
    window = fit("sys", history(3), Message("user", "z" * 240_000), max_messages=20,
                 max_tokens=1000)
    assert window.messages == (Message("user", "z" * 240_000),)
    assert window.dropped == 6 and window.too_big


def test_unpaired_turns_are_not_sent() -> None:
    broken = [Message("assistant", "orphan"), *history(1), Message("user", "no reply")]
    window = fit("sys", broken, Message("user", "new"), max_messages=20, max_tokens=10**6)
    assert [m.content[:2] for m in window.messages] == ["u0", "a0", "ne"]


def event(tool: str, tool_input: dict[str, Any], response: object = None,
          kind: str = "tool") -> StoredEvent:
    return StoredEvent(1, "s", "p", kind, tool, "", 1,
                       {"tool_input": tool_input, "tool_response": response, "cwd": "/r"},
                       "2026-11-21T10:11:12.000Z")


def test_write_of_an_existing_file_is_sent_as_a_diff() -> None:
    before = "".join(f"line {n}\n" for n in range(200))
    after = before.replace("line 100\n", "line one hundred\n")
    text = render_event(event("Write", {"file_path": "/r/a.txt", "content": after},
                              {"type": "update", "originalFile": before}))
    assert "-line 100" in text and "+line one hundred" in text
    assert text.count("line ") < 12  # the diff, not the whole file twice


def test_multi_edit_and_paths() -> None:
    edits = {"file_path": "/r/b.py", "edits": [{"old_string": "a = 1", "new_string": "a = 2"},
                                               {"old_string": "b = 1", "new_string": "b = 3"}]}
    text = render_event(event("MultiEdit", edits))
    assert "+a = 2" in text and "+b = 3" in text
    assert known_paths([event("MultiEdit", edits), event("Read", {"file_path": "/r/c.py"})]) == \
        frozenset({"/r/b.py", "/r/c.py"})
    assert diff("x\n", "y\n", "f").startswith("--- a/f")


def test_failure_and_subagent_headers() -> None:
    failed = StoredEvent(2, "s", "p", "tool_failure", "Bash", "general-purpose", 1,
                         {"tool_input": {"command": "false"}, "error": "Exit code 1"},
                         "2026-11-21T10:11:12.000Z")
    text = render_event(failed)
    assert text.startswith("[10:11:12] [subagent general-purpose] Bash FAILED $ false")
    assert "error: Exit code 1" in text
