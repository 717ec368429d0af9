"""What every Claude Code hook runs: read the payload, capture one event, exit 0.

Fail open: whatever goes wrong (bad stdin, a broken settings file, a full disk, a bug) is
logged under ``<data dir>/logs/`` and the hook still exits 0, because exit 2 would block the
user's prompt or tool. Nothing is printed on stdout except documented hook output.
Budget: standard library only, no ``subprocess``, ``logging``, ``dataclasses`` or ``typing``
at run time (each costs milliseconds on every tool call).
"""

from __future__ import annotations

import os
import sys
import time

from .. import fastjson, log, paths, settings
from ..errors import HookDeadline
from ..queue import spool
from . import event, globs, project

TYPE_CHECKING = False  # typing costs ~5 ms to import; mypy still reads the block below
if TYPE_CHECKING:
    from typing import IO

    from .event import CapturedEvent

TOOL_KINDS = ("tool", "tool_failure")
SCAN_BYTES = 65536
DEADLINE_S = 0.6  # after this much work on one payload only its metadata is kept
METADATA = ("hook_event_name", "session_id", "transcript_path", "cwd", "prompt_id", "agent_id",
            "agent_type", "source", "reason", "tool_name", "tool_use_id")
LATEST = "latest"  # private marker name: the session's latest prompt was private
EXTRACTING_ENV = "CLAUDE_RECALL_EXTRACTING"
NO_CONTEXT_ENV = "CLAUDE_RECALL_NO_CONTEXT"


def main(configured: str, stdin: IO[bytes] | None = None) -> int:
    """Run one hook. Always returns 0."""
    started = time.monotonic()
    try:
        paths.private_umask()
        _run(configured, stdin if stdin is not None else sys.stdin.buffer, started + DEADLINE_S)
    except BaseException as exc:
        _report(configured, exc)
    log.debug(f"{configured} done in {(time.monotonic() - started) * 1000:.1f} ms "
              f"by {sys.executable}")
    return 0


def _report(configured: str, exc: BaseException) -> None:
    import traceback  # error path only

    where = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    spot = f" at {where[0].filename}:{where[0].lineno}" if where else ""
    log.error(f"hook {configured}: internal error {type(exc).__name__}: {exc}{spot}")


def _run(configured: str, stdin: IO[bytes], deadline: float) -> None:
    if os.environ.get(EXTRACTING_ENV):
        return  # a session run by the extractor itself (claude CLI provider): never capture it
    conf = settings.load()
    log.configure(conf.text("CLAUDE_RECALL_LOG_LEVEL"), component=f"hook:{configured}")
    if configured == "SessionStart":
        for problem in conf.problems:
            log.warning(f"settings: {problem}")
    limit = conf.number("CLAUDE_RECALL_MAX_PAYLOAD_BYTES")
    raw = b"" if stdin.isatty() else stdin.read(limit + 1)
    if len(raw) > limit:
        captured = _oversized(configured, raw, stdin, limit, conf)
    else:
        captured = _capture(configured, raw, conf, deadline)
    if captured is not None:
        _before(captured, conf)
        spool.append(paths.queue_dir(conf.data_dir), _encode(captured))
        _after(captured, conf)


def _capture(configured: str, raw: bytes, conf: settings.Settings,
             deadline: float | None = None) -> CapturedEvent | None:
    if not raw.strip():
        log.warning(f"hook {configured}: empty stdin; nothing captured")
        return None
    text = raw.decode("utf-8", "replace")  # bad bytes become U+FFFD: the event is kept
    try:
        payload = fastjson.loads(text)
    except ValueError as exc:
        log.warning(f"hook {configured}: stdin is not JSON ({exc}); first bytes {raw[:80]!r}")
        return None
    if not isinstance(payload, dict):
        log.warning(f"hook {configured}: stdin JSON is a {type(payload).__name__}, not an object")
        return None
    if "\ufffd" in text and "\ufffd".encode() not in raw:
        log.warning(f"hook {configured}: stdin is not valid UTF-8; bad bytes replaced by U+FFFD")
    try:
        with _Alarm(deadline):
            return build(configured, payload, conf, deadline)
    except HookDeadline:
        log.warning(f"hook {configured}: scrubbing took longer than {DEADLINE_S:.1f} s; "
                    "captured as metadata only")
        meta: dict[str, object] = {k: v for k, v in payload.items()
                                   if k in METADATA and isinstance(v, str)}
        captured = build(configured, meta, conf)
        if captured is not None:
            captured["trimmed_chars"] = len(raw)
        return captured


class _Alarm:
    """A hard stop at ``deadline``: SIGALRM raises HookDeadline in whatever pure-Python loop
    the scrubbing is in, so no input (however it defeats the bounds) keeps a hook past it.
    ``_signal`` is the interpreter's own built-in (``signal`` would import enum). Outside the
    main thread (tests calling the hook in-process) it is a no-op; the checks still apply."""

    def __init__(self, deadline: float | None) -> None:
        self.deadline, self.armed, self.previous = deadline, False, None

    def __enter__(self) -> None:
        if self.deadline is None:
            return
        import _signal  # type: ignore[import-not-found]  # built in, loaded at start-up

        try:
            self.previous = _signal.signal(_signal.SIGALRM, _ring)
            _signal.setitimer(_signal.ITIMER_REAL, max(0.001, self.deadline - time.monotonic()))
            self.armed = True
        except (ValueError, OSError, AttributeError):
            pass

    def __exit__(self, *exc: object) -> None:
        if self.armed:
            import _signal

            _signal.setitimer(_signal.ITIMER_REAL, 0)
            _signal.signal(_signal.SIGALRM, self.previous or _signal.SIG_DFL)


def _ring(signum: int, frame: object) -> None:
    raise HookDeadline("the hook's deadline passed while scrubbing")


def hook_kind(configured: str, payload: dict[str, object]) -> str | None:
    name = payload.get("hook_event_name")
    if isinstance(name, str) and name in event.KINDS:
        return event.KINDS[name]
    return event.KINDS.get(configured)


def build(configured: str, payload: dict[str, object], conf: settings.Settings,
          deadline: float | None = None) -> CapturedEvent | None:
    """The event for one parsed payload, or None when it is not to be captured."""
    kind = hook_kind(configured, payload)
    if kind is None:
        log.warning(f"hook {configured}: unknown hook event {payload.get('hook_event_name')!r}")
        return None
    cwd = payload.get("cwd") if isinstance(payload.get("cwd"), str) else os.getcwd()
    where = project.resolve(str(cwd), conf.text("CLAUDE_RECALL_PROJECT"),
                            conf.items("CLAUDE_RECALL_EXCLUDED_PROJECTS"), conf.data_dir)
    if where.excluded:
        log.debug(f"project {where.display} ({where.root}) is excluded; nothing captured")
        return None
    if kind in TOOL_KINDS and skipped(payload.get("tool_name"), conf):
        return None
    captured = event.base_event(kind, payload, where)
    _fill(captured, payload, conf, deadline)
    return captured


def skipped(tool_name: object, conf: settings.Settings) -> bool:
    name = tool_name if isinstance(tool_name, str) else ""
    return globs.any_match(name, conf.items("CLAUDE_RECALL_SKIP_TOOLS"))


def _fill(captured: CapturedEvent, payload: dict[str, object], conf: settings.Settings,
          deadline: float | None) -> None:
    limit = conf.number("CLAUDE_RECALL_MAX_FIELD_CHARS")
    kind = captured["kind"]
    if kind == "prompt":
        event.fill_prompt(captured, payload, limit, deadline)
    elif kind in TOOL_KINDS:
        private = _private_prompt(conf.data_dir, captured)
        event.fill_tool(captured, payload, limit, private, deadline)
    elif kind in ("stop", "session_end"):
        event.fill_stop(captured, payload, limit, _private_prompt(conf.data_dir, captured),
                        deadline)


def _oversized(configured: str, head: bytes, stdin: IO[bytes], limit: int,
               conf: settings.Settings) -> CapturedEvent | None:
    """A payload over the size limit: keep what identifies it, drop the rest."""
    size, tail = len(head), b""
    while chunk := stdin.read(1 << 20):
        size, tail = size + len(chunk), (tail + chunk)[-SCAN_BYTES:]
    import re  # a rare path: the regex engine is affordable here

    ids = re.compile(rb'"(session_id|tool_use_id|prompt_id|tool_name)"\s*:\s*"([^"\\]{1,200})"')
    found = {m.group(1).decode(): m.group(2).decode("utf-8", "replace")
             for part in (head[:SCAN_BYTES], head[-SCAN_BYTES:], tail)
             for m in ids.finditer(part)}
    log.warning(f"hook {configured}: payload of {size:,} bytes is over "
                f"CLAUDE_RECALL_MAX_PAYLOAD_BYTES ({limit:,}); captured as metadata only")
    payload: dict[str, object] = {"hook_event_name": configured, **found}
    captured = build(configured, payload, conf)
    if captured is not None:
        captured["trimmed_chars"] = size
    return captured


def private_marker(data_dir: str, session_id: str, prompt_id: str) -> str:
    safe = "".join(c if c.isascii() and (c.isalnum() or c in "_.-") else "_"
                   for c in f"{session_id}.{prompt_id}")
    return os.path.join(paths.queue_dir(data_dir), "private", safe)


def _private_prompt(data_dir: str, captured: CapturedEvent) -> bool:
    """Whether the event belongs to an entirely private prompt's turn (by its prompt id, or,
    without one, because the session's latest prompt was private)."""
    prompt_id = captured.get("prompt_id") or LATEST
    return os.path.exists(private_marker(data_dir, captured["session_id"], prompt_id))


def _encode(captured: CapturedEvent) -> bytes:
    return fastjson.dumps(captured).encode("ascii")


def _before(captured: CapturedEvent, conf: settings.Settings) -> None:
    """An entirely private prompt marks its prompt id (and the session's latest prompt) so its
    whole turn, tool calls and reply, is kept private too; a later prompt clears the latter."""
    if captured["kind"] != "prompt":
        return
    session = captured["session_id"]
    latest = private_marker(conf.data_dir, session, LATEST)
    if not captured.get("private"):
        if os.path.lexists(latest):
            _unlink(latest)
        return
    prompt_id = captured.get("prompt_id")
    for marker in (latest, *([private_marker(conf.data_dir, session, prompt_id)] if prompt_id else [])):
        try:
            paths.ensure_dir(os.path.dirname(marker))
            os.close(os.open(marker, os.O_WRONLY | os.O_CREAT, paths.FILE_MODE))
        except OSError as exc:
            log.error(f"cannot mark prompt {prompt_id} private ({exc}); its turn may be captured")


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError as exc:
        log.warning(f"cannot remove {path} ({exc})")


def _after(captured: CapturedEvent, conf: settings.Settings) -> None:
    """Side effects once the event is safely spooled."""
    if captured["kind"] == "session_start":
        _inject_context(captured, conf, _ensure_environment())
    if (captured["kind"] == "prompt" and not captured.get("private") and _context_allowed(captured, conf)
            and conf.flag("CLAUDE_RECALL_PROMPT_CONTEXT")
            and os.path.exists(paths.db_file(conf.data_dir))):  # no memory yet: no sqlite3 import
        from ..context import prompt  # recorded memory this prompt is clearly about, if any

        _emit("UserPromptSubmit", prompt.for_event(captured["project"], captured["session_id"],
                                                   str(captured.get("prompt") or ""), conf))
    if conf.flag("CLAUDE_RECALL_AUTO_EXTRACT"):
        from ..runtime import spawn

        root = conf.data_dir
        state = spawn.start_extractor(root, paths.extractor_lock(root),
                                      os.path.join(paths.logs_dir(root), "extractor.out"))
        log.debug(f"extractor: {state}")


def _context_allowed(captured: CapturedEvent, conf: settings.Settings) -> bool:
    """Memory may be injected for this project (not excluded, not skipped for the session)."""
    root = captured.get("project_root", "")
    names = (captured["project"], root, captured.get("project_name", "") or os.path.basename(root))
    return not os.environ.get(NO_CONTEXT_ENV) and not any(
        globs.matches(name, g) for name in names if name
        for g in conf.items("CLAUDE_RECALL_CONTEXT_EXCLUDED_PROJECTS"))


def context_text(project: str, project_root: str, conf: settings.Settings,
                 display: str = "", session_id: str = "", source: str = "", cwd: str = "") -> str:
    """What SessionStart injects for this project id ("" for none)."""
    if not conf.flag("CLAUDE_RECALL_CONTEXT_ENABLED") or os.environ.get(NO_CONTEXT_ENV):
        return ""
    names = (project, project_root, display or os.path.basename(project_root))
    if any(globs.matches(name, g) for name in names if name
           for g in conf.items("CLAUDE_RECALL_CONTEXT_EXCLUDED_PROJECTS")):
        return ""
    from .. import context

    return context.for_project(conf.data_dir, project,
                               conf.number("CLAUDE_RECALL_CONTEXT_OBSERVATIONS"),
                               conf.number("CLAUDE_RECALL_CONTEXT_SUMMARIES"),
                               conf.number("CLAUDE_RECALL_CONTEXT_MAX_CHARS"),
                               project_root=cwd or project_root, session_id=session_id, source=source)


def _inject_context(captured: CapturedEvent, conf: settings.Settings, notice: str = "") -> None:
    """The project's memory for the model; a notice (environment not ready) for both the user
    (``systemMessage``) and the model."""
    text = context_text(captured["project"], captured.get("project_root", ""), conf,
                        captured.get("project_name", ""), captured["session_id"],
                        str(captured.get("source") or ""), captured.get("cwd", ""))
    if notice:
        text = f"{notice}\n\n{text}" if text else notice
    if text:
        output: dict[str, object] = {
            "hookSpecificOutput": {"hookEventName": "SessionStart", "additionalContext": text}}
        if notice:
            output["systemMessage"] = notice
        sys.stdout.write(fastjson.dumps(output))
        sys.stdout.flush()


def _emit(hook_event: str, text: str) -> None:
    if text:
        output = {"hookSpecificOutput": {"hookEventName": hook_event, "additionalContext": text}}
        sys.stdout.write(fastjson.dumps(output))
        sys.stdout.flush()


def _ensure_environment() -> str:
    """Start the environment build when needed; a notice for the user while it is not ready."""
    root, data = os.environ.get("CLAUDE_PLUGIN_ROOT"), os.environ.get("CLAUDE_PLUGIN_DATA")
    if not (root and data and os.path.isdir(data)):
        return ""
    from ..runtime import bootstrap  # SessionStart only: it costs ~3 ms to import

    state = bootstrap.ensure(root, data)
    if state != "ready":
        log.info(f"plugin environment: {state}")
    return bootstrap.notice(state, data)
