"""The viewer in a real headless Chromium (Debian's /usr/bin/chromium, driven by Playwright)
against the real server on a free port: the token link signs the browser in (a browser
without it gets 401), live updates without a reload, search, the settings panel writing
settings.json (read-only fields, errors by label), the provider error banner, and the phone
layout. Screenshots go to test-artifacts/."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers.memory import plant

from recall_plugin.store.db import open_store, write
from recall_plugin.viewer.server import ViewerServer, bind
from recall_plugin.vocab import RECORD_TYPES

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
KEY = "sk-or-v1-browser0123456789abcdef0123456789abcdef"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

if not os.access(CHROMIUM, os.X_OK):
    pytest.skip(f"{CHROMIUM} is not installed (apt-get install -y chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
expect = sync_api.expect


@pytest.fixture
def viewer(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ViewerServer]:
    monkeypatch.setenv("CLAUDE_RECALL_INDEX_MODE", "off")
    plant(data_dir).close()
    server = ViewerServer(str(data_dir), bind(0)).start()
    yield server
    server.stop()


@pytest.fixture
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1360, "height": 900})
    errors: list[str] = []
    tab = context.new_page()
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.set_default_timeout(10_000)
    yield tab
    context.close()
    assert errors == [], errors


def sign_in(page: Any, viewer: ViewerServer) -> None:
    """Open the token link as ``claude-recall viewer`` does: it lands on the clean URL."""
    response = page.goto(viewer.login_url)
    assert response.status == 200 and page.url == viewer.url  # 303 to the URL without the token
    assert viewer.token not in page.url
    assert page.evaluate("document.cookie") == ""  # HttpOnly: no script can read it


def insert_observation(data_dir: Path, title: str) -> int:
    conn = open_store(str(data_dir))
    try:
        with write(conn):
            cursor = conn.execute(
                "INSERT INTO observations (session_id, project, prompt_number, type, title, subtitle,"
                " facts, narrative, concepts, files_read, files_modified, created_at) VALUES"
                " ('sess-live', 'shop', 1, 'discovery', ?, 'stored while the page was open',"
                " '[\"the stream polls SQLite every second\"]', 'Inserted by the browser test.',"
                " '[\"live\"]', '[]', '[\"src/live.py\"]', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
                (title,))
            return int(cursor.lastrowid or 0)
    finally:
        conn.close()


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"viewer-{name}.png"))


def test_without_the_token_link_a_browser_gets_401(browser: Any, page: Any, viewer: ViewerServer) -> None:
    sign_in(page, viewer)
    assert page.evaluate("fetch('/api/status').then((r) => r.status)") == 200  # the cookie works
    fresh = browser.new_context()
    try:
        stranger = fresh.new_page()
        response = stranger.goto(viewer.url)
        assert response.status == 401
        expect(stranger.locator("h1")).to_contain_text("claude-recall viewer")
        assert stranger.evaluate("fetch('/api/status').then((r) => r.status)") == 401
        assert stranger.goto(f"{viewer.url}static/app.js").status == 401
        stale = stranger.goto(f"{viewer.url}?token=a-token-from-an-earlier-launch")
        assert stale.status == 401 and "changes every time" in stranger.content()
        assert fresh.cookies() == []
    finally:
        fresh.close()


def test_a_flagged_record_shows_a_flagged_badge(page: Any, viewer: ViewerServer, data_dir: Path) -> None:
    conn = open_store(str(data_dir))
    with write(conn):
        conn.execute("UPDATE observations SET flagged = 'remote-code' WHERE title = 'Bump requests to 2.32'")
        [[rowid]] = conn.execute("SELECT id FROM observations WHERE flagged != ''").fetchall()
    conn.close()
    sign_in(page, viewer)
    expect(page.locator("#cards .card")).to_have_count(7)
    flagged = page.locator(f'#cards [data-ref="obs:{rowid}"] .flag-badge')
    expect(flagged).to_have_text("flagged")
    expect(flagged).to_have_attribute("title", re.compile(r"instructions to the agent \(remote-code\)"))
    assert page.locator("#cards .flag-badge").count() == 1  # the clean records carry none


def test_the_type_filter_offers_the_shared_vocabulary(page: Any, viewer: ViewerServer) -> None:
    sign_in(page, viewer)
    options = page.locator("#f-type option")
    expect(options).to_have_text(["All types", *(t.capitalize() for t in RECORD_TYPES)])
    page.select_option("#f-type", "summary")
    expect(page.locator("#cards .card")).to_have_count(1)  # the planted summary alone


def test_live_feed_search_and_settings(page: Any, viewer: ViewerServer, data_dir: Path) -> None:
    sign_in(page, viewer)
    cards = page.locator("#cards .card")
    expect(cards).to_have_count(7)  # six planted observations and one summary
    expect(page.locator("#live")).to_have_attribute("data-state", "on")
    page.evaluate("window.__sameDocument = true")

    new_id = insert_observation(data_dir, "Observation stored during the browser test")
    fresh = page.locator(f'#cards [data-ref="obs:{new_id}"]')
    expect(fresh).to_contain_text("Observation stored during the browser test")
    expect(fresh.locator(".badge")).to_have_text("discovery")
    expect(cards.first).to_have_attribute("data-ref", f"obs:{new_id}")
    assert page.evaluate("window.__sameDocument") is True  # no reload happened
    expect(page.locator("#counts")).to_contain_text("7")  # status event: 7 observations
    shot(page, "feed")

    page.fill("#q", "parse_invoice_line")
    page.press("#q", "Enter")
    expect(cards.first).to_contain_text("Split parse_invoice_line into smaller helpers")
    expect(page.locator("#feed-info")).to_contain_text("parse_invoice_line")
    shot(page, "search")

    page.click("#gear")
    panel = page.locator("#settings")
    expect(panel).to_be_visible()
    page.select_option("#set-CLAUDE_RECALL_PROVIDER", "openrouter")
    expect(page.locator('details[data-group="openrouter"]')).to_have_attribute("open", "")
    page.fill("#set-CLAUDE_RECALL_OPENROUTER_MAX_TOKENS", "5")
    page.click("#settings-save")
    error = page.locator('[data-field="CLAUDE_RECALL_OPENROUTER_MAX_TOKENS"] .field-error')
    expect(error).to_have_text("Max tokens must be at least 1000, got 5")  # the field's label
    cli = page.locator('[data-field="CLAUDE_RECALL_CLAUDE_CLI"]')
    expect(cli.locator(".locked-command")).to_have_text(
        "claude-recall settings set CLAUDE_RECALL_CLAUDE_CLI <value>")
    assert cli.locator("input, select").count() == 0  # read-only: nothing to edit
    assert page.locator("#set-CLAUDE_RECALL_OPENROUTER_BASE_URL").count() == 0
    assert not (data_dir / "settings.json").exists()  # nothing saved while a field is wrong

    page.fill("#set-CLAUDE_RECALL_OPENROUTER_MAX_TOKENS", "60000")
    page.fill("#set-CLAUDE_RECALL_OPENROUTER_API_KEY", KEY)
    page.select_option("#set-CLAUDE_RECALL_OPENROUTER_MODEL", "deepseek/deepseek-r1:free")
    shot(page, "settings")
    page.click("#settings-save")
    expect(page.locator("#settings-msg")).to_contain_text("Saved 4 settings")
    saved = json.loads((data_dir / "settings.json").read_text())
    assert saved == {"CLAUDE_RECALL_PROVIDER": "openrouter", "CLAUDE_RECALL_OPENROUTER_API_KEY": KEY,
                     "CLAUDE_RECALL_OPENROUTER_MODEL": "deepseek/deepseek-r1:free",
                     "CLAUDE_RECALL_OPENROUTER_MAX_TOKENS": 60000}
    key_state = page.locator('[data-field="CLAUDE_RECALL_OPENROUTER_API_KEY"] .key-state')
    expect(key_state).to_contain_text("****cdef")
    expect(page.locator("#set-CLAUDE_RECALL_OPENROUTER_API_KEY")).to_have_value("")
    assert KEY not in page.content()
    expect(page.locator("#provider-pill")).to_contain_text("openrouter")
    shot(page, "settings-saved")


def set_last_error(data_dir: Path, stamp: str, text: str) -> None:
    conn = open_store(str(data_dir))
    try:
        with write(conn):
            conn.execute("INSERT OR REPLACE INTO queue_state (name, value) VALUES ('last_error', ?)",
                         (f"{stamp} {text}",))
    finally:
        conn.close()


def add_call(data_dir: Path, status: str, model: str, stamp: str | None = None) -> None:
    conn = open_store(str(data_dir))
    try:
        with write(conn):
            conn.execute("INSERT INTO provider_calls (provider, model, status, input_tokens, output_tokens,"
                         " total_tokens, cost_usd, created_at) VALUES ('openrouter', ?, ?, 123456, 7890,"
                         " 131346, 0.0123, COALESCE(?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))",
                         (model, status, stamp))
    finally:
        conn.close()


def test_provider_error_banner_clears_and_can_be_dismissed(page: Any, viewer: ViewerServer,
                                                            data_dir: Path) -> None:
    sign_in(page, viewer)
    banner = page.locator("#alerts .alert.error")
    set_last_error(data_dir, "2026-11-20T10:00:00.000Z", "429 from openrouter: rate limited")
    expect(banner).to_contain_text("rate limited")  # the status stream brings it
    page.click("#alerts .alert-dismiss")
    expect(banner).to_have_count(0)
    page.reload()
    expect(page.locator("#cards .card").first).to_be_visible()
    expect(banner).to_have_count(0)  # a dismissed error stays dismissed
    set_last_error(data_dir, "2026-11-20T11:00:00.000Z", "503 from openrouter: upstream down")
    expect(banner).to_contain_text("upstream down")  # a new error shows again
    add_call(data_dir, "ok", "xiaomi/mimo-v2-flash:free")  # a later call succeeded
    expect(banner).to_have_count(0)


def test_phone_layout_keeps_tables_on_screen(page: Any, viewer: ViewerServer, data_dir: Path) -> None:
    for model in ("meta-llama/llama-3.1-70b-instruct:free", "google/gemini-2.5-flash-preview:free"):
        add_call(data_dir, "ok", model)
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, viewer)
    page.goto(f"{viewer.url}#/usage")
    expect(page.locator("#usage-models table tbody tr")).to_have_count(2)
    width = page.evaluate("window.innerWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # no sideways page scroll
    for box in page.locator("#view-usage .table-wrap, #view-usage table").evaluate_all(
            "(els) => els.map((el) => el.getBoundingClientRect().toJSON())"):
        assert box["left"] >= 0 and box["right"] <= width, box
    for inner, visible in page.locator("#view-usage .table-wrap").evaluate_all(
            "(els) => els.map((el) => [el.scrollWidth, el.clientWidth])"):
        assert inner <= visible  # every column visible, no scrolling inside the panel either
    shot(page, "phone-usage")
