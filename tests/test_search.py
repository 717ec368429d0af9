"""Search over a planted corpus: exact identifiers, filters, fusion; the CLI's JSON shape."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from recall_support import plant

from recall_plugin.index import VectorHit
from recall_plugin.search import Filters, Hit, fts_query, fuse, search


def titles(hits: list[Hit]) -> list[str]:
    return [h.title for h in hits]


def test_exact_identifiers_error_strings_and_paths_hit(data_dir: Path) -> None:
    conn = plant(data_dir)
    assert titles(search(conn, "parse_invoice_line"))[0] == "Split parse_invoice_line into smaller helpers"
    assert titles(search(conn, "ECONNREFUSED 127.0.0.1:8443"))[0].startswith("ECONNREFUSED")
    assert titles(search(conn, "src/order_cache.py"))[0] == "Use SQLite WAL for the order cache"
    assert titles(search(conn, "journal_mode=WAL"))[0] == "Use SQLite WAL for the order cache"


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
    """A stand-in index whose ranking we choose, to test the fusion itself."""

    model_id = "fake"

    def __init__(self, ranking: list[str]) -> None:
        self.ranking = ranking

    def query(self, text: str, k: int, where: dict[str, object] | None = None) -> list[VectorHit]:
        return [VectorHit(ref, 0.1 * n) for n, ref in enumerate(self.ranking[:k])]


def test_fusion_puts_what_both_lists_agree_on_first(data_dir: Path) -> None:
    conn = plant(data_dir)
    # FTS alone ranks the uploader fix first for "retry cache"; the vectors rank the cache
    # decision first and the uploader fourth: fused, the record high in both lists wins.
    fts_first = titles(search(conn, "retry cache"))
    assert fts_first[0] == "Fix retry storm in uploader"
    vectors = FakeVectors(["obs:3", "obs:5", "obs:6", "obs:1"])
    fused = search(conn, "retry cache", index=vectors)  # type: ignore[arg-type]
    assert fused[0].title == "Use SQLite WAL for the order cache"
    assert set(fused[0].matched) == {"fts", "vector"}
    assert fuse(["a", "b"], ["b", "c"])["b"][0] > fuse(["a", "b"], ["b", "c"])["a"][0]


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
