"""The capture hook imports only what its budget allows."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from helpers.hooks import PYTHON, ROOT, HookRunner, load_payloads
from helpers.memory import plant_for_folder

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
        allowed = {"_sqlite3"} if reads_memory else set()
        assert not modules & (set(FORBIDDEN) - allowed), (record["event"], modules & set(FORBIDDEN))


def test_hooks_that_read_memory_use_the_sqlite_c_module_alone(data_dir: Path,
                                                               run_hook: HookRunner) -> None:
    """With memory in the store, SessionStart and UserPromptSubmit read it (and inject it)
    through ``sqldriver``: no ``sqlite3`` package, ``functools`` or (for a prompt naming no
    date) ``datetime``."""
    shop = run_hook.cwd.parent / "shop"
    plant_for_folder(data_dir, shop)
    env = run_hook.env(CLAUDE_RECALL_AUTO_EXTRACT="false")
    heavy = {*FORBIDDEN, "functools", "collections", "datetime"}
    for record in load_payloads("multi_tool"):
        event = str(record["event"])
        if event not in ("SessionStart", "UserPromptSubmit"):
            continue
        payload = dict(record["payload"], cwd=str(shop), session_id=f"hot-{event}",
                       prompt="the uploader retried the 429s again; check the backoff")
        result = subprocess.run(
            [PYTHON, "-S", "-E", "-X", "importtime", str(ROOT / "hooks" / "launch.py"), "hook", event],
            input=json.dumps(payload).encode(), capture_output=True, env=env, cwd=shop, timeout=60)
        context = json.loads(result.stdout)["hookSpecificOutput"]["additionalContext"]
        assert "Fix retry storm in uploader" in context, event
        names = re.findall(r"import time:\s+\d+ \|\s+\d+ \|\s+(\S+)", result.stderr.decode())
        modules = {n.split(".")[0] for n in names}
        assert "_sqlite3" in modules, event
        assert not modules & heavy, (event, modules & heavy)
