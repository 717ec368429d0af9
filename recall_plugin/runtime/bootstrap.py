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

import os
import sys
import time
import zlib

from .. import fastjson, log
from ..locks import held_elsewhere, try_lock
from .spawn import spawn_detached

TYPE_CHECKING = False  # typing costs import time; SessionStart imports this module
if TYPE_CHECKING:
    from collections.abc import Callable

STAMP = ".claude-recall-env"
RETRY_AFTER_FAILURE_S = 600
# Dependencies of dependencies that the plugin never imports, left out when uv installs (pip
# cannot): chromadb's client for a Kubernetes-hosted deployment pulls in ~130 MB (kubernetes,
# aiohttp, requests and 15 more); the local index and the HTTP client do not use them.
UV_OVERRIDES = ('kubernetes ; sys_platform == "never"',)


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
    if held_elsewhere(os.path.join(plugin_data, "bootstrap.lock")):
        return "building"
    launcher = os.path.join(plugin_root, "hooks", "launch.py")
    spawn_detached([sys.executable, "-S", "-E", launcher, "_bootstrap"],
                   output=os.path.join(plugin_data, "bootstrap.log"))
    return "started"


def notice(state: str, plugin_data: str) -> str:
    """One line for the user and the model while the environment is not ready ("" once it is)."""
    log_file = os.path.join(plugin_data, "bootstrap.log")
    if state in ("started", "building"):
        return ("claude-recall (memory plugin): first start, building its Python environment in "
                "the background (a few seconds to a minute). This session is recorded now and "
                "turned into memory as soon as the build finishes.")
    if state == "backoff":
        return (f"claude-recall (memory plugin): building its Python environment failed (see "
                f"{log_file}); it is retried at a session start after {RETRY_AFTER_FAILURE_S // 60}"
                " minutes. Sessions are still recorded, but not yet turned into memory. Run "
                "`claude-recall doctor` for details.")
    return ""


def describe(plugin_root: str, plugin_data: str) -> tuple[str, str]:
    """The environment's state and a line for ``doctor``: ready, building, failed, missing."""
    venv = venv_link(plugin_data)
    failed = os.path.join(plugin_data, "bootstrap.failed")
    if held_elsewhere(os.path.join(plugin_data, "bootstrap.lock")):
        return "building", f"being built now (log: {os.path.join(plugin_data, 'bootstrap.log')})"
    if is_ready(plugin_root, plugin_data):
        return "ready", f"{os.path.realpath(venv)} is ready"
    if os.path.exists(failed):
        try:
            with open(failed, encoding="utf-8") as handle:
                why = handle.read().strip()
        except OSError:
            why = "unknown error"
        return "failed", (f"the build failed ({why}); see {os.path.join(plugin_data, 'bootstrap.log')}; "
                          "the next session start after the back-off retries it")
    if os.path.exists(os.path.join(venv, STAMP)):
        return "stale", "built for another plugin version; the next session start rebuilds it"
    return "missing", "not built yet; the next Claude Code session starts the build"


def build(plugin_root: str, plugin_data: str, after: Callable[[], None] | None = None) -> int:
    """Build the environment (runs detached). Returns a process exit code. Once this call has
    built it, runs ``after``: the launcher passes ``queue.wake_extractor``, so a session that
    ended during the build becomes memory now."""
    lock_fd = os.open(os.path.join(plugin_data, "bootstrap.lock"), os.O_RDWR | os.O_CREAT, 0o600)
    if not try_lock(lock_fd):
        os.close(lock_fd)
        return 0  # another builder is at it
    try:
        if is_ready(plugin_root, plugin_data):
            return 0
        code = _build_locked(plugin_root, plugin_data)
    finally:
        os.close(lock_fd)
    if code == 0 and after is not None:
        after()
    return code


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
        _install(os.path.join(target, "bin", "python"), plugin_root)
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


def _install(python: str, plugin_root: str) -> None:
    """Install the plugin and its dependencies into the environment of ``python``: with uv when
    it can be had (about 4x faster than pip, and its cache links wheels into every later
    environment), else with pip. pip's own settings (an offline ``PIP_NO_INDEX``) mean pip."""
    import subprocess

    from .. import settings

    pip = [python, "-m", "pip", "--disable-pip-version-check", "--no-input"]
    use_uv = (settings.load().text("CLAUDE_RECALL_ENV_INSTALLER") == "auto"
              and not os.environ.get("PIP_NO_INDEX"))
    if use_uv:
        overrides = os.path.join(os.path.dirname(os.path.dirname(python)), "uv-overrides.txt")
        try:
            with open(overrides, "w", encoding="utf-8") as handle:
                handle.write("\n".join(UV_OVERRIDES) + "\n")
            subprocess.run([*pip, "install", "--quiet", "uv"], check=True)
            subprocess.run([python, "-m", "uv", "pip", "install", "--quiet", "--python", python,
                            "--overrides", overrides, plugin_root], check=True, env=_uv_env())
            subprocess.run([*pip, "uninstall", "--quiet", "--yes", "uv"], check=False)
            return
        except (OSError, subprocess.CalledProcessError) as exc:
            log.warning(f"installing with uv failed ({exc}); installing with pip instead")
    subprocess.run([*pip, "install", "--quiet", plugin_root], check=True)


def _uv_env() -> dict[str, str]:
    """The environment for uv: the package index pip is told to use through the environment."""
    env = dict(os.environ)
    for pip_name, uv_name in (("PIP_INDEX_URL", "UV_INDEX_URL"),
                              ("PIP_EXTRA_INDEX_URL", "UV_EXTRA_INDEX_URL")):
        if env.get(pip_name) and not env.get(uv_name):
            env[uv_name] = env[pip_name]
    return env


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
