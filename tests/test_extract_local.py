"""Extraction against servers that behave like local and slow models, over loopback HTTP:
requests that extend each other byte for byte, context-length errors, replies cut off at the
output limit, slow replies, and a foreground run that goes on after a failed batch."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from helpers.builders import configure
from helpers.extraction import FakeClaudeModel, FakeModel, model_answer, turn, use_openrouter
from helpers.fakes import FakeOpenAI, Recorded, Response
from helpers.store import db, states

from recall_plugin.cli.extract import foreground
from recall_plugin.extract.runner import Extractor

OTHER = "7a11b000-0000-4000-8000-000000000002"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "repo" / "src").mkdir(parents=True)
    return tmp_path / "repo"


def extract(data_dir: Path) -> tuple[int, str | None]:
    extractor = Extractor(str(data_dir), drain=True)
    try:
        outcome = extractor.run(idle_s=0)
    finally:
        extractor.close()
    return outcome.remaining, outcome.reason


def session(project: Path, turns: int, session_id: str | None = None) -> None:
    for n in range(turns):
        kw = {"session": session_id} if session_id else {}
        turn(project, f"p{n}", f"request number {n}", first=10 * n, **kw)


def test_each_request_extends_the_previous_one_byte_for_byte(data_dir: Path, project: Path) -> None:
    with FakeModel() as model:
        use_openrouter(data_dir, model.url)
        session(project, 5)
        assert extract(data_dir) == (0, None)
    sent = [r.body["messages"] for r in model.requests]
    assert len(sent) == 5 and len(sent[-1]) == 1 + 2 * 4 + 1  # system, 4 exchanges, new turn
    for before, after in itertools.pairwise(sent):
        assert json.dumps(after[:len(before)]) == json.dumps(before)
    # the assistant turns are the parsed records, rendered compactly, not the raw reply
    replies = [m["content"] for m in sent[-1] if m["role"] == "assistant"]
    assert all(r.startswith("<observation><type>bugfix</type><title>Observation") for r in replies)
    assert all("<files_read>" not in r for r in replies)  # empty fields left out


def test_claude_reads_all_but_the_newest_turn_from_its_prompt_cache(data_dir: Path,
                                                                     project: Path) -> None:
    with FakeClaudeModel() as fake:
        configure(data_dir, PROVIDER="claude", CLAUDE_API_KEY="sk-ant-api03-" + "k" * 40,
                  CLAUDE_BASE_URL=fake.url, FALLBACK_PROVIDER="none")
        session(project, 4)
        assert extract(data_dir) == (0, None)
    rows = db(data_dir).execute("SELECT input_tokens, cache_read_tokens FROM provider_calls"
                                " ORDER BY id").fetchall()
    assert rows[0][1] == 0
    for (prev_input, _), (_, read) in itertools.pairwise(rows):
        assert read == prev_input  # the whole previous request came from the cache


def test_a_failed_reply_never_enters_the_history(data_dir: Path, project: Path) -> None:
    junk = "<summary>" + "<div><b>junk</b></div>" * 200
    with FakeModel() as model:
        model.push(Response(body={"choices": [{"index": 0, "finish_reason": "length", "message": {
            "role": "assistant", "content": junk}}], "usage": {"prompt_tokens": 10}}))
        use_openrouter(data_dir, model.url)
        session(project, 1)
        remaining, reason = extract(data_dir)
        assert remaining == 7 and "truncated reply" in str(reason)
        assert db(data_dir).execute("SELECT count(*) FROM turns").fetchone()[0] == 0
        assert extract(data_dir) == (0, None)
    assert states(data_dir) == {"done": 7}
    second = json.dumps(model.requests[-1].body["messages"])
    assert "junk" not in second and len(model.requests[-1].body["messages"]) == 2


def overflow(status: int = 400) -> Response:
    """llama.cpp's answer to a prompt longer than its context."""
    return Response(status, {"error": {"code": status, "type": "exceed_context_size_error",
                                       "message": "the request exceeds the available context size,"
                                                  " try increasing it", "n_prompt_tokens": 9000,
                                       "n_ctx": 8192}})


def test_a_context_overflow_shrinks_the_window_and_retries_at_once(data_dir: Path,
                                                                   project: Path) -> None:
    with FakeModel() as model:
        use_openrouter(data_dir, model.url)
        session(project, 3)
        assert extract(data_dir) == (0, None)
        turn(project, "p9", "one more", first=90)
        model.push(overflow())
        assert extract(data_dir) == (0, None)
    first, retried = model.requests[-2:]
    assert len(retried.body["messages"]) < len(first.body["messages"])
    assert retried.body["messages"][-1] == first.body["messages"][-1]  # the same new turn
    assert states(data_dir) == {"done": 28}


def test_a_lasting_overflow_falls_back_then_fails_as_usual(data_dir: Path, project: Path) -> None:
    with FakeOpenAI() as model:
        use_openrouter(data_dir, model.url, MAX_ATTEMPTS="2")
        session(project, 1)
        model.push(*[overflow(413)] * 4)
        remaining, reason = extract(data_dir)
    assert remaining == 7 and "longer than the model's context" in str(reason)
    assert f"the server at {model.url}" in str(reason)  # not "OpenRouter"
    assert db(data_dir).execute("SELECT count(*) FROM turns").fetchone()[0] == 0


def test_a_slow_local_server_gets_the_longer_local_timeout(data_dir: Path, project: Path) -> None:
    with FakeModel() as model:
        # the general timeout would give up; a loopback server gets CLAUDE_RECALL_LOCAL_TIMEOUT_S
        use_openrouter(data_dir, model.url, REQUEST_TIMEOUT_S="1", LOCAL_TIMEOUT_S="30")
        model.push(Response(delay=1.5, body=FakeOpenAI.reply(model_answer("", 1)).body))
        session(project, 1)
        assert extract(data_dir) == (0, None)


class Picky(FakeModel):
    """Times out on one session's requests, answers the others."""

    def default(self, request: Recorded) -> Response:
        if "request number" in json.dumps(request.body) and OTHER[:8] not in json.dumps(request.body):
            return Response(delay=5.0)
        return super().default(request)


def test_foreground_extract_goes_on_after_a_failed_batch(data_dir: Path, project: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    with Picky() as model:
        use_openrouter(data_dir, model.url, OPENROUTER_REQUEST_TIMEOUT_S="1")
        session(project, 1)
        session(project, 1, OTHER)
        assert foreground(str(data_dir)) == 1
    out = capsys.readouterr()
    assert "batch of session 5e55a000 failed" in out.out and "timed out after 1 s" in out.out
    assert "1 observation," in out.out, out.out  # the other session was extracted
    assert db(data_dir).execute("SELECT count(*) FROM observations WHERE session_id = ?",
                                (OTHER,)).fetchone()[0] == 1
    assert "5e55a000" in out.err and "timed out" in out.err


def test_status_and_doctor_say_when_extraction_runs_on_the_subscription(
        data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from recall_plugin import doctor
    from recall_plugin.cli import status

    configure(data_dir, PROVIDER="claude", FALLBACK_PROVIDER="none")
    assert "subscription" not in status.render(status.gather(str(data_dir)))  # no CLI, no key
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "claude").write_text("#!/bin/sh\nexit 0\n")
    (bin_dir / "claude").chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    shown = status.render(status.gather(str(data_dir)))
    assert "runs on your Claude subscription" in shown and "(estimated)" in shown
    assert "runs on your Claude subscription" in doctor.check_provider(str(data_dir)).detail
    configure(data_dir, CLAUDE_API_KEY="sk-ant-api03-" + "k" * 40)  # a key: billed per token
    assert "subscription" not in status.render(status.gather(str(data_dir)))


def test_every_request_passes_the_privacy_filter_again(data_dir: Path, project: Path) -> None:
    secret = "sk-ant-api03-" + "Zq9" * 30 + "AA"
    with FakeModel() as model:
        use_openrouter(data_dir, model.url, OPENROUTER_MAX_OUTPUT_TOKENS="1234")
        session(project, 1)
        assert extract(data_dir) == (0, None)
        conn = db(data_dir)  # a turn stored before the filter knew this kind of key
        conn.execute("UPDATE turns SET content = content || ? WHERE role = 'user'", (f" key={secret}",))
        conn.commit()
        turn(project, "p2", "again", first=20)
        assert extract(data_dir) == (0, None)
    sent = json.dumps(model.requests[-1].body)
    assert secret not in sent and "[REDACTED" in sent
    assert model.requests[-1].body["max_tokens"] == 1234


@pytest.mark.parametrize("message", [
    "This model's maximum context length is 8192 tokens. However, you requested 9000 tokens",
    "the request exceeds the available context size, try increasing it",
    "prompt is too long: 250000 tokens > 200000 maximum",
    "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).",
    "Input is too long [context_length_exceeded]"])
def test_context_length_errors_are_recognised(message: str) -> None:
    from recall_plugin.providers.http import is_context_overflow

    assert is_context_overflow(message)
    assert not is_context_overflow("messages: roles must alternate")
