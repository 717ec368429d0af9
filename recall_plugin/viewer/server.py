"""Running the viewer: on 127.0.0.1 only, one per data dir.

A running viewer records itself in ``<data dir>/viewer.json`` (pid, port, url). Before
starting, ``serve`` asks the recorded port (and the wanted one) for ``/api/health``; a viewer
that answers for the same data dir is reused: its URL is printed and opened, and nothing new
starts. A busy port that is not ours is reported with the next free port.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import threading
import time
import webbrowser
from collections.abc import Callable

import uvicorn

from .. import paths
from .app import create_app

HOST = "127.0.0.1"
DEFAULT_PORT = 37777
RECORD = "viewer.json"
SEARCH_PORTS = 50

Out = Callable[[str], None]


def url_for(port: int) -> str:
    return f"http://{HOST}:{port}/"


def record_path(data_dir: str) -> str:
    return os.path.join(data_dir, RECORD)


def probe(port: int, timeout: float = 1.0) -> dict[str, object] | None:
    """What the viewer on ``port`` says about itself at /api/health, or None."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("GET", "/api/health", headers={"Host": f"{HOST}:{port}"})
        response = conn.getresponse()
        data = json.loads(response.read()) if response.status == 200 else None
    except (OSError, ValueError, http.client.HTTPException):
        return None
    finally:
        conn.close()
    return data if isinstance(data, dict) and data.get("app") == "claude-recall-viewer" else None


def recorded_port(data_dir: str) -> int | None:
    try:
        with open(record_path(data_dir), encoding="utf-8") as handle:
            port = json.load(handle).get("port")
    except (OSError, ValueError, AttributeError):
        return None
    return port if isinstance(port, int) and 0 < port < 65536 else None


def running(data_dir: str, also: tuple[int, ...] = ()) -> int | None:
    """The port of a live viewer of ``data_dir``: the recorded one, else one of ``also``."""
    recorded = recorded_port(data_dir)
    for port in dict.fromkeys([*([recorded] if recorded else []), *(p for p in also if p)]):
        health = probe(port)
        if health and os.path.realpath(str(health.get("data_dir"))) == os.path.realpath(data_dir):
            return port
    return None


def bind(port: int) -> socket.socket:
    """A socket bound to 127.0.0.1:``port`` (0: any free port); OSError when it is taken."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((HOST, port))
    except OSError:
        sock.close()
        raise
    return sock


def bind_next(after: int) -> socket.socket:
    """The first free port after ``after`` (within SEARCH_PORTS), else any free port."""
    for port in range(after + 1, min(after + SEARCH_PORTS, 65535) + 1):
        try:
            return bind(port)
        except OSError:
            continue
    return bind(0)


def write_record(data_dir: str, port: int) -> None:
    record = {"pid": os.getpid(), "port": port, "url": url_for(port),
              "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    paths.atomic_write(record_path(data_dir), (json.dumps(record) + "\n").encode())


def clear_record(data_dir: str, port: int) -> None:
    """Remove viewer.json if it still describes this process."""
    if recorded_port(data_dir) == port:
        try:
            with open(record_path(data_dir), encoding="utf-8") as handle:
                mine = json.load(handle).get("pid") == os.getpid()
            if mine:
                os.unlink(record_path(data_dir))
        except (OSError, ValueError):
            pass


class ViewerServer:
    """The viewer on a bound socket, in the foreground (``run``) or a thread (``start``)."""

    def __init__(self, data_dir: str, sock: socket.socket, log_level: str = "warning") -> None:
        self.sock, self.data_dir = sock, data_dir
        self.port = int(sock.getsockname()[1])
        self.url = url_for(self.port)
        config = uvicorn.Config(create_app(data_dir, port=self.port), host=HOST, port=self.port,
                                log_level=log_level, access_log=False, lifespan="off",
                                proxy_headers=False, server_header=False,
                                timeout_graceful_shutdown=2)
        self.server = uvicorn.Server(config)
        self.thread: threading.Thread | None = None

    def run(self) -> None:
        self.server.run(sockets=[self.sock])

    def start(self, timeout: float = 10.0) -> ViewerServer:
        self.thread = threading.Thread(target=self.run, name="recall-viewer", daemon=True)
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started and self.thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.02)
        if not self.server.started:
            raise RuntimeError("the viewer did not start")
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        if self.thread is not None:
            self.thread.join(10)
        self.sock.close()


def open_when_ready(server: ViewerServer, url: str) -> None:
    deadline = time.monotonic() + 15
    while not server.server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    webbrowser.open(url)


def claim(port: int | None, out: Out, err: Out) -> socket.socket | None:
    """The socket to serve on; None (after saying why) when an explicit port is taken."""
    wanted = DEFAULT_PORT if port is None else port
    try:
        return bind(wanted)
    except OSError:
        free = bind_next(wanted)
    holder = probe(wanted)
    who = f"the viewer of {holder.get('data_dir')}" if holder else "another program"
    if port is not None:
        suggestion = free.getsockname()[1]
        free.close()
        err(f"port {wanted} is already in use by {who}. The next free port is {suggestion}: "
            f"claude-recall viewer --port {suggestion} (or --port 0 for any free port)")
        return None
    out(f"port {wanted} is already in use by {who}; using {free.getsockname()[1]}")
    return free


def serve(data_dir: str, port: int | None = None, open_browser: bool = True,
          out: Out = print, err: Out = print) -> int:
    """``claude-recall viewer``: reuse this data dir's viewer, or start one and block."""
    existing = running(data_dir, (DEFAULT_PORT if port is None else port,))
    if existing:
        out(f"claude-recall viewer is already running for {data_dir}: {url_for(existing)}")
        if open_browser:
            webbrowser.open(url_for(existing))
        return 0
    sock = claim(port, out, err)
    if sock is None:
        return 1
    server = ViewerServer(data_dir, sock)
    write_record(data_dir, server.port)
    out(f"claude-recall viewer: {server.url}  (data dir {data_dir}; Ctrl-C stops it)")
    if open_browser:
        threading.Thread(target=open_when_ready, args=(server, server.url), daemon=True).start()
    stop_on_sigterm()
    try:
        server.run()
    except KeyboardInterrupt:  # uvicorn shut down gracefully, then re-raised Ctrl-C / SIGTERM
        out("claude-recall viewer stopped")
    finally:
        clear_record(data_dir, server.port)
        sock.close()
    return 0


def stop_on_sigterm() -> None:
    """Let SIGTERM end ``serve`` like Ctrl-C (uvicorn re-raises the signal after its graceful
    shutdown; the default action would skip the cleanup of viewer.json)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
