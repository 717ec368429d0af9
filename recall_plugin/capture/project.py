"""Which project an event belongs to, and whether that project is captured at all.

A project has a stable, specific **id** (``recall_plugin.identity``: the git remote, or the
main worktree's path, or the folder's path; a linked worktree and every clone share their
repository's id) and a **display name** (the folder name). All of it is read from files, no
``git`` subprocess on the hot path.

What may change what:
* ``CLAUDE_RECALL_PROJECT`` (the user's own setting) names an id: a full id as listed by
  ``claude-recall projects`` is used as is, any other text means the named project
  ``name:<text>`` (shared by every session that sets it).
* a repository's ``.claude-recall.json`` (``{"project": "name"}``) between cwd and the top
  level renames the display name only; it can never attach the repository to another
  project's memory. Joining projects is ``claude-recall projects join`` (aliases file).
* opt-out: a ``.claude-recall-ignore`` marker, ``{"capture": false}`` in
  ``.claude-recall.json``, or a glob of ``CLAUDE_RECALL_EXCLUDED_PROJECTS`` matching the
  display name, the folder name, the root path or the id.
"""

from __future__ import annotations

import os

from .. import fastjson, identity, paths, settings
from .globs import matches

CONFIG_FILE = ".claude-recall.json"
IGNORE_MARKER = ".claude-recall-ignore"
MAX_CONFIG_BYTES = 65536


class Project:
    """A resolved project: ``id`` (what memory is keyed by), ``display`` name, ``root``
    path, and whether capture is off for it. ``name`` is the id too (the key callers filter
    by; show ``display`` to people)."""

    __slots__ = ("display", "excluded", "id", "root")

    def __init__(self, id: str, display: str, root: str, excluded: bool) -> None:
        self.id, self.display, self.root, self.excluded = id, display, root, excluded

    @property
    def name(self) -> str:
        return self.id


def git_root(cwd: str) -> str | None:
    """The top level of the repository holding ``cwd`` (a worktree's main repo), or None."""
    found = identity.find_git(cwd)
    if found is None:
        return None
    top, gitdir = found
    return identity.main_worktree(top, gitdir, identity.common_dir(gitdir))


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
        data = fastjson.loads(settings.read_regular(path, MAX_CONFIG_BYTES))
    except (OSError, ValueError):  # missing, a FIFO, oversized or not JSON: no config
        return {}
    return data if isinstance(data, dict) else {}


def resolve(cwd: str, forced_name: str = "", excluded_globs: tuple[str, ...] = (),
            data_dir: str | None = None) -> Project:
    """Resolve the project of ``cwd``; ``forced_name`` is the CLAUDE_RECALL_PROJECT setting."""
    cwd = os.path.realpath(cwd or ".")
    where = identity.identify(cwd)
    config, ignored = _local_config(cwd, where.top)
    display = identity.clean_name(config.get("project")) or where.folder
    project_id = where.id
    if forced_name.strip():
        project_id = identity.forced_id(forced_name)
        display = identity.clean_name(forced_name)
    aliases = identity.load_aliases(data_dir or paths.data_dir())
    project_id = identity.follow(aliases, project_id)
    excluded = ignored or config.get("capture") is False
    excluded = excluded or any(
        matches(display, glob) or matches(where.folder, glob) or matches(where.root, glob)
        or matches(project_id, glob)
        for glob in excluded_globs
    )
    return Project(project_id, display, where.root, excluded)


def key(cwd: str, forced_name: str = "", data_dir: str | None = None) -> str:
    """The project id memory of ``cwd`` is kept under (what filters use)."""
    return resolve(cwd, forced_name, data_dir=data_dir).id
