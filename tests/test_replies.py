"""Real replies, in the shapes several model families give them, replayed through the real
providers, parser and extractor over loopback HTTP; nothing but real content becomes memory.

The corpus is ``fixtures/replies/*.json``: the model family, the wire format (``openai``,
``anthropic``, ``gemini``), the reply (text, reasoning fields, content blocks or parts, finish
reason) and what must come of it: ``stored`` (so many observations, a summary or not),
``empty`` (nothing to record: the batch is done, nothing stored) or ``failed`` (a failed
attempt: nothing stored, nothing in the history, the events wait for a retry).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers.builders import configure
from helpers.extraction import turn, use_openrouter
from helpers.fakes import FakeAnthropic, FakeGemini, FakeOpenAI, FakeServer, Response
from helpers.hooks import FIXTURES
from helpers.store import db, states

from recall_plugin.context import for_project
from recall_plugin.extract.runner import Extractor
from recall_plugin.extract.sanity import placeholders
from recall_plugin.search import search

CORPUS = {p.stem: json.loads(p.read_text()) for p in sorted((FIXTURES / "replies").glob("*.json"))}
JUNK = ("draft", "&nbsp;", "<div", "<span", "<think", "</think", "sk-ant-api03")
USAGE = {"prompt_tokens": 900, "completion_tokens": 300, "total_tokens": 1200}


def openai_reply(case: dict[str, Any]) -> Response:
    message: dict[str, Any] = {"role": "assistant", "content": case.get("text")}
    for name in ("reasoning", "reasoning_content"):
        if name in case:
            message[name] = case[name]
    choice = {"index": 0, "finish_reason": case.get("finish", "stop"), "message": message}
    return Response(body={"id": "gen-1", "object": "chat.completion", "model": "local/model",
                          "choices": [choice], "usage": USAGE})


def anthropic_reply(case: dict[str, Any]) -> Response:
    return Response(body={"id": "msg_1", "type": "message", "role": "assistant",
                          "model": "claude-haiku-4-5", "content": case["blocks"],
                          "stop_reason": case.get("finish", "end_turn"), "stop_sequence": None,
                          "usage": {"input_tokens": 900, "output_tokens": 300}})


def gemini_reply(case: dict[str, Any]) -> Response:
    candidate = {"content": {"role": "model", "parts": case["parts"]},
                 "finishReason": case.get("finish", "STOP"), "index": 0}
    return Response(body={"candidates": [candidate], "modelVersion": "gemini-2.5-flash",
                          "usageMetadata": {"promptTokenCount": 900, "candidatesTokenCount": 300}})


def serve(case: dict[str, Any], data_dir: Path) -> FakeServer:
    fake: FakeServer
    if case["wire"] == "anthropic":
        fake = FakeAnthropic()
        fake.push(anthropic_reply(case))
        configure(data_dir, PROVIDER="claude", CLAUDE_API_KEY="sk-ant-api03-" + "x" * 40,
                  CLAUDE_BASE_URL=fake.url, FALLBACK_PROVIDER="none", RETRY_BASE_S="0")
    elif case["wire"] == "gemini":
        fake = FakeGemini()
        fake.push(gemini_reply(case))
        configure(data_dir, PROVIDER="gemini", GEMINI_API_KEY="AIza" + "x" * 35,
                  GEMINI_BASE_URL=fake.url, FALLBACK_PROVIDER="none", RETRY_BASE_S="0")
    else:
        fake = FakeOpenAI()
        fake.push(openai_reply(case))
        use_openrouter(data_dir, fake.url)
    return fake


def stored_text(data_dir: Path) -> str:
    conn = db(data_dir)
    rows = [tuple(r) for table in ("observations", "summaries", "turns")
            for r in conn.execute(f"SELECT * FROM {table}")]
    return json.dumps(rows).lower()


def assert_no_junk(text: str) -> None:
    lowered = text.lower()
    assert not [word for word in JUNK if word in lowered]
    echoes = [p for texts in placeholders().values() for p in texts if len(p) > 12 and p in lowered]
    assert not echoes


@pytest.mark.parametrize("name", CORPUS)
def test_each_reply_class_ends_as_it_should(name: str, data_dir: Path, tmp_path: Path) -> None:
    case = CORPUS[name]
    project = tmp_path / "repo"
    (project / "src").mkdir(parents=True)
    with serve(case, data_dir):
        turn(project, "p1", "make retry back off")
        extractor = Extractor(str(data_dir), drain=True)
        try:
            outcome = extractor.run(idle_s=0)
        finally:
            extractor.close()
    conn = db(data_dir)
    count = conn.execute("SELECT count(*) FROM observations").fetchone()[0]
    summaries = conn.execute("SELECT count(*) FROM summaries").fetchone()[0]
    turns = conn.execute("SELECT count(*) FROM turns").fetchone()[0]
    if case["expect"] == "failed":
        assert states(data_dir) == {"failed": 7} and outcome.remaining == 7
        assert (count, summaries, turns) == (0, 0, 0)  # a failed reply never enters the history
        [error] = conn.execute("SELECT error FROM provider_calls").fetchone()
        assert error
    else:
        assert states(data_dir) == {"done": 7}
        assert count == case.get("observations", 0)
        assert summaries == (1 if case.get("summary") else 0)
        assert turns == 2
    everything = stored_text(data_dir)
    assert_no_junk(everything)
    assert_no_junk(for_project(str(data_dir), "repo"))
    assert_no_junk(json.dumps([h.__dict__ for h in search(conn, "retry backoff summary")], default=str))


def test_the_corpus_covers_every_class_and_wire() -> None:
    assert {c["expect"] for c in CORPUS.values()} == {"stored", "failed", "empty"}
    assert {c["wire"] for c in CORPUS.values()} == {"openai", "anthropic", "gemini"}
