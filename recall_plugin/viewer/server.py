"""Running the viewer: on 127.0.0.1 only, one per data dir, behind a per-launch token.

A running viewer records itself in ``<data dir>/viewer.json`` (pid, port, url, token; mode
0600, created private and renamed into place). Before starting, ``serve`` reads that record
and asks the recorded port to prove it is this data dir's viewer: a challenge
(``auth.client_proof``) that only the token's holder can answer (``auth.server_proof``); the
token itself is never sent. A viewer that answers is reused (opened with its token URL), and
nothing new starts. A program on the port that cannot answer is reported and never opened,
and a new viewer starts on the next free port. The browser is opened once, with
``/?token=...``; the viewer exchanges it for a cookie (``auth.py``).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import secrets
import signal
import socket
import threading
import time
import webbrowser
from collections.abc import Callable
from typing import NamedTuple
from urllib.parse import quote

import uvicorn

from .. import paths
from ..vocab import utc_stamp
from . import auth
from .app import create_app

HOST = "127.0.0.1"
DEFAULT_PORT = 37777
RECORD = "viewer.json"
SEARCH_PORTS = 50

Out = Callable[[str], None]


class Record(NamedTuple):
    """What viewer.json says about the running viewer."""

    port: int
    token: str
    pid: int


def url_for(port: int) -> str:
    return f"http://{HOST}:{port}/"


def login_url(port: int, token: str) -> str:
    """The URL that opens the page once: the viewer trades the token for a cookie."""
    return f"{url_for(port)}?token={quote(token, safe='')}"


def record_path(data_dir: str) -> str:
    return os.path.join(data_dir, RECORD)


def read_record(data_dir: str) -> Record | None:
    try:
        with open(record_path(data_dir), encoding="utf-8") as handle:
            data = json.load(handle)
        port, token, pid = data.get("port"), data.get("token"), data.get("pid")
    except (OSError, ValueError, AttributeError):
        return None
    if not (isinstance(port, int) and 0 < port < 65536 and isinstance(token, str) and token):
        return None
    return Record(port, token, pid if isinstance(pid, int) else 0)


def recorded_port(data_dir: str) -> int | None:
    record = read_record(data_dir)
    return record.port if record else None


def identify(port: int, token: str, data_dir: str, timeout: float = 2.0) -> str:
    """``"ours"`` when the program on ``port`` proves it holds ``token`` and serves
    ``data_dir``; ``"absent"`` when nothing listens there; ``"foreign"`` otherwise."""
    nonce = secrets.token_urlsafe(24)
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("GET", f"/api/health?challenge={nonce}",
                     headers={"Host": f"{HOST}:{port}", "Accept": "application/json",
                              "X-Recall-Proof": auth.client_proof(token, nonce)})
        response = conn.getresponse()
        body = response.read(64 * 1024)
        status = response.status
    except ConnectionRefusedError:
        return "absent"
    except (OSError, http.client.HTTPException):
        return "foreign"
    finally:
        conn.close()
    try:
        data = json.loads(body) if status == 200 else None
    except ValueError:
        data = None
    if not isinstance(data, dict) or not auth.same(str(data.get("proof", "")),
                                                   auth.server_proof(token, nonce)):
        return "foreign"
    same_dir = os.path.realpath(str(data.get("data_dir"))) == os.path.realpath(data_dir)
    return "ours" if same_dir else "foreign"


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


def write_record(data_dir: str, port: int, token: str) -> None:
    """viewer.json, private from its first byte: a fresh 0600 file renamed into place."""
    record = {"pid": os.getpid(), "port": port, "url": url_for(port), "token": token,
              "started_at": utc_stamp()}
    path = record_path(paths.ensure_dir(data_dir))
    tmp = f"{path}.{secrets.token_hex(8)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        os.fchmod(fd, 0o600)  # whatever the umask
        os.write(fd, (json.dumps(record) + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def clear_record(data_dir: str, port: int) -> None:
    """Remove viewer.json if it still describes this process."""
    record = read_record(data_dir)
    if record and record.port == port and record.pid == os.getpid():
        with contextlib.suppress(OSError):
            os.unlink(record_path(data_dir))


class ViewerServer:
    """The viewer on a bound socket, in the foreground (``run``) or a thread (``start``)."""

    def __init__(self, data_dir: str, sock: socket.socket, log_level: str = "warning",
                 token: str | None = None) -> None:
        self.sock, self.data_dir = sock, data_dir
        self.port = int(sock.getsockname()[1])
        self.url = url_for(self.port)
        self.token = token or auth.new_token()
        self.login_url = login_url(self.port, self.token)
        app = create_app(data_dir, port=self.port, token=self.token)
        config = uvicorn.Config(app, host=HOST, port=self.port,
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
    if port is not None:
        suggestion = free.getsockname()[1]
        free.close()
        err(f"port {wanted} is already in use by another program. The next free port is "
            f"{suggestion}: claude-recall viewer --port {suggestion} (or --port 0 for any free port)")
        return None
    out(f"port {wanted} is already in use by another program; using {free.getsockname()[1]}")
    return free


def reusable(data_dir: str, out: Out, err: Out) -> Record | None:
    """This data dir's running viewer, once it has proved it holds the recorded token. A
    program on the recorded port that cannot prove it is reported (the new viewer's record
    replaces the stale one)."""
    record = read_record(data_dir)
    if record is None:
        return None
    verdict = identify(record.port, record.token, data_dir)
    if verdict == "ours":
        return record
    if verdict == "foreign":
        err(f"port {record.port}, recorded in {record_path(data_dir)}, is held by a program that "
            "cannot prove it is this data dir's viewer; not opening it")
    return None


def announce(url: str, token_url: str, open_browser: bool, out: Out) -> None:
    """Print where the viewer is. The token URL is printed only when no browser is opened
    (the user needs it then), so terminal logs do not keep the key otherwise."""
    if open_browser:
        out(f"{url}  (opened in your browser)")
    else:
        out(f"open {token_url}  (this link signs your browser in once)")


def serve(data_dir: str, port: int | None = None, open_browser: bool = True,
          out: Out = print, err: Out = print) -> int:
    """``claude-recall viewer``: reuse this data dir's viewer, or start one and block."""
    existing = reusable(data_dir, out, err)
    if existing:
        out(f"claude-recall viewer is already running for {data_dir}:")
        announce(url_for(existing.port), login_url(existing.port, existing.token), open_browser, out)
        if open_browser:
            webbrowser.open(login_url(existing.port, existing.token))
        return 0
    server = start_new(data_dir, port, out, err)
    if server is None:
        return 1
    out(f"claude-recall viewer for {data_dir} (Ctrl-C stops it):")
    announce(server.url, server.login_url, open_browser, out)
    if open_browser:
        threading.Thread(target=open_when_ready, args=(server, server.login_url), daemon=True).start()
    stop_on_sigterm()
    try:
        server.run()
    except KeyboardInterrupt:  # uvicorn shut down gracefully, then re-raised Ctrl-C / SIGTERM
        out("claude-recall viewer stopped")
    finally:
        clear_record(data_dir, server.port)
        server.sock.close()
    return 0


def start_new(data_dir: str, port: int | None, out: Out, err: Out) -> ViewerServer | None:
    """A new viewer on the wanted port (or the next free one), recorded in viewer.json; not
    yet serving. None (after saying why) when an explicit port is taken."""
    sock = claim(port, out, err)
    if sock is None:
        return None
    server = ViewerServer(data_dir, sock)
    write_record(data_dir, server.port, server.token)
    return server


def stop_on_sigterm() -> None:
    """Let SIGTERM end ``serve`` like Ctrl-C (uvicorn re-raises the signal after its graceful
    shutdown; the default action would skip the cleanup of viewer.json)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
