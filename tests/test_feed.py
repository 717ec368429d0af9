"""The viewer's store reads (``store.feed``) and the status counts (``store.stats``) return
typed records, on a real store migrated by the real migrations."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from recall_plugin.records import StoredObservation, StoredSummary
from recall_plugin.store import calls, feed, observations, pauses, sessions, stats, summaries
from recall_plugin.store.db import open_store, write
from recall_plugin.store.rows import Pause, SessionRow

NOW = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"


@pytest.fixture
def conn(data_dir: Path) -> Iterator[sqlite3.Connection]:
    store = open_store(str(data_dir))
    yield store
    store.close()


def observation(conn: sqlite3.Connection, session_id: str, project: str, at: str) -> int:
    cur = conn.execute("INSERT INTO observations (session_id, project, type, title, created_at)"
                       " VALUES (?, ?, 'discovery', 'a finding', ?)", (session_id, project, at))
    return int(cur.lastrowid or 0)


def summary(conn: sqlite3.Connection, session_id: str, project: str, request: str, updated: str) -> None:
    conn.execute("INSERT INTO summaries (session_id, project, request, created_at, updated_at)"
                 " VALUES (?, ?, ?, ?, ?)", (session_id, project, request, updated, updated))


def session(conn: sqlite3.Connection, session_id: str, project: str, last: str, **extra: object) -> None:
    cols = ["session_id", "project", "started_at", "last_event_at", *extra]
    conn.execute(f"INSERT INTO sessions ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                 (session_id, project, last, last, *extra.values()))


def prompt(conn: sqlite3.Connection, session_id: str, number: int, text: str, private: int = 0) -> None:
    conn.execute("INSERT INTO prompts (session_id, prompt_id, prompt_number, project, text, private,"
                 " created_at) VALUES (?, ?, ?, 'shop', ?, ?, ?)",
                 (session_id, f"p{number}", number, text, private, f"2026-11-0{number}T10:00:00Z"))


def call(conn: sqlite3.Connection, provider: str, *, status: str = "ok", tokens: int = 100,
         cost: float = 0.0, at: str | None = None, model: str = "m", session_id: str | None = None,
         error: str | None = None) -> None:
    conn.execute("INSERT INTO provider_calls (session_id, provider, model, status, error, input_tokens,"
                 " output_tokens, total_tokens, cost_usd, duration_ms, created_at)"
                 f" VALUES (?, ?, ?, ?, ?, ?, 10, ?, ?, 42, {'?' if at else NOW})",
                 (session_id, provider, model, status, error, tokens - 10, tokens, cost,
                  *([at] if at else [])))


def test_cursor_follows_the_newest_observation_and_summary_stamp(conn: sqlite3.Connection) -> None:
    assert feed.cursor(conn) == feed.FeedCursor(0, "")
    with write(conn):
        observation(conn, "s1", "shop", "2026-11-01T10:00:00Z")
        newest = observation(conn, "s1", "shop", "2026-11-01T09:00:00Z")
        summary(conn, "s1", "shop", "first", "2026-11-02T10:00:00Z")
        summary(conn, "s2", "shop", "second", "2026-11-01T10:00:00Z")
    assert feed.cursor(conn) == feed.FeedCursor(newest, "2026-11-02T10:00:00Z")


def test_session_row_and_prompts_are_typed(conn: sqlite3.Connection) -> None:
    assert sessions.get(conn, "s1") is None and sessions.prompts_of(conn, "s1") == []
    with write(conn):
        session(conn, "s1", "shop", "2026-11-01T10:00:00Z", cwd="/w/shop", prompt_count=2)
        prompt(conn, "s1", 1, "fix the uploader")
        prompt(conn, "s1", 2, "my password is hunter2", private=1)
    row = sessions.get(conn, "s1")
    assert row == SessionRow("s1", "shop", None, "/w/shop", None, "2026-11-01T10:00:00Z",
                                  "2026-11-01T10:00:00Z", None, None, 2)
    prompts = sessions.prompts_of(conn, "s1")
    assert [(p.prompt_number, p.text, p.private) for p in prompts] == [
        (1, "fix the uploader", False), (2, "my password is hunter2", True)]
    assert all(isinstance(p.id, int) and p.created_at.startswith("2026-11-0") for p in prompts)


def test_sessions_page_merges_captured_sessions_and_observations(conn: sqlite3.Connection) -> None:
    with write(conn):
        session(conn, "captured", "shop", "2026-11-05T10:00:00Z")
        prompt(conn, "captured", 1, "private first", private=1)
        prompt(conn, "captured", 2, "the visible ask")
        observation(conn, "captured", "shop", "2026-11-04T10:00:00Z")
        observation(conn, "only-obs", "blog", "2026-11-06T10:00:00Z")
        observation(conn, "only-obs", "blog", "2026-11-03T10:00:00Z")
        summary(conn, "only-obs", "blog", "theme work", "2026-11-06T11:00:00Z")
    listed = feed.sessions_page(conn, project=None, limit=10)
    assert listed == [
        feed.SessionListing("only-obs", "blog", "2026-11-06T10:00:00Z", 2, 0, "theme work", None),
        feed.SessionListing("captured", "shop", "2026-11-05T10:00:00Z", 1, 2, None, "the visible ask")]
    assert [s.session_id for s in feed.sessions_page(conn, project="shop", limit=10)] == ["captured"]
    assert len(feed.sessions_page(conn, project=None, limit=1)) == 1


def test_projects_newest_first_with_their_names(conn: sqlite3.Connection) -> None:
    assert feed.projects(conn) == []
    with write(conn):
        observation(conn, "s1", "shop", "2026-11-01T10:00:00Z")
        observation(conn, "s2", "blog", "2026-11-03T10:00:00Z")
        observation(conn, "s3", "shop", "2026-11-02T10:00:00Z")
    assert feed.projects(conn) == [feed.ProjectListing("blog", 1, "2026-11-03T10:00:00Z", "blog"),
                                   feed.ProjectListing("shop", 2, "2026-11-02T10:00:00Z", "shop")]


def test_usage_on_an_empty_store_is_zero(conn: sqlite3.Connection) -> None:
    empty = calls.usage(conn, 7)
    zero = calls.UsageTotals(0, 0, 0, 0, 0.0)
    assert empty == calls.Usage(7, (), (), (), zero, zero)
    assert isinstance(empty.totals.cost_usd, float)
    assert calls.last_call(conn) is None


def test_usage_by_day_provider_and_model(conn: sqlite3.Connection) -> None:
    with write(conn):
        call(conn, "claude", tokens=800, cost=0.0042, model="haiku")
        call(conn, "openrouter", tokens=1200, model="free")
        call(conn, "claude", tokens=300, cost=0.001, model="sonnet", at="2020-01-01T00:00:00Z")
    found = calls.usage(conn, 14)
    assert [(d.provider, d.totals.total_tokens) for d in found.by_day] == [("claude", 800),
                                                                          ("openrouter", 1200)]
    assert [(p.provider, p.totals.calls, p.totals.total_tokens) for p in found.by_provider] == [
        ("openrouter", 1, 1200), ("claude", 2, 1100)]
    assert [(m.model, m.totals.total_tokens) for m in found.by_model] == [
        ("free", 1200), ("haiku", 800), ("sonnet", 300)]
    assert found.today == calls.UsageTotals(2, 1980, 20, 2000, 0.0042)
    assert found.totals.calls == 3 and found.totals.cost_usd == pytest.approx(0.0052)


def test_last_call_is_the_newest_by_id(conn: sqlite3.Connection) -> None:
    with write(conn):
        call(conn, "gemini", at="2026-11-02T10:00:00Z")
        call(conn, "claude", status="error", error="429", tokens=0, at="2026-11-01T10:00:00Z")
    assert calls.last_call(conn) == calls.LastCall("claude", "m", "error", "429", 0, 0.0, 42,
                                                     "2026-11-01T10:00:00Z")


def test_provider_error_clears_once_a_later_call_succeeds(conn: sqlite3.Connection) -> None:
    stamped = "2026-11-02T10:00:00Z 401 from gemini: bad key"
    assert calls.provider_error(conn, None) is None and calls.provider_error(conn, "") is None
    assert calls.provider_error(conn, stamped) == calls.ProviderError("2026-11-02T10:00:00Z",
                                                                    "401 from gemini: bad key")
    assert calls.provider_error(conn, "no stamp here") == calls.ProviderError("", "no stamp here")
    with write(conn):
        call(conn, "gemini", at="2026-11-01T10:00:00Z")  # before the error: still worth a warning
    assert calls.provider_error(conn, stamped) is not None
    assert calls.provider_error(conn, "no stamp here") is None  # unknown time: any success clears it
    with write(conn):
        call(conn, "gemini", at="2026-11-03T10:00:00Z")
    assert calls.provider_error(conn, stamped) is None


def test_status_usage_is_typed_and_serialises_as_before(conn: sqlite3.Connection) -> None:
    with write(conn):
        call(conn, "claude", tokens=800, cost=0.0042, session_id="s1")
        call(conn, "gemini", tokens=200, session_id="s1")
        call(conn, "claude", tokens=50, at="2026-11-01T10:00:00Z")
    status = stats.collect(conn, "/data", "claude", spooled=3, notes=("a note",))
    assert status.usage_today == calls.UsageToday(2, 980, 20, 0.0042)
    assert [(d.day[:4], d.calls, d.total_tokens) for d in status.usage_by_day][-1] == ("2026", 1, 50)
    assert status.usage_by_day[0].providers.split(",") == ["claude", "gemini"]
    assert status.usage_by_session == (calls.SessionUsage("s1", 2, 980, 1000, 0.0042, "claude,gemini"),
                                       calls.SessionUsage(None, 1, 40, 50, 0.0, "claude"))
    data = status.as_dict()
    assert data["usage_today"] == {"calls": 2, "input_tokens": 980, "output_tokens": 20, "cost_usd": 0.0042}
    assert data["usage_by_session"] == [
        {"session_id": "s1", "calls": 2, "input_tokens": 980, "total_tokens": 1000, "cost_usd": 0.0042,
         "providers": "claude,gemini"},
        {"session_id": None, "calls": 1, "input_tokens": 40, "total_tokens": 50, "cost_usd": 0.0,
         "providers": "claude"}]
    assert data["queue"] == {"pending": 0, "processing": 0, "failed": 0, "dead": 0, "done": 0,
                             "skipped": 0, "spooled": 3}
    assert data["notes"] == ["a note"] and list(data)[-2:] == ["paused", "notes"]


def test_observation_pages_filter_and_decode(conn: sqlite3.Connection) -> None:
    with write(conn):
        ids = [observation(conn, "s1", project, f"2026-11-0{n}T10:00:00Z")
               for n, project in enumerate(("shop", "blog", "shop", "shop"), start=1)]
        conn.execute("UPDATE observations SET type = 'bugfix', facts = '[\"a fact\"]' WHERE id = ?",
                     (ids[2],))
    page = observations.page(conn, project=None, types=(), before=None, limit=2)
    assert [o.id for o in page] == [ids[3], ids[2]]
    assert isinstance(page[1], StoredObservation) and page[1].facts == ("a fact",)
    assert [o.id for o in observations.page(conn, project=None, types=(), before=ids[2],
                                                 limit=10)] == [ids[1], ids[0]]
    assert [o.id for o in observations.page(conn, project="shop", types=("bugfix", "feature"),
                                                 before=None, limit=10)] == [ids[2]]
    assert observations.page(conn, project="nowhere", types=(), before=None, limit=10) == []
    assert [o.id for o in observations.after(conn, ids[1], 10)] == [ids[2], ids[3]]
    assert [o.id for o in observations.after(conn, ids[0], 1)] == [ids[1]]


def test_summary_pages_and_what_changed_since_a_stamp(conn: sqlite3.Connection) -> None:
    with write(conn):
        summary(conn, "s1", "shop", "first", "2026-11-01T10:00:00Z")
        summary(conn, "s2", "blog", "second", "2026-11-02T10:00:00Z")
        summary(conn, "s3", "shop", "third", "2026-11-03T10:00:00Z")
    assert [s.request for s in summaries.page(conn, project=None, before=None, limit=2)] == [
        "third", "second"]
    third = summaries.page(conn, project="shop", before=None, limit=1)[0]
    assert isinstance(third, StoredSummary) and third.session_id == "s3"
    assert [s.request for s in summaries.page(conn, project="shop", before=third.id, limit=9)] == [
        "first"]
    assert [s.request for s in summaries.updated_since(conn, "2026-11-01T10:00:00Z", 10)] == [
        "second", "third"]
    with write(conn):  # replaced: same id, new stamp, so it comes again
        conn.execute("UPDATE summaries SET request = 'first, again', updated_at = ?"
                     " WHERE session_id = 's1'", ("2026-11-04T10:00:00Z",))
    since = summaries.updated_since(conn, "2026-11-03T10:00:00Z", 10)
    assert [(s.session_id, s.request) for s in since] == [("s1", "first, again")]


def test_session_view_orders_prompts_and_observations(conn: sqlite3.Connection) -> None:
    assert feed.session_view(conn, "nothing") is None
    with write(conn):
        session(conn, "s1", "shop", "2026-11-05T10:00:00Z")
        prompt(conn, "s1", 2, "second ask")
        prompt(conn, "s1", 1, "first ask")
        late = observation(conn, "s1", "shop", "2026-11-01T12:00:00Z")
        early = observation(conn, "s1", "shop", "2026-11-01T11:00:00Z")
        loose = observation(conn, "s1", "shop", "2026-11-01T09:00:00Z")
        conn.execute("UPDATE observations SET prompt_number = 1 WHERE id IN (?, ?)", (late, early))
        summary(conn, "s1", "shop", "the request", "2026-11-06T10:00:00Z")
    view = feed.session_view(conn, "s1")
    assert view is not None and view.project == "shop" and view.session == sessions.get(conn, "s1")
    order = [(type(i).__name__, i.prompt_number, i.id) for i in view.items]
    first, second = (p.id for p in sessions.prompts_of(conn, "s1"))
    assert order == [("Prompt", 1, first), ("StoredObservation", 1, early), ("StoredObservation", 1, late),
                     ("Prompt", 2, second), ("StoredObservation", None, loose)]
    assert view.summary is not None and view.summary.request == "the request"
    assert (view.prompts, view.observations) == (2, 3)


def test_session_view_without_a_captured_session(conn: sqlite3.Connection) -> None:
    with write(conn):
        observation(conn, "s1", "blog", "2026-11-01T10:00:00Z")
        summary(conn, "s2", "docs", "only a summary", "2026-11-01T10:00:00Z")
    from_observation = feed.session_view(conn, "s1")
    assert from_observation is not None and from_observation.project == "blog"
    assert from_observation.session is None and from_observation.summary is None
    from_summary = feed.session_view(conn, "s2")
    assert from_summary is not None and from_summary.project == "docs" and from_summary.items == ()


def test_status_lists_pauses_oldest_first(conn: sqlite3.Connection) -> None:
    with write(conn):
        pauses.put(conn, Pause("session:s1", "reply unreadable", None), "fp1", "2026-11-02T10:00:00Z")
        pauses.put(conn, Pause("global", "daily budget spent", "CLAUDE_RECALL_DAILY_TOKEN_BUDGET"), "fp2",
                   "2026-11-01T10:00:00Z")
    assert stats.collect(conn, "/data", "claude").paused == [
        {"scope": "global", "reason": "daily budget spent", "setting": "CLAUDE_RECALL_DAILY_TOKEN_BUDGET"},
        {"scope": "session:s1", "reason": "reply unreadable", "setting": None}]
