"""How many records of an FTS5-indexed table hold a query word, and which: the inverse
document frequency that search, the SessionStart ranking and the per-prompt hook weigh words
by. Counting stops at a cap (a word in more records is simply common), so a common word costs
a bounded scan. The words themselves (tokens, stems, FTS syntax) are ``ftsquery``'s.

Runs inside the hooks: no ``sqlite3`` or ``typing`` import at run time.
"""

from __future__ import annotations

import math

from .. import ftsquery

TYPE_CHECKING = False
if TYPE_CHECKING:
    import sqlite3


class Idf:
    """Inverse document frequency of query words in one FTS table, counted with the FTS index
    itself up to ``cap`` records (a word in more than ``cap`` records is simply common), so
    that a common word costs no more than a bounded scan."""

    def __init__(self, conn: sqlite3.Connection, table: str, cap_share: float = 0.2,
                 cap_most: int = 1_000_000_000, whole_forms: bool = False) -> None:
        self.conn, self.table = conn, table
        self.syntax = ftsquery.forms if whole_forms else ftsquery.phrase  # a stem: forms or prefix
        row = conn.execute(f"SELECT max(rowid) FROM {table}").fetchone()  # O(1), close to count
        self.total = max(1, int(row[0] or 0))
        self.cap = max(1, min(int(self.total * cap_share), cap_most)) + 1

    def docs(self, word: tuple[str, ...]) -> int:
        """Records holding ``word`` (at most ``cap``)."""
        fts = f"{self.table}_fts"
        row = self.conn.execute(f"SELECT count(*) FROM (SELECT 1 FROM {fts} WHERE {fts} MATCH ?"
                                " LIMIT ?)", (self.syntax(word), self.cap)).fetchone()
        return int(row[0])

    def ids(self, word: tuple[str, ...]) -> list[int]:
        """The ids of the records holding ``word``, at most ``cap`` of them (as many as ``docs``)."""
        fts = f"{self.table}_fts"
        return [int(row[0]) for row in self.conn.execute(
            f"SELECT rowid FROM {fts} WHERE {fts} MATCH ? LIMIT ?", (self.syntax(word), self.cap))]

    def weight(self, word: tuple[str, ...]) -> float:
        return self.weight_of(self.docs(word))

    def weight_of(self, docs: int) -> float:
        return math.log(1.0 + self.total / (docs + 1.0))
