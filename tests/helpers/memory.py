"""A small planted corpus of observations and summaries, written straight into a real store."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from recall_plugin.capture.project import key
from recall_plugin.store.db import open_store, write

CORPUS = [
    # (project, type, title, subtitle, narrative, facts, concepts, files, created_at)
    ("shop", "bugfix", "Fix retry storm in uploader", "Backoff now honours Retry-After",
     "The uploader retried 429 responses immediately, hammering the API; it now waits with "
     "exponential backoff.", ["uploader.py retried 429s at once"], ["retry", "rate-limit"],
     ["src/uploader.py"], "2026-11-10T10:00:00.000Z"),
    ("shop", "discovery", "ECONNREFUSED from payments sandbox on port 8443",
     "The sandbox only listens after docker compose up",
     "Integration tests failed with connect ECONNREFUSED 127.0.0.1:8443 until the payments "
     "sandbox container was started.", ["error: connect ECONNREFUSED 127.0.0.1:8443"],
     ["payments", "docker"], ["tests/test_payments.py"], "2026-11-12T09:00:00.000Z"),
    ("shop", "decision", "Use SQLite WAL for the order cache", "Readers never block the writer",
     "Chose write-ahead logging so checkout reads do not wait for the nightly import.",
     ["PRAGMA journal_mode=WAL"], ["sqlite", "cache"], ["src/order_cache.py"],
     "2026-11-14T15:30:00.000Z"),
    ("shop", "refactor", "Split parse_invoice_line into smaller helpers", "No behaviour change",
     "parse_invoice_line had grown to 200 lines; it now delegates to parse_amount and "
     "parse_tax_code.", ["parse_invoice_line now 20 lines"], ["parsing"], ["src/invoice.py"],
     "2026-11-15T11:00:00.000Z"),
    ("blog", "feature", "Dark mode for the blog theme", "CSS variables for colours",
     "Added a dark colour scheme toggled by prefers-color-scheme.", ["colours in :root vars"],
     ["css", "theme"], ["static/theme.css"], "2026-11-16T08:00:00.000Z"),
    ("shop", "change", "Bump requests to 2.32", "Security release",
     "Upgraded the HTTP library after an advisory.", ["requests 2.32.3"], ["dependencies"],
     ["requirements.txt"], "2026-11-18T17:45:00.000Z"),
]


def plant(data_dir: Path, corpus: Sequence[Sequence[Any]] = CORPUS) -> sqlite3.Connection:
    conn = open_store(str(data_dir))
    with write(conn):
        for n, (project, kind, title, sub, narrative, facts, concepts, files, at) in enumerate(corpus):
            conn.execute(
                "INSERT INTO observations (session_id, project, prompt_number, type, title,"
                " subtitle, facts, narrative, concepts, files_read, files_modified, created_at)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (f"sess-{project}-{n // 3}", project, 1, kind, title, sub, json.dumps(facts),
                 narrative, json.dumps(concepts), "[]", json.dumps(files), at))
        conn.execute(
            "INSERT INTO summaries (session_id, project, request, investigated, learned,"
            " completed, next_steps, notes, created_at, updated_at) VALUES"
            " ('sess-shop-1', 'shop', 'make checkout resilient', 'uploader and payments',"
            " 'the sandbox needs docker', 'retry with backoff', 'load-test the uploader', '',"
            " '2026-11-18T18:00:00.000Z', '2026-11-18T18:00:00.000Z')")
    return conn


def plant_for_folder(data_dir: Path, shop: Path) -> None:
    """The planted "shop" memory, kept under the id of the folder ``shop``."""
    shop.mkdir()
    conn = plant(data_dir)
    with conn:
        for table in ("observations", "summaries"):
            conn.execute(f"UPDATE {table} SET project = ? WHERE project = 'shop'", (key(str(shop)),))
