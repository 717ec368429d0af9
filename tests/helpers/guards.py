"""Guards against a real hang, never speed checks (speed belongs in ``benchmarks/``)."""

from __future__ import annotations

import faulthandler
import sys
from collections.abc import Iterator
from contextlib import contextmanager

HANG_S = 120.0  # far beyond any honest run of a guarded block, even on a loaded machine


@contextmanager
def hang_guard(seconds: float = HANG_S) -> Iterator[None]:
    """Run the block; if it is still running after ``seconds`` it is hung: print every
    thread's traceback and end the test run (a hang would never end it otherwise). No signal
    is used, so code under test keeps its own SIGALRM (the hook's deadline)."""
    faulthandler.dump_traceback_later(seconds, exit=True, file=sys.__stderr__ or 2)
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()
