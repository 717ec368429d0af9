"""The version is written once (``recall_plugin.__version__``); the packaging metadata reads it
and both Claude Code manifests agree with it."""

from __future__ import annotations

import json
import re

from helpers.hooks import ROOT

import recall_plugin


def test_pyproject_reads_the_version_from_the_package() -> None:
    text = (ROOT / "pyproject.toml").read_text()  # no tomllib on Python 3.10
    project = text.split("[project]", 1)[1].split("\n[", 1)[0]
    assert not re.search(r"^version\s*=", project, re.M)
    assert re.search(r'^dynamic = \["version"\]', project, re.M)
    dynamic = text.split("[tool.setuptools.dynamic]", 1)[1].split("\n[", 1)[0]
    assert re.search(r'^version = \{attr = "recall_plugin.__version__"\}', dynamic, re.M)


def test_plugin_manifests_agree_with_the_package_version() -> None:
    plugin = json.loads((ROOT / ".claude-plugin" / "plugin.json").read_text())
    market = json.loads((ROOT / ".claude-plugin" / "marketplace.json").read_text())
    assert plugin["version"] == recall_plugin.__version__
    listed = [entry for entry in market["plugins"] if entry["name"] == plugin["name"]]
    assert [entry["version"] for entry in listed] == [recall_plugin.__version__]
