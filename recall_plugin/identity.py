"""A project's stable identity, read from the filesystem alone (no ``git`` subprocess).

The id says *which* repository or folder memory belongs to; the folder name is only a
display name. Ids are plain strings in three forms:

``git:<host/owner/repo>``
    a git repository with a remote (``origin``, else the first remote in its config), the
    URL normalised: scheme, user name, password, default port, ``.git`` suffix and case
    dropped. Every worktree and every clone of the same remote shares it.
``dir:<absolute path>``
    a git repository without a remote (its main worktree's resolved path; a remote that is
    a local path resolves to the id of the repository found there, so ``git clone /a b``
    shares with ``/a``), or a folder that is not in a repository (its resolved path).
``name:<name>``
    a project named on purpose by the user's ``CLAUDE_RECALL_PROJECT`` setting, and the
    projects of databases written before ids existed (migration ``006_project_identity``).

Only the user's own state decides the id: a repository's files (``.claude-recall.json``)
can change its display name, never its id. Joined projects (``claude-recall projects
join``) are listed in ``project-aliases`` in the data dir (``old<TAB>new`` lines), read here
so that every reader of a directory's project sees the joined id.
"""

from __future__ import annotations

import os
import stat

PREFIXES = ("git:", "dir:", "name:")
ALIASES_FILE = "project-aliases"
MAX_NAME = 80
DEFAULT_PORTS = ("22", "80", "443", "9418")
_MAX_CONFIG_BYTES = 1 << 20
_MAX_DEPTH = 3
_SAFER = {'"': "'", "`": "'", "<": "\u2039", ">": "\u203a", "\\": "/"}


class Location:
    """Where a directory's memory belongs: ``id``, main worktree or folder ``root``, the
    ``folder`` name used as the default display name, and ``top``: the working tree holding
    the directory (a linked worktree's own top level), or the directory itself."""

    __slots__ = ("folder", "id", "root", "top")

    def __init__(self, id: str, root: str, folder: str, top: str = "") -> None:
        self.id, self.root, self.folder, self.top = id, root, folder, top or root


def find_git(cwd: str) -> tuple[str, str] | None:
    """(top level, git dir) of the repository holding ``cwd``, or None. The git dir is ""
    for a ``.git`` file that does not verifiably belong to this folder (see ``_verified``)."""
    here = os.path.abspath(cwd)
    while True:
        dot_git = os.path.join(here, ".git")
        if os.path.isdir(dot_git):
            return here, dot_git
        if os.path.isfile(dot_git):
            return here, _verified(here, _gitdir_of_file(here, dot_git))
        parent = os.path.dirname(here)
        if parent == here:
            return None
        here = parent


def _gitdir_of_file(top: str, dot_git_file: str) -> str:
    line = _first_line(dot_git_file)
    if not line.startswith("gitdir:"):
        return ""
    return os.path.normpath(os.path.join(top, line[len("gitdir:"):].strip()))


def _verified(top: str, gitdir: str) -> str:
    """``gitdir`` if it points back at ``top``, else "".

    A ``.git`` file is text anyone can ship in an archive: ``gitdir: /home/me/bank/.git``
    must not make a folder part of that repository. A linked worktree's git dir lies in its
    repository's ``worktrees/`` and names this folder's ``.git`` in its ``gitdir`` file; a
    submodule's (or a separate git dir's) config names this folder as ``core.worktree``."""
    if not gitdir or not os.path.isdir(gitdir):
        return ""
    here = os.path.realpath(os.path.join(top, ".git"))
    if _first_line(os.path.join(gitdir, "commondir")):
        inside = os.path.realpath(os.path.dirname(gitdir)) == os.path.realpath(
            os.path.join(common_dir(gitdir), "worktrees"))
        back = _first_line(os.path.join(gitdir, "gitdir"))
        ok = inside and bool(back) and os.path.realpath(os.path.join(gitdir, back)) == here
        return gitdir if ok else ""
    worktree = next((v for s, k, v in _config(gitdir) if (s, k) == ("core", "worktree")), "")
    ok = bool(worktree) and os.path.realpath(os.path.join(gitdir, worktree)) == os.path.dirname(here)
    return gitdir if ok else ""


def common_dir(gitdir: str) -> str:
    """The shared git dir of a linked worktree (its ``commondir``), else ``gitdir`` itself."""
    if not gitdir or os.path.basename(gitdir) == ".git":
        return gitdir  # a main repository's own .git: a commondir there is not git's
    line = _first_line(os.path.join(gitdir, "commondir"))
    return os.path.normpath(os.path.join(gitdir, line)) if line else gitdir


def main_worktree(top: str, gitdir: str, common: str) -> str:
    """The main repository's top level (a linked worktree maps to it)."""
    if not gitdir or common == gitdir:
        return top  # the main worktree itself, a submodule or a separate git dir
    return os.path.dirname(common) if os.path.basename(common) == ".git" else common


def remote_url(common: str) -> str:
    """The URL of ``origin``, else of the first remote in the repository's config, else ""."""
    urls = dict[str, str]()
    for section, key, value in _config(common):
        if section.startswith("remote.") and key == "url":
            urls.setdefault(section[len("remote."):], value)
    return urls.get("origin") or next(iter(urls.values()), "")


def _config(gitdir: str) -> list[tuple[str, str, str]]:
    """(section, key, value) of a git config file, in order (no includes)."""
    text = _read_text(os.path.join(gitdir, "config"), _MAX_CONFIG_BYTES)
    section, entries = "", []
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("["):
            section = _section(line)
        elif "=" in line and section:
            key, value = line.split("=", 1)
            entries.append((section, key.strip().lower(), _config_value(value)))
    return entries


def _first_line(path: str) -> str:
    return _read_text(path, 4096).split("\n", 1)[0].strip()


def _section(line: str) -> str:
    body = line[1:line.find("]")] if "]" in line else line[1:]
    if '"' in body:
        name, _, sub = body.partition('"')
        return f"{name.strip().lower()}.{sub.rstrip(chr(34))}"
    return body.strip().lower()


def _config_value(value: str) -> str:
    value = value.strip()
    if value.startswith('"'):
        return value[1:].split('"', 1)[0]
    for mark in (" #", " ;", "\t#", "\t;"):
        value = value.split(mark, 1)[0]
    return value.strip()


def normalize_remote(url: str) -> str:
    """``host[:port]/path`` of a network URL, lower-cased, without user, password, default
    port or ``.git``; "" for a local path (see ``identify``)."""
    url = url.strip().split("?", 1)[0].split("#", 1)[0]
    if "://" in url:
        scheme, rest = url.split("://", 1)
        if scheme.lower() == "file":
            return ""
        host, _, path = rest.partition("/")
    elif ":" in url and "/" not in url.split(":", 1)[0] and not _windows_drive(url):
        host, _, path = url.partition(":")  # scp-like: [user@]host:path
    else:
        return ""
    host = host.rsplit("@", 1)[-1].lower()
    if host.count(":") == 1:
        name, port = host.split(":")
        host = name if port in DEFAULT_PORTS or not port else host
    path = "/".join(p for p in path.split("/") if p)
    path = path[:-4] if path.lower().endswith(".git") else path
    return f"{host}/{path}".lower() if host else ""


def _windows_drive(url: str) -> bool:
    return len(url) > 1 and url[1] == ":" and url[0].isalpha()


def _local_remote(url: str, base: str) -> str:
    path = url.split("://", 1)[1] if url.lower().startswith("file://") else url
    return os.path.realpath(os.path.join(base, os.path.expanduser(path)))


def identify(cwd: str, _depth: int = 0) -> Location:
    """The identity of ``cwd`` (see the module docstring)."""
    cwd = os.path.realpath(cwd or ".")
    found = find_git(cwd)
    if found is None:
        return Location(f"dir:{cwd}", cwd, _folder(cwd))
    top, gitdir = found
    if not gitdir:
        return Location(f"dir:{top}", top, _folder(top), top)
    common = common_dir(gitdir)
    root = os.path.realpath(main_worktree(top, gitdir, common))
    url = remote_url(common)
    normal = normalize_remote(url) if url else ""
    project_id = f"git:{normal}" if normal else f"dir:{root}"
    if url and not normal and _depth < _MAX_DEPTH:
        other = _local_remote(url, root)
        if os.path.isdir(other) and other != root:
            project_id = _repo_id(other, _depth + 1)
    return Location(project_id, root, _folder(root), top)


def _repo_id(path: str, depth: int) -> str:
    """The id of the repository at ``path`` (a working tree or a bare repository)."""
    if os.path.isfile(os.path.join(path, "HEAD")) and os.path.isdir(os.path.join(path, "objects")):
        url = remote_url(path)  # a bare repository
        normal = normalize_remote(url) if url else ""
        return f"git:{normal}" if normal else f"dir:{path}"
    return identify(path, depth).id


def _folder(root: str) -> str:
    return os.path.basename(root.rstrip(os.sep)) or "root"


def clean_name(value: object) -> str:
    """A display name: one line of printable characters, at most ``MAX_NAME`` of them, with
    look-alikes for double quotes, backticks, angle brackets and backslashes (it is shown
    inside quotes and markup); "" if none."""
    if not isinstance(value, str):
        return ""
    text = "".join(_SAFER.get(c, c) if c.isprintable() else " " for c in value)
    return " ".join(text.split())[:MAX_NAME]


def forced_id(value: str) -> str:
    """The id named by ``CLAUDE_RECALL_PROJECT``: an id as it is, any other text ``name:<text>``."""
    value = value.strip()
    if value.startswith(PREFIXES):
        return value
    return f"name:{clean_name(value)}"


def load_aliases(data_dir: str) -> dict[str, str]:
    """The joined ids (old -> new) recorded in the data dir."""
    text = _read_text(os.path.join(data_dir, ALIASES_FILE), _MAX_CONFIG_BYTES)
    pairs = (line.split("\t", 1) for line in text.splitlines() if "\t" in line)
    return {old: new for old, new in pairs if old and new}


def follow(aliases: dict[str, str], project_id: str) -> str:
    """``project_id`` after its joins (a chain is followed; a cycle stops)."""
    seen = {project_id}
    while project_id in aliases and aliases[project_id] not in seen:
        project_id = aliases[project_id]
        seen.add(project_id)
    return project_id


def save_aliases(data_dir: str, aliases: dict[str, str]) -> None:
    """Replace the aliases file atomically (0600)."""
    path = os.path.join(data_dir, ALIASES_FILE)
    temp = f"{path}.{os.getpid()}.tmp"
    body = "".join(f"{old}\t{new}\n" for old, new in sorted(aliases.items())
                   if "\n" not in old + new and "\t" not in old + new)
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, body.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temp, path)


def _read_text(path: str, limit: int) -> str:
    """A regular file's first ``limit`` bytes as text; "" when missing or not a regular file."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return ""
    try:
        if not _is_regular(fd):
            return ""
        return os.read(fd, limit).decode("utf-8", "replace")
    except OSError:
        return ""
    finally:
        os.close(fd)


def _is_regular(fd: int) -> bool:
    return stat.S_ISREG(os.fstat(fd).st_mode)
