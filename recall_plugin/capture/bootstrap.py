"""The plugin's own Python environment, built on the first SessionStart with no manual step.

Capture needs only the standard library, so the hooks work with any ``python3`` >= 3.10 from
the first event on. Everything else (extractor, MCP server, viewer) needs the dependencies,
which live in a virtual environment under ``$CLAUDE_PLUGIN_DATA`` (it survives plugin
updates). SessionStart checks a stamp (plugin version + dependency digest + Python version);
when it is missing or stale it starts a detached builder and returns at once. The builder
creates ``venv-<key>``, installs the plugin into it, writes the stamp and then atomically
points the ``venv`` symlink at it, so hooks switch to it only when it is complete.
"""

from __future__ import annotations

import fcntl
import os
import sys
import time
import zlib

from .. import fastjson, log
from .spawn import locked, spawn_detached

STAMP = ".claude-recall-env"
RETRY_AFTER_FAILURE_S = 600


def env_key(plugin_root: str) -> str:
    version = "0"
    try:
        with open(os.path.join(plugin_root, ".claude-plugin", "plugin.json"), "rb") as handle:
            manifest = fastjson.loads(handle.read())
        if isinstance(manifest, dict):
            version = str(manifest.get("version", "0"))
        with open(os.path.join(plugin_root, "pyproject.toml"), "rb") as handle:
            deps = zlib.crc32(handle.read())
    except (OSError, ValueError):
        deps = 0
    return f"{version}-{deps:08x}-py{sys.version_info[0]}{sys.version_info[1]}"


def venv_link(plugin_data: str) -> str:
    return os.path.join(plugin_data, "venv")


def is_ready(plugin_root: str, plugin_data: str) -> bool:
    try:
        with open(os.path.join(venv_link(plugin_data), STAMP), encoding="utf-8") as handle:
            return handle.read().strip() == env_key(plugin_root)
    except OSError:
        return False


def ensure(plugin_root: str, plugin_data: str) -> str:
    """'ready', or start a build in the background: 'started', 'building' or 'backoff'."""
    if is_ready(plugin_root, plugin_data):
        return "ready"
    failed = os.path.join(plugin_data, "bootstrap.failed")
    if os.path.exists(failed) and time.time() - os.path.getmtime(failed) < RETRY_AFTER_FAILURE_S:
        return "backoff"
    if locked(os.path.join(plugin_data, "bootstrap.lock")):
        return "building"
    launcher = os.path.join(plugin_root, "hooks", "launch.py")
    spawn_detached([sys.executable, "-S", "-E", launcher, "_bootstrap"],
                   output=os.path.join(plugin_data, "bootstrap.log"))
    return "started"


def build(plugin_root: str, plugin_data: str) -> int:
    """Build the environment (runs detached). Returns a process exit code."""
    lock_fd = os.open(os.path.join(plugin_data, "bootstrap.lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return 0  # another builder is at it
    try:
        if is_ready(plugin_root, plugin_data):
            return 0
        return _build_locked(plugin_root, plugin_data)
    finally:
        os.close(lock_fd)


def _build_locked(plugin_root: str, plugin_data: str) -> int:
    import shutil
    import subprocess

    key = env_key(plugin_root)
    target = os.path.join(plugin_data, f"venv-{key}")
    failed = os.path.join(plugin_data, "bootstrap.failed")
    started = time.monotonic()
    log.info(f"building plugin environment {target}")
    try:
        shutil.rmtree(target, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", target], check=True)
        pip = [os.path.join(target, "bin", "python"), "-m", "pip", "install",
               "--disable-pip-version-check", "--no-input", "--quiet", plugin_root]
        subprocess.run(pip, check=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        log.error(f"building the plugin environment failed: {exc}; retrying in "
                  f"{RETRY_AFTER_FAILURE_S}s (see {os.path.join(plugin_data, 'bootstrap.log')})")
        with open(failed, "w", encoding="utf-8") as handle:
            handle.write(f"{exc}\n")
        return 1
    with open(os.path.join(target, STAMP), "w", encoding="utf-8") as handle:
        handle.write(key + "\n")
    _switch(plugin_data, target)
    if os.path.exists(failed):
        os.unlink(failed)
    log.info(f"plugin environment ready in {time.monotonic() - started:.1f}s: {target}")
    return 0


def _switch(plugin_data: str, target: str) -> None:
    """Point ``venv`` at ``target`` atomically, then drop environments older than the last."""
    import shutil

    link = venv_link(plugin_data)
    previous = os.path.realpath(link) if os.path.islink(link) else None
    tmp = f"{link}.tmp-{os.getpid()}"
    os.symlink(os.path.basename(target), tmp)
    os.replace(tmp, link)
    keep = {os.path.basename(target), os.path.basename(previous or "")}
    for name in os.listdir(plugin_data):
        if name.startswith("venv-") and name not in keep:
            shutil.rmtree(os.path.join(plugin_data, name), ignore_errors=True)
