"""Paths the model writes, checked against the paths a session's events show."""

from __future__ import annotations

import posixpath


def norm_path(path: str) -> str:
    path = path.strip().strip("`'\"").strip()
    return posixpath.normpath(path) if path else ""


class PathCheck:
    """Whether a path written by the model is one the session's events show."""

    def __init__(self, known: frozenset[str], cwd: str) -> None:
        self.cwd = norm_path(cwd)
        self.known = {p for p in map(norm_path, known) if p}
        self.known |= {self._resolve(p) for p in self.known if self.cwd}

    def _resolve(self, path: str) -> str:
        return posixpath.normpath(posixpath.join(self.cwd, path))

    def allows(self, path: str) -> bool:
        if not self.known or path in self.known:
            return True
        if posixpath.isabs(path):
            return False
        if self.cwd and self._resolve(path) in self.known:
            return True
        if "/" not in path or path.startswith("../"):
            return False
        return any(known.endswith("/" + path) for known in self.known)
