"""Settings: resolved from ``<data dir>/settings.json``, then the environment, then defaults.

The settings file takes precedence over environment variables (as the provider documentation
says); provider keys may also come from their usual variables (``ANTHROPIC_API_KEY``,
``OPENROUTER_API_KEY``, ``GEMINI_API_KEY``). A broken file never stops anything: each problem
becomes one clear message naming the key and the file, and the defaults apply.
"""

from __future__ import annotations

import os

from .. import fastjson, paths
from ..errors import SettingsError
from .catalog import BY_NAME, SETTINGS
from .model import MASK_PREFIX, Setting

TYPE_CHECKING = False  # collections.abc costs ~2 ms on the hook hot path
if TYPE_CHECKING:
    from collections.abc import Mapping

MAX_FILE_BYTES = 256 * 1024  # a settings file is a few hundred bytes; more is refused

__all__ = ["BY_NAME", "SETTINGS", "Setting", "Settings", "load", "mask", "render_markdown",
           "set_value", "unset_value"]


class Settings:
    """Resolved values, where each came from, and the problems met while resolving."""

    __slots__ = ("data_dir", "problems", "sources", "values")

    def __init__(self, values: dict[str, object], sources: dict[str, str],
                 problems: list[str], data_dir: str) -> None:
        self.values = values
        self.sources = sources
        self.problems = problems
        self.data_dir = data_dir

    def __getitem__(self, name: str) -> object:
        return self.values[name]

    def text(self, name: str) -> str:
        return str(self.values[name])

    def number(self, name: str) -> int:
        value = self.values[name]
        assert isinstance(value, int)
        return value

    def flag(self, name: str) -> bool:
        return bool(self.values[name])

    def items(self, name: str) -> tuple[str, ...]:
        value = self.values[name]
        assert isinstance(value, tuple)
        return value

    def shown(self, name: str) -> str:
        """The value as it may be displayed: secrets masked."""
        value = self.values[name]
        if BY_NAME[name].secret:
            return mask(str(value))
        if isinstance(value, tuple):
            return ",".join(value)
        return str(value).lower() if isinstance(value, bool) else str(value)


def mask(secret: str) -> str:
    """A secret as it may be shown: never more than its last four characters."""
    if not secret:
        return ""
    return MASK_PREFIX + secret[-4:] if len(secret) >= 12 else MASK_PREFIX


def load(data_dir: str | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Resolve every setting. Never raises: problems are collected in ``Settings.problems``."""
    source_env = os.environ if env is None else env
    root = data_dir or paths.data_dir(dict(source_env))
    path = paths.settings_file(root)
    problems: list[str] = []
    file_values = _read_file(path, problems)
    values: dict[str, object] = {}
    sources: dict[str, str] = {}
    for setting in SETTINGS:
        value, origin = _resolve(setting, file_values, source_env, path, problems)
        values[setting.name], sources[setting.name] = value, origin
    values["CLAUDE_RECALL_DATA_DIR"], sources["CLAUDE_RECALL_DATA_DIR"] = root, "env"
    return Settings(values, sources, problems, root)


def read_regular(path: str, limit: int) -> bytes:
    """The bytes of ``path`` when it is a regular file of at most ``limit`` bytes. Opened
    non-blocking and checked with fstat, so a FIFO or device can never hang a hook.
    FileNotFoundError when missing; OSError with a clear strerror otherwise."""
    import stat

    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise OSError(0, "not a regular file")
        if info.st_size > limit:
            raise OSError(0, f"{info.st_size:,} bytes, over the {limit:,} bytes allowed")
        chunks = []
        while chunk := os.read(fd, limit + 1):
            chunks.append(chunk)
            if sum(map(len, chunks)) > limit:
                raise OSError(0, f"over the {limit:,} bytes allowed")
        return b"".join(chunks)
    finally:
        os.close(fd)


def _read_file(path: str, problems: list[str]) -> dict[str, object]:
    try:
        raw = read_regular(path, MAX_FILE_BYTES)
    except FileNotFoundError:
        return {}
    except OSError as exc:
        problems.append(f"{path}: cannot be read ({exc.strerror}); using defaults")
        return {}
    try:
        data = fastjson.loads(raw) if raw.strip() else {}
    except ValueError as exc:
        problems.append(f"{path}: not valid JSON ({exc}); using defaults for every setting")
        return {}
    if not isinstance(data, dict):
        problems.append(f"{path}: must hold a JSON object of settings; using defaults")
        return {}
    for key in data:
        if key not in BY_NAME or BY_NAME[key].env_only:
            problems.append(f"{path}: unknown setting {key!r}{_suggest(key)}; ignored")
    return data


def _resolve(setting: Setting, file_values: dict[str, object], env: Mapping[str, str],
             path: str, problems: list[str]) -> tuple[object, str]:
    if setting.name in file_values and not setting.env_only:
        try:
            return setting.parse(file_values[setting.name]), "file"
        except ValueError as exc:
            problems.append(f"{path}: {setting.name} {exc}; using {_fallback(setting, env)}")
    for var in (setting.name, *setting.aliases):
        if env.get(var, "") != "":
            try:
                return setting.parse(env[var]), f"env:{var}"
            except ValueError as exc:
                problems.append(f"environment variable {var}: {exc}; ignored")
    return setting.default, "default"


def _fallback(setting: Setting, env: Mapping[str, str]) -> str:
    if any(env.get(var) for var in (setting.name, *setting.aliases)):
        return "the environment variable"
    return "the default"


def _suggest(key: str) -> str:
    import difflib  # only on the error path

    close = difflib.get_close_matches(key.upper(), list(BY_NAME), n=1, cutoff=0.75)
    return f" (did you mean {close[0]}?)" if close else ""


def set_value(data_dir: str, name: str, raw: object) -> object:
    """Validate and store one setting in settings.json; returns the typed value."""
    setting = _settable(name)
    try:
        value = setting.parse(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} {exc}") from None
    data = _editable_file(data_dir)
    data[name] = list(value) if isinstance(value, tuple) else value
    _write_file(data_dir, data)
    return value


def unset_value(data_dir: str, name: str) -> None:
    """Remove one setting from settings.json so the environment or default applies."""
    _settable(name)
    data = _editable_file(data_dir)
    if data.pop(name, None) is not None:
        _write_file(data_dir, data)


def _settable(name: str) -> Setting:
    setting = BY_NAME.get(name)
    if setting is None:
        raise SettingsError(f"unknown setting {name!r}{_suggest(name)}")
    if setting.env_only:
        raise SettingsError(f"{name} can only be set in the environment")
    return setting


def _editable_file(data_dir: str) -> dict[str, object]:
    problems: list[str] = []
    path = paths.settings_file(data_dir)
    data = _read_file(path, problems)
    broken = [p for p in problems if "unknown setting" not in p]
    if broken:
        raise SettingsError(f"{broken[0]}. Fix or remove the file before changing settings.")
    return data


def _write_file(data_dir: str, data: dict[str, object]) -> None:
    import json  # writing is never on the hook hot path

    text = json.dumps(data, indent=2, sort_keys=True) + "\n"
    paths.atomic_write(paths.settings_file(paths.ensure_dir(data_dir)), text.encode())


def render_markdown() -> str:
    """The README's settings table."""
    rows = ["| Setting | Type | Default | Description |", "| --- | --- | --- | --- |"]
    for s in SETTINGS:
        default = s.default
        shown = ",".join(default) if isinstance(default, tuple) else str(default)
        shown = f"`{shown}`" if shown else "—"
        rows.append(f"| `{s.name}` | {s.type_name} | {shown} | {s.help} |")
    return "\n".join(rows) + "\n"
