"""Search over a planted corpus: exact identifiers, filters, fusion; the CLI's JSON shape."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.memory import plant

import recall_plugin.search as search_module
from recall_plugin import querydates as dates
from recall_plugin.index import VectorHit
from recall_plugin.search import Evidence, Filters, Hit, fts_query, search
from recall_plugin.search.anchors import narrow


def titles(hits: list[Hit]) -> list[str]:
    return [h.title for h in hits]


def test_exact_identifiers_error_strings_and_paths_hit(data_dir: Path) -> None:
    conn = plant(data_dir)
    assert titles(search(conn, "parse_invoice_line"))[0] == "Split parse_invoice_line into smaller helpers"
    assert titles(search(conn, "ECONNREFUSED 127.0.0.1:8443"))[0].startswith("ECONNREFUSED")
    assert titles(search(conn, "src/order_cache.py"))[0] == "Use SQLite WAL for the order cache"
    assert titles(search(conn, "journal_mode=WAL"))[0] == "Use SQLite WAL for the order cache"


def test_word_forms_find_each_other(data_dir: Path) -> None:
    conn = plant(data_dir)
    assert titles(search(conn, "integration failure"))[0].startswith("ECONNREFUSED")  # "failed"
    assert titles(search(conn, "retrying uploaders"))[0] == "Fix retry storm in uploader"


def test_hostile_queries_are_escaped(data_dir: Path) -> None:
    conn = plant(data_dir)
    for query in ['"', "NEAR(", "a OR", "*", "title:x", "'); DROP TABLE observations; --", "^-"]:
        search(conn, query)
    assert fts_query('say "hi" now') == '"say" OR """hi""" OR "now"'
    assert conn.execute("SELECT count(*) FROM observations").fetchone()[0] == 6


def test_filters(data_dir: Path) -> None:
    conn = plant(data_dir)
    assert titles(search(conn, "dark theme", Filters(project="shop"))) == []
    assert titles(search(conn, "dark theme", Filters(project="blog"))) == ["Dark mode for the blog theme"]
    only = search(conn, "retry sandbox cache", Filters(types=("decision",)))
    assert titles(only) == ["Use SQLite WAL for the order cache"]
    dated = search(conn, "", Filters(project="shop", since="2026-11-13", until="2026-11-16"))
    assert set(titles(dated)) == {"Use SQLite WAL for the order cache",
                                  "Split parse_invoice_line into smaller helpers"}
    assert titles(search(conn, "", Filters(file="uploader.py"))) == ["Fix retry storm in uploader"]
    assert titles(search(conn, "", Filters(concept="docker"))) == [
        "ECONNREFUSED from payments sandbox on port 8443"]
    summary = search(conn, "checkout resilient", Filters(types=("summary",)))
    assert [(h.kind, h.title) for h in summary] == [("summary", "make checkout resilient")]


def test_recency_breaks_ties_only(data_dir: Path) -> None:
    conn = plant(data_dir)
    newest_first = search(conn, "", Filters(project="shop"), limit=3)
    assert [h.created_at[:10] for h in newest_first] == ["2026-11-18", "2026-11-18", "2026-11-15"]


class FakeVectors:
    """A stand-in index whose similarities we choose, to test the fusion itself."""

    model_id = "fake"

    def __init__(self, sims: dict[str, float]) -> None:
        self.sims = sims
        self.wheres: list[object] = []

    def query(self, text: str, k: int, where: dict[str, object] | None = None) -> list[VectorHit]:
        self.wheres.append(where)
        ranked = sorted(self.sims, key=lambda ref: -self.sims[ref])
        return [VectorHit(ref, 1.0 - self.sims[ref]) for ref in ranked[:k]]


def test_strong_evidence_in_one_leg_beats_middling_agreement() -> None:
    # a record one leg is sure of outranks one that both legs find only weakly
    assert Evidence(vector=0.7).score > Evidence(fts=0.4, vector=0.3, fts_rank=1.0).score
    assert Evidence(fts=1.0, fts_rank=1.0).score > Evidence(fts=0.5, vector=0.35).score
    assert Evidence(fts=1.0).relevant and Evidence(vector=0.5).relevant
    assert not Evidence(fts=0.2, vector=0.2).relevant


def test_meaning_alone_finds_a_paraphrase_and_says_how(data_dir: Path) -> None:
    conn = plant(data_dir)
    assert search(conn, "purchase lookups stalling overnight") == []  # no word in common
    vectors = FakeVectors({"obs:3": 0.62, "obs:1": 0.25, "obs:5": 0.1})
    hits = search(conn, "purchase lookups stalling overnight", index=vectors)  # type: ignore[arg-type]
    assert [h.title for h in hits] == ["Use SQLite WAL for the order cache"]  # the rest is below the floor
    assert hits[0].matched == ("vector",) and hits[0].evidence() == "vector 0.62"
    fused = search(conn, "order cache", index=vectors)  # type: ignore[arg-type]
    assert fused[0].matched == ("fts", "vector") and fused[0].fts == 1.0


def test_unrelated_query_finds_no_relevant_memory(data_dir: Path) -> None:
    conn = plant(data_dir)
    weak = FakeVectors({f"obs:{n}": 0.15 for n in range(1, 7)})
    for query in ("recipe for lasagna", "the and of", "who won the world cup"):
        assert search(conn, query) == []
        assert search(conn, query, index=weak) == []  # type: ignore[arg-type]
    out = subprocess.run([sys.executable, "-m", "recall_plugin", "search", "lasagna", "recipe"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "no relevant memory", out.stdout


def many(n: int) -> list[tuple[object, ...]]:
    """n records on overlapping subjects, so that a query has more candidates than a page."""
    words = ("retry", "cache", "sandbox", "invoice", "theme", "deploy", "token", "queue")
    return [("shop" if i % 3 else "blog", "change", f"{words[i % 8]} {words[(i * 3) % 8]} step {i}",
             "", f"work on the {words[(i * 5) % 8]} and the {words[i % 8]}", [], [], [],
             f"2026-{1 + i % 11:02d}-{1 + i % 27:02d}T10:00:00.000Z") for i in range(n)]


def test_a_longer_limit_only_adds_to_the_end(data_dir: Path) -> None:
    conn = plant(data_dir, many(120))
    vectors = FakeVectors({f"obs:{n}": 0.2 + (n * 37 % 50) / 100 for n in range(1, 121)})
    for query in ("retry cache", "deploy", "invoice theme token", "queue sandbox retry deploy"):
        for index in (None, vectors):
            pages = [[h.ref for h in search(conn, query, Filters(), k, index)]  # type: ignore[arg-type]
                     for k in (1, 3, 5, 10, 25)]
            for short, long in itertools.pairwise(pages):
                assert long[:len(short)] == short, (query, short, long)
            assert pages[-1]


def test_a_query_matching_more_than_rank_most_ranks_the_newest(data_dir: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Past ``RANK_MOST`` matches, BM25 scores only the newest ones (scoring is what an FTS query
    costs); below it, every match competes, and filters still apply."""
    corpus: list[tuple[object, ...]] = [
        ("shop" if i % 2 else "blog", "change", f"flaky gateway note {i}", "", "flaky gateway",
         [], [], [], f"2026-10-{1 + i:02d}T10:00:00.000Z") for i in range(10)]
    conn = plant(data_dir, corpus)  # ids 1..10, oldest first; shop holds the even ids

    def found(flt: Filters) -> set[int]:
        return {h.id for h in search(conn, "flaky gateway", flt, 10, legs=("fts",))}

    assert found(Filters()) == set(range(1, 11))
    monkeypatch.setattr(search_module, "RANK_MOST", 4)
    assert found(Filters()) == {7, 8, 9, 10}
    # a filter that leaves fewer than a page of the newest: its own matches, all of them
    assert found(Filters(project="shop")) == {2, 4, 6, 8, 10}


def test_cross_project_isolation(data_dir: Path) -> None:
    conn = plant(data_dir, many(60))
    shop = {f"obs:{n}": 0.9 for n in range(1, 61)}  # the index would return every project
    vectors = FakeVectors(shop)
    for query in ("retry cache", "deploy token", "step"):
        hits = search(conn, query, Filters(project="blog"), 20, vectors)  # type: ignore[arg-type]
        assert hits and {h.project for h in hits} == {"blog"}
    assert vectors.wheres[0] is None  # over-fetched without the filter, filtered in SQLite


NOW = dt.datetime(2026, 11, 20, 12, tzinfo=dt.timezone.utc)  # a Friday


def test_dates_in_a_query_become_a_range() -> None:
    cases = {
        "what changed yesterday": ("what changed", "2026-11-19", "2026-11-20"),
        "deploy failure last week": ("deploy failure", "2026-11-09", "2026-11-16"),
        "bundle work in July": ("bundle work", "2026-07-01", "2026-08-01"),
        "alerts before February": ("alerts", None, "2026-02-01"),
        "after October the cache": ("the cache", "2026-11-01", None),
        "on 2026-06-22 the deploy": ("the deploy", "2026-06-22", "2026-06-23"),
        "this month": ("", "2026-11-01", "2026-11-21"),
        "in December": ("", "2025-12-01", "2026-01-01"),  # the latest December, not a future one
        "it may fail": ("it may fail", None, None),  # "may" as a verb is not a month
        "march 2025 invoices": ("invoices", "2025-03-01", "2025-04-01"),
    }
    for query, expected in cases.items():
        assert dates.parse(query, NOW) == expected, query


def test_date_queries_filter_the_results(data_dir: Path) -> None:
    conn = plant(data_dir)
    week = search(conn, "last week", Filters(project="shop"), now=NOW)  # 2026-11-09 .. 11-15
    assert {h.created_at[:10] for h in week} == {"2026-11-10", "2026-11-12", "2026-11-14", "2026-11-15"}
    assert [h.title for h in search(conn, "requests bump this week", now=NOW)] == ["Bump requests to 2.32"]
    assert search(conn, "uploader retry in October", now=NOW) == []
    assert search(conn, "uploader retry in November", now=NOW)[0].title == "Fix retry storm in uploader"


def test_events_named_as_points_in_time() -> None:
    cases = {
        "deploy problems before the shipped_at migration": ("deploy problems",
                                                            [("before", "shipped_at migration")]),
        "alerts since we moved to PagerDuty, and why": ("alerts and why",
                                                        [("since", "moved to PagerDuty")]),
        "what changed after the outage and before the release": (
            "what changed and", [("after", "outage"), ("before", "release")]),
        "validate input before saving": ("validate input before saving", []),  # a step, not a moment
        "retry after failing twice": ("retry after failing twice", []),
        "deploy issues before March": ("deploy issues before March", []),  # a date: parse's
        "before the": ("before the", []),
        # clauses, not events: they describe the record itself, never a moment to date
        "WebSocket is closed before the connection is established": (
            "WebSocket is closed before the connection is established", []),
        "memory kept growing until the kernel terminated it": (
            "memory kept growing until the kernel terminated it", []),
        "rebooted before they had finished booting": ("rebooted before they had finished booting", []),
    }
    for query, expected in cases.items():
        assert dates.anchors(query) == expected, query


def test_an_event_dates_the_search_by_its_record(data_dir: Path) -> None:
    corpus: list[tuple[object, ...]] = [
        ("shop", "bugfix", "Deploy rollback after a failed health check", "", "deploy rolled back",
         [], [], [], "2026-02-17T10:00:00.000Z"),
        ("shop", "change", "Migration 0042 adds orders.shipped_at", "", "schema migration deploy",
         [], [], [], "2026-10-08T10:00:00.000Z"),
        ("shop", "bugfix", "Deploy failed on a missing environment variable", "", "deploy failed",
         [], [], [], "2026-11-13T10:00:00.000Z"),
        ("blog", "change", "Theme migration to shipped_at dates", "", "blog shipped_at migration",
         [], [], [], "2026-01-05T10:00:00.000Z"),
    ]
    conn = plant(data_dir, corpus)

    def found(query: str, project: str | None = "shop") -> list[str]:
        return [h.title for h in search(conn, query, Filters(project=project), 10, now=NOW)]

    assert found("deploy before the shipped_at migration") == ["Deploy rollback after a failed health check"]
    assert found("deploy since the orders.shipped_at migration") == [
        "Deploy failed on a missing environment variable"]  # never the event's own record
    # the event is dated within the search's project: blog's older migration is not shop's
    assert "Deploy rollback after a failed health check" in found("deploy after the shipped_at migration",
                                                                  project=None)
    # an event the memory does not hold narrows nothing: the words stay in the query
    shop = Filters(project="shop")
    assert narrow(conn, "deploy before the kubernetes cutover", shop) == (
        "deploy before the kubernetes cutover", shop)
    assert narrow(conn, "deploy before the shipped_at migration", shop) == (
        "deploy", Filters(project="shop", until="2026-10-08T10:00:00.000Z"))


def test_cli_json(data_dir: Path) -> None:
    plant(data_dir)
    out = subprocess.run([sys.executable, "-m", "recall_plugin", "search", "retry", "storm",
                          "--project", "shop", "--json", "--limit", "3"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    hits = json.loads(out.stdout)
    assert hits[0]["title"] == "Fix retry storm in uploader"
    assert {"id", "type", "title", "project", "session_id", "created_at", "score"} <= set(hits[0])
    text = subprocess.run([sys.executable, "-m", "recall_plugin", "search", "--type", "decision"],
                          capture_output=True, text=True, timeout=120).stdout
    assert "Use SQLite WAL for the order cache" in text and "uploader" not in text
