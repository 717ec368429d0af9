"""Query words, as FTS5 sees them: tokens, stop words, and how much of a query a record holds.

FTS5's ``unicode61`` tokenizer splits on anything that is not a letter or digit and folds case,
so ``parse_invoice_line`` is the three tokens ``parse invoice line`` and matches as a phrase.
Each whitespace-separated word of a query is one phrase. Stop words ("the", "why", "did") carry
no evidence: they are left out of the FTS query unless the query has nothing else.
"""

from __future__ import annotations

import math
import sqlite3
import unicodedata

STOP_WORDS = frozenset("""
a about above after again against all also am an and any are as at be because been before being
below between both but by can could did do does doing done down during each few for from further
get got had has have having he her here hers him his how i if in into is it its itself just keep
kept let me more most my no nor not now of off on once only or other our ours out over own same
she should so some still such than that the their theirs them then there these they this those
through to too under until up us very was we were what when where which while who whom why will
with would you your yours
""".split())  # noqa: SIM905  (a word list reads better as text)


def tokens(text: str) -> list[str]:
    """``text`` split the way unicode61 (remove_diacritics 2) splits it, folded to lower case."""
    folded = unicodedata.normalize("NFKD", text.lower())
    out, current = [], []
    for char in folded:
        if char.isalnum():
            current.append(char)
        elif unicodedata.combining(char):
            continue
        elif current:
            out.append("".join(current))
            current = []
    if current:
        out.append("".join(current))
    return out


SUFFIXES = ("ing", "ed", "es", "s", "e", "ure", "ment", "ly")
STEM_MARK = "*"


def stem(token: str) -> str:
    """A plain word's stem as a prefix ("deploys" -> "deploy*", "failure" -> "fail*"), so that
    the forms of a word find each other; identifiers, numbers and short words stay exact."""
    if not token.isalpha() or len(token) < 5:
        return token
    for suffix in SUFFIXES:
        if token.endswith(suffix) and len(token) - len(suffix) >= 4:
            return token[: -len(suffix)] + STEM_MARK
    return token + STEM_MARK


def query_words(text: str) -> list[tuple[str, ...]]:
    """The query's words as token tuples (one phrase each; a lone plain word as its stem),
    stop words left out (a query of nothing but stop words has no words); duplicates once."""
    words = [tuple(tokens(word)) for word in text.split()]
    content = [w for w in words if w and not all(t in STOP_WORDS for t in w)]
    return list(dict.fromkeys((stem(w[0]),) if len(w) == 1 else w for w in content))


def phrase(word: tuple[str, ...]) -> str:
    """One query word in FTS5 syntax: a quoted phrase, or a prefix query for a stem."""
    if len(word) == 1 and word[0].endswith(STEM_MARK):
        return '"' + word[0][:-1] + '"*'
    return '"' + " ".join(word).replace('"', '""') + '"'


def _same(token: str, want: str) -> bool:
    return token.startswith(want[:-1]) if want.endswith(STEM_MARK) else token == want


def holds(doc: list[str], word: tuple[str, ...]) -> bool:
    """Whether the token list ``doc`` contains ``word`` as consecutive tokens."""
    if len(word) == 1:
        return any(_same(token, word[0]) for token in doc)
    size = len(word)
    return any(doc[i:i + size] == list(word) for i in range(len(doc) - size + 1)
               if doc[i] == word[0])


class Idf:
    """Inverse document frequency of query words in one FTS table (via an fts5vocab table in
    the connection's temp schema: no change to the store)."""

    def __init__(self, conn: sqlite3.Connection, table: str) -> None:
        self.conn, self.vocab = conn, f"temp.recall_vocab_{table}"
        conn.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS {self.vocab}"
                     f" USING fts5vocab(main, '{table}_fts', 'row')")
        self.total = int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]) or 1

    def weight(self, word: tuple[str, ...]) -> float:
        if len(word) == 1 and word[0].endswith(STEM_MARK):
            start = word[0][:-1]  # a stem: the most frequent of its forms
            row = self.conn.execute(f"SELECT max(doc), 1 FROM {self.vocab} WHERE term >= ? AND term < ?",
                                    (start, start + "\uffff")).fetchone()
            docs = int(row[0] or 0)
        else:
            marks = ",".join("?" * len(word))
            row = self.conn.execute(f"SELECT min(doc), count(*) FROM {self.vocab} WHERE term IN"
                                    f" ({marks})", word).fetchone()
            docs = int(row[0] or 0) if int(row[1]) == len(set(word)) else 0
        return math.log(1.0 + self.total / (docs + 1.0))


def coverage(doc: list[str], words: list[tuple[str, ...]], weights: list[float]) -> float:
    """The share of the query's (IDF-weighted) words that ``doc`` holds, 0..1."""
    total = sum(weights)
    if not total:
        return 0.0
    return sum(w for word, w in zip(words, weights, strict=True) if holds(doc, word)) / total
