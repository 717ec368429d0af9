"""Doctor checks of the install: dependencies, the plugin's own environment, Claude Code's
plugin settings and the shell command; repairs remove a broken environment's stamp."""

from __future__ import annotations

import contextlib
import functools
import glob
import importlib.util
import json
import os
import subprocess
import sys

from .check import Check

PLUGIN_ID = "recall"  # "claude-*" plugin names are reserved by Claude Code 2.1.330
DEPENDENCIES = ("anthropic", "httpx", "filelock", "chromadb")


def check_dependencies() -> Check:
    missing = [name for name in DEPENDENCIES if importlib.util.find_spec(name) is None]
    if not missing:
        return Check("environment", True, f"dependencies importable from {sys.prefix}")
    data, root = os.environ.get("CLAUDE_PLUGIN_DATA"), os.environ.get("CLAUDE_PLUGIN_ROOT")
    if data and root:
        from ..runtime import bootstrap

        state, line = bootstrap.describe(root, data)
        if state in ("building", "missing", "stale"):  # expected for a minute after install
            return Check("environment", True, f"not available yet: the plugin environment is {line}",
                         "wait for the build; meanwhile only status and doctor work", warn_only=True)
    return Check("environment", False, f"missing: {', '.join(missing)} in {sys.prefix}",
                 "reinstall: pip install claude-recall (or start a Claude Code session to let "
                 "the plugin rebuild its environment)")


def check_plugin_env() -> list[Check]:
    found = []
    for folder in plugin_envs(claude_config_dir()):
        problem = env_problem(folder)
        if problem:
            found.append(Check("plugin env", False, problem,
                               "run `claude-recall doctor --fix` (removes the environment's stamp so "
                               "the next SessionStart rebuilds it)",
                               repair=functools.partial(reset_env, folder)))
    return found


def claude_config_dir() -> str:
    return os.environ.get("CLAUDE_CONFIG_DIR") or os.path.expanduser("~/.claude")


def check_plugin() -> Check:
    config = claude_config_dir()
    enabled = _enabled_plugins(os.path.join(config, "settings.json"))
    ours = [name for name, on in enabled.items() if name.startswith(f"{PLUGIN_ID}@") and on]
    if ours:
        return Check("claude code", True, f"plugin enabled: {', '.join(ours)}" + _env_state(config))
    return Check("claude code", False, f"plugin not enabled in {config}/settings.json",
                 "claude plugin marketplace add <path to claude-recall> && "
                 "claude plugin install recall@claude-recall", warn_only=True)


def _enabled_plugins(path: str) -> dict[str, bool]:
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return {}
    enabled = data.get("enabledPlugins") if isinstance(data, dict) else None
    return {str(k): bool(v) for k, v in enabled.items()} if isinstance(enabled, dict) else {}


def _env_state(config: str) -> str:
    from ..runtime import bootstrap

    here = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    plugin_root = os.environ.get("CLAUDE_PLUGIN_ROOT") or here
    folders = glob.glob(os.path.join(config, "plugins", "data", f"{PLUGIN_ID}-*"))
    if folders:
        return f"; environment {bootstrap.describe(plugin_root, folders[0])[1]}"
    return "; environment not built yet (the next Claude Code session builds it)"


def check_shell_command() -> Check | None:
    """Is ``claude-recall`` on the user's PATH? (Claude Code's Bash tool always has it.)"""
    import shutil

    root = os.environ.get("CLAUDE_PLUGIN_ROOT")
    if not root or os.environ.get("CLAUDECODE") or shutil.which("claude-recall"):
        return None
    wrapper = os.path.join(root, "bin", "claude-recall")
    return Check("command", True, "claude-recall is not on your shell's PATH",
                 f"ln -s {wrapper} ~/.local/bin/claude-recall", warn_only=True)


def check_plugin_build() -> Check | None:
    """The plugin environment's build: a status line while it is missing, building or failed."""
    from ..runtime import bootstrap

    data = os.environ.get("CLAUDE_PLUGIN_DATA")
    root = os.environ.get("CLAUDE_PLUGIN_ROOT")
    if not data or not root:
        return None
    state, line = bootstrap.describe(root, data)
    if state == "ready":
        return Check("plugin env", True, line)
    if state == "failed":
        return Check("plugin env", False, line, "read the log; fix what it names (often the "
                     "network or a Python without venv/ensurepip), then start a new session")
    return Check("plugin env", True, line, "start a Claude Code session, then wait about a minute",
                 warn_only=True)


def plugin_envs(config_dir: str) -> list[str]:
    """Plugin data dirs to check: $CLAUDE_PLUGIN_DATA, and ours under the Claude config dir."""
    found = [os.environ["CLAUDE_PLUGIN_DATA"]] if os.environ.get("CLAUDE_PLUGIN_DATA") else []
    found += sorted(glob.glob(os.path.join(config_dir, "plugins", "data", "recall-*")))
    return list(dict.fromkeys(found))


def env_problem(plugin_data: str, timeout_s: float = 60) -> str | None:
    """Why the environment in ``plugin_data`` cannot run the extractor, or None."""
    python = os.path.join(plugin_data, "venv", "bin", "python")
    if not os.path.lexists(python):
        return None  # not built yet: the next SessionStart builds it
    code = (f"import importlib.util, sys; m = [n for n in {DEPENDENCIES!r}"
            " if importlib.util.find_spec(n) is None]; print(' '.join(m)); sys.exit(3 if m else 0)")
    try:
        done = subprocess.run([python, "-c", code], capture_output=True, text=True, timeout=timeout_s,
                              check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"{python} does not run ({exc})"
    if done.returncode == 3:
        return f"{python} lacks {done.stdout.strip()}"
    if done.returncode != 0:
        return f"{python} does not run (exit {done.returncode}: {done.stderr.strip()[-200:]})"
    return None


def reset_env(plugin_data: str) -> str:
    from ..runtime.bootstrap import STAMP

    stamp = os.path.join(plugin_data, "venv", STAMP)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(stamp)
    return f"removed {stamp}: the next SessionStart rebuilds the environment"
