"""The hooks' SQLite driver: the C module without ``sqlite3``'s wrapper or ``functools``, the
same classes as ``sqlite3``, nothing left stood in; and the cheap checks the per-prompt search
leans on (``may_name_date``, whole word forms) agree with the full versions."""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
import subprocess
import sys
from pathlib import Path

from helpers.hooks import ROOT

from recall_plugin import ftsquery, querydates

PROBE = """
import sys
{prelude}
from recall_plugin.sqldriver import driver
loaded = sorted(m for m in ("functools", "sqlite3", "datetime") if m in sys.modules)
conn = driver.connect(sys.argv[1])
conn.row_factory = driver.Row
conn.execute("CREATE TABLE t (a TEXT)")
conn.executemany("INSERT INTO t VALUES (?)", [("x",), ("y",)])
rows = [r["a"] for r in conn.execute("SELECT a FROM t ORDER BY a")] * 2
try:
    conn.execute("SELECT nope FROM t")
except driver.Error as exc:
    rows.append(type(exc).__name__)
import functools, sqlite3
print(driver.__name__, loaded, rows, callable(functools.lru_cache(1)(len)),
      sqlite3.Connection is driver.Connection)
"""

FUSSY = """
class Fussy:  # a CPython whose _sqlite3 wants more of functools than lru_cache
    def find_spec(self, name, path=None, target=None):
        if name == "_sqlite3" and type(sys.modules.get("functools")).__name__ == "module" \\
                and not hasattr(sys.modules["functools"], "partial"):
            raise AttributeError("module 'functools' has no attribute 'partial'")
        return None
sys.meta_path.insert(0, Fussy())
"""


def probe(tmp_path: Path, prelude: str = "") -> str:
    db = tmp_path / f"probe{len(list(tmp_path.iterdir()))}.db"
    done = subprocess.run([sys.executable, "-S", "-c", PROBE.format(prelude=prelude), str(db)],
                          cwd=ROOT, capture_output=True, text=True, check=True,
                          env={"PYTHONPATH": str(ROOT)})
    return done.stdout.strip()


def test_the_c_module_alone_with_nothing_left_stood_in(tmp_path: Path) -> None:
    assert probe(tmp_path) == "_sqlite3 [] ['x', 'y', 'x', 'y', 'OperationalError'] True True"


def test_a_process_that_has_functools_or_sqlite3_uses_what_it_has(tmp_path: Path) -> None:
    assert probe(tmp_path, "import functools").startswith("_sqlite3 ['functools'] ['x', 'y'")
    # (whether sqlite3 itself loads functools depends on the CPython: 3.11 on yes, 3.10 no)
    name, _, rest = probe(tmp_path, "import sqlite3").partition(" ")
    assert name == "sqlite3" and "'sqlite3']" in rest and rest.endswith("'OperationalError'] True True")


def test_falls_back_to_sqlite3_when_the_stand_in_is_not_enough(tmp_path: Path) -> None:
    name, _, rest = probe(tmp_path, FUSSY).partition(" ")
    assert name == "sqlite3" and "'sqlite3']" in rest
    assert rest.endswith("['x', 'y', 'x', 'y', 'OperationalError'] True True")


def test_may_name_date_never_misses_a_date_parse_finds() -> None:
    now = dt.datetime(2026, 12, 3, 12, tzinfo=dt.timezone.utc)
    vocabulary = [*querydates.MONTHS, *querydates.RELATIVE, *querydates.PREPOSITIONS, "last",
                  "this", "past", "3", "12", "2025", "2026-03-04", "2026-03", "1999", "fixed",
                  "the", "retry", "deploy", "before", "after", "may", "(march)", "2026-13",
                  "week,", "ago.", "20261", "v2026", "March?"]
    rng = random.Random(5)
    for _ in range(20_000):
        query = " ".join(rng.choice(vocabulary) for _ in range(rng.randint(1, 6)))
        if not querydates.may_name_date(query):
            assert querydates.parse(query, now) == (" ".join(query.split()), None, None), query


def test_a_stem_as_whole_forms_finds_what_its_prefix_finds_but_other_words(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "forms.db")
    conn.execute("CREATE VIRTUAL TABLE t USING fts5(body)")
    words = ["deploy", "deploys", "deployed", "deploying", "deployment", "deployer", "deploymentx",
             "change", "changes", "changed", "changing", "changelog", "fail", "failure", "failed"]
    conn.executemany("INSERT INTO t VALUES (?)", [(w,) for w in words])
    for text in ("deploys", "deployment", "changes", "failure"):
        (word,) = ftsquery.query_words(text)
        whole = {r[0] for r in conn.execute("SELECT body FROM t WHERE t MATCH ?", (ftsquery.forms(word),))}
        prefix = {r[0] for r in conn.execute("SELECT body FROM t WHERE t MATCH ?", (ftsquery.phrase(word),))}
        assert whole == {w for w in prefix if ftsquery.query_words(w) == [word] or w == word[0][:-1]}
        assert text in whole
    assert ftsquery.forms(("queue", "handler", "5")) == '"queue handler 5"'
