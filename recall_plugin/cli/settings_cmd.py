"""``claude-recall settings``: list, get, set and unset settings (secrets shown masked)."""

from __future__ import annotations

import argparse
import sys

from .. import settings
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
    elif args.action == "set":
        settings.set_value(conf.data_dir, _known(args.key), args.value)
        print(f"{args.key} = {settings.load(conf.data_dir).shown(args.key)}")
    elif args.action == "unset":
        settings.unset_value(conf.data_dir, _known(args.key))
    else:
        _list(conf)
    return 0


def _known(key: str) -> str:
    name = key.strip().upper()
    if name not in settings.BY_NAME and f"CLAUDE_RECALL_{name}" in settings.BY_NAME:
        name = f"CLAUDE_RECALL_{name}"
    if name not in settings.BY_NAME:
        raise SettingsError(f"unknown setting {key!r}; `claude-recall settings` lists them")
    return name


def _list(conf: settings.Settings) -> None:
    width = max(len(s.name) for s in settings.SETTINGS)
    for setting in settings.SETTINGS:
        value = conf.shown(setting.name) or '""'
        print(f"{setting.name:<{width}}  {value}  ({conf.sources[setting.name]})")
