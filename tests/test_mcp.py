"""The MCP server through a real MCP client over stdio (``python -m recall_plugin mcp``).

One server runs for the module over a small planted corpus (projects alpha and beta); its
working directory is a folder named ``alpha``, so "the current project" is alpha. The last
test runs the real Claude Code CLI with the plugin and checks the five tools reach the model.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from claude_cli import sdk_python
from conftest import ROOT
from mcp import ClientSession, StdioServerParameters, stdio_client
from mcp.types import CallToolResult, TextContent

from recall_plugin.store.db import open_store

TOOL_NAMES = {"search", "timeline", "get_observations", "save_memory", "forget"}
OBSERVATIONS = [  # id, project, type, title, narrative, concepts, files, created_at
    (1, "alpha", "bugfix", "Fix retry storm in uploader", "Retries had no backoff; added jitter.",
     ["retry", "backoff"], ["src/uploader.py"], "2026-11-18T10:00:00.000Z"),
    (2, "alpha", "decision", "Use exponential backoff for uploads", "Decided: 2x backoff, cap 60s.",
     ["backoff"], ["src/uploader.py", "docs/adr/7.md"], "2026-11-19T10:00:00.000Z"),
    (3, "alpha", "feature", "Add upload progress bar", "Progress bar in the CLI.",
     ["ui"], ["src/cli/progress.py"], "2026-11-20T10:00:00.000Z"),
    (4, "beta", "bugfix", "Fix retry loop in beta client", "The beta client retried forever.",
     ["retry"], ["client/http.go"], "2026-11-20T11:00:00.000Z"),
    (5, "alpha", "change", "Bump uploader timeout", "Timeout 30s -> 90s.",
     [], ["src/uploader.py"], "2026-11-21T09:00:00.000Z"),
]


def plant(data_dir: Path) -> None:
    conn = open_store(str(data_dir))
    for oid, project, kind, title, narrative, concepts, files, created in OBSERVATIONS:
        conn.execute("INSERT INTO observations (id, session_id, project, type, title, narrative,"
                     " facts, concepts, files_read, files_modified, created_at)"
                     " VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                     (oid, f"s-{project}", project, kind, title, narrative,
                      json.dumps([f"fact of {oid}"]), json.dumps(concepts), "[]", json.dumps(files),
                      created))
    conn.execute("INSERT INTO summaries (id, session_id, project, request, completed, created_at,"
                 " updated_at) VALUES (7, 's-alpha', 'alpha', 'Investigate uploader retry storms',"
                 " 'Backoff added', '2026-11-19T12:00:00.000Z', '2026-11-19T12:00:00.000Z')")
    conn.close()


@asynccontextmanager
async def connect(params: StdioServerParameters) -> AsyncIterator[ClientSession]:
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        yield session


class Mcp:
    """Synchronous calls into a client session that lives in a portal's event loop."""

    def __init__(self, portal: BlockingPortal, session: ClientSession, data_dir: Path) -> None:
        self.portal, self.session, self.data_dir = portal, session, data_dir
        self.startup_s = 0.0

    def call(self, name: str, **arguments: Any) -> tuple[bool, str]:
        result: CallToolResult = self.portal.call(self.session.call_tool, name, arguments)
        text = "\n".join(c.text for c in result.content if isinstance(c, TextContent))
        return bool(result.is_error), text

    def ok(self, name: str, **arguments: Any) -> str:
        failed, text = self.call(name, **arguments)
        assert not failed, text
        return text


@pytest.fixture(scope="module")
def mcp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mcp]:
    base = tmp_path_factory.mktemp("mcp")
    (base / "alpha").mkdir()
    plant(base / "data")
    env = {"CLAUDE_RECALL_DATA_DIR": str(base / "data"), "HOME": str(base), "PYTHONPATH": str(ROOT)}
    params = StdioServerParameters(command=sys.executable, args=["-m", "recall_plugin", "mcp"],
                                   env=env, cwd=str(base / "alpha"))
    started = time.monotonic()
    with start_blocking_portal() as portal, \
            portal.wrap_async_context_manager(connect(params)) as session:
        client = Mcp(portal, session, base / "data")
        client.portal.call(session.list_tools)
        client.startup_s = time.monotonic() - started
        yield client


def refs(text: str) -> list[str]:
    """The record refs of a search or timeline answer, in order (without the last line)."""
    return [line.lstrip("> ").split()[0] for line in text.splitlines()[:-1]] if "\n" in text else []


def test_lists_five_tools_with_schemas_and_starts_fast(mcp: Mcp) -> None:
    tools = {t.name: t for t in mcp.portal.call(mcp.session.list_tools).tools}
    assert set(tools) == TOOL_NAMES
    assert tools["forget"].input_schema["required"] == ["ids", "reason"]
    assert tools["save_memory"].input_schema["required"] == ["title", "text"]
    assert "decision" in tools["save_memory"].input_schema["properties"]["type"]["enum"]
    assert set(tools["search"].input_schema["properties"]) == {
        "query", "project", "type", "since", "until", "file", "concept", "limit"}
    assert all(t.description and len(t.description) < 400 for t in tools.values())
    assert "title" not in json.dumps(tools["search"].input_schema)
    assert mcp.startup_s < 15, mcp.startup_s  # typically about 1 s; generous for a loaded CI box


def test_search_gives_compact_lines_best_first(mcp: Mcp) -> None:
    text = mcp.ok("search", query="retry storm uploader")
    lines = text.splitlines()
    assert lines[0].startswith("#1 2026-11-18 bugfix  Fix retry storm in uploader  (src/uploader.py)")
    assert refs(text)[0] == "#1" and "sum:7" in refs(text)
    assert "#4" not in refs(text)  # beta is another project
    assert "get_observations" in lines[-1] and "narrative" not in text
    assert "Retries had no backoff" not in text  # index lines only, never full records


def test_search_filters(mcp: Mcp) -> None:
    assert sorted(refs(mcp.ok("search", query="retry", project="*", type="bugfix"))) == ["#1", "#4"]
    every = mcp.ok("search", query="retry", project="*")
    assert "[beta]" in every and "[alpha]" in every
    assert refs(mcp.ok("search", query="retry", project="beta")) == ["#4"]
    assert refs(mcp.ok("search", type="summary")) == ["sum:7"]
    assert refs(mcp.ok("search", file="progress.py")) == ["#3"]
    assert refs(mcp.ok("search", concept="backoff", since="2026-11-19")) == ["#2"]
    assert refs(mcp.ok("search", type="bugfix,change", until="2026-11-21")) == ["#1"]
    assert refs(mcp.ok("search", since="2026-11-01", limit=2)) == ["#5", "#3"]
    assert mcp.ok("search", query="retry", project="gamma").startswith(
        "No memory matches in project gamma")


def test_timeline_around_an_id(mcp: Mcp) -> None:
    text = mcp.ok("timeline", around_id=2, before=1, after=1)
    assert [line.split()[0] for line in text.splitlines()] == ["#1", ">", "#3"]
    assert text.splitlines()[1].startswith("> #2 2026-11-19 decision  Use exponential backoff")
    assert "(src/uploader.py, docs/adr/7.md)" in text
    assert [ln.split()[0] for ln in mcp.ok("timeline", date="2026-11-20", before=0, after=1)
            .splitlines()] == ["#3", "#5"]  # beta's #4 is not the current project's
    assert "#4" in mcp.ok("timeline", around_id=4)  # the anchor's project by default


def test_get_observations_returns_full_records(mcp: Mcp) -> None:
    records = json.loads(mcp.ok("get_observations", ids=[2, "sum:7", "#404"]))
    assert records[0]["id"] == 2 and records[0]["kind"] == "observation"
    assert records[0]["narrative"] == "Decided: 2x backoff, cap 60s."
    assert records[0]["facts"] == ["fact of 2"] and records[0]["concepts"] == ["backoff"]
    assert records[0]["files_modified"] == ["src/uploader.py", "docs/adr/7.md"]
    assert records[1]["kind"] == "summary" and records[1]["request"].startswith("Investigate")
    assert records[2] == {"ref": "#404", "error": "not found"}


def test_save_then_search_then_forget(mcp: Mcp) -> None:
    saved = mcp.ok("save_memory", title="Zanzibar cache must be warmed before deploy",
                   text="Cold zanzibar cache caused 5 minutes of 502s.", type="decision",
                   concepts=["deploy"], files=["ops/deploy.sh"])
    assert saved.startswith("Saved as #") and saved.endswith("in project alpha.")
    new_id = int(saved.split("#")[1].split()[0])
    found = mcp.ok("search", query="zanzibar")
    assert refs(found)[0] == f"#{new_id}" and " decision  Zanzibar cache" in found
    record = json.loads(mcp.ok("get_observations", ids=[new_id]))[0]
    assert record["project"] == "alpha" and record["files_read"] == ["ops/deploy.sh"]
    gone = mcp.ok("forget", ids=[new_id, 999], reason="test note")
    assert gone.startswith(f"Forgot #{new_id} (1 observation")
    assert "Verification passed" in gone
    assert "Not found: #999" in gone
    assert f"#{new_id}" not in refs(mcp.ok("search", query="zanzibar cache deploy"))
    assert mcp.call("get_observations", ids=[new_id])[0] is True


@pytest.mark.parametrize(("tool", "arguments", "message"), [
    ("get_observations", {"ids": [404]}, "no memory record #404"),
    ("get_observations", {"ids": ["abc"]}, "bad id 'abc'"),
    ("get_observations", {"ids": []}, "give 1 to 50 ids"),
    ("timeline", {"around_id": 404}, "no observation #404"),
    ("search", {}, "search needs a query or at least one filter"),
    ("search", {"query": "  "}, "search needs a query or at least one filter"),
    ("search", {"query": "x", "since": "last week"}, "since must be a date like"),
    ("search", {"query": "x", "type": "bug"}, "unknown type bug"),
    ("search", {"query": 5}, "search: bad arguments: query: Input should be a valid string"),
    ("forget", {"ids": [1]}, "forget: bad arguments: reason: required"),
    ("forget", {"ids": [1], "reason": " "}, "forget needs a reason"),
    ("forget", {"ids": [404], "reason": "x"}, "no memory record #404"),
    ("save_memory", {"title": "t", "text": "x", "type": "idea"}, "save_memory: bad arguments: type:"),
    ("save_memory", {"title": " ", "text": "x"}, "needs a non-empty title and text"),
    ("no_such_tool", {}, "Unknown tool"),
])
def test_bad_input_gives_clear_error_text(mcp: Mcp, tool: str, arguments: dict[str, Any],
                                          message: str) -> None:
    failed, text = mcp.call(tool, **arguments)
    assert failed and message in text, text
    assert "Traceback" not in text and "pydantic.dev" not in text


def test_server_survives_errors_and_logs(mcp: Mcp) -> None:
    assert mcp.call("timeline", around_id=404)[0]
    assert refs(mcp.ok("search", query="progress bar"))[0] == "#3"
    log = (mcp.data_dir / "logs" / "recall.log").read_text()
    assert "[mcp pid=" in log and "mcp server up" in log and "mcp search ok in" in log
    assert "no observation #404" in log


def test_startup_imports_no_vector_stack() -> None:
    code = ("import sys, recall_plugin.mcpserver.server as s; s.build();"
            " print(sorted(m for m in sys.modules if m.split('.')[0] in ('chromadb', 'onnxruntime')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         timeout=60, check=True)
    assert out.stdout.strip() == "[]"


def test_cli_without_the_sdk_says_why(tmp_path: Path) -> None:
    """python3 without the ``mcp`` package (plugin environment not built yet): a clear message."""
    (tmp_path / "mcp.py").write_text("raise ImportError('No module named mcp (simulated)')\n")
    env = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}"}
    result = subprocess.run([sys.executable, "-m", "recall_plugin", "mcp"], capture_output=True,
                            text=True, env=env, timeout=60, stdin=subprocess.DEVNULL)
    assert result.returncode == 1 and "plugin environment" in result.stderr


def test_launcher_runs_the_plugin_env_safe_from_the_projects_modules(tmp_path: Path,
                                                                   data_dir: Path) -> None:
    """``sh hooks/mcp`` as .mcp.json runs it: from a project whose own ``mcp.py`` must not win."""
    plant(data_dir)
    project = tmp_path / "gamma"
    project.mkdir()
    (project / "mcp.py").write_text("raise SystemExit('the project shadowed the SDK')\n")
    sdk_python(tmp_path / "plugin-data" / "venv" / "bin")
    env = {"CLAUDE_PLUGIN_ROOT": str(ROOT), "CLAUDE_PLUGIN_DATA": str(tmp_path / "plugin-data"),
           "CLAUDE_RECALL_DATA_DIR": str(data_dir), "HOME": str(tmp_path),
           "CLAUDE_RECALL_INDEX_MODE": "off"}
    params = StdioServerParameters(command="sh", args=[str(ROOT / "hooks" / "mcp")], env=env,
                                   cwd=str(project))

    async def scenario() -> list[str]:
        async with connect(params) as session:
            results = [await session.call_tool("search", {"query": "retry"}),
                       await session.call_tool("search", {"query": "retry", "project": "*"})]
        return [str(getattr(r.content[0], "text", "")) for r in results]

    here, everywhere = anyio.run(scenario)
    assert here.startswith("No memory matches in project gamma")
    assert "#1 2026-11-18 bugfix [alpha]" in everywhere


@pytest.mark.e2e
def test_claude_code_lists_the_plugin_tools(tmp_path: Path, data_dir: Path) -> None:
    from claude_cli import Claude
    from fake_anthropic import FakeAnthropic, Script

    plant(data_dir)
    call = {"type": "tool_use", "name": "mcp__plugin_recall_recall__search",
            "input": {"query": "retry", "project": "*"}}
    with FakeAnthropic(Script([[call], "done"])) as fake:
        claude = Claude(tmp_path, fake.url, {"CLAUDE_RECALL_DATA_DIR": str(data_dir),
                                             "CLAUDE_RECALL_AUTO_EXTRACT": "false",
                                             "ENABLE_TOOL_SEARCH": "false",
                                             "CLAUDE_RECALL_INDEX_MODE": "off"})
        sdk_python(claude.ready_plugin_env("recall-inline") / "venv-test" / "bin")
        result = claude.session("what broke before?", "--plugin-dir", str(ROOT))
    assert result["is_error"] is False
    bodies = [r["body"] for r in fake.script.requests if r["body"].get("tools")]
    # A server still starting when the first request goes out (a loaded machine) shows up from the
    # next one on; Claude Code holds an early call to it until it is connected.
    names = {t["name"] for body in bodies for t in body["tools"]}
    assert {f"mcp__plugin_recall_recall__{n}" for n in TOOL_NAMES} <= names
    assert not names & {"ListMcpResourcesTool", "ReadMcpResourceTool"}  # no resources advertised
    answer = json.dumps(bodies[-1]["messages"][-1])
    assert "#1 2026-11-18 bugfix [alpha]  Fix retry storm in uploader" in answer
