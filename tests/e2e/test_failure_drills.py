"""Failure drills in the real CLI: the provider down, the data dir unusable, the extractor killed
mid-batch. The user's session never notices; nothing is lost or stored twice."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from e2e_support import (
    PLUGIN_ARGS,
    TitledModel,
    extractor_pids,
    hook_attachments,
    inline_claude,
    plugin_env,
    titles,
    transcript,
    wait_extractor_done,
    wait_until,
)
from helpers.claude_cli import require_claude
from helpers.fakes import FakeAnthropic, Recorded, Response, Script
from helpers.hooks import ROOT
from helpers.store import rows, states

pytestmark = pytest.mark.e2e

TURNS = [[{"type": "tool_use", "name": "Bash", "input": {"command": "echo drill-ok", "description": "e"}}],
         "done"]
KINDS = ["session_start", "prompt", "tool", "stop", "session_end"]


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def extract_now(data_dir: Path, model_url: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLAUDE_RECALL_")}
    env.update(plugin_env(data_dir, model_url), PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "recall_plugin", "extract"], capture_output=True, text=True,
                          env=env, timeout=120, cwd=data_dir.parent)


def session_kinds(data_dir: Path) -> list[str]:
    return [r[0] for r in rows(data_dir, "SELECT kind FROM events ORDER BY id")]


def assert_clean(claude_lines: list[dict[str, Any]]) -> None:
    for kind in ("hook_blocking_error", "hook_non_blocking_error", "hook_cancelled"):
        assert not hook_attachments(claude_lines, kind), kind


def test_provider_down_the_session_is_unaffected_then_extract_drains(tmp_path: Path) -> None:
    require_claude()
    data_dir = tmp_path / "data"
    with FakeAnthropic(Script(TURNS)) as api:
        env = plugin_env(data_dir, closed_port_url(), CLAUDE_RECALL_RETRY_BASE_S="30")
        claude = inline_claude(tmp_path, api.url, env)
        result = claude.session("run the drill", *PLUGIN_ARGS)
        assert result["is_error"] is False and result["result"] == "done"
        wait_extractor_done(data_dir)
    assert_clean(transcript(claude, result["session_id"]))
    assert session_kinds(data_dir) == KINDS
    left = dict(rows(data_dir, "SELECT kind, state FROM events"))
    assert left["tool"] in ("pending", "failed") and left["stop"] in ("pending", "failed"), left
    assert "dead" not in left.values(), left
    assert titles(data_dir) == []
    assert rows(data_dir, "SELECT DISTINCT status FROM provider_calls") in ([], [("error",)])
    with TitledModel("Back-online") as back:
        drained = extract_now(data_dir, back.url)
    assert drained.returncode == 0, drained.stdout + drained.stderr
    assert states(data_dir) == {"done": len(KINDS)}
    assert titles(data_dir) and all(t.startswith("Back-online") for t in titles(data_dir))
    assert rows(data_dir, "SELECT count(*) FROM summaries") == [(1,)]


@pytest.mark.parametrize("how", ["under-a-file", "read-only"])
def test_unusable_data_dir_the_session_is_unaffected(tmp_path: Path, how: str) -> None:
    """A data dir under a file, or (not as root: root ignores mode bits) a 0500 one."""
    require_claude()
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file\n")
    data_dir = blocker / "data"
    if how == "read-only":
        if os.geteuid() == 0:
            pytest.skip("root ignores mode bits")
        data_dir = tmp_path / "read-only"
        data_dir.mkdir(mode=0o500)
    with FakeAnthropic(Script(TURNS)) as api:
        claude = inline_claude(tmp_path, api.url, plugin_env(data_dir, None))
        result = claude.session("run the drill", *PLUGIN_ARGS)
    assert result["is_error"] is False and result["result"] == "done" and result["num_turns"] == 2
    lines = transcript(claude, result["session_id"])
    assert_clean(lines)
    assert "drill-ok" in str(lines)  # the tool ran and its result reached the model
    assert blocker.read_text() == "a file\n"
    if how == "read-only":
        assert list(data_dir.iterdir()) == []
        data_dir.chmod(0o700)


class SlowModel(TitledModel):
    """Holds its replies while ``slow`` is set (the extractor is killed meanwhile)."""

    slow = True

    def default(self, request: Recorded) -> Response:
        answer = super().default(request)
        if self.slow:
            answer.delay = 60
        return answer


def test_extractor_killed_mid_batch_nothing_lost_or_duplicated(tmp_path: Path) -> None:
    require_claude()
    data_dir = tmp_path / "data"
    model = SlowModel("Survivor")
    with model, FakeAnthropic(Script(TURNS)) as api:
        claude = inline_claude(tmp_path, api.url, plugin_env(data_dir, model.url))
        result = claude.session("run the drill", *PLUGIN_ARGS)
        assert result["is_error"] is False and result["result"] == "done"
        wait_until(lambda: model.requests and extractor_pids(data_dir), 30, "a batch in flight")
        for pid in extractor_pids(data_dir):
            os.kill(pid, signal.SIGKILL)
        wait_until(lambda: not extractor_pids(data_dir), 10, "the killed extractor to go")
        in_flight = len(model.requests)
        assert titles(data_dir) == [] and states(data_dir).get("done", 0) < len(KINDS)
        model.slow = False
        drained = extract_now(data_dir, model.url)
    assert drained.returncode == 0, drained.stdout + drained.stderr
    assert len(model.requests) > in_flight  # the interrupted batch was sent again
    assert session_kinds(data_dir) == KINDS  # nothing lost, nothing ingested twice
    assert states(data_dir) == {"done": len(KINDS)}
    stored = titles(data_dir)
    assert stored and len(stored) == len(set(stored))
    ok = rows(data_dir, "SELECT count(*) FROM provider_calls WHERE status = 'ok'")[0][0]
    assert len(stored) == ok  # one observation per answered call: none stored twice
    assert rows(data_dir, "SELECT count(*) FROM summaries") == [(1,)]
