"""The extractor end to end over real HTTP to fake providers and a real SQLite store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers.builders import configure
from helpers.extraction import SESSION, FakeModel, last_user_text, turn, use_openrouter
from helpers.fakes import FakeGemini, FakeOpenAI
from helpers.store import db, states

from recall_plugin.extract.runner import Extractor


def extract(data_dir: Path, drain: bool = True) -> tuple[int, str | None]:
    extractor = Extractor(str(data_dir), drain=drain)
    try:
        outcome = extractor.run(idle_s=0)
    finally:
        extractor.close()
    return outcome.remaining, outcome.reason


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "repo" / "src").mkdir(parents=True)
    return tmp_path / "repo"


def test_a_session_becomes_observations_and_a_summary(data_dir: Path, project: Path) -> None:
    with FakeModel() as model:
        use_openrouter(data_dir, model.url)
        turn(project, "p1", "make retry back off")
        assert extract(data_dir) == (0, None)
    conn = db(data_dir)
    [obs] = conn.execute("SELECT * FROM observations").fetchall()
    assert (obs["session_id"], obs["project"], obs["type"]) == (SESSION, f"dir:{project}", "bugfix")
    assert obs["prompt_number"] == 1
    assert json.loads(obs["files_modified"]) == [str(project / "src" / "retry.py"),
                                                  str(project / "NOTES.md")]
    assert len(json.loads(obs["source_event_ids"])) == 7  # prompt, 5 tools, stop
    assert obs["input_tokens"] > 0 and obs["output_tokens"] > 0
    [summary] = conn.execute("SELECT * FROM summaries").fetchall()
    assert summary["request"] == "make retry back off"
    assert states(data_dir) == {"done": 7}
    [call] = conn.execute("SELECT * FROM provider_calls").fetchall()
    assert (call["provider"], call["status"], call["messages_in_context"]) == ("openrouter", "ok", 1)
    sent = last_user_text(model.requests[0])
    assert "--- a/" in sent and "+    return backoff(attempt)" in sent  # Edit as a diff
    assert "Bash FAILED $ ruff check src" in sent and "USER PROMPT #1: make retry back off" in sent


def test_later_turns_carry_the_sessions_history(data_dir: Path, project: Path) -> None:
    with FakeModel() as model:
        use_openrouter(data_dir, model.url)
        turn(project, "p1", "first request")
        extract(data_dir)
        turn(project, "p2", "second request", first=10)
        extract(data_dir)
    messages = model.requests[1].body["messages"]
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user"]
    assert "first request" in messages[1]["content"]
    assert "Observation 1" in messages[2]["content"]
    assert "second request" in messages[3]["content"]
    turns = db(data_dir).execute("SELECT role FROM turns ORDER BY seq").fetchall()
    assert [t[0] for t in turns] == ["user", "assistant", "user", "assistant"]


def test_switching_provider_mid_session_keeps_the_history(data_dir: Path, project: Path) -> None:
    with FakeModel() as model, FakeGemini() as gemini:
        gemini.push(FakeGemini.reply("<observation><type>change</type><title>From Gemini</title>"
                                     "</observation><skip_summary/>"))
        use_openrouter(data_dir, model.url)
        turn(project, "p1", "first request")
        extract(data_dir)
        configure(data_dir, PROVIDER="gemini", GEMINI_API_KEY="AIza" + "k" * 35,
                  GEMINI_BASE_URL=gemini.url)
        turn(project, "p2", "second request", first=10)
        assert extract(data_dir) == (0, None)
    contents = gemini.last.body["contents"]
    assert [c["role"] for c in contents] == ["user", "model", "user"]
    assert "first request" in contents[0]["parts"][0]["text"]
    assert "Observation 1" in contents[1]["parts"][0]["text"]
    titles = [r[0] for r in db(data_dir).execute("SELECT title FROM observations ORDER BY id")]
    assert titles == ["Observation 1", "From Gemini"]


def test_settings_are_read_for_every_batch(data_dir: Path, project: Path) -> None:
    """The first request switches the provider; the second batch of the same run follows."""

    class Switching(FakeModel):
        def default(self, request):  # type: ignore[no-untyped-def]
            configure(data_dir, PROVIDER="gemini", GEMINI_API_KEY="AIza" + "k" * 35,
                      GEMINI_BASE_URL=gemini.url)
            return super().default(request)

    with Switching() as model, FakeGemini() as gemini:
        gemini.push(FakeGemini.reply("<observation><type>change</type><title>G</title>"
                                     "</observation><skip_summary/>"))
        use_openrouter(data_dir, model.url)
        turn(project, "p1", "first request")
        turn(project, "p2", "second request", first=10)
        assert extract(data_dir) == (0, None)
    assert (len(model.requests), len(gemini.requests)) == (1, 1)


def test_an_unparseable_reply_is_a_failed_attempt(data_dir: Path, project: Path) -> None:
    with FakeOpenAI() as model:
        model.push(FakeOpenAI.reply("Sure! The developer fixed a retry bug."))
        use_openrouter(data_dir, model.url)
        turn(project, "p1", "make retry back off")
        remaining, reason = extract(data_dir)
    assert remaining == 7 and "unusable reply" in str(reason)
    assert states(data_dir) == {"failed": 7}
    [call] = db(data_dir).execute("SELECT status, error, output_tokens FROM provider_calls")
    assert call[0] == "error" and "unusable reply" in call[1] and call[2] > 0
    assert db(data_dir).execute("SELECT count(*) FROM observations").fetchone()[0] == 0


def test_rate_limit_backs_off_and_honours_retry_after(data_dir: Path, project: Path) -> None:
    with FakeModel() as model:
        model.push(FakeOpenAI.error(429, "rate limited", retry_after="120"))
        use_openrouter(data_dir, model.url, RETRY_BASE_S="1")
        turn(project, "p1", "make retry back off")
        assert extract(data_dir, drain=False)[0] == 7
        row = db(data_dir).execute("SELECT attempts, next_attempt_at, last_error FROM events"
                                   " WHERE state = 'failed' LIMIT 1").fetchone()
        assert row[0] == 1 and ("429" in row[2] or "rate" in row[2])
        from recall_plugin.extract.work import now_iso

        assert now_iso(100) < row[1] < now_iso(200)
        for _ in range(5):  # a background extractor does not call again before it is due
            extract(data_dir, drain=False)
        assert len(model.requests) == 1
        assert extract(data_dir) == (0, None)  # `claude-recall extract` tries now
    assert len(model.requests) == 2


def test_dead_after_max_attempts_and_retry_revives(data_dir: Path, project: Path) -> None:
    from recall_plugin.cli import main as cli

    with FakeModel() as model:
        use_openrouter(data_dir, model.url, MAX_ATTEMPTS="2")
        model.push(FakeOpenAI.error(503, "down"), FakeOpenAI.error(503, "down"))
        turn(project, "p1", "make retry back off")
        extract(data_dir)
        extract(data_dir)
        assert states(data_dir) == {"dead": 7}
        assert cli(["retry"]) == 0
        assert states(data_dir) == {"pending": 7}
        assert extract(data_dir) == (0, None)


def test_invalid_key_pauses_the_provider_until_its_settings_change(
        data_dir: Path, project: Path) -> None:
    from recall_plugin.cli.status import gather

    with FakeModel() as model:
        model.push(FakeOpenAI.error(401, "No auth credentials found"))
        use_openrouter(data_dir, model.url)
        turn(project, "p1", "make retry back off")
        remaining, reason = extract(data_dir)
        assert remaining == 7 and "CLAUDE_RECALL_OPENROUTER_API_KEY" in str(reason)
        status = gather(str(data_dir))
        assert status.queue["pending"] == 7 and status.queue["failed"] == 0
        assert "CLAUDE_RECALL_OPENROUTER_API_KEY" in str(status.paused[0]["reason"])
        extract(data_dir)
        extract(data_dir, drain=False)
        assert len(model.requests) == 1  # paused: no retry storm
        configure(data_dir, OPENROUTER_API_KEY="sk-or-v1-" + "1b" * 32)
        assert extract(data_dir) == (0, None)
    assert len(model.requests) == 2 and gather(str(data_dir)).paused == []


def test_missing_keys_leave_work_pending_and_say_which_setting(data_dir: Path, project: Path) -> None:
    from recall_plugin.cli.status import gather

    configure(data_dir, PROVIDER="openrouter", CLAUDE_CLI="off")
    turn(project, "p1", "make retry back off")
    remaining, reason = extract(data_dir)
    assert remaining == 7
    assert "CLAUDE_RECALL_OPENROUTER_API_KEY" in str(reason)
    assert "CLAUDE_RECALL_CLAUDE_API_KEY" in str(reason)
    assert states(data_dir) == {"pending": 7}
    assert "CLAUDE_RECALL_CLAUDE_API_KEY" in str(gather(str(data_dir)).paused[0]["reason"])


def test_daily_budget_pauses_without_losing_work(data_dir: Path, project: Path) -> None:
    from recall_plugin.cli.status import gather

    with FakeModel() as model:
        use_openrouter(data_dir, model.url, DAILY_TOKEN_BUDGET="100")
        turn(project, "p1", "first request")
        extract(data_dir)
        turn(project, "p2", "second request", first=10)
        remaining, reason = extract(data_dir)
    assert remaining == 7 and "daily token budget reached" in str(reason)
    assert len(model.requests) == 1
    assert "CLAUDE_RECALL_DAILY_TOKEN_BUDGET" in str(gather(str(data_dir)).paused[0]["reason"])
