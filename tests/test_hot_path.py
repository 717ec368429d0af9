"""The capture hook imports only what its budget allows."""

from __future__ import annotations

import json
import re
import subprocess

from helpers.hooks import PYTHON, ROOT, load_payloads

FORBIDDEN = ("anthropic", "chromadb", "httpx", "orjson", "filelock", "sqlite3", "subprocess", "json",
             "logging", "dataclasses", "typing", "hashlib", "asyncio")


def imported_modules(event: str, payload: dict[str, object], env: dict[str, str]) -> set[str]:
    result = subprocess.run(
        [PYTHON, "-S", "-E", "-X", "importtime", str(ROOT / "hooks" / "launch.py"), "hook", event],
        input=json.dumps(payload).encode(), capture_output=True, env=env, timeout=60)
    assert result.returncode == 0
    names = re.findall(r"import time:\s+\d+ \|\s+\d+ \|\s+(\S+)", result.stderr.decode())
    return {n.split(".")[0] for n in names}


def test_capture_hooks_never_import_heavy_modules(data_dir: object, tmp_path: object) -> None:
    env = {"CLAUDE_RECALL_DATA_DIR": str(data_dir), "HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    for record in load_payloads("multi_tool"):
        modules = imported_modules(str(record["event"]), record["payload"], env)
        assert "recall_plugin" in modules
        reads_memory = record["event"] in ("SessionStart", "UserPromptSubmit")  # injects memory
        allowed = {"sqlite3"} if reads_memory else set()
        assert not modules & (set(FORBIDDEN) - allowed), (record["event"], modules & set(FORBIDDEN))
