"""``claude-recall doctor``: check everything a working install needs, and say how to fix it."""

from __future__ import annotations

import argparse
import functools
import glob
import importlib.util
import json
import os
import sqlite3
import stat
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from .. import paths, settings
from ..queue.ingest import CORRUPT_FILE
from ..store import db, repair
from ..store.migrations import pending
from .text import plural, provider_state

PLUGIN_ID = "recall"  # "claude-*" plugin names are reserved by Claude Code 2.1.330
DEPENDENCIES = ("anthropic", "httpx", "filelock", "chromadb")


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""
    warn_only: bool = False
    repair: Callable[[], str] | None = field(default=None, compare=False, repr=False)

    def shown(self) -> dict[str, object]:
        return {"name": self.name, "ok": self.ok, "detail": self.detail, "fix": self.fix,
                "warn_only": self.warn_only, "repairable": self.repair is not None}


def add(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    cmd = sub.add_parser("doctor", help="check the install and say what to fix")
    cmd.add_argument("--json", action="store_true", help="print the checks as JSON")
    cmd.add_argument("--fix", action="store_true",
                     help="repair what can be repaired (corrupt database, stale state, broken "
                          "environment, mismatched index), then check again")
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
    data, root = os.environ.get("CLAUDE_PLUGIN_DATA"), os.environ.get("CLAUDE_PLUGIN_ROOT")
    if data and root:
        from ..capture import bootstrap

        state, line = bootstrap.describe(root, data)
        if state in ("building", "missing", "stale"):  # expected for a minute after install
            return Check("environment", True, f"not available yet: the plugin environment is {line}",
                         "wait for the build; meanwhile only status and doctor work", warn_only=True)
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
                 f"chmod -R go-rwx {root}", repair=lambda: _make_private(root))


def _make_private(root: str) -> str:
    loose = [p for p in _private_paths(root) if stat.S_IMODE(os.stat(p).st_mode) & 0o077]
    for path in loose:
        os.chmod(path, stat.S_IMODE(os.stat(path).st_mode) & 0o700)
    return f"made {len(loose)} path(s) private to the user (go-rwx)"


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
    state = repair.inspect_database(path)
    if state.state == "missing":
        return Check("database", True, "not created yet (created on first use)")
    if state.state == "corrupt":
        return Check("database", False, f"{path} is damaged: {state.detail}",
                     "run `claude-recall doctor --fix`: it moves the file aside (kept) and recovers "
                     "what can be read into a new database",
                     repair=lambda: repair.recover_database(root).describe())
    if state.state == "locked":
        return Check("database", False, f"{path} is {state.detail}",
                     "wait for that process to finish, or stop it if it hangs", warn_only=True)
    try:
        conn = db.connect(path, readonly=True)
        todo = pending(conn)
        conn.close()
    except sqlite3.Error as exc:
        return Check("database", False, f"{path}: {exc}", "run `claude-recall doctor --fix`",
                     repair=lambda: repair.recover_database(root).describe())
    detail = f"{path} ok" + (f", {len(todo)} migration(s) pending" if todo else "")
    return Check("database", True, detail)


def check_extractor(root: str) -> Check:
    """A lock or ``processing`` events left by an extractor that died."""
    holder = repair.lock_holder(root)
    if holder:
        return Check("extractor", True, f"running (pid {holder} holds extractor.lock)")
    dead_pid = repair.stale_lock_pid(root)
    stuck = repair.stale_processing(root) if repair.inspect_database(paths.db_file(root)).state == "ok" else 0
    if not dead_pid and not stuck:
        return Check("extractor", True, "not running, nothing left behind")
    parts = ([f"extractor.lock names process {dead_pid}, which exited without releasing it"]
             if dead_pid else []) + (
        [f"{plural(stuck, 'event')} left 'processing' by an extractor that died"] if stuck else [])
    # not a fault: the next extractor resets both by itself; --fix does it now
    return Check("extractor", True, "; ".join(parts) + " (the next extraction recovers them)",
                 "run `claude-recall doctor --fix` to reset them now", warn_only=True,
                 repair=lambda: repair.reset_stale(root))


def check_plugin_env() -> list[Check]:
    found = []
    for folder in repair.plugin_envs(claude_config_dir()):
        problem = repair.env_problem(folder)
        if problem:
            found.append(Check("plugin env", False, problem,
                               "run `claude-recall doctor --fix` (removes the environment's stamp so "
                               "the next SessionStart rebuilds it)",
                               repair=functools.partial(repair.reset_env, folder)))
    return found


def check_index(root: str) -> Check:
    from ..index import index_status

    conf = settings.load(root)
    if conf.text("CLAUDE_RECALL_INDEX_MODE") == "off" or repair.inspect_database(
            paths.db_file(root)).state != "ok":
        return Check("index", True, "not checked (index off or no usable database)")
    conn = db.open_store(root)
    try:
        line = index_status(conf, conn)
    finally:
        conn.close()
    local_error = line.startswith("error") and conf.text("CLAUDE_RECALL_INDEX_MODE") == "local"
    if line.startswith("mismatch") or local_error:  # a corrupt local folder: moved aside, rebuilt
        return Check("index", False, line, "run `claude-recall reindex` (or doctor --fix)",
                     repair=lambda: _reindex(root))
    return Check("index", True, line, warn_only=not line.startswith(("ok", "behind")))


def _reindex(root: str) -> str:
    from ..index import reindex

    conn = db.open_store(root)
    try:
        notes: list[str] = []
        count = reindex(conn, settings.load(root), notice=notes.append)
        return "; ".join([*notes, f"reindexed {count} row(s)"])
    finally:
        conn.close()


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
    from ..capture import bootstrap

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
    from ..capture import bootstrap

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


def checks(root: str, *, deep: bool = False) -> list[Check]:
    """Every check; ``deep`` adds the slower ones (the plugin environment, the vector index)."""
    steps: list[Callable[[], Check]] = [
        check_python, check_dependencies, lambda: check_permissions(root),
        lambda: check_database(root), lambda: check_extractor(root), lambda: check_settings(root),
        lambda: check_queue(root), lambda: check_provider(root), check_plugin,
    ]
    results = [step() for step in steps]
    results += [c for c in (check_plugin_build(), check_shell_command()) if c]
    results += check_plugin_env()
    if deep:
        results.append(check_index(root))
    return results


def fix(root: str, out: Callable[[str], None] = print) -> list[Check]:
    """Repair every failing check that can be repaired; returns the checks run afterwards."""
    for check in checks(root, deep=True):
        if check.repair is not None and (not check.ok or check.warn_only):
            try:
                out(f"fixed {check.name}: {check.repair()}")
            except Exception as exc:  # report and go on with the other repairs
                out(f"could not fix {check.name}: {type(exc).__name__}: {exc}")
    return checks(root, deep=True)


def run(args: argparse.Namespace) -> int:
    root = paths.data_dir()
    results = fix(root) if args.fix else checks(root, deep=True)
    if args.json:
        print(json.dumps([r.shown() for r in results], indent=2))
    for r in results if not args.json else []:
        mark = "ok  " if r.ok and not r.warn_only else ("warn" if r.ok or r.warn_only else "FAIL")
        print(f"{mark}  {r.name:<12} {r.detail}")
        if r.fix and mark != "ok  ":
            print(f"      {'':<12} fix: {r.fix}")
    return 0 if all(r.ok or r.warn_only for r in results) else 1


def check_provider(root: str) -> Check:
    """Can extraction call a provider, and is it paused? Agrees with ``status``."""
    usable, detail = provider_state(settings.load(root))
    paused = _pauses(root)
    if paused:
        return Check("provider", False, f"{detail}; extraction paused: {paused[0]}",
                     "fix the setting the pause names (it lifts by itself when that setting "
                     "changes), or `claude-recall retry`")
    if usable:
        from ..providers import billing_note

        billing = billing_note(settings.load(root))
        return Check("provider", True, f"{detail}; {billing}" if billing else detail)
    if detail.startswith("not checked"):
        return Check("provider", True, detail, warn_only=True)
    fix = ("fill in the API key setting named above (claude-recall settings set KEY VALUE)"
           if detail.startswith("no usable") else "set the key of the provider named first")
    return Check("provider", not detail.startswith("no usable"), detail, fix,
                 warn_only=not detail.startswith("no usable"))


def _pauses(root: str) -> list[str]:
    """Reasons of the pauses recorded in the store (read-only; none without a database)."""
    if repair.inspect_database(paths.db_file(root)).state != "ok":
        return []
    try:
        conn = db.connect(paths.db_file(root), readonly=True)
        try:
            return [str(r[0]) for r in conn.execute("SELECT reason FROM pauses ORDER BY created_at")]
        finally:
            conn.close()
    except sqlite3.Error:
        return []
