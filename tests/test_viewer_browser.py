"""The viewer in a real headless Chromium (Debian's /usr/bin/chromium, driven by Playwright)
against the real server on a free port: live updates without a reload, search, and the
settings panel writing settings.json. Screenshots go to test-artifacts/."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from recall_support import plant

from recall_plugin.store.db import open_store, write
from recall_plugin.viewer.server import ViewerServer, bind

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
def page(viewer: ViewerServer, tmp_path: Path) -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"), executable_path=CHROMIUM, headless=True,
            args=CHROMIUM_ARGS, viewport={"width": 1360, "height": 900})
        errors: list[str] = []
        tab = context.new_page()
        tab.on("pageerror", lambda exc: errors.append(str(exc)))
        tab.set_default_timeout(10_000)
        yield tab
        context.close()
        assert errors == [], errors


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


def test_live_feed_search_and_settings(page: Any, viewer: ViewerServer, data_dir: Path) -> None:
    page.goto(viewer.url)
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
    expect(error).to_have_text("CLAUDE_RECALL_OPENROUTER_MAX_TOKENS must be at least 1000, got 5")
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
