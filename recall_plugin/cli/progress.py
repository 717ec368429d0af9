"""The progress display of long commands (reindex, backfill).

It is an ``index.Progress`` callback, ``(done, total, what)``: a bar redrawn in place on a
terminal; plain lines otherwise. ``what`` says what the last step did (backfill: which session
and how it went); without it the display shows the rate in ``unit``/s instead, and plain lines
come every tenth of the work or every ``LINE_EVERY_S``, not on every step.
"""

from __future__ import annotations

import time
from typing import TextIO

BAR_WIDTH = 30
WHAT_WIDTH = 40
LINE_EVERY_S = 10.0


class Progress:
    """``(done, total, what)`` callbacks shown on ``out`` under ``label`` (see the module)."""

    def __init__(self, out: TextIO, tty: bool, label: str, unit: str = "") -> None:
        self.out, self.tty, self.label, self.unit = out, tty, label, unit
        self.started = time.monotonic()
        self.last_line = (-1, 0.0)  # (tenth of the work, time) of the last throttled line

    def __call__(self, done: int, total: int, what: str = "") -> None:
        if self.tty:
            self._bar(done, total, what)
        elif what:
            self._write(f"{self.label} {done}/{total}: {what}\n")
        else:
            self._line(done, total)

    def _rate(self, done: int) -> str:
        if not self.unit:
            return ""
        return f"{done / max(time.monotonic() - self.started, 1e-6):.0f} {self.unit}/s"

    def _bar(self, done: int, total: int, what: str) -> None:
        filled = BAR_WIDTH * done // total if total else BAR_WIDTH
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        tail = f"{what[:WHAT_WIDTH]:<{WHAT_WIDTH}}" if what else self._rate(done)  # padded: \r redraws
        self._write(f"\r{self.label} [{bar}] {done}/{total}" + (f" {tail}" if tail else "")
                    + ("\n" if done >= total else ""))

    def _line(self, done: int, total: int) -> None:
        tenth, now = (10 * done // total if total else 10), time.monotonic()
        if tenth == self.last_line[0] and now - self.last_line[1] < LINE_EVERY_S and done < total:
            return
        self.last_line = (tenth, now)
        percent = 100 * done // total if total else 100
        rate = self._rate(done)
        self._write(f"{self.label}: {done}/{total} ({percent}%)" + (f", {rate}" if rate else "") + "\n")

    def _write(self, text: str) -> None:
        self.out.write(text)
        self.out.flush()
