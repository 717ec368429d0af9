"""The extractor as a process: fallback across real servers, kill -9 mid-batch, and the
background extractor the hooks start, which must leave nothing running once the queue drains."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers.builders import configure, observation_xml
from helpers.extraction import FakeModel, turn, use_openrouter
from helpers.fakes import FakeAnthropic, FakeOpenAI, Response
from helpers.store import db, states

from recall_plugin.extract.runner import Extractor


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "repo" / "src").mkdir(parents=True)
    return tmp_path / "repo"


def extractors() -> list[int]:
    """Pids of every running `recall_plugin extract` process."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"recall_plugin" in cmdline and b"extract" in cmdline:
            found.append(int(pid))
    return found


def test_fallback_to_claude_gets_the_batch_with_its_history(data_dir: Path, project: Path) -> None:
    with FakeModel() as openrouter, FakeAnthropic() as anthropic:
        use_openrouter(data_dir, openrouter.url)
        turn(project, "p1", "first request")
        assert Extractor(str(data_dir), drain=True).run(0).remaining == 0
        openrouter.push(FakeOpenAI.error(503, "upstream overloaded"))
        anthropic.push(FakeAnthropic.message(observation_xml("Via Claude", [], True)))
        configure(data_dir, FALLBACK_PROVIDER="claude", CLAUDE_API_KEY="sk-ant-api03-" + "F" * 80,
                  CLAUDE_BASE_URL=anthropic.url)
        turn(project, "p2", "second request", first=10)
        assert Extractor(str(data_dir), drain=True).run(0).remaining == 0
    body = anthropic.last.body
    assert [m["role"] for m in body["messages"]] == ["user", "assistant", "user"]
    first = body["messages"][0]["content"]
    assert "first request" in (first if isinstance(first, str) else first[0]["text"])
    calls = db(data_dir).execute("SELECT provider, status FROM provider_calls ORDER BY id").fetchall()
    assert [tuple(c) for c in calls] == [("openrouter", "ok"), ("openrouter", "error"), ("claude", "ok")]
    titles = [r[0] for r in db(data_dir).execute("SELECT title FROM observations ORDER BY id")]
    assert titles == ["Observation 1", "Via Claude"]


def cli_env(data_dir: Path) -> dict[str, str]:
    return dict(os.environ, CLAUDE_RECALL_DATA_DIR=str(data_dir))


def test_kill_9_mid_batch_then_resume_stores_no_duplicate(data_dir: Path, project: Path) -> None:
    with FakeModel() as model:
        use_openrouter(data_dir, model.url)
        turn(project, "p1", "make retry back off")
        model.push(Response(delay=30))  # the first call hangs until the extractor is killed
        proc = subprocess.Popen([sys.executable, "-m", "recall_plugin", "extract"],
                                env=cli_env(data_dir), stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while not model.requests:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert states(data_dir) == {"processing": 7}
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        resumed = subprocess.run([sys.executable, "-m", "recall_plugin", "extract"],
                                 env=cli_env(data_dir), capture_output=True, text=True, timeout=60)
        assert resumed.returncode == 0, resumed.stderr
        assert "7 events in 1 batch: 1 observation" in resumed.stdout
    assert states(data_dir) == {"done": 7}
    assert db(data_dir).execute("SELECT count(*) FROM observations").fetchone()[0] == 1
    assert db(data_dir).execute("SELECT count(*) FROM summaries").fetchone()[0] == 1
    assert db(data_dir).execute("SELECT count(*) FROM turns").fetchone()[0] == 2


def test_hooks_start_one_extractor_that_exits_when_the_queue_drains(
        data_dir: Path, project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLAUDE_RECALL_AUTO_EXTRACT", "true")
    with FakeModel() as model:
        use_openrouter(data_dir, model.url, EXTRACTOR_IDLE_S="1")
        turn(project, "p1", "make retry back off")  # 7 hooks, each may start the extractor
        deadline = time.monotonic() + 60
        while states(data_dir) != {"done": 7}:
            assert time.monotonic() < deadline, states(data_dir)
            time.sleep(0.1)
        while extractors():
            assert time.monotonic() < deadline, "an extractor was left running"
            time.sleep(0.1)
    assert len(model.requests) == 1  # one extractor, one batch for the whole turn
    assert db(data_dir).execute("SELECT count(*) FROM observations").fetchone()[0] == 1


def test_extract_while_a_background_extractor_runs_says_what_it_did(data_dir: Path, project: Path) -> None:
    with FakeModel() as model:
        use_openrouter(data_dir, model.url, EXTRACTOR_IDLE_S="0")
        turn(project, "p1", "make retry back off")
        model.push(Response(delay=2))  # the background extractor's call takes a while
        background = subprocess.Popen([sys.executable, "-m", "recall_plugin", "extract", "--background"],
                                      env=cli_env(data_dir))
        deadline = time.monotonic() + 30
        while not model.requests:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        result = subprocess.run([sys.executable, "-m", "recall_plugin", "extract"], env=cli_env(data_dir),
                                capture_output=True, text=True, timeout=60)
        background.wait(timeout=30)
    assert result.returncode == 0, result.stderr
    assert f"an extractor is already running for {data_dir} (pid {background.pid})" in result.stdout
    assert "the running extractor finished: 7 events done in 1 provider call, 1 observation stored" in (
        result.stdout)
    assert "0 events in 0 batches" not in result.stdout
    assert (data_dir / "extractor.lock").read_text() == ""  # both released it on exit


def test_no_usable_provider_is_logged_once_per_run(data_dir: Path, project: Path) -> None:
    configure(data_dir, PROVIDER="gemini", FALLBACK_PROVIDER="none", CLAUDE_CLI="off",
              EXTRACTOR_IDLE_S="3")
    turn(project, "p1", "make retry back off")
    subprocess.run([sys.executable, "-m", "recall_plugin", "extract", "--background"],
                   env=cli_env(data_dir), timeout=60, check=True)  # loops ~6 times before idling out
    lines = (data_dir / "logs" / "recall.log").read_text().splitlines()
    said = [ln for ln in lines if "extraction paused: no usable provider" in ln]
    assert len(said) == 1, said
    assert "CLAUDE_RECALL_GEMINI_API_KEY" in said[0]
    # status and doctor say the same about the pause
    status = subprocess.run([sys.executable, "-m", "recall_plugin", "status"], env=cli_env(data_dir),
                            capture_output=True, text=True, timeout=60).stdout
    doctor = subprocess.run([sys.executable, "-m", "recall_plugin", "doctor"], env=cli_env(data_dir),
                            capture_output=True, text=True, timeout=60).stdout
    [paused] = [ln.split(None, 1)[1] for ln in status.splitlines() if ln.startswith("paused")]
    assert "FAIL  provider" in doctor and f"extraction paused: {paused}" in doctor


def test_extract_command_reports_pending_work(data_dir: Path, project: Path) -> None:
    configure(data_dir, PROVIDER="gemini", CLAUDE_CLI="off")
    turn(project, "p1", "make retry back off")
    result = subprocess.run([sys.executable, "-m", "recall_plugin", "extract"], env=cli_env(data_dir),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("claude-recall: 7 events still pending: no usable provider")
    assert "CLAUDE_RECALL_GEMINI_API_KEY" in line


def test_an_invalid_key_does_not_fall_back(data_dir: Path, project: Path) -> None:
    """401 pauses the chosen provider; the fallback is for outages, not for a wrong key."""
    with FakeModel() as openrouter, FakeAnthropic() as anthropic:
        use_openrouter(data_dir, openrouter.url, FALLBACK_PROVIDER="claude",
                       CLAUDE_API_KEY="sk-ant-api03-" + "F" * 80, CLAUDE_BASE_URL=anthropic.url)
        openrouter.push(FakeOpenAI.error(401, "User not found."))
        turn(project, "p1", "first request")
        for _ in range(3):
            assert Extractor(str(data_dir), drain=True).run(0).remaining == 7
    assert (len(openrouter.requests), len(anthropic.requests)) == (1, 0)
    assert states(data_dir) == {"pending": 7}
