"""Which observations SessionStart shows: the ones most relevant to the situation the session
starts in, not simply the newest.

Each of the project's recent observations (``POOL`` newest, flagged ones never) is scored by
- what the project was doing: the words of the latest summary's request, learnings and next
  steps that the observation holds (IDF-weighted, distinctive words only);
- the working tree: files changed since the last commit or stage, the branch name and the
  latest commit messages (read from ``.git``; ``gitstate``);
- recency (half-life ``HALF_LIFE_DAYS`` from the newest observation) and type (decisions and
  bugfixes outweigh routine changes).
Ids the session was already given (``seen``: resume, compact) are left out. Standard library
only: it runs inside the SessionStart hook.
"""

from __future__ import annotations

import math
import os

from .. import fastjson, ftsquery
from ..store import observations, summaries
from ..store.fts import Idf
from . import gitstate

TYPE_CHECKING = False
if TYPE_CHECKING:
    import sqlite3

    from ..records import StoredObservation

POOL = 300
HALF_LIFE_DAYS = 14.0
TYPE_WEIGHT = {"decision": 1.0, "bugfix": 0.9, "discovery": 0.75, "feature": 0.7,
               "refactor": 0.5, "change": 0.35}
WEIGHTS = {"next": 1.0, "summary": 0.6, "files": 1.0, "git": 0.8, "recency": 0.8, "type": 0.4}


class Situation:
    """The signals of the starting session: words (with weights) and changed files."""

    def __init__(self, words: list[tuple[str, ...]], git_words: list[tuple[str, ...]],
                 files: list[str], next_words: list[tuple[str, ...]] | None = None) -> None:
        self.words, self.git_words, self.next_words = words, git_words, next_words or []
        self.files = {f.replace("\\", "/").lstrip("./") for f in files}
        self.names = {os.path.basename(f) for f in self.files}


def situation(conn: sqlite3.Connection, project: str, project_root: str) -> Situation:
    """The signals for ``project`` in the working tree holding ``project_root`` (the session's
    working directory or the project's top folder)."""
    latest = summaries.recent(conn, project, 1)
    summary_text = f"{latest[0].request} {latest[0].learned}" if latest else ""
    next_text = latest[0].next_steps if latest else ""
    gitdir = gitstate.git_dir(project_root) if project_root else ""
    git_text, files = "", []
    if gitdir:
        branch = gitstate.branch(gitdir).replace("/", " ").replace("-", " ").replace("_", " ")
        git_text = " ".join([branch, *gitstate.commit_messages(gitdir, 5)])
        files = gitstate.changed_files(gitstate.top(project_root), gitdir)
    return Situation(ftsquery.query_words(summary_text)[:40], ftsquery.query_words(git_text)[:40], files,
                     ftsquery.query_words(next_text)[:40])


def _files_of(obs: StoredObservation) -> list[str]:
    return [f.replace("\\", "/") for f in (*obs.files_modified, *obs.files_read) if f]


def _text(obs: StoredObservation) -> str:
    """The words ranked: the fields as stored (lists as their JSON text, like the FTS index)."""
    lists = fastjson.dumps([obs.facts, obs.concepts, obs.files_modified, obs.files_read])
    return " ".join((obs.title, obs.subtitle, obs.narrative, lists))


def _file_match(files: list[str], where: Situation) -> float:
    if not files or not where.files:
        return 0.0
    hits = sum(1 for f in files if any(f.endswith(c) or c.endswith(f.lstrip("/")) for c in where.files)
               or os.path.basename(f) in where.names)
    return min(1.0, hits / 2)


def _overlap(doc: ftsquery.Doc, words: list[tuple[str, ...]], weights: list[float]) -> float:
    if not words or not sum(weights):
        return 0.0
    return min(1.0, 2 * ftsquery.coverage(doc, words, weights))  # half the words is a full match


def _age_days(stamp: str, newest: str) -> float:
    def days(s: str) -> float:
        try:
            y, m, d = int(s[:4]), int(s[5:7]), int(s[8:10])
        except ValueError:
            return 0.0
        return y * 372.0 + m * 31.0 + d  # monotonic; close enough for a half-life
    return max(0.0, days(newest) - days(stamp))


def _weights(idf: Idf, words: list[tuple[str, ...]]) -> tuple[list[tuple[str, ...]], list[float]]:
    kept = [(w, idf.docs(w)) for w in words]
    kept = [(w, n) for w, n in kept if 0 < n < idf.cap]
    return [w for w, _ in kept], [math.log(1.0 + idf.total / (n + 1.0)) for _, n in kept]


def ranked(conn: sqlite3.Connection, found: list[StoredObservation], where: Situation,
           skip: set[int]) -> list[StoredObservation]:
    """``found`` (newest first) ordered by relevance to ``where``; ``skip`` ids left out."""
    found = [obs for obs in found if obs.id not in skip]
    if not found:
        return []
    idf = Idf(conn, "observations", 0.1, 1000)
    words, weights = _weights(idf, where.words)
    git_words, git_weights = _weights(idf, where.git_words)
    next_words, next_weights = _weights(idf, where.next_words)
    newest = found[0].created_at
    scored = []
    for order, obs in enumerate(found):
        doc = ftsquery.Doc(ftsquery.tokens(_text(obs)))
        score = (WEIGHTS["next"] * _overlap(doc, next_words, next_weights)
                 + WEIGHTS["summary"] * _overlap(doc, words, weights)
                 + WEIGHTS["git"] * _overlap(doc, git_words, git_weights)
                 + WEIGHTS["files"] * _file_match(_files_of(obs), where)
                 + WEIGHTS["recency"] * 0.5 ** (_age_days(obs.created_at, newest) / HALF_LIFE_DAYS)
                 + WEIGHTS["type"] * TYPE_WEIGHT.get(obs.type, 0.5))
        scored.append((-score, order, obs))
    scored.sort(key=lambda item: (item[0], item[1]))
    return [obs for _, _, obs in scored]


def pool(conn: sqlite3.Connection, project: str) -> list[StoredObservation]:
    """The project's newest ``POOL`` observations that may be injected."""
    return observations.recent(conn, project, POOL, unflagged=True)
