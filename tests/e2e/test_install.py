"""Installed as a user does (local marketplace, fresh HOME): the first session builds the
plugin's own environment through the real bootstrap and loses none of its events meanwhile."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from e2e_support import transcript, wait_until
from helpers.claude_cli import Claude, copy_plugin, require_claude
from helpers.fakes import FakeAnthropic, Script
from helpers.hooks import spooled

from recall_plugin.runtime import bootstrap

pytestmark = pytest.mark.e2e

# The real pyproject needs setuptools>=77 from an index; this one builds the package itself with
# the standard library, so the real bootstrap (venv + pip install <plugin>) runs offline in seconds.
BACKEND = '''"""A tiny PEP 517 backend (tests only): a pure wheel of recall_plugin, no dependencies."""
import base64, hashlib, os, zipfile

NAME, VERSION = "claude_recall", "0.1.0"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def get_requires_for_build_wheel(config_settings=None):
    return []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    dist, name = f"{NAME}-{VERSION}.dist-info", f"{NAME}-{VERSION}-py3-none-any.whl"
    records = []
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w") as zf:
        def add(arc, data):
            zf.writestr(arc, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            records.append(f"{arc},sha256={digest},{len(data)}")
        for folder, dirs, files in os.walk(os.path.join(ROOT, "recall_plugin")):
            dirs[:] = [d for d in dirs if d != "__pycache__"]
            for file in sorted(files):
                path = os.path.join(folder, file)
                with open(path, "rb") as handle:
                    add(os.path.relpath(path, ROOT), handle.read())
        add(f"{dist}/METADATA", b"Metadata-Version: 2.1\\nName: claude-recall\\nVersion: 0.1.0\\n")
        add(f"{dist}/WHEEL", b"Wheel-Version: 1.0\\nGenerator: e2e\\nRoot-Is-Purelib: true\\n"
                             b"Tag: py3-none-any\\n")
        add(f"{dist}/entry_points.txt",
            b"[console_scripts]\\nclaude-recall = recall_plugin.__main__:main\\n")
        zf.writestr(f"{dist}/RECORD", "\\n".join(records + [f"{dist}/RECORD,,"]) + "\\n")
    return name
'''


def offline_plugin(dest: Path) -> Path:
    plugin = copy_plugin(dest)
    text = (plugin / "pyproject.toml").read_text()
    text = re.sub(r"(?ms)^dependencies = \[.*?^\]", "dependencies = []", text, count=1)
    text = re.sub(r"(?ms)^\[build-system\].*?(?=^\[project\])",
                  '[build-system]\nrequires = []\nbuild-backend = "backend"\n'
                  'backend-path = ["_e2e_backend"]\n\n',
                  text)
    assert "dependencies = []" in text and "_e2e_backend" in text
    (plugin / "pyproject.toml").write_text(text)
    (plugin / "_e2e_backend").mkdir()
    (plugin / "_e2e_backend" / "backend.py").write_text(BACKEND)
    return plugin


TURNS = [
    [{"type": "tool_use", "name": "Bash", "input": {"command": "echo first-session", "description": "e"}}],
    [{"type": "tool_use", "name": "Bash", "input": {"command": "false", "description": "fail"}}],
    "done",
]


def test_install_then_first_session_builds_the_environment(tmp_path: Path) -> None:
    require_claude()
    plugin = offline_plugin(tmp_path / "claude-recall")
    data_dir = tmp_path / "data"
    env = {"CLAUDE_RECALL_DATA_DIR": str(data_dir), "CLAUDE_RECALL_AUTO_EXTRACT": "false",
           "PIP_NO_INDEX": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    with FakeAnthropic(Script(TURNS)) as fake:
        claude = Claude(tmp_path, fake.url, env)
        validated = claude.cli("plugin", "validate", str(plugin))
        assert validated.returncode == 0 and "✔ Validation passed" in validated.stdout, validated.stdout
        added = claude.cli("plugin", "marketplace", "add", str(plugin))
        assert added.returncode == 0, added.stdout + added.stderr
        installed = claude.cli("plugin", "install", "recall@claude-recall")
        assert installed.returncode == 0, installed.stdout + installed.stderr
        plugin_data = claude.config_dir / "plugins" / "data" / "recall-claude-recall"
        assert not (plugin_data / "venv").exists()
        result = claude.session("first session after install")
        assert result["is_error"] is False and result["result"] == "done"
        events = spooled(data_dir)
        assert [e["kind"] for e in events] == ["session_start", "prompt", "tool", "tool_failure", "stop",
                                               "session_end"]
        assert {e["session_id"] for e in events} == {result["session_id"]}
        stamp = plugin_data / "venv" / bootstrap.STAMP
        wait_until(stamp.exists, 120, f"{stamp} (see {plugin_data / 'bootstrap.log'})", step=0.5)
        assert stamp.read_text().strip() == bootstrap.env_key(str(plugin))
        python = plugin_data / "venv" / "bin" / "python"
        where = subprocess.run([str(python), "-c", "import recall_plugin; print(recall_plugin.__file__)"],
                               capture_output=True, text=True, cwd=tmp_path, timeout=60)
        assert where.returncode == 0 and str(plugin_data) in where.stdout, where.stdout + where.stderr
        # the next session runs its hooks with the new environment and still captures everything
        second = claude.session("second session")
    assert second["is_error"] is False
    lines = transcript(claude, second["session_id"])
    assert not [ln for ln in lines if "hook_non_blocking_error" in str(ln.get("attachment", {}).get("type"))]
    kinds = [e["kind"] for e in spooled(data_dir) if e["session_id"] == second["session_id"]]
    assert kinds == ["session_start", "prompt", "tool", "tool_failure", "stop", "session_end"]
