"""The stdio loop: read a line, answer it, flush. Standard library only, so the server starts
(and answers ``initialize`` / ``server/discover`` and ``tools/list``) with plain ``python3``
before the plugin environment exists, in a few tens of milliseconds.

stdout carries protocol messages only: ``sys.stdout`` is pointed at stderr for everything
else. After the first answer, a background thread loads the search code and the vector index
so that the first ``search`` does not pay for them. Tool failures are logged to recall.log and
come back to Claude as one ``isError`` line, never as a crash.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from typing import IO, Any

from .. import __version__, log, settings
from ..errors import BadArguments, BadInput, UnknownTool
from .protocol import Session, encode
from .schema import check, tools


def cross_project() -> bool:
    from .tools import CROSS_READ

    return settings.load().flag(CROSS_READ)


def call_tool(name: str, arguments: Any) -> tuple[bool, str]:
    """(is_error, text) for one call; ``UnknownTool`` for a name no tool has (a protocol error)."""
    from .tools import HANDLERS

    if name not in HANDLERS:
        raise UnknownTool(name)
    handler = HANDLERS[name]
    schema = next(t["inputSchema"] for t in tools(cross_project()) if t["name"] == name)
    started = time.monotonic()
    try:
        text = handler(**check(arguments, schema))
    except (BadArguments, BadInput) as exc:
        log.info(f"mcp {name}: bad input: {exc}")
        return True, f"{name}: {exc}"
    except Exception as exc:
        log.error(f"mcp {name} failed: {type(exc).__name__}: {exc}")
        return True, f"{name} failed: {type(exc).__name__}: {exc}"
    log.info(f"mcp {name} ok in {(time.monotonic() - started) * 1000:.0f} ms")
    return False, text


def warm_up() -> None:
    from .tools import warm

    warm()


def serve(stdin: IO[bytes], stdout: IO[bytes]) -> None:
    session = Session("recall", __version__, lambda: tools(cross_project()), call_tool)
    warmed = False
    while line := stdin.readline():
        if not line.strip():
            continue
        answer = session.handle_line(line)
        if answer is not None:
            stdout.write(encode(answer))
            stdout.flush()
        if not warmed:
            warmed = True
            threading.Thread(target=warm_up, name="warm-up", daemon=True).start()


def main() -> int:
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # Claude Code stops servers with SIGINT: just go
    stdout = sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing but protocol messages may reach stdout
    conf = settings.load()
    log.configure(conf.text("CLAUDE_RECALL_LOG_LEVEL"), component="mcp")
    log.info(f"mcp server up (pid {os.getpid()}, python {sys.version.split()[0]},"
             f" data dir {conf.data_dir})")
    with contextlib.suppress(BrokenPipeError, KeyboardInterrupt):
        serve(sys.stdin.buffer, stdout)
    log.info("mcp server: stdin closed, exiting")
    sys.stderr.flush()
    # Leave now, without interpreter finalization: the warm-up thread may be inside a native
    # library (onnxruntime, Chroma) whose teardown from under a live thread aborts the process.
    os._exit(0)
