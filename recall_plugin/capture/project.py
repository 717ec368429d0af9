"""Which project an event belongs to, and whether that project is captured at all.

Identity is the git top level of the working directory, found by walking up to the nearest
``.git`` (no ``git`` subprocess on the hot path). A linked worktree maps to its main
repository. Overrides, strongest first: the ``CLAUDE_RECALL_PROJECT`` setting, then a
``.claude-recall.json`` (``{"project": "name"}``) between cwd and the top level. Opt-out: a
``.claude-recall-ignore`` marker or ``{"capture": false}`` in ``.claude-recall.json``, or a glob
of ``CLAUDE_RECALL_EXCLUDED_PROJECTS`` matching the project's name or path.
"""

from __future__ import annotations

import os

from .. import fastjson
from .globs import matches

CONFIG_FILE = ".claude-recall.json"
IGNORE_MARKER = ".claude-recall-ignore"


class Project:
    """A resolved project: display name, root path, and whether capture is off for it."""

    __slots__ = ("excluded", "name", "root")

    def __init__(self, name: str, root: str, excluded: bool) -> None:
        self.name, self.root, self.excluded = name, root, excluded


def git_root(cwd: str) -> str | None:
    """The top level of the repository holding ``cwd`` (a worktree's main repo), or None."""
    here = os.path.abspath(cwd)
    while True:
        dot_git = os.path.join(here, ".git")
        if os.path.isdir(dot_git):
            return here
        if os.path.isfile(dot_git):
            return _main_repo_of(here, dot_git)
        parent = os.path.dirname(here)
        if parent == here:
            return None
        here = parent


def _main_repo_of(top: str, dot_git_file: str) -> str:
    """For a ``.git`` file: the main repository of a linked worktree, else ``top`` itself."""
    try:
        with open(dot_git_file, encoding="utf-8") as handle:
            line = handle.readline().strip()
        gitdir = os.path.normpath(os.path.join(top, line.split(":", 1)[1].strip()))
        with open(os.path.join(gitdir, "commondir"), encoding="utf-8") as handle:
            common = os.path.normpath(os.path.join(gitdir, handle.readline().strip()))
    except (OSError, IndexError):
        return top  # a submodule or an odd layout: the folder holding .git is the project
    return os.path.dirname(common) if os.path.basename(common) == ".git" else common


def _local_config(cwd: str, top: str) -> tuple[dict[str, object], bool]:
    """The nearest .claude-recall.json between cwd and top, and whether an ignore marker exists."""
    here, config, ignored = os.path.abspath(cwd), None, False
    while True:
        ignored = ignored or os.path.exists(os.path.join(here, IGNORE_MARKER))
        if config is None and os.path.isfile(os.path.join(here, CONFIG_FILE)):
            config = _read_config(os.path.join(here, CONFIG_FILE))
        parent = os.path.dirname(here)
        if here == top or parent == here or not here.startswith(top):
            return config or {}, ignored
        here = parent


def _read_config(path: str) -> dict[str, object]:
    try:
        with open(path, "rb") as handle:
            data = fastjson.loads(handle.read())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def resolve(cwd: str, forced_name: str = "", excluded_globs: tuple[str, ...] = ()) -> Project:
    """Resolve the project of ``cwd``."""
    cwd = os.path.abspath(cwd or ".")
    root = git_root(cwd) or cwd
    config, ignored = _local_config(cwd, root)
    configured = config.get("project")
    name = forced_name or (configured if isinstance(configured, str) and configured else "")
    name = name or os.path.basename(root.rstrip("/")) or "root"
    excluded = ignored or config.get("capture") is False
    excluded = excluded or any(
        matches(name, glob) or matches(root, glob)
        for glob in excluded_globs
    )
    return Project(name, root, excluded)
