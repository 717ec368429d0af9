"""The MCP server over raw JSON-RPC on stdio, as a client that is not the SDK would speak it:
version negotiation, the modern per-request version, batches and error codes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from helpers.mcp_server import (
    MODERN_META,
    TOOL_NAMES,
    Raw,
    initialize,
    request,
)


@pytest.mark.parametrize(("asked", "answered"), [
    ("2024-11-05", "2024-11-05"), ("2025-03-26", "2025-03-26"), ("2025-06-18", "2025-06-18"),
    ("2025-11-25", "2025-11-25"), ("2099-01-01", "2025-11-25"), ("2026-07-28", "2025-11-25")])
def test_legacy_initialize_negotiates_the_version(tmp_path: Path, asked: str, answered: str) -> None:
    raw = Raw(tmp_path)
    result = raw.ask(initialize(asked))["result"]
    assert result["protocolVersion"] == answered
    assert result["capabilities"] == {"tools": {"listChanged": False}}
    assert result["serverInfo"]["name"] == "recall"
    raw.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
    raw.send({"jsonrpc": "2.0", "method": "notifications/whatever", "params": {"x": 1}})
    assert raw.ask(request(1, "ping")) == {"jsonrpc": "2.0", "id": 1, "result": {}}
    listed = raw.ask(request(2, "tools/list"))["result"]
    assert {t["name"] for t in listed["tools"]} == TOOL_NAMES and "resultType" not in listed
    assert raw.ask(initialize(asked))["error"]["code"] == -32600  # only once
    raw.close()


def test_modern_requests_carry_their_version(tmp_path: Path) -> None:
    raw = Raw(tmp_path)
    found = raw.ask(request("d", "server/discover", {"_meta": MODERN_META}))["result"]
    assert found["supportedVersions"] == ["2026-07-28"] and found["resultType"] == "complete"
    assert found["capabilities"] == {"tools": {"listChanged": False}}
    assert found["_meta"]["io.modelcontextprotocol/serverInfo"]["name"] == "recall"
    assert isinstance(found["ttlMs"], int) and found["cacheScope"] == "private"
    listed = raw.ask(request(1, "tools/list", {"_meta": MODERN_META}))["result"]
    assert listed["resultType"] == "complete" and listed["cacheScope"] == "private" and "ttlMs" in listed
    called = raw.ask(request(2, "tools/call", {"name": "search", "arguments": {"query": "retry"},
                                               "_meta": MODERN_META}))["result"]
    assert called["resultType"] == "complete" and called["isError"] is False
    assert called["content"][0]["text"].startswith("No relevant memory in project alpha")
    future = {**MODERN_META, "io.modelcontextprotocol/protocolVersion": "2099-01-01"}
    wrong = raw.ask(request(3, "tools/list", {"_meta": future}))
    assert wrong["error"]["code"] == -32022
    assert wrong["error"]["data"] == {"supported": ["2026-07-28"], "requested": "2099-01-01"}
    bare = {"io.modelcontextprotocol/protocolVersion": "2026-07-28"}
    assert raw.ask(request(4, "tools/list", {"_meta": bare}))["error"]["code"] == -32602
    assert raw.ask(request(5, "ping", {"_meta": MODERN_META}))["error"]["code"] == -32601  # gone in 2026
    assert raw.ask(request(6, "server/discover"))["error"]["code"] == -32602  # no envelope
    raw.close()


@pytest.mark.parametrize(("line", "code", "ident"), [
    (b"{not json", -32700, None),
    (b"\xff\xfe", -32700, None),
    (b"42", -32600, None),
    (b'{"jsonrpc": "1.0", "id": 1, "method": "ping"}', -32600, 1),
    (b'{"jsonrpc": "2.0", "id": null, "method": "ping"}', -32600, None),
    (b'{"jsonrpc": "2.0", "id": 3, "method": 7}', -32600, 3),
    (b'{"jsonrpc": "2.0", "id": 4, "method": "tools/list"}', -32600, 4),  # before initialize
])
def test_malformed_input_gets_the_json_rpc_error(tmp_path: Path, line: bytes, code: int, ident: Any) -> None:
    raw = Raw(tmp_path)
    answer = raw.ask(line)
    assert answer["jsonrpc"] == "2.0" and answer["id"] == ident and answer["error"]["code"] == code
    assert raw.ask(initialize("2025-11-25"))["result"]  # still serving
    raw.close()


def test_method_and_params_errors_after_initialize(tmp_path: Path) -> None:
    raw = Raw(tmp_path)
    raw.ask(initialize("2025-06-18"))
    assert raw.ask(request(1, "resources/list"))["error"]["code"] == -32601
    assert raw.ask(request(2, "prompts/list"))["error"]["code"] == -32601
    assert raw.ask(request(3, "tools/call", {"arguments": {}}))["error"]["code"] == -32602
    assert raw.ask(request(4, "tools/call", {"name": "nope"}))["error"] == {
        "code": -32602, "message": "Unknown tool: nope"}
    bad = raw.ask(request(5, "tools/call", {"name": "search", "arguments": {"query": "x", "cwd": "/"}}))
    assert bad["result"]["isError"] is True
    assert "unknown argument 'cwd'" in bad["result"]["content"][0]["text"]
    assert raw.ask(request(6, "tools/call", {"name": "search", "arguments": []}))["result"]["isError"]
    raw.send(b'{"jsonrpc": "2.0", "id": 9, "result": {}}')  # a response: nothing to answer
    assert raw.ask(request(7, "ping"))["id"] == 7
    raw.close()


def test_batches_only_where_the_version_has_them(tmp_path: Path) -> None:
    old = Raw(tmp_path / "old")
    old.ask(initialize("2025-03-26"))
    answers = old.ask([request(1, "ping"), {"jsonrpc": "2.0", "method": "notifications/initialized"},
                       request(2, "tools/list")])
    assert [a["id"] for a in answers] == [1, 2] and answers[1]["result"]["tools"]
    assert old.ask([])["error"]["code"] == -32600
    old.close()
    new = Raw(tmp_path / "new")
    new.ask(initialize("2025-06-18"))
    assert new.ask([request(1, "ping")])["error"]["code"] == -32600
    new.close()
