"""``claude-recall settings``: list, get, set and unset settings (secrets shown masked)."""

from __future__ import annotations

import argparse
import sys

from .. import paths, settings
from ..errors import SettingsError


def add(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    cmd = sub.add_parser("settings", help="list, get or set settings",
                         description="Without an action: list every setting and its source.")
    cmd.add_argument("--markdown", action="store_true", help="print the README settings table")
    actions = cmd.add_subparsers(dest="action", metavar="ACTION")
    get = actions.add_parser("get", help="print one setting")
    get.add_argument("key")
    put = actions.add_parser("set", help="validate and store one setting in settings.json")
    put.add_argument("key")
    put.add_argument("value")
    unset = actions.add_parser("unset", help="remove a setting from settings.json")
    unset.add_argument("key")
    cmd.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.markdown:
        print(settings.render_markdown(), end="")
        return 0
    conf = settings.load()
    for problem in conf.problems:
        print(f"warning: {problem}", file=sys.stderr)
    if args.action == "get":
        print(conf.shown(_known(args.key)))
    elif args.action in ("set", "unset"):
        _change(conf, _known(args.key), args.value if args.action == "set" else None)
    else:
        _list(conf)
    return 0


def _change(conf: settings.Settings, name: str, value: str | None) -> None:
    """Set (or, with ``value`` None, unset) one setting; say what changed and what now applies."""
    before = conf.shown(name)
    if value is None:
        settings.unset_value(conf.data_dir, name)
    else:
        settings.set_value(conf.data_dir, name, value)
    after = settings.load(conf.data_dir)
    now, source = after.shown(name), after.sources[name]
    where = paths.settings_file(conf.data_dir)
    change = f"{before or '(empty)'} -> {now or '(empty)'}" if before != now else "unchanged"
    origin = {"file": f"stored in {where}", "default": "the default applies"}.get(
        source, f"from the environment ({source.removeprefix('env:')})")
    print(f"{name}: {change} ({origin})")


def _known(key: str) -> str:
    """The full name of a setting given as its full or short name, in any case."""
    name = key.strip().upper().replace("-", "_")
    if name not in settings.BY_NAME and f"CLAUDE_RECALL_{name}" in settings.BY_NAME:
        name = f"CLAUDE_RECALL_{name}"
    if name not in settings.BY_NAME:
        import difflib

        short = {n.removeprefix("CLAUDE_RECALL_"): n for n in settings.BY_NAME}
        close = difflib.get_close_matches(name.removeprefix("CLAUDE_RECALL_"), list(short), n=1)
        hint = f"; did you mean {short[close[0]]}?" if close else ""
        raise SettingsError(f"unknown setting {key!r}{hint} (`claude-recall settings` lists them)")
    return name


def _list(conf: settings.Settings) -> None:
    width = max(len(s.name) for s in settings.SETTINGS)
    for setting in settings.SETTINGS:
        value = conf.shown(setting.name) or '""'
        print(f"{setting.name:<{width}}  {value}  ({conf.sources[setting.name]})")
