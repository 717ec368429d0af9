"""The plugin builds its own environment on the first SessionStart, with no manual step,
and loses no event while it does. A real venv and a real pip install of a small copy of the
plugin (same code, no third-party dependencies, so the test stays fast)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from conftest import PYTHON, ROOT, load_payloads, log_text, spooled

pytestmark = pytest.mark.slow

PYPROJECT = """[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "claude-recall"
version = "{version}"
requires-python = ">=3.10"

[tool.setuptools.packages.find]
include = ["recall_plugin*"]
"""


def small_plugin(dest: Path, version: str) -> Path:
    for part in ("hooks", "recall_plugin", ".claude-plugin"):
        shutil.copytree(ROOT / part, dest / part, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("__pycache__"))
    set_version(dest, version)
    return dest


def set_version(root: Path, version: str) -> None:
    (root / "pyproject.toml").write_text(PYPROJECT.format(version=version))
    manifest = json.loads((root / ".claude-plugin" / "plugin.json").read_text())
    (root / ".claude-plugin" / "plugin.json").write_text(json.dumps(dict(manifest, version=version)))


def hook(root: Path, env: dict[str, str], event: str, payload: dict[str, object]) -> None:
    result = subprocess.run(["sh", str(root / "hooks" / "run"), event], env=env, timeout=60,
                            input=json.dumps(payload).encode(), capture_output=True)
    assert result.returncode == 0 and result.stdout == b""


def wait_for(path: Path, seconds: float = 240) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.2)


def test_first_session_builds_the_environment(tmp_path: Path, data_dir: Path) -> None:
    from recall_plugin.capture import bootstrap

    root = small_plugin(tmp_path / "plugin", "9.9.1")
    pdata = tmp_path / "plugin-data"
    pdata.mkdir()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python3").symlink_to(PYTHON)  # the user's python3, no shim
    env = dict(os.environ, PATH=f"{bin_dir}:/usr/bin:/bin", CLAUDE_PLUGIN_ROOT=str(root),
               CLAUDE_PLUGIN_DATA=str(pdata), CLAUDE_RECALL_LOG_LEVEL="debug",
               PIP_DISABLE_PIP_VERSION_CHECK="1")
    records = {r["event"]: r["payload"] for r in load_payloads("bash_inject")}
    hook(root, env, "SessionStart", records["SessionStart"])
    for n in range(5):  # while the environment is being built
        hook(root, env, "PostToolUse", dict(records["PostToolUse"], tool_use_id=f"during-{n}"))
    stamp = pdata / "venv" / bootstrap.STAMP
    wait_for(stamp)
    assert stamp.read_text().strip() == bootstrap.env_key(str(root))
    venv_python = pdata / "venv" / "bin" / "python"
    imported = subprocess.run([str(venv_python), "-c", "import recall_plugin; print('ok')"],
                              capture_output=True, text=True, cwd=tmp_path)
    assert imported.stdout.strip() == "ok"

    hook(root, env, "PostToolUse", dict(records["PostToolUse"], tool_use_id="after"))
    ids = [e.get("tool_use_id") for e in spooled(data_dir) if e["kind"] == "tool"]
    assert ids == [f"during-{n}" for n in range(5)] + ["after"]
    assert log_text(data_dir).splitlines()[-1].endswith(f"by {venv_python}")

    first = os.path.realpath(pdata / "venv")
    hook(root, env, "SessionStart", records["SessionStart"])  # ready: nothing to do
    assert os.path.realpath(pdata / "venv") == first

    set_version(root, "9.9.2")  # a plugin update refreshes the environment
    hook(root, env, "SessionStart", records["SessionStart"])
    wait_for(Path(str(pdata / "venv-") + bootstrap.env_key(str(root))) / bootstrap.STAMP)
    deadline = time.monotonic() + 30
    while os.path.realpath(pdata / "venv") == first:
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert "9.9.2" in os.path.realpath(pdata / "venv")
    assert not (pdata / "bootstrap.failed").exists()


def test_a_failed_build_backs_off_and_says_so(tmp_path: Path, data_dir: Path) -> None:
    root = small_plugin(tmp_path / "plugin", "9.9.3")
    (root / "pyproject.toml").write_text("this is not toml [")
    pdata = tmp_path / "plugin-data"
    pdata.mkdir()
    env = dict(os.environ, CLAUDE_PLUGIN_ROOT=str(root), CLAUDE_PLUGIN_DATA=str(pdata),
               PIP_DISABLE_PIP_VERSION_CHECK="1")
    records = {r["event"]: r["payload"] for r in load_payloads("bash_inject")}
    hook(root, env, "SessionStart", records["SessionStart"])
    wait_for(pdata / "bootstrap.failed", 120)
    assert "building the plugin environment failed" in log_text(data_dir)
    hook(root, env, "SessionStart", records["SessionStart"])
    assert "plugin environment: backoff" in log_text(data_dir)
    assert len(spooled(data_dir)) == 2
