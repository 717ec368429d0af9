"""``GET``/``POST /api/settings``: the settings panel, driven by the settings catalog.

Values go out as ``Settings.shown`` gives them (a secret only as its mask and whether it is
set) and come back through ``settings.set_value`` / ``unset_value``, the CLI's own code, so
the file, its validation and its messages are the same. An empty secret means "unchanged";
removing one is an explicit ``clear``; a masked key (``****9876``) posted back is refused.
Every value is checked before any is written.

Settings marked ``cli_only`` in the catalog (a program to run, a host to send data to, files
to load) are shown read-only with the command that changes them; a request that tries to
set or clear one is refused whole with 403. The body is capped at ``SETTINGS_BODY_BYTES``.
"""

from __future__ import annotations

import json

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from .. import log, paths, settings
from ..errors import SettingsError
from ..settings import BY_NAME, SETTINGS, Setting
from .api import viewer_of
from .security import SETTINGS_BODY_BYTES, read_body
from .state import Viewer

GROUPS = (("provider", "AI Provider"), ("openrouter", "OpenRouter"), ("claude", "Claude"),
          ("gemini", "Gemini"), ("extract", "Extraction & budgets"), ("context", "Session start context"),
          ("index", "Vector index"), ("capture", "Capture"), ("general", "General"))

OPENROUTER_FREE_MODELS = (
    "xiaomi/mimo-v2-flash:free",
    "google/gemini-2.0-flash-exp:free",
    "google/gemini-2.5-flash-preview:free",
    "deepseek/deepseek-r1:free",
    "meta-llama/llama-3.1-70b-instruct:free",
    "meta-llama/llama-3.1-8b-instruct:free",
    "mistralai/mistral-nemo:free",
)
SUGGESTIONS = {"CLAUDE_RECALL_OPENROUTER_MODEL": OPENROUTER_FREE_MODELS}
WORDS = {"api": "API", "url": "URL", "rpm": "RPM", "cli": "CLI", "ssl": "SSL", "s": "(s)"}


def label(setting: Setting) -> str:
    """``CLAUDE_RECALL_OPENROUTER_SITE_URL`` in group openrouter -> ``Site URL``."""
    name = setting.name.removeprefix("CLAUDE_RECALL_")
    name = name.removeprefix(setting.group.upper() + "_") if setting.group != "provider" else name
    words = [WORDS.get(w, w) for w in name.lower().split("_")]
    return " ".join(words)[:1].upper() + " ".join(words)[1:]


def describe(setting: Setting, conf: settings.Settings) -> dict[str, object]:
    default = setting.default
    shown_default = ",".join(default) if isinstance(default, tuple) else default
    return {"name": setting.name, "label": label(setting), "kind": setting.kind,
            "group": setting.group, "help": setting.help, "choices": list(setting.choices),
            "minimum": setting.minimum, "default": "" if setting.secret else shown_default,
            "value": conf.shown(setting.name), "is_set": conf.text(setting.name) != "",
            "source": conf.sources[setting.name],
            "suggestions": list(SUGGESTIONS.get(setting.name, ())),
            "cli_only": setting.cli_only, "command": cli_command(setting)}


def cli_command(setting: Setting) -> str:
    return f"claude-recall settings set {setting.name} <value>"


def locked_message(name: str) -> str:
    return (f"{name} names a program to run or a place to send data to, so it cannot be changed "
            f"from the viewer; change it in a terminal: {cli_command(BY_NAME[name])}")


def locked(body: object) -> dict[str, str]:
    """The cli_only settings this request tries to set or clear (field name -> message)."""
    if not isinstance(body, dict):
        return {}
    values, clear = body.get("values"), body.get("clear")
    names = [*(values if isinstance(values, dict) else ()), *(clear if isinstance(clear, list) else ())]
    return {str(n): locked_message(str(n)) for n in names
            if isinstance(n, str) and n in BY_NAME and BY_NAME[n].cli_only}


def panel(conf: settings.Settings) -> dict[str, object]:
    settable = [s for s in SETTINGS if not s.env_only]
    groups = [{"name": name, "label": title,
               "settings": [describe(s, conf) for s in settable if s.group == name]}
              for name, title in GROUPS]
    known = {name for name, _ in GROUPS}
    extra = [describe(s, conf) for s in settable if s.group not in known]
    if extra:
        groups.append({"name": "other", "label": "Other", "settings": extra})
    return {"groups": [g for g in groups if g["settings"]], "problems": conf.problems,
            "settings_file": paths.settings_file(conf.data_dir)}


def get_settings(request: Request) -> Response:
    viewer = viewer_of(request)
    return viewer.json(panel(viewer.conf()))


def settable_problem(name: str) -> str | None:
    setting = BY_NAME.get(name)
    if setting is None:
        return f"unknown setting {name!r}"
    if setting.env_only:
        return f"{name} can only be set in the environment"
    return None


def check(name: str, raw: object) -> str | None:
    """The message ``settings.set_value`` would raise for this value, or None when it is fine."""
    problem = settable_problem(name)
    if problem:
        return problem
    try:
        BY_NAME[name].parse(raw)
    except ValueError as exc:
        return f"{name} {exc}"
    return None


def plan(body: object) -> tuple[dict[str, object], list[str], dict[str, str]]:
    """What to set, what to clear, and the errors (field name -> message) that stop both."""
    if not isinstance(body, dict):
        return {}, [], {"": "expected a JSON object with values and/or clear"}
    values, clear = body.get("values", {}), body.get("clear", [])
    if not isinstance(values, dict) or not isinstance(clear, list):
        return {}, [], {"": "values must be an object and clear a list of setting names"}
    errors: dict[str, str] = {}
    to_set: dict[str, object] = {}
    for name, raw in values.items():
        setting = BY_NAME.get(name)
        if setting is not None and setting.secret and (raw is None or str(raw).strip() == ""):
            continue  # an empty key field means "unchanged"
        problem = check(name, raw)
        if problem:
            errors[name] = problem
        else:
            to_set[name] = raw
    for name in clear:
        problem = settable_problem(str(name))
        if problem:
            errors[str(name)] = problem
    return to_set, [str(n) for n in clear], errors


async def post_settings(request: Request) -> Response:
    body = await read_body(request, SETTINGS_BODY_BYTES)
    return await run_in_threadpool(apply_settings, viewer_of(request), body)


def apply_settings(viewer: Viewer, body: bytes) -> Response:
    try:
        data = json.loads(body or b"null")
    except ValueError:
        return viewer.json({"ok": False, "errors": {"": "the body is not valid JSON"}}, 400)
    refused = locked(data)
    if refused:
        return viewer.json({"ok": False, "errors": refused}, 403)
    to_set, to_clear, errors = plan(data)
    if errors:
        return viewer.json({"ok": False, "errors": errors}, 400)
    changed: list[str] = []
    try:
        for name in to_clear:
            settings.unset_value(viewer.data_dir, name)
            changed.append(name)
        for name, raw in to_set.items():
            settings.set_value(viewer.data_dir, name, raw)
            changed.append(name)
    except SettingsError as exc:
        return viewer.json({"ok": False, "errors": {"": str(exc)}, "changed": changed}, 400)
    if changed:
        log.info(f"viewer: settings changed: {', '.join(changed)}", viewer.data_dir)
    return viewer.json({"ok": True, "changed": changed, "settings": panel(viewer.conf())})
