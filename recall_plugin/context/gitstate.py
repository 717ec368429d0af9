"""What the working tree says about the session starting: the branch, recent commit messages
and files changed since the index - read from ``.git`` directly (a ``git`` subprocess costs
the SessionStart hook 5-15 ms per call). Standard library only; anything unreadable is simply
left out. A worktree's ``.git`` file is followed to its git dir.
"""

from __future__ import annotations

import os

MAX_ENTRIES = 4000    # index entries looked at (a huge repository is sampled, not walked)
MAX_CHANGED = 40
REFLOG_BYTES = 8192


def git_dir(where: str) -> str:
    """The git dir of the working tree holding ``where`` ("" if none); ``root`` is found by
    walking up to the first folder with a ``.git``."""
    root = top(where)
    path = os.path.join(root, ".git")
    if os.path.isdir(path):
        return path
    try:
        with open(path, encoding="utf-8") as handle:
            line = handle.readline().strip()
    except OSError:
        return ""
    if not line.startswith("gitdir:"):
        return ""
    found = line[7:].strip()
    return found if os.path.isabs(found) else os.path.normpath(os.path.join(root, found))


def top(where: str) -> str:
    """The working tree's top folder holding ``where`` (``where`` itself if none)."""
    here = os.path.abspath(where)
    while True:
        if os.path.exists(os.path.join(here, ".git")):
            return here
        parent = os.path.dirname(here)
        if parent == here:
            return os.path.abspath(where)
        here = parent


def branch(gitdir: str) -> str:
    try:
        with open(os.path.join(gitdir, "HEAD"), encoding="utf-8") as handle:
            head = handle.readline().strip()
    except OSError:
        return ""
    return head[16:] if head.startswith("ref: refs/heads/") else ""


def commit_messages(gitdir: str, count: int = 10) -> list[str]:
    """The latest commit messages from the HEAD reflog, newest first."""
    path = os.path.join(gitdir, "logs", "HEAD")
    try:
        with open(path, "rb") as handle:
            handle.seek(max(0, os.path.getsize(path) - REFLOG_BYTES))
            lines = handle.read().decode("utf-8", "replace").splitlines()
    except OSError:
        return []
    out = []
    for line in reversed(lines):
        _, _, message = line.partition("\t")
        kind, _, text = message.partition(": ")
        if kind.startswith("commit") and text:
            out.append(text)
        if len(out) >= count:
            break
    return out


def changed_files(root: str, gitdir: str) -> list[str]:
    """Tracked files whose size or mtime differ from the index (modified since staged or
    committed), relative to ``root``; index versions 2 and 3."""
    try:
        with open(os.path.join(gitdir, "index"), "rb") as handle:
            data = handle.read()
    except OSError:
        return []
    if len(data) < 12 or data[:4] != b"DIRC":
        return []
    version, entries = int.from_bytes(data[4:8], "big"), int.from_bytes(data[8:12], "big")
    if version not in (2, 3):
        return []
    out, pos = [], 12
    for _ in range(min(entries, MAX_ENTRIES)):
        if pos + 62 > len(data):
            break
        mtime = int.from_bytes(data[pos + 8:pos + 12], "big")
        size = int.from_bytes(data[pos + 36:pos + 40], "big")
        flags = int.from_bytes(data[pos + 60:pos + 62], "big")
        start = pos + 62 + (2 if version == 3 and flags & 0x4000 else 0)
        end = data.index(b"\0", start)
        name = data[start:end].decode("utf-8", "replace")
        pos += ((end - pos) // 8 + 1) * 8
        try:
            info = os.stat(os.path.join(root, name))
        except OSError:
            out.append(name)  # deleted: changed too
        else:
            if int(info.st_mtime) != mtime or (info.st_size & 0xFFFFFFFF) != size:
                out.append(name)
        if len(out) >= MAX_CHANGED:
            break
    return out
