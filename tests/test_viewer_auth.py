"""Who can reach the viewer: the per-launch token on every route (cookie exchange, bearer,
the health challenge), the 401 page, reusing only a viewer that proves it is ours, settings
that the viewer may not change, and the caps on bodies and values."""

from __future__ import annotations

import http.client
import http.server
import json
import os
import socket
import stat
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest
from helpers.memory import plant
from starlette.testclient import TestClient

from recall_plugin import settings
from recall_plugin.errors import SettingsError
from recall_plugin.settings.model import MAX_VALUE_CHARS
from recall_plugin.store.db import open_store, write
from recall_plugin.viewer import auth
from recall_plugin.viewer import server as viewer_server
from recall_plugin.viewer.app import create_app
from recall_plugin.viewer.security import SETTINGS_BODY_BYTES

PORT = 37777
BASE = f"http://127.0.0.1:{PORT}"
TOKEN = "launch-token-abcdefghijklmnopqrstuvwxyz0123456789"
KEY = "sk-or-v1-0123456789abcdef0123456789abcdefSECRETKEY"
COOKIE = auth.cookie_name(PORT)
GETS = ("/", "/api/health", "/api/status", "/api/observations", "/api/summaries", "/api/search?q=retry",
        "/api/projects", "/api/sessions", "/api/sessions/sess-shop-1", "/api/usage", "/api/settings",
        "/api/stream?once=1", "/static/app.js", "/static/style.css", "/static/index.html",
        "/static/favicon.svg", "/no-such-page")
POSTS = (("/api/settings", {"values": {"CLAUDE_RECALL_GEMINI_RPM": 11}}),
         ("/api/forget", {"ids": [1], "reason": "test"}))


@pytest.fixture
def app_dir(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CLAUDE_RECALL_INDEX_MODE", "off")
    plant(data_dir).close()
    return data_dir


@pytest.fixture
def anon(app_dir: Path) -> Iterator[TestClient]:
    """A client that carries no credential of its own."""
    with TestClient(create_app(str(app_dir), port=PORT, token=TOKEN), base_url=BASE,
                    follow_redirects=False) as client:
        yield client


def bearer(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_every_route_needs_the_token(anon: TestClient, app_dir: Path) -> None:
    wrong = [{}, bearer("not-the-token"), bearer(TOKEN[:-1]), {"Authorization": f"Basic {TOKEN}"},
             {"Authorization": TOKEN}, {"Cookie": f"{COOKIE}={TOKEN}"},  # the cookie holds an HMAC
             {"Cookie": f"{auth.cookie_name(PORT + 1)}={auth.cookie_value(TOKEN)}"},
             {"Cookie": f"{COOKIE}={auth.cookie_value('another-launch')}"}]
    for headers in wrong:
        for path in GETS:
            response = anon.get(path, headers=headers)
            assert response.status_code == 401, (path, headers)
            assert "Fix retry storm" not in response.text and str(app_dir) not in response.text
        for path, body in POSTS:
            assert anon.post(path, json=body, headers=headers).status_code == 401, (path, headers)
    assert not (app_dir / "settings.json").exists()
    assert anon.get("/api/observations", headers=bearer()).json()["items"][-1]["id"] == 1  # not forgotten
    for path in GETS:
        expected = 404 if path == "/no-such-page" else 200
        assert anon.get(path, headers=bearer()).status_code == expected, path
    for path, body in POSTS:
        assert anon.post(path, json=body, headers=bearer()).status_code == 200, path


def test_the_401_says_how_to_open_the_viewer(anon: TestClient) -> None:
    page = anon.get("/", headers={"Accept": "text/html,application/xhtml+xml"})
    assert page.status_code == 401 and page.headers["content-type"].startswith("text/html")
    assert "<code>claude-recall viewer</code>" in page.text and "Authorization: Bearer" in page.text
    assert page.headers["www-authenticate"].startswith("Bearer")
    assert "script-src 'self'" in page.headers["content-security-policy"]  # the guard still applies
    api = anon.get("/api/status", headers={"Accept": "text/html"})
    assert api.headers["content-type"] == "application/json"
    assert "claude-recall viewer" in api.json()["error"] and "Bearer" in api.json()["error"]


def test_token_link_is_exchanged_for_a_cookie_and_a_clean_url(anon: TestClient) -> None:
    response = anon.get(f"/?token={TOKEN}")
    assert response.status_code == 303 and response.headers["location"] == "/"
    cookie = response.headers["set-cookie"]
    name, _, rest = cookie.partition("=")
    value = rest.split(";")[0]
    assert name == COOKIE and value == auth.cookie_value(TOKEN) and TOKEN not in cookie
    attributes = {a.strip().lower() for a in cookie.split(";")[1:]}
    assert {"httponly", "samesite=strict", "path=/"} <= attributes
    kept = anon.get(f"/?view=usage&token={TOKEN}&q=a+b")
    assert kept.headers["location"] == "/?view=usage&q=a+b"
    assert auth.clean_location("//evil.example/x", [("token", TOKEN)]) == "/evil.example/x"  # not offsite
    with_cookie = {"Cookie": f"{COOKIE}={value}"}
    for path in ("/", "/api/status", "/api/stream?once=1", "/static/app.js"):
        assert anon.get(path, headers=with_cookie).status_code == 200, path
    assert anon.post("/api/settings", json={"values": {"CLAUDE_RECALL_GEMINI_RPM": 3}},
                     headers=with_cookie).status_code == 200


def test_a_wrong_token_link_is_refused(anon: TestClient) -> None:
    for link in ("/?token=stale-token-from-an-old-launch", "/?token=", f"/?token={TOKEN}x"):
        response = anon.get(link, headers={"Accept": "text/html"})
        assert response.status_code == 401 and "set-cookie" not in response.headers
        assert "changes every time the viewer starts" in response.text


def test_health_challenge_proves_the_server_holds_the_token(anon: TestClient) -> None:
    nonce = "nonce-0123456789"
    proof = {auth.PROOF_HEADER: auth.client_proof(TOKEN, nonce)}
    answer = anon.get(f"/api/health?challenge={nonce}", headers=proof)
    assert answer.status_code == 200 and answer.json()["proof"] == auth.server_proof(TOKEN, nonce)
    assert answer.json()["proof"] != proof[auth.PROOF_HEADER]  # not a reflection of the client's
    assert anon.get("/api/health?challenge=other", headers=proof).status_code == 401
    assert anon.get(f"/api/status?challenge={nonce}", headers=proof).status_code == 401  # health only
    bad = {auth.PROOF_HEADER: auth.client_proof("another-token", nonce)}
    assert anon.get(f"/api/health?challenge={nonce}", headers=bad).status_code == 401


def test_record_is_private_and_holds_the_token(app_dir: Path) -> None:
    os.umask(0o022)
    try:
        viewer_server.write_record(str(app_dir), 40123, TOKEN)
    finally:
        os.umask(0o077)
    path = app_dir / "viewer.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text())["token"] == TOKEN
    assert viewer_server.read_record(str(app_dir)) == viewer_server.Record(40123, TOKEN, os.getpid())
    assert [p.name for p in app_dir.iterdir() if ".tmp" in p.name] == []


class ForeignHandler(http.server.BaseHTTPRequestHandler):
    """A program on the viewer's port that claims to be the viewer."""

    seen: ClassVar[list[dict[str, str]]] = []
    data_dir = ""

    def do_GET(self) -> None:
        ForeignHandler.seen.append({k.lower(): v for k, v in self.headers.items()} | {"path": self.path})
        body = json.dumps({"ok": True, "app": "claude-recall-viewer", "data_dir": self.data_dir,
                           "proof": self.headers.get("X-Recall-Proof", "")}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def foreign(app_dir: Path) -> Iterator[int]:
    ForeignHandler.seen, ForeignHandler.data_dir = [], str(app_dir)
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), ForeignHandler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield int(httpd.server_address[1])
    httpd.shutdown()
    httpd.server_close()


class Captured(viewer_server.ViewerServer):
    made: ClassVar[list[viewer_server.ViewerServer]] = []

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        Captured.made.append(self)


def test_a_foreign_program_on_the_port_is_never_opened(app_dir: Path, foreign: int,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    stale = "token-of-a-viewer-that-died"
    viewer_server.write_record(str(app_dir), foreign, stale)
    monkeypatch.setattr(viewer_server, "DEFAULT_PORT", foreign)  # it even holds the default port
    opened: list[str] = []
    monkeypatch.setattr("webbrowser.open", opened.append)
    Captured.made = []
    monkeypatch.setattr(viewer_server, "ViewerServer", Captured)
    said: list[str] = []
    thread = threading.Thread(target=viewer_server.serve, args=(str(app_dir), None, True),
                              kwargs={"out": said.append, "err": said.append}, daemon=True)
    thread.start()
    try:
        for _ in range(200):
            if opened:
                break
            thread.join(0.05)
        started = Captured.made[0]
        assert started.port != foreign
        assert opened == [started.login_url] and started.token != stale
        assert f"port {foreign}, recorded in" in said[0] and "not opening it" in said[0]
        assert f"port {foreign} is already in use by another program; using {started.port}" in said
        assert viewer_server.read_record(str(app_dir)) == viewer_server.Record(
            started.port, started.token, os.getpid())
        assert all(stale not in json.dumps(seen) for seen in ForeignHandler.seen)  # never sent
        assert viewer_server.identify(started.port, started.token, str(app_dir)) == "ours"
        assert viewer_server.identify(foreign, stale, str(app_dir)) == "foreign"
    finally:
        for made in Captured.made:
            made.server.should_exit = True
        thread.join(10)


def test_settings_that_run_programs_or_send_data_are_read_only(anon: TestClient, app_dir: Path) -> None:
    locked = [s.name for s in settings.SETTINGS if s.cli_only]
    assert {"CLAUDE_RECALL_CLAUDE_CLI", "CLAUDE_RECALL_CLAUDE_BASE_URL", "CLAUDE_RECALL_GEMINI_BASE_URL",
            "CLAUDE_RECALL_OPENROUTER_BASE_URL", "CLAUDE_RECALL_CHROMA_HOST"} <= set(locked)
    for setting in settings.SETTINGS:  # a setting added later under such a name is locked too
        if setting.name.endswith(("_BASE_URL", "_CLI", "_HOST", "_PORT")) and not setting.env_only:
            assert setting.cli_only, setting.name
    for name in locked:
        for body in ({"values": {name: "http://attacker.example", "CLAUDE_RECALL_GEMINI_RPM": 5}},
                     {"clear": [name]}):
            refused = anon.post("/api/settings", json=body, headers=bearer())
            assert refused.status_code == 403, name
            message = refused.json()["errors"][name]
            assert f"claude-recall settings set {name}" in message and "terminal" in message
    assert not (app_dir / "settings.json").exists()
    panel = anon.get("/api/settings", headers=bearer()).json()
    fields = {f["name"]: f for g in panel["groups"] for f in g["settings"]}
    assert fields["CLAUDE_RECALL_CLAUDE_CLI"]["cli_only"] is True
    command = fields["CLAUDE_RECALL_CLAUDE_CLI"]["command"]
    assert command == "claude-recall settings set CLAUDE_RECALL_CLAUDE_CLI <value>"
    assert fields["CLAUDE_RECALL_OPENROUTER_MODEL"]["cli_only"] is False
    settings.set_value(str(app_dir), "CLAUDE_RECALL_CLAUDE_CLI", "off")  # the CLI still can


def test_settings_body_is_capped(anon: TestClient, app_dir: Path) -> None:
    big = {"values": {"CLAUDE_RECALL_OPENROUTER_APP_NAME": "x" * 1000}, "pad": "y" * SETTINGS_BODY_BYTES}
    response = anon.post("/api/settings", json=big, headers=bearer())
    assert response.status_code == 413 and "too large" in response.json()["error"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: the cap counts what streams in
        yield b'{"values": {"CLAUDE_RECALL_OPENROUTER_APP_NAME": "'
        for _ in range(40):
            yield b"z" * 1024
        yield b'"}}'

    streamed = anon.post("/api/settings", content=chunks(),
                         headers={**bearer(), "Content-Type": "application/json"})
    assert streamed.status_code == 413
    assert not (app_dir / "settings.json").exists()


def test_a_huge_declared_body_is_refused_before_it_is_sent(app_dir: Path) -> None:
    viewer = viewer_server.ViewerServer(str(app_dir), viewer_server.bind(0)).start()
    try:
        with socket.create_connection(("127.0.0.1", viewer.port), timeout=5) as sock:
            sock.sendall((f"POST /api/settings HTTP/1.1\r\nHost: 127.0.0.1:{viewer.port}\r\n"
                          f"Authorization: Bearer {viewer.token}\r\nContent-Type: application/json\r\n"
                          f"Content-Length: {200 * 1024 * 1024}\r\n\r\n{{\"values\": ").encode())
            reply = sock.recv(4096).decode()
        assert reply.startswith("HTTP/1.1 413"), reply[:80]
        conn = http.client.HTTPConnection("127.0.0.1", viewer.port, timeout=5)
        conn.request("GET", "/api/health", headers={"Host": f"127.0.0.1:{viewer.port}"})
        assert conn.getresponse().status == 401  # the real server, over loopback, without a token
        conn.close()
        with socket.create_connection(("127.0.0.1", viewer.port), timeout=5) as sock:
            sock.sendall((f"GET //evil.example/?token={viewer.token} HTTP/1.1\r\n"
                          f"Host: 127.0.0.1:{viewer.port}\r\nConnection: close\r\n\r\n").encode())
            head = sock.recv(4096).decode()
        assert head.startswith("HTTP/1.1 303") and "location: /evil.example/\r\n" in head.lower()
    finally:
        viewer.stop()
    assert not (app_dir / "settings.json").exists()


def test_a_masked_key_posted_back_is_refused(anon: TestClient, app_dir: Path) -> None:
    anon.post("/api/settings", json={"values": {"CLAUDE_RECALL_OPENROUTER_API_KEY": KEY}}, headers=bearer())
    for masked in (settings.mask(KEY), "****", "****9876"):
        refused = anon.post("/api/settings", json={"values": {"CLAUDE_RECALL_OPENROUTER_API_KEY": masked}},
                            headers=bearer())
        assert refused.status_code == 400
        assert "masked form of the key" in refused.json()["errors"]["CLAUDE_RECALL_OPENROUTER_API_KEY"]
    assert json.loads((app_dir / "settings.json").read_text())["CLAUDE_RECALL_OPENROUTER_API_KEY"] == KEY
    with pytest.raises(SettingsError, match="masked form"):
        settings.set_value(str(app_dir), "CLAUDE_RECALL_GEMINI_API_KEY", "****abcd")


def test_values_have_a_maximum_length(anon: TestClient, app_dir: Path) -> None:
    long = "m" * (MAX_VALUE_CHARS + 1)
    for name in ("CLAUDE_RECALL_OPENROUTER_MODEL", "CLAUDE_RECALL_SKIP_TOOLS", "CLAUDE_RECALL_GEMINI_RPM"):
        refused = anon.post("/api/settings", json={"values": {name: long}}, headers=bearer())
        assert refused.status_code == 400 and "too long" in refused.json()["errors"][name], name
        with pytest.raises(SettingsError, match="too long"):
            settings.set_value(str(app_dir), name, long)
    fits = "m" * MAX_VALUE_CHARS
    assert anon.post("/api/settings", json={"values": {"CLAUDE_RECALL_OPENROUTER_MODEL": fits}},
                     headers=bearer()).status_code == 200
    (app_dir / "settings.json").write_text(json.dumps({"CLAUDE_RECALL_CLAUDE_MODEL": long}))
    conf = settings.load(str(app_dir))  # a hand-edited file: a clear problem, the default applies
    assert conf.text("CLAUDE_RECALL_CLAUDE_MODEL") == "claude-haiku-4-5"
    assert any("too long" in p for p in conf.problems)


def record_call(app_dir: Path, status: str, stamp: str) -> None:
    conn = open_store(str(app_dir))
    with write(conn):
        conn.execute("INSERT INTO provider_calls (provider, model, status, created_at)"
                     " VALUES ('gemini', 'm', ?, ?)", (status, stamp))
    conn.close()


def test_provider_error_clears_once_a_later_call_succeeds(anon: TestClient, app_dir: Path) -> None:
    conn = open_store(str(app_dir))
    with write(conn):
        conn.execute("INSERT INTO queue_state (name, value) VALUES"
                     " ('last_error', '2026-11-20T10:00:00.000Z 429 from gemini: rate limited')")
    conn.close()
    record_call(app_dir, "ok", "2026-11-20T09:00:00.000Z")  # an older success does not clear it
    error = anon.get("/api/status", headers=bearer()).json()["provider_error"]
    assert error == {"at": "2026-11-20T10:00:00.000Z", "text": "429 from gemini: rate limited"}
    record_call(app_dir, "error", "2026-11-20T10:05:00.000Z")
    assert anon.get("/api/status", headers=bearer()).json()["provider_error"] is not None
    record_call(app_dir, "ok", "2026-11-20T10:10:00.000Z")
    assert anon.get("/api/status", headers=bearer()).json()["provider_error"] is None
