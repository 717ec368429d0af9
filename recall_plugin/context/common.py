"""Words the memory already holds too often to be evidence, remembered between prompts, so
that the per-prompt hook does not count them again: one small append-only file per data dir,
``<data dir>/state/common-words``, a line ``<cap> <word>`` each.

Counting a common word is the per-prompt search's main cost (its FTS doclist read up to the
cap: 0.2-0.5 ms a word at 100,000 observations). A word counted at a cap at least today's is
still common: records only accumulate (forget removes this file, and a word once common that
became rare is at worst left out of a prompt's evidence, never added to it). The words are
common words of the memory itself (in hundreds of records), never a private prompt's (those are
not searched). Standard library only (it runs inside the hook); a file that cannot be read or
written means "nothing known", never an error.
"""

from __future__ import annotations

import os

from .. import paths

FILE = "common-words"
MOST_BYTES = 64 * 1024  # past this, the file starts again (it only saves counting)


def path(data_dir: str) -> str:
    return os.path.join(data_dir, "state", FILE)


class CommonWords:
    """The words known to be common at ``cap`` (read once), and the ones found common since."""

    def __init__(self, data_dir: str) -> None:
        self.data_dir, self.cap = data_dir, 0
        self.found: list[str] = []
        try:
            with open(path(data_dir), encoding="utf-8", errors="replace") as handle:
                self.lines = handle.read(MOST_BYTES + 1).splitlines()
        except OSError:
            self.lines = []

    def known(self, cap: int) -> set[str]:
        """The words known to be in at least ``cap`` records (the cap new ones are saved at)."""
        self.cap = cap
        out = set()
        for line in self.lines:
            counted, _, word = line.partition(" ")
            if counted.isdigit() and int(counted) >= cap and word:
                out.add(word)
        return out

    def save(self) -> None:
        """Remember the words found common (appended; the file restarts when full)."""
        found, self.found = list(dict.fromkeys(self.found)), []
        if not found or not self.cap:
            return
        try:
            paths.ensure_dir(os.path.dirname(path(self.data_dir)))
            full = sum(len(line) + 1 for line in self.lines) > MOST_BYTES
            flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if full else os.O_APPEND)
            fd = os.open(path(self.data_dir), flags, paths.FILE_MODE)
            try:
                os.write(fd, "".join(f"{self.cap} {word}\n" for word in found).encode("utf-8"))
            finally:
                os.close(fd)
        except OSError:
            return


def forget(data_dir: str) -> None:
    """Remove the file (after a forget: the counts start again)."""
    if not data_dir:
        return  # an in-memory store has no data dir
    try:
        os.unlink(path(data_dir))
    except OSError:
        return
