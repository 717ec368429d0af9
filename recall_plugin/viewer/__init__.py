"""The local web viewer: ``claude-recall viewer [--port N] [--no-open]``.

Serves one page (``static/index.html``, ``app.js``, ``style.css``; no build step) and a small
JSON API on ``http://127.0.0.1:37777`` (127.0.0.1 only). The page shows new observations and
summaries as they are stored, the queue and the extractor's state, search with the CLI's
hybrid search, sessions, usage, forget, and the settings behind the gear icon. Starlette and
uvicorn are imported only by this package, never by the hooks.

Access (``auth.py``): every route, the page and static files included, needs the token this
launch created, stored with its port and pid in ``<data dir>/viewer.json`` (mode 0600).
``claude-recall viewer`` opens ``/?token=<token>`` once; the viewer answers with an HttpOnly,
SameSite=Strict cookie and a 303 to the URL without the token. Scripts send
``Authorization: Bearer <token>``. Anything else gets 401 (an HTML page saying to run
``claude-recall viewer``, or ``{"error"}`` under ``/api/``).

API (every response is JSON unless noted; errors are ``{"error": "..."}`` with 4xx/5xx):

``GET /api/health[?challenge=<nonce>]``
    ``{"ok": true, "app": "claude-recall-viewer", "version", "data_dir", "pid"}``, plus
    ``"proof"`` (HMAC of the nonce under the token) when a challenge is given. A second
    ``claude-recall viewer`` sends a challenge with ``X-Recall-Proof`` (its own HMAC of the
    nonce) instead of the token, and reuses the viewer only when the proof checks out.
``GET /api/status``
    ``claude-recall status --json`` (without ingesting): ``{"data_dir", "provider", "queue":
    {"pending", "processing", "failed", "dead", "done", "skipped", "spooled"}, "sessions",
    "prompts", "events", "observations", "summaries", "last_extractor_run", "last_error",
    "usage_today", "usage_by_day", "usage_by_session", "paused": [{"scope", "reason",
    "setting"}], "notes"}`` plus ``"model"``, ``"fallback"``, ``"version"`` and ``"last_call":
    {"provider", "model", "status", "error", "total_tokens", "cost_usd", "duration_ms",
    "created_at"} | null`` and ``"provider_error": {"at", "text"} | null`` (the last extractor
    error, null once a later provider call succeeded).
``GET /api/observations?project=&type=&limit=50&before=<id>``
    Newest first: ``{"items": [observation], "next_before": id | null, "cursor": {"obs": id,
    "sum": stamp}}``. An observation is its row with lists decoded: ``{"id", "kind":
    "observation", "session_id", "project", "prompt_number", "type", "title", "subtitle",
    "facts": [], "narrative", "concepts": [], "files_read": [], "files_modified": [],
    "source_event_ids": [], "input_tokens", "output_tokens", "created_at", ...}``. ``type`` may
    repeat or be comma-separated; ``before`` pages to older ids; ``limit`` is at most 200.
``GET /api/summaries?project=&limit=20&before=<id>``
    The same shape; a summary is ``{"id", "kind": "summary", "session_id", "project",
    "request", "investigated", "learned", "completed", "next_steps", "notes", "created_at",
    "updated_at", ...}``.
``GET /api/search?q=&project=&type=&since=&until=&file=&concept=&limit=30``
    The CLI's search (FTS5 BM25 and, when the vector index is usable, vectors, fused):
    ``{"query", "vectors": bool, "items": [observation or summary + "score", "matched"]}``.
    ``since`` is inclusive and ``until`` exclusive (``YYYY-MM-DD``); ``type`` may be
    ``summary``. An empty ``q`` lists the newest records under the filters.
``GET /api/projects``
    ``{"items": [{"project", "name", "observations", "last_at"}]}`` (``project`` is the id
    filters take, ``name`` its display name).
``GET /api/sessions?project=&limit=50``
    ``{"items": [{"session_id", "project", "last_at", "observations", "prompts", "request",
    "first_prompt"}]}``.
``GET /api/sessions/<session_id>``
    One session in order: ``{"session_id", "project", "session": row | null, "items": [prompt
    {"kind": "prompt", "id", "prompt_number", "text", "private", "created_at"} or
    observation, ordered by prompt number], "summary": summary | null, "counts": {"prompts",
    "observations"}}``; 404 when nothing of it is stored.
``GET /api/usage?days=14``
    ``{"days", "by_day": [{"day", "provider", "calls", "input_tokens", "output_tokens",
    "total_tokens", "cost_usd"}], "by_provider": [...], "by_model": [...], "today": {...},
    "totals": {...}}`` (cost is the estimated USD recorded with each provider call).
``GET /api/stream``  (``text/event-stream``)
    Server-sent events: ``event: observation`` and ``event: summary`` (the record as JSON,
    ``id: <obs id>|<summary stamp>``) for rows stored after the client's cursor (``?after=``
    ``&since=`` from a page's ``cursor``, or ``Last-Event-ID`` on reconnect, else now), and
    ``event: status`` (the ``/api/status`` object) at once and whenever it changes. SQLite is
    polled read-only every second; ``?once=1`` answers one poll and closes.
``GET /api/settings``
    The settings panel, from the settings catalog: ``{"groups": [{"name", "label",
    "settings": [{"name", "label", "kind", "group", "help", "choices", "minimum",
    "default", "value", "is_set", "source", "suggestions"}]}], "problems", "settings_file"}``.
    A secret's ``value`` is only its mask (``****abcd``); ``source`` is ``file``,
    ``env:<VAR>`` or ``default``. Each setting also has ``"cli_only"`` and ``"command"``: a
    cli_only setting (a program to run, a host to send data to) is shown read-only with the
    ``claude-recall settings set`` command that changes it.
``POST /api/settings``  ``{"values": {NAME: value}, "clear": [NAME]}``
    Checks every value first (the messages of ``claude-recall settings set``), then writes
    settings.json through ``settings.set_value``/``unset_value``; the next extraction batch
    uses it. An empty secret means "unchanged"; ``clear`` removes a setting from the file.
    ``{"ok": true, "changed": [NAME], "settings": <GET /api/settings>}`` or 400 ``{"ok":
    false, "errors": {NAME: message}}`` (a masked key posted back, a value over 2048
    characters, ...); 403 with the same shape when it names a cli_only setting; 413 for a
    body over 16 KB.
``POST /api/forget``  ``{"ids": [12, "sum:3"], "session_id", "query", "project", "since",
"until", "reason", "dry_run"}``
    With ``"dry_run": true``: ``{"ok": true, "dry_run": true, "counts": {"observations",
    "summaries", "prompts", "events", "turns"}, "items": [{"ref", "created_at", "project",
    "title"}]}``. Otherwise a non-empty ``reason`` is required (400 without one) and the
    records go through ``recall_plugin.lifecycle.forget``: ``{"ok": true, "report":
    {"observations", "summaries", "prompts", "events", "turns", "index_docs",
    "index_checked", "verified", "problems"}}``.

Security: besides the token gate (``auth.py``), a second layer (``security.py``, in front
of it): requests whose Host is not ``127.0.0.1:PORT`` or ``localhost:PORT`` get 403 (DNS
rebinding); POST and other writes whose Origin (or Referer) is not the viewer's own get 403,
POST bodies must be ``application/json`` (415) and at most 64 KB (413). No response carries
a configured secret: settings go out masked, and every JSON body and stream event is
scrubbed of the configured key values as well.
"""

from __future__ import annotations

DEFAULT_PORT = 37777

__all__ = ["DEFAULT_PORT"]
