"""The viewer's JSON API through Starlette's in-process client: listing, search, sessions,
settings (round trip, masking, validation), forget, the stream, and the Host/Origin guard."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.memory import plant
from starlette.testclient import TestClient

from recall_plugin import settings, vocab
from recall_plugin.errors import SettingsError
from recall_plugin.search import Filters, search
from recall_plugin.store.db import open_store, write
from recall_plugin.viewer import server as viewer_server
from recall_plugin.viewer.app import create_app

PORT = 37777
BASE = f"http://127.0.0.1:{PORT}"
TOKEN = "test-token-0123456789abcdefghijklmnopqrstuv"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
KEY = "sk-or-v1-0123456789abcdef0123456789abcdefSECRETKEY"
GEMINI_KEY = "AIzaSyD-gemini-secret-value-42424242"
GET_ENDPOINTS = ("/", "/api/health", "/api/status", "/api/observations", "/api/summaries",
                 "/api/search?q=retry", "/api/search?q=", "/api/projects", "/api/vocab", "/api/sessions",
                 "/api/sessions/sess-shop-1", "/api/usage", "/api/settings", "/api/stream?once=1&after=0",
                 "/static/app.js", "/static/index.html")


def add_session(conn: sqlite3.Connection) -> None:
    """A captured session with two prompts around the planted sess-shop-1 observations."""
    with write(conn):
        conn.execute("INSERT INTO sessions (session_id, project, started_at, last_event_at, prompt_count)"
                      " VALUES ('sess-shop-1', 'shop', '2026-11-14T15:00:00Z', '2026-11-18T18:00:00Z', 2)")
        for number, text in ((1, "make checkout resilient"), (2, "now bump the deps")):
            conn.execute("INSERT INTO prompts (session_id, prompt_id, prompt_number, project, text,"
                         " created_at) VALUES ('sess-shop-1', ?, ?, 'shop', ?, ?)",
                         (f"p{number}", number, text, f"2026-11-1{3 + number}T15:00:00Z"))
        conn.execute("UPDATE observations SET prompt_number = 2 WHERE title LIKE 'Bump requests%'")


@pytest.fixture
def client(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("CLAUDE_RECALL_INDEX_MODE", "off")
    conn = plant(data_dir)
    add_session(conn)
    conn.close()
    app = create_app(str(data_dir), port=PORT, token=TOKEN)
    with TestClient(app, base_url=BASE, headers=AUTH) as test_client:
        yield test_client


def test_vocab_serves_the_shared_words_to_the_page(client: TestClient) -> None:
    body = client.get("/api/vocab").json()
    assert body == {"observation_types": list(vocab.OBSERVATION_TYPES),
                    "record_types": [*vocab.OBSERVATION_TYPES, "summary"],
                    "event_kinds": list(vocab.EVENT_KINDS), "providers": list(vocab.PROVIDER_NAMES)}
    assert client.get("/api/observations", params={"type": "nonsense"}).status_code == 400


def settings_file(data_dir: Path) -> dict[str, object]:
    path = data_dir / "settings.json"
    return json.loads(path.read_text()) if path.exists() else {}


def field(panel: dict[str, object], name: str) -> dict[str, object]:
    for group in panel["groups"]:  # type: ignore[attr-defined]
        for item in group["settings"]:
            if item["name"] == name:
                return item  # type: ignore[no-any-return]
    raise AssertionError(f"{name} not in the settings panel")


def test_listing_pages_newest_first_with_filters(client: TestClient) -> None:
    first = client.get("/api/observations", params={"limit": 4}).json()
    assert [o["id"] for o in first["items"]] == [6, 5, 4, 3]
    assert first["next_before"] == 3 and first["cursor"]["obs"] == 6
    assert first["items"][0]["facts"] == ["requests 2.32.3"]  # lists decoded
    rest = client.get("/api/observations", params={"limit": 4, "before": 3}).json()
    assert [o["id"] for o in rest["items"]] == [2, 1] and rest["next_before"] is None
    blog = client.get("/api/observations", params={"project": "blog"}).json()["items"]
    assert [o["title"] for o in blog] == ["Dark mode for the blog theme"]
    typed = client.get("/api/observations", params={"type": "bugfix,decision"}).json()["items"]
    assert {o["type"] for o in typed} == {"bugfix", "decision"}
    assert client.get("/api/summaries").json()["items"][0]["request"] == "make checkout resilient"
    assert client.get("/api/observations", params={"type": "summary"}).json()["items"] == []
    assert client.get("/api/observations", params={"type": "gossip"}).status_code == 400
    assert client.get("/api/observations", params={"limit": "many"}).status_code == 400
    assert [p["project"] for p in client.get("/api/projects").json()["items"]] == ["shop", "blog"]


def test_search_is_the_cli_search_with_filters(client: TestClient, data_dir: Path) -> None:
    body = client.get("/api/search", params={"q": "ECONNREFUSED 127.0.0.1:8443"}).json()
    conn = open_store(str(data_dir))
    expected = [h.id for h in search(conn, "ECONNREFUSED 127.0.0.1:8443", Filters(), 30)]
    assert [r["id"] for r in body["items"]] == expected
    top = body["items"][0]
    assert top["title"].startswith("ECONNREFUSED") and top["matched"] == ["fts"] and top["score"] > 0
    assert top["narrative"] and top["facts"]  # full records, ready for cards
    assert body["vectors"] is False
    blog = client.get("/api/search", params={"q": "dark theme", "project": "shop"}).json()
    assert blog["items"] == []
    summary = client.get("/api/search", params={"q": "checkout", "type": "summary"}).json()["items"]
    assert [(r["kind"], r["request"]) for r in summary] == [("summary", "make checkout resilient")]
    dated = client.get("/api/search", params={"q": "", "project": "shop", "since": "2026-11-13",
                                              "until": "2026-11-16"}).json()["items"]
    assert {r["title"] for r in dated} == {"Use SQLite WAL for the order cache",
                                           "Split parse_invoice_line into smaller helpers"}


def test_session_view_in_order(client: TestClient) -> None:
    view = client.get("/api/sessions/sess-shop-1").json()
    kinds = [(i["kind"], i.get("prompt_number"), i["id"]) for i in view["items"]]
    assert kinds == [("prompt", 1, 1), ("observation", 1, 4), ("prompt", 2, 2), ("observation", 2, 6)]
    assert view["items"][0]["text"] == "make checkout resilient"
    assert view["summary"]["request"] == "make checkout resilient"
    assert view["counts"] == {"prompts": 2, "observations": 2} and view["project"] == "shop"
    listed = client.get("/api/sessions").json()["items"]
    assert listed[0]["session_id"] == "sess-shop-1" and listed[0]["prompts"] == 2
    assert client.get("/api/sessions/no-such-session").status_code == 404


def test_settings_round_trip(client: TestClient, data_dir: Path) -> None:
    response = client.post("/api/settings", json={"values": {
        "CLAUDE_RECALL_PROVIDER": "openrouter", "CLAUDE_RECALL_OPENROUTER_API_KEY": KEY,
        "CLAUDE_RECALL_OPENROUTER_MODEL": "deepseek/deepseek-r1:free",
        "CLAUDE_RECALL_OPENROUTER_MAX_TOKENS": "50000"}})
    assert response.status_code == 200, response.text
    assert sorted(response.json()["changed"]) == ["CLAUDE_RECALL_OPENROUTER_API_KEY",
                                                  "CLAUDE_RECALL_OPENROUTER_MAX_TOKENS",
                                                  "CLAUDE_RECALL_OPENROUTER_MODEL",
                                                  "CLAUDE_RECALL_PROVIDER"]
    assert settings_file(data_dir) == {
        "CLAUDE_RECALL_PROVIDER": "openrouter", "CLAUDE_RECALL_OPENROUTER_API_KEY": KEY,
        "CLAUDE_RECALL_OPENROUTER_MODEL": "deepseek/deepseek-r1:free",
        "CLAUDE_RECALL_OPENROUTER_MAX_TOKENS": 50000}
    conf = settings.load(str(data_dir))  # what the extractor reads before its next batch
    assert conf.text("CLAUDE_RECALL_PROVIDER") == "openrouter"
    panel = client.get("/api/settings").json()
    key = field(panel, "CLAUDE_RECALL_OPENROUTER_API_KEY")
    assert key["value"] == settings.mask(KEY) == "****TKEY"
    assert key["is_set"] is True and key["source"] == "file" and key["kind"] == "secret"
    model = field(panel, "CLAUDE_RECALL_OPENROUTER_MODEL")
    assert model["value"] == "deepseek/deepseek-r1:free"
    assert "mistralai/mistral-nemo:free" in model["suggestions"]  # type: ignore[operator]
    assert [g["name"] for g in panel["groups"]][:2] == ["provider", "openrouter"]
    assert "CLAUDE_RECALL_DATA_DIR" not in json.dumps(panel)  # environment only


def test_empty_key_is_unchanged_and_clear_removes_it(client: TestClient, data_dir: Path) -> None:
    client.post("/api/settings", json={"values": {"CLAUDE_RECALL_OPENROUTER_API_KEY": KEY}})
    kept = client.post("/api/settings", json={"values": {"CLAUDE_RECALL_OPENROUTER_API_KEY": "",
                                                         "CLAUDE_RECALL_GEMINI_RPM": 20}})
    assert kept.json()["changed"] == ["CLAUDE_RECALL_GEMINI_RPM"]
    assert settings_file(data_dir)["CLAUDE_RECALL_OPENROUTER_API_KEY"] == KEY
    cleared = client.post("/api/settings", json={"clear": ["CLAUDE_RECALL_OPENROUTER_API_KEY"]})
    assert cleared.status_code == 200
    assert "CLAUDE_RECALL_OPENROUTER_API_KEY" not in settings_file(data_dir)
    assert field(cleared.json()["settings"], "CLAUDE_RECALL_OPENROUTER_API_KEY")["is_set"] is False


def cli_message(tmp_path: Path, name: str, raw: object) -> str:
    with pytest.raises(SettingsError) as caught:
        settings.set_value(str(tmp_path / "scratch"), name, raw)
    return str(caught.value)


def test_validation_messages_are_the_cli_ones_per_field(client: TestClient, data_dir: Path,
                                                        tmp_path: Path) -> None:
    client.post("/api/settings", json={"values": {"CLAUDE_RECALL_GEMINI_RPM": 12}})
    before = (data_dir / "settings.json").read_bytes()
    bad = {"CLAUDE_RECALL_OPENROUTER_MAX_TOKENS": "5", "CLAUDE_RECALL_PROVIDER": "mistral",
           "CLAUDE_RECALL_GEMINI_RPM": "lots", "CLAUDE_RECALL_AUTO_EXTRACT": "maybe"}
    response = client.post("/api/settings", json={"values": {**bad, "CLAUDE_RECALL_CLAUDE_MODEL": "x"}})
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors == {name: cli_message(tmp_path, name, raw) for name, raw in bad.items()}
    assert errors["CLAUDE_RECALL_OPENROUTER_MAX_TOKENS"] == (
        "CLAUDE_RECALL_OPENROUTER_MAX_TOKENS must be at least 1000, got 5")
    assert (data_dir / "settings.json").read_bytes() == before  # nothing half-written
    odd = client.post("/api/settings", json={"values": {"CLAUDE_RECALL_NOPE": "1",
                                                        "CLAUDE_RECALL_DATA_DIR": "/tmp/x"}})
    assert set(odd.json()["errors"]) == {"CLAUDE_RECALL_NOPE", "CLAUDE_RECALL_DATA_DIR"}
    assert client.post("/api/settings", json=["not", "an", "object"]).status_code == 400


def test_no_response_ever_carries_a_key(client: TestClient, data_dir: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GEMINI_API_KEY", GEMINI_KEY)
    bodies = [client.post("/api/settings", json={"values": {"CLAUDE_RECALL_OPENROUTER_API_KEY": KEY}}).text]
    conn = open_store(str(data_dir))
    with write(conn):  # an error message that quotes a key must not carry it to the browser
        conn.execute("INSERT INTO queue_state (name, value) VALUES ('last_error', ?)",
                     (f"401 from openrouter: invalid key {KEY}",))
        conn.execute("INSERT INTO provider_calls (provider, model, status, error, created_at)"
                     " VALUES ('gemini', 'gemini-2.5-flash', 'error', ?, '2026-11-20T10:00:00Z')",
                     (f"bad key {GEMINI_KEY}",))
    bodies += [client.get(path).text for path in GET_ENDPOINTS]
    bodies.append(client.post("/api/settings", json={"values": {"CLAUDE_RECALL_GEMINI_RPM": "x"}}).text)
    bodies.append(client.post("/api/forget", json={"ids": [1], "dry_run": True}).text)
    for body in bodies:
        assert KEY not in body and GEMINI_KEY not in body
        assert "SECRETKEY" not in body and "secret-value" not in body
    status = client.get("/api/status").json()
    assert status["last_error"] == f"401 from openrouter: invalid key {settings.mask(KEY)}"
    gemini = field(client.get("/api/settings").json(), "CLAUDE_RECALL_GEMINI_API_KEY")
    assert gemini["value"] == settings.mask(GEMINI_KEY) and gemini["source"] == "env:GEMINI_API_KEY"
    logs = "".join(p.read_text() for p in data_dir.glob("logs/*"))
    assert "settings changed" in logs and KEY not in logs


@pytest.mark.parametrize("host", ["evil.example", "evil.example:37777", "127.0.0.1:9999",
                                  "localhost", "127.0.0.1.evil.example:37777", ""])
def test_foreign_host_is_refused(client: TestClient, host: str) -> None:
    for path in ("/", "/api/health", "/api/settings", "/static/app.js"):
        response = client.get(path, headers={"Host": host})
        assert response.status_code == 403, (path, host)
        assert "data_dir" not in response.text


def test_own_hosts_are_served(client: TestClient) -> None:
    for host in (f"127.0.0.1:{PORT}", f"localhost:{PORT}", f"LOCALHOST:{PORT}"):
        assert client.get("/api/health", headers={"Host": host}).status_code == 200


def test_cross_origin_writes_are_refused(client: TestClient, data_dir: Path) -> None:
    change = {"values": {"CLAUDE_RECALL_PROVIDER": "gemini"}}
    for headers in ({"Origin": "http://evil.example"}, {"Origin": "null"},
                    {"Origin": f"http://localhost:{PORT + 1}"}, {"Referer": "http://evil.example/page"},
                    {"Sec-Fetch-Site": "cross-site"}):
        assert client.post("/api/settings", json=change, headers=headers).status_code == 403, headers
        forget = client.post("/api/forget", json={"ids": [1], "reason": "x"}, headers=headers)
        assert forget.status_code == 403
    assert settings_file(data_dir) == {}
    assert client.get("/api/observations", params={"limit": 200}).json()["items"][-1]["id"] == 1
    plain = client.post("/api/settings", content=json.dumps(change), headers={"Content-Type": "text/plain"})
    assert plain.status_code == 415
    form = client.post("/api/forget", data={"ids": "1", "reason": "x"})
    assert form.status_code == 415
    own = client.post("/api/settings", json=change, headers={"Origin": BASE, "Referer": f"{BASE}/"})
    assert own.status_code == 200 and settings_file(data_dir) == {"CLAUDE_RECALL_PROVIDER": "gemini"}


def test_security_headers(client: TestClient) -> None:
    page = client.get("/")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    assert client.get("/api/health").headers["cache-control"] == "no-store"


def test_forget_needs_a_reason(client: TestClient, data_dir: Path) -> None:
    preview = client.post("/api/forget", json={"ids": [1], "dry_run": True}).json()
    assert preview["counts"]["observations"] == 1
    assert preview["items"][0]["title"] == "Fix retry storm in uploader"
    for body in ({"ids": [1]}, {"ids": [1], "reason": "   "}, {"ids": [1], "reason": None}):
        refused = client.post("/api/forget", json=body)
        assert refused.status_code == 400 and "reason is required" in refused.json()["error"]
    assert client.get("/api/search", params={"q": "uploader retry storm"}).json()["items"][0]["id"] == 1
    assert client.post("/api/forget", json={"reason": "everything?"}).status_code == 400
    done = client.post("/api/forget", json={"ids": [1], "reason": "wrong project"})
    assert done.status_code == 200, done.text
    assert done.json()["report"]["observations"] == 1 and done.json()["report"]["verified"] is True
    hits = client.get("/api/search", params={"q": "uploader retry storm"}).json()["items"]
    assert 1 not in [h["id"] for h in hits if h["kind"] == "observation"]
    whole = client.post("/api/forget", json={"session_id": "sess-shop-1", "reason": "cleanup"}).json()
    assert whole["report"]["prompts"] == 2 and whole["report"]["summaries"] == 1
    assert client.get("/api/sessions/sess-shop-1").json()["items"] == []


def stream_events(text: str) -> list[tuple[str, str, dict[str, object]]]:
    """(event, id, data) of each frame of an event-stream body."""
    frames = []
    for block in text.split("\n\n"):
        fields = dict(re.findall(r"^(event|id|data): (.*)$", block, re.M))
        if "event" in fields:
            frames.append((fields["event"], fields.get("id", ""), json.loads(fields["data"])))
    return frames


def test_stream_sends_what_is_new_since_the_cursor(client: TestClient) -> None:
    cursor = client.get("/api/observations").json()["cursor"]
    quiet = stream_events(client.get("/api/stream", params={"once": 1, "after": cursor["obs"],
                                                             "since": cursor["sum"]}).text)
    assert [e[0] for e in quiet] == ["status"] and quiet[0][2]["observations"] == 6
    frames = stream_events(client.get("/api/stream", params={"once": 1, "after": 4, "since": ""}).text)
    assert [(e[0], e[2]["id"]) for e in frames[:3]] == [("observation", 5), ("observation", 6),
                                                        ("summary", 1)]
    assert frames[1][2]["title"] == "Bump requests to 2.32" and frames[1][2]["facts"] == ["requests 2.32.3"]
    resumed = client.get("/api/stream?once=1", headers={"Last-Event-ID": frames[0][1]}).text
    assert [(e[0], e[2]["id"]) for e in stream_events(resumed)[:2]] == [("observation", 6), ("summary", 1)]


def test_status_and_usage(client: TestClient, data_dir: Path) -> None:
    conn = open_store(str(data_dir))
    with write(conn):
        for provider, tokens, cost in (("openrouter", 1200, 0.0), ("claude", 800, 0.0042)):
            conn.execute("INSERT INTO provider_calls (provider, model, status, input_tokens,"
                         " output_tokens, total_tokens, cost_usd, created_at) VALUES"
                         " (?, 'm', 'ok', ?, 100, ?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
                         (provider, tokens - 100, tokens, cost))
    status = client.get("/api/status").json()
    assert status["queue"]["pending"] == 0 and status["observations"] == 6
    assert status["provider"] == "claude" and status["model"] == "claude-haiku-4-5"
    assert status["last_call"]["provider"] == "claude"
    usage = client.get("/api/usage", params={"days": 7}).json()
    assert {r["provider"]: r["total_tokens"] for r in usage["by_day"]} == {"claude": 800, "openrouter": 1200}
    assert usage["totals"]["total_tokens"] == 2000 and usage["totals"]["cost_usd"] == 0.0042
    assert usage["today"]["calls"] == 2


def test_a_second_viewer_reuses_the_running_one(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLAUDE_RECALL_INDEX_MODE", "off")
    opened: list[str] = []
    monkeypatch.setattr("webbrowser.open", opened.append)
    running = viewer_server.ViewerServer(str(data_dir), viewer_server.bind(0)).start()
    try:
        viewer_server.write_record(str(data_dir), running.port, running.token)
        said: list[str] = []
        assert viewer_server.serve(str(data_dir), None, True, out=said.append, err=said.append) == 0
        assert said == [f"claude-recall viewer is already running for {data_dir}:",
                        f"{running.url}  (opened in your browser)"]
        assert opened == [running.login_url]  # the token URL, once
        said.clear()
        assert viewer_server.serve(str(data_dir), None, False, out=said.append, err=said.append) == 0
        assert said[1] == f"open {running.login_url}  (this link signs your browser in once)"
        other = data_dir.parent / "other-data"
        said.clear()
        assert viewer_server.serve(str(other), running.port, False, out=said.append, err=said.append) == 1
        assert f"port {running.port} is already in use by another program" in said[0]
        assert "--port 0" in said[0] and re.search(r"next free port is \d+", said[0])
        assert opened == [running.login_url]
    finally:
        running.stop()
    assert viewer_server.identify(running.port, running.token, str(data_dir)) == "absent"
