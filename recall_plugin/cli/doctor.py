"""``claude-recall doctor``: check everything a working install needs, and say how to fix it."""

from __future__ import annotations

import argparse
import glob
import importlib.util
import json
import os
import sqlite3
import stat
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from .. import paths, settings
from ..queue.ingest import CORRUPT_FILE
from ..store import db
from ..store.migrations import pending

PLUGIN_ID = "recall"  # "claude-*" plugin names are reserved by Claude Code 2.1.330
DEPENDENCIES = ("anthropic", "httpx", "orjson", "filelock", "chromadb")


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""
    warn_only: bool = False


def add(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    cmd = sub.add_parser("doctor", help="check the install and say what to fix")
    cmd.add_argument("--json", action="store_true", help="print the checks as JSON")
    cmd.set_defaults(run=run)


def check_python() -> Check:
    version = ".".join(map(str, sys.version_info[:3]))
    ok = sys.version_info >= (3, 10)
    return Check("python", ok, f"{sys.executable} ({version})",
                 "" if ok else "install Python 3.10 or newer as python3")


def check_dependencies() -> Check:
    missing = [name for name in DEPENDENCIES if importlib.util.find_spec(name) is None]
    if not missing:
        return Check("environment", True, f"dependencies importable from {sys.prefix}")
    return Check("environment", False, f"missing: {', '.join(missing)} in {sys.prefix}",
                 "reinstall: pip install claude-recall (or start a Claude Code session to let "
                 "the plugin rebuild its environment)")


def check_permissions(root: str) -> Check:
    loose = [p for p in _private_paths(root) if stat.S_IMODE(os.stat(p).st_mode) & 0o077]
    if not os.path.isdir(root):
        return Check("data dir", True, f"{root} (not created yet)")
    if not loose:
        return Check("data dir", True, f"{root} (private)")
    shown = ", ".join(os.path.relpath(p, root) for p in loose[:3])
    return Check("data dir", False, f"readable by others: {shown}",
                 f"chmod -R go-rwx {root}")


def _private_paths(root: str) -> Iterator[str]:
    if not os.path.isdir(root):
        return
    yield root
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith("venv")]
        for name in dirs + files:
            yield os.path.join(folder, name)


def check_database(root: str) -> Check:
    path = paths.db_file(root)
    if not os.path.exists(path):
        return Check("database", True, "not created yet (created on first use)")
    try:
        conn = db.connect(path, readonly=True)
        result = conn.execute("PRAGMA integrity_check").fetchone()[0]
        todo = pending(conn) if result == "ok" else []
        conn.close()
    except sqlite3.Error as exc:
        return Check("database", False, f"{path}: {exc}",
                     f"move {path} aside and run `claude-recall status` to start a new one")
    if result != "ok":
        return Check("database", False, f"integrity check failed: {result}",
                     f"restore a backup or move {path} aside")
    detail = f"{path} ok" + (f", {len(todo)} migration(s) pending" if todo else "")
    return Check("database", True, detail)


def check_settings(root: str) -> Check:
    problems = settings.load(root).problems
    if not problems:
        return Check("settings", True, paths.settings_file(root))
    return Check("settings", False, "; ".join(problems),
                 "fix the file, or use `claude-recall settings set KEY VALUE`")


def check_queue(root: str) -> Check:
    corrupt = os.path.join(paths.queue_dir(root), CORRUPT_FILE)
    if os.path.exists(corrupt):
        return Check("queue", True, f"corrupt lines were set aside in {corrupt}",
                     "inspect them; they are kept, never dropped", warn_only=True)
    return Check("queue", True, "no corrupt lines")


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
    for folder in glob.glob(os.path.join(config, "plugins", "data", f"{PLUGIN_ID}-*")):
        if os.path.exists(os.path.join(folder, "bootstrap.failed")):
            return f"; its environment failed to build (see {folder}/bootstrap.log)"
        if os.path.exists(os.path.join(folder, "venv", "bin", "python")):
            return f"; environment {folder}/venv"
    return "; environment not built yet (the next SessionStart builds it)"


def checks(root: str) -> list[Check]:
    steps: list[Callable[[], Check]] = [
        check_python, check_dependencies, lambda: check_permissions(root),
        lambda: check_database(root), lambda: check_settings(root),
        lambda: check_queue(root), lambda: check_provider(root), check_plugin,
    ]
    return [step() for step in steps]


def run(args: argparse.Namespace) -> int:
    results = checks(paths.data_dir())
    if args.json:
        print(json.dumps([r.__dict__ for r in results], indent=2))
    for r in results if not args.json else []:
        mark = "ok  " if r.ok and not r.warn_only else ("warn" if r.ok or r.warn_only else "FAIL")
        print(f"{mark}  {r.name:<12} {r.detail}")
        if r.fix and mark != "ok  ":
            print(f"      {'':<12} fix: {r.fix}")
    return 0 if all(r.ok or r.warn_only for r in results) else 1


def check_provider(root: str) -> Check:
    """Can extraction call a provider? Names the setting to fill in when it cannot."""
    from ..providers import create

    conf = settings.load(root)
    names = [conf.text("CLAUDE_RECALL_PROVIDER"), conf.text("CLAUDE_RECALL_FALLBACK_PROVIDER")]
    problems: list[str] = []
    for name in dict.fromkeys(n for n in names if n != "none"):
        why = create(name, conf).unusable()
        if why is None:
            note = f" (instead of {names[0]}: {problems[0]})" if problems else ""
            return Check("provider", not problems, f"{name} is usable{note}",
                         problems[0] if problems else "", warn_only=bool(problems))
        problems.append(f"{name}: {why}")
    return Check("provider", False, "no usable provider: " + "; ".join(problems),
                 "fill in the API key setting named above (claude-recall settings set KEY VALUE)")
