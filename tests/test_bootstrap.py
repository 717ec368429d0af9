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
from helpers.hooks import PYTHON, ROOT, load_payloads, log_text, spooled

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
    assert result.returncode == 0
    if event != "SessionStart":
        assert result.stdout == b""
    elif result.stdout:  # while the environment is not ready, the user and the model are told
        assert "claude-recall (memory plugin)" in json.loads(result.stdout)["systemMessage"]


def wait_for(path: Path, seconds: float = 240) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.2)


def test_first_session_builds_the_environment(tmp_path: Path, data_dir: Path) -> None:
    from recall_plugin.runtime import bootstrap

    root = small_plugin(tmp_path / "plugin", "9.9.1")
    pdata = tmp_path / "plugin-data"
    pdata.mkdir()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python3").symlink_to(PYTHON)  # the user's python3, no shim
    env = dict(os.environ, PATH=f"{bin_dir}:/usr/bin:/bin", CLAUDE_PLUGIN_ROOT=str(root),
               CLAUDE_PLUGIN_DATA=str(pdata), CLAUDE_RECALL_LOG_LEVEL="debug",
               PIP_DISABLE_PIP_VERSION_CHECK="1", CLAUDE_RECALL_ENV_INSTALLER="pip")
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
               PIP_DISABLE_PIP_VERSION_CHECK="1", CLAUDE_RECALL_ENV_INSTALLER="pip")
    records = {r["event"]: r["payload"] for r in load_payloads("bash_inject")}
    hook(root, env, "SessionStart", records["SessionStart"])
    wait_for(pdata / "bootstrap.failed", 120)
    assert "building the plugin environment failed" in log_text(data_dir)
    hook(root, env, "SessionStart", records["SessionStart"])
    assert "plugin environment: backoff" in log_text(data_dir)
    assert len(spooled(data_dir)) == 2


# -- what the user is told while the environment is not ready ----------------------------------
def test_describe_and_notice_follow_the_build(tmp_path: Path) -> None:
    from recall_plugin.locks import held_elsewhere
    from recall_plugin.runtime import bootstrap

    root = small_plugin(tmp_path / "plugin", "9.9.4")
    pdata = tmp_path / "plugin-data"
    pdata.mkdir()
    assert bootstrap.describe(str(root), str(pdata))[0] == "missing"
    holder = subprocess.Popen([PYTHON, "-c", "import fcntl, os, sys, time\n"
                               f"fd = os.open({str(pdata / 'bootstrap.lock')!r}, os.O_RDWR | os.O_CREAT)\n"
                               "fcntl.flock(fd, fcntl.LOCK_EX); print('held', flush=True); time.sleep(60)"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        assert held_elsewhere(str(pdata / "bootstrap.lock"))
        state, line = bootstrap.describe(str(root), str(pdata))
        assert state == "building" and "bootstrap.log" in line
        assert bootstrap.ensure(str(root), str(pdata)) == "building"
        assert "building its Python environment" in bootstrap.notice("building", str(pdata))
    finally:
        holder.kill()
        holder.wait()
    (pdata / "bootstrap.failed").write_text("pip exited 1\n")
    state, line = bootstrap.describe(str(root), str(pdata))
    assert state == "failed" and "pip exited 1" in line
    assert "failed" in bootstrap.notice("backoff", str(pdata))
    assert bootstrap.notice("ready", str(pdata)) == ""


def test_session_start_tells_the_user_once_while_building(tmp_path: Path, data_dir: Path) -> None:
    root = small_plugin(tmp_path / "plugin", "9.9.5")
    (root / "pyproject.toml").write_text("this is not toml [")  # the build fails fast
    pdata = tmp_path / "plugin-data"
    pdata.mkdir()
    env = dict(os.environ, CLAUDE_PLUGIN_ROOT=str(root), CLAUDE_PLUGIN_DATA=str(pdata),
               CLAUDE_RECALL_ENV_INSTALLER="pip", CLAUDE_RECALL_AUTO_EXTRACT="false")
    records = {r["event"]: r["payload"] for r in load_payloads("bash_inject")}
    first = subprocess.run(["sh", str(root / "hooks" / "run"), "SessionStart"], env=env, timeout=60,
                           input=json.dumps(records["SessionStart"]).encode(), capture_output=True)
    output = json.loads(first.stdout)
    assert "building its Python environment" in output["systemMessage"]
    assert output["hookSpecificOutput"]["additionalContext"].startswith(output["systemMessage"])
    tool = subprocess.run(["sh", str(root / "hooks" / "run"), "PostToolUse"], env=env, timeout=60,
                          input=json.dumps(records["PostToolUse"]).encode(), capture_output=True)
    assert tool.stdout == b""  # only SessionStart speaks
    wait_for(pdata / "bootstrap.failed", 120)
    again = subprocess.run(["sh", str(root / "hooks" / "run"), "SessionStart"], env=env, timeout=60,
                           input=json.dumps(records["SessionStart"]).encode(), capture_output=True)
    assert "building its Python environment failed" in json.loads(again.stdout)["systemMessage"]


def old_python3(tmp_path: Path) -> Path:
    """A folder with a python3 that fails like an old one, and the few tools hooks/run uses."""
    shims = tmp_path / "shims"
    shims.mkdir()
    (shims / "python3").write_text('#!/bin/sh\ncase "$*" in *"version_info[:2]"*) echo 3.8; exit 0;; esac\n'
                                   'echo "SyntaxError: invalid syntax" >&2\nexit 1\n')
    (shims / "python3").chmod(0o755)
    for tool in ("dirname", "tr"):
        os.symlink(shutil.which(tool) or f"/usr/bin/{tool}", shims / tool)
    return shims


def test_an_old_python3_first_on_path(tmp_path: Path, data_dir: Path) -> None:
    shims = old_python3(tmp_path)
    records = {r["event"]: r["payload"] for r in load_payloads("bash_inject")}
    env = {"PATH": str(shims), "HOME": str(tmp_path), "CLAUDE_PLUGIN_ROOT": str(ROOT),
           "CLAUDE_RECALL_DATA_DIR": str(data_dir), "CLAUDE_RECALL_AUTO_EXTRACT": "false"}
    alone = subprocess.run(["/bin/sh", str(ROOT / "hooks" / "run"), "SessionStart"], env=env, timeout=60,
                           input=json.dumps(records["SessionStart"]).encode(), capture_output=True)
    assert alone.returncode == 0
    said = json.loads(alone.stdout)
    assert "needs Python 3.10 or newer and python3 on PATH is 3.8" in said["systemMessage"]
    assert said["hookSpecificOutput"]["additionalContext"] == said["systemMessage"]
    assert not data_dir.exists()
    # a python3.1x later on PATH is found and used: the event is captured, nothing is said
    good = tmp_path / "good"
    good.mkdir()
    (good / "python3.11").symlink_to(PYTHON)
    env["PATH"] = f"{shims}:{good}"
    found = subprocess.run(["/bin/sh", str(ROOT / "hooks" / "run"), "UserPromptSubmit"], env=env, timeout=60,
                           input=json.dumps(records["UserPromptSubmit"]).encode(), capture_output=True)
    assert (found.returncode, found.stdout) == (0, b"")
    assert [e["kind"] for e in spooled(data_dir)] == ["prompt"]


def test_claude_recall_wrapper_before_the_environment_exists(tmp_path: Path, data_dir: Path) -> None:
    pdata = tmp_path / "plugin-data"
    pdata.mkdir()
    env = dict(os.environ, CLAUDE_PLUGIN_DATA=str(pdata), CLAUDE_PLUGIN_ROOT=str(ROOT))
    wrapper = str(ROOT / "bin" / "claude-recall")
    search = subprocess.run([wrapper, "search", "x"], env=env, capture_output=True, text=True, timeout=60)
    assert search.returncode == 1
    assert "the plugin's Python environment is being built in the background" in search.stderr
    status = subprocess.run([wrapper, "status"], env=env, capture_output=True, text=True, timeout=60)
    assert status.returncode == 0 and "observations  0" in status.stdout, status.stderr
    linked = tmp_path / "local-bin" / "claude-recall"  # as the README says to link it
    linked.parent.mkdir()
    linked.symlink_to(wrapper)
    doctor = subprocess.run([str(linked), "doctor"], env=env, capture_output=True, text=True, timeout=60)
    assert "plugin env" in doctor.stdout and "not built yet" in doctor.stdout, doctor.stdout
    assert f"ln -s {wrapper} ~/.local/bin/claude-recall" in doctor.stdout
    (pdata / "bootstrap.failed").write_text("no network\n")
    failed = subprocess.run([wrapper, "search", "x"], env=env, capture_output=True, text=True, timeout=60)
    assert "failed to build" in failed.stderr and "bootstrap.log" in failed.stderr


def test_uv_is_given_the_index_pip_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    from recall_plugin.runtime import bootstrap

    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple")
    monkeypatch.delenv("UV_INDEX_URL", raising=False)
    assert bootstrap._uv_env()["UV_INDEX_URL"] == "http://127.0.0.1:9/simple"
    monkeypatch.setenv("UV_INDEX_URL", "http://127.0.0.1:8/simple")  # uv's own setting wins
    assert bootstrap._uv_env()["UV_INDEX_URL"] == "http://127.0.0.1:8/simple"
