"""Backfill from real Claude Code transcripts, through the real CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from helpers.extraction import FakeModel, use_openrouter
from helpers.lifecycle import SECRET, cli

from recall_plugin.store.db import open_store

# real transcripts recorded from Claude Code 2.1.330
SAMPLES = Path(__file__).parent / "fixtures" / "transcripts"
AGENT = "a9f4b99ae8508a02d"
SUB_SESSION = "5032c889-48b1-4e5e-bc35-ee9ce7e63f54"
MULTI_SESSION = "f5e0b091-3bf7-47b8-a543-d85dec7e3084"

# -- backfill ---------------------------------------------------------------------------------
def sample_projects(tmp_path: Path) -> Path:
    """The sample transcripts laid out like ~/.claude/projects, a secret planted in a tool
    result and in a prompt, and one line that is not JSON."""
    slug = tmp_path / "projects" / "-tmp-cc-samples-project"
    (slug / SUB_SESSION / "subagents").mkdir(parents=True)
    shutil.copy(SAMPLES / "subagent.transcript.main.jsonl", slug / f"{SUB_SESSION}.jsonl")
    shutil.copy(SAMPLES / "subagent.transcript.subagent.jsonl",
                slug / SUB_SESSION / "subagents" / f"agent-{AGENT}.jsonl")
    lines = []
    for raw in (SAMPLES / "multi_tool.transcript.main.jsonl").read_text().splitlines():
        line = json.loads(raw)
        result = line.get("toolUseResult")
        if isinstance(result, dict) and "file" in result:
            result["file"]["content"] = f"alpha\nkey {SECRET}\n"
            line["message"]["content"][0]["content"] = f"1\talpha\n2\tkey {SECRET}\n"
        if line.get("type") == "user" and isinstance(line["message"]["content"], str):
            line["message"]["content"] += f" with {SECRET}"
        lines.append(json.dumps(line))
    lines.insert(5, "{this line is broken")
    (slug / f"{MULTI_SESSION}.jsonl").write_text("\n".join(lines) + "\n")
    return tmp_path / "projects"


def test_backfill_dry_run_selection_and_session_ids(data_dir: Path, tmp_path: Path) -> None:
    projects = sample_projects(tmp_path)
    slug = next(projects.iterdir())
    # a copy of a session under another file name is the same session (its lines' sessionId)
    shutil.copy(slug / f"{MULTI_SESSION}.jsonl", slug / "renamed-copy.jsonl")
    dry = cli("backfill", "--projects-dir", str(projects), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "would backfill 2 sessions, 11 events, ~" in dry.stdout, dry.stdout
    assert "0 already known, 0 empty, 0 not selected" in dry.stdout
    assert not data_dir.exists()  # a dry run stores nothing
    one = cli("backfill", "--projects-dir", str(projects), "--dry-run", "--limit", "1")
    assert "would backfill 1 session, 5 events" in one.stdout and "1 not selected" in one.stdout
    late = cli("backfill", "--projects-dir", str(projects), "--dry-run", "--since", "2026-11-22")
    assert "would backfill 0 sessions, 0 events" in late.stdout and "2 not selected" in late.stdout
    other = cli("backfill", "--projects-dir", str(projects), "--dry-run", "--project", "nope")
    assert "would backfill 0 sessions" in other.stdout
    for bad in (["--since", "2026-13-45"], ["--limit", "0"]):
        assert cli("backfill", "--projects-dir", str(projects), "--dry-run", *bad).returncode == 2
    missing = cli("backfill", "--projects-dir", str(tmp_path / "nowhere"))
    assert missing.returncode == 1 and "no transcripts folder" in missing.stderr


def files_holding(root: Path, needle: bytes) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and needle in p.read_bytes()]


def test_backfill_from_real_transcripts(data_dir: Path, tmp_path: Path) -> None:
    projects = sample_projects(tmp_path)
    with FakeModel() as model:
        use_openrouter(data_dir, model.url)
        result = cli("backfill", "--projects-dir", str(projects))
        assert result.returncode == 0, result.stderr
        # oldest session first
        assert "backfill 1/2: f5e0b091" in result.stdout and "backfill 2/2: 5032c889" in result.stdout
        assert ("2 transcripts: 2 imported (11 events), 0 already known, 0 empty, "
                "1 malformed lines skipped") in result.stdout
        calls = len(model.requests)
        assert calls >= 2
        again = cli("backfill", "--projects-dir", str(projects))
        assert again.returncode == 0, again.stderr
        assert "0 imported (0 events), 2 already known" in again.stdout
        assert len(model.requests) == calls
    conn = open_store(str(data_dir))
    per_session = dict(conn.execute("SELECT session_id, count(*) FROM observations GROUP BY session_id"))
    assert per_session.keys() == {SUB_SESSION, MULTI_SESSION}
    assert {r[0] for r in conn.execute("SELECT session_id FROM summaries")} == {SUB_SESSION, MULTI_SESSION}
    assert dict(conn.execute("SELECT state, count(*) FROM events GROUP BY state")) == {"done": 11}
    sub = conn.execute("SELECT * FROM events WHERE agent_id = ?", (AGENT,)).fetchall()
    assert [(e["tool_name"], e["agent_type"], e["kind"]) for e in sub] == [
        ("Bash", "general-purpose", "tool")]
    assert "from-subagent" in sub[0]["body"]
    kinds = [r[0] for r in conn.execute("SELECT kind FROM events WHERE session_id = ? ORDER BY id",
                                        (MULTI_SESSION,))]
    assert kinds == ["session_start", "prompt", "tool", "tool", "tool_failure", "session_end"]
    stamps = [r[0] for r in conn.execute("SELECT created_at FROM events UNION ALL SELECT created_at"
                                         " FROM observations UNION ALL SELECT updated_at FROM summaries")]
    assert len(stamps) == 11 + sum(per_session.values()) + 2
    assert all(s.startswith("2026-11-21T10:58:") for s in stamps)  # the transcript's times
    [prompt] = conn.execute("SELECT text FROM prompts WHERE session_id = ?", (MULTI_SESSION,)).fetchall()
    assert prompt[0].startswith("write, read, fail with [REDACTED")
    assert files_holding(data_dir, b"Q" * 40) == []
    assert len(files_holding(projects, SECRET.encode())) == 1  # the planted copy itself
