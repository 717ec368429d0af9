"""Every secret kind x every placement, through the real hook entry, backfill and import:
no canary in any file under the data dir (spool, database pages, WAL, logs), the SessionStart
context, an export, or a provider request. Plus the near-miss corpus and its rate."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers.extraction import FakeModel, use_openrouter
from helpers.secret_corpus import CASES, NEAR_MISSES

from recall_plugin import settings
from recall_plugin.capture import hook
from recall_plugin.capture.privacy import scrub
from recall_plugin.extract.runner import Extractor
from recall_plugin.lifecycle import backfill, transfer
from recall_plugin.queue.ingest import ingest
from recall_plugin.store.db import open_store

SESSION = "sess-redact"
Payload = dict[str, object]


def _tool(name: str, tool_input: object, response: object = "ok") -> tuple[str, Payload]:
    return "PostToolUse", {"tool_name": name, "tool_input": tool_input, "tool_response": response}


PLACEMENTS: dict[str, Callable[[str], tuple[str, Payload]]] = {
    "prompt": lambda t: ("UserPromptSubmit", {"prompt": f"please look:\n{t}"}),
    "bash-command": lambda t: _tool("Bash", {"command": f"cat <<'EOF'\n{t}\nEOF"}),
    "bash-output": lambda t: _tool("Bash", {"command": "cat notes"}, {"stdout": t, "stderr": ""}),
    "edit-old": lambda t: _tool("Edit", {"file_path": "/p/a.py", "old_string": t,
                                         "new_string": "x = 1"}),
    "edit-new": lambda t: _tool("Edit", {"file_path": "/p/a.py", "old_string": "x = 1",
                                         "new_string": t}),
    "write": lambda t: _tool("Write", {"file_path": "/p/config.txt", "content": t}),
    "read": lambda t: _tool("Read", {"file_path": "/p/notes.txt"},
                            {"type": "text", "file": {"filePath": "/p/notes.txt", "content": t}}),
    "mcp-input": lambda t: _tool("mcp__docs__search", {"query": t, "limit": 5}),
    "subagent-prompt": lambda t: _tool("Task", {"description": "look", "prompt": t}),
    "stop-message": lambda t: ("Stop", {"last_assistant_message": f"Done. I saw {t}"}),
    "tool-failure": lambda t: ("PostToolUseFailure", {"tool_name": "Bash", "tool_input": {
        "command": "deploy"}, "error": f"Exit code 1\n{t}"}),
}


def run(event: str, payload: Payload, cwd: Path) -> None:
    body = {"session_id": SESSION, "cwd": str(cwd), "hook_event_name": event, **payload}
    hook.main(event, io.BytesIO(json.dumps(body).encode()))


def everything(data_dir: Path) -> bytes:
    return b"".join(p.read_bytes() for p in data_dir.rglob("*") if p.is_file())


def leaks(blob: bytes, where: str) -> list[str]:
    return [f"{kind} @ {where}" for kind, _, canary in CASES if canary.encode() in blob]


def test_no_kind_leaks_from_any_placement(data_dir: Path, tmp_path: Path) -> None:
    cwd = tmp_path / "project"
    cwd.mkdir()
    run("SessionStart", {"source": "startup"}, cwd)
    for n, (_kind, text, _) in enumerate(CASES):
        for place, make in PLACEMENTS.items():
            event, payload = make(text)
            run(event, {**payload, "tool_use_id": f"t-{n}-{place}", "prompt_id": f"p-{n}"}, cwd)
    conn = open_store(str(data_dir))
    assert ingest(conn, str(data_dir)).inserted == 1 + len(CASES) * len(PLACEMENTS)
    out = io.StringIO()
    transfer.export(conn, out)
    conn.close()
    context = hook.context_text("project", str(cwd), settings.load())
    found = leaks(everything(data_dir), "data dir") + leaks(out.getvalue().encode(), "export") \
        + leaks(context.encode(), "context")
    print(f"redaction corpus: {len(CASES)} kinds x {len(PLACEMENTS)} placements, "
          f"{len(found)} leaks")
    assert found == []
    assert b"[REDACTED:" in everything(data_dir)


def test_backfilled_transcripts_and_imports_leak_nothing(data_dir: Path, tmp_path: Path) -> None:
    projects = tmp_path / "projects" / "-p"
    projects.mkdir(parents=True)
    lines = []
    for n, (_, text, _) in enumerate(CASES):
        lines += [
            {"type": "user", "cwd": str(tmp_path), "timestamp": f"2026-11-01T10:{n // 60:02d}:"
             f"{n % 60:02d}.000Z", "message": {"role": "user", "content": f"look {text}"}},
            {"type": "assistant", "message": {"content": [
                {"type": "text", "text": f"I saw {text}"},
                {"type": "tool_use", "id": f"tu{n}", "name": "Bash", "input": {"command": text}}]}},
            {"type": "user", "message": {"content": [
                {"type": "tool_result", "tool_use_id": f"tu{n}", "content": text}]}},
        ]
    (projects / "s-backfill.jsonl").write_text("\n".join(json.dumps(x) for x in lines))
    items, _ = backfill.payloads(backfill.find_transcripts(str(tmp_path / "projects"))[0])
    spooled = b"".join(backfill.captured_lines(items, settings.load()))
    records = [json.dumps({"record": "prompt", "session_id": "s-import", "prompt_id": f"i{n}",
                           "prompt_number": n + 1, "project": "p", "text": text,
                           "created_at": "2026-11-01T00:00:00Z"}) for n, (_, text, _) in
               enumerate(CASES)]
    conn = open_store(str(data_dir))
    report = transfer.import_lines(conn, records)
    conn.close()
    assert report.prompts == len(CASES)
    assert leaks(spooled, "backfill") + leaks(everything(data_dir), "import") == []


def test_provider_requests_hold_no_canary(data_dir: Path, tmp_path: Path) -> None:
    cwd = tmp_path / "project"
    cwd.mkdir()
    with FakeModel() as model:
        use_openrouter(data_dir, model.url)
        for n, (_, text, _) in enumerate(CASES[::3]):
            place = list(PLACEMENTS)[n % len(PLACEMENTS)]
            event, payload = PLACEMENTS[place](text)
            run(event, {**payload, "tool_use_id": f"t{n}", "prompt_id": "p1"}, cwd)
        run("Stop", {"last_assistant_message": "done", "prompt_id": "p1"}, cwd)
        extractor = Extractor(str(data_dir), drain=True)
        try:
            extractor.run(idle_s=0)
        finally:
            extractor.close()
        assert model.requests
        sent = json.dumps([r.body for r in model.requests]).encode()
    assert leaks(sent, "provider request") == []


def test_near_misses_stay_intact() -> None:
    changed = [text for text in NEAR_MISSES if scrub(text)[0] != text]
    rate = 1 - len(changed) / len(NEAR_MISSES)
    print(f"near misses: {len(NEAR_MISSES)}, kept intact {rate:.1%}, changed {changed}")
    assert len(NEAR_MISSES) >= 50
    assert rate >= 0.95


@pytest.mark.parametrize(("kind", "text", "canary"), CASES, ids=[c[0] for c in CASES])
def test_each_kind_is_redacted_and_idempotent(kind: str, text: str, canary: str) -> None:
    once = scrub(text)[0]
    assert canary not in once and "[REDACTED:" in once
    assert scrub(once)[0] == once


def test_export_scans_what_it_writes(data_dir: Path) -> None:
    """A secret stored before the redactor knew its format is not exported."""
    _, text, canary = next(c for c in CASES if c[0] == "prefix:glpat-")
    conn = open_store(str(data_dir))
    with conn:
        conn.execute("INSERT INTO sessions (session_id, project, started_at, last_event_at)"
                     " VALUES ('s', 'p', '2026-11-01', '2026-11-01')")
        conn.execute("INSERT INTO prompts (session_id, prompt_id, prompt_number, project, text,"
                     " private, created_at) VALUES ('s', 'p', 1, 'p', ?, 0, '2026-11-01')", (text,))
    out = io.StringIO()
    transfer.export(conn, out)
    assert canary not in out.getvalue() and "[REDACTED:gitlab-token]" in out.getvalue()


def test_future_stamped_events_are_clamped(data_dir: Path) -> None:
    from recall_plugin.queue.ingest import parse_line

    line = json.dumps({"key": "k1", "kind": "tool", "session_id": "s", "ts": "9999-12-31T00:00:00Z"})
    event, _ = parse_line(line.encode())
    assert event is not None and str(event.ts) < "9999"
    ok, _ = parse_line(line.replace("9999-12-31", "2026-01-02").encode())
    assert ok is not None and ok.ts == "2026-01-02T00:00:00Z"
