"""The vector index: SQLite rows embedded offline and kept in Chroma, rebuildable at any time.

SQLite is the truth. ``docs`` turns observation and summary rows into ``IndexDoc`` (text +
metadata), ``embed`` computes embeddings with a bundled ONNX sentence model (sha256-checked,
never downloaded), ``chroma`` keeps them in a collection (local folder, a Chroma server, or
Chroma Cloud) that records the model id, and ``sync`` back-fills what is missing and removes
what SQLite no longer has. Everything here is optional at run time: without a usable model or
Chroma, ``open_index`` raises ``IndexUnavailable`` and search runs on FTS5 alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from ..errors import RecallError


class IndexUnavailable(RecallError):
    """No vector index can be used now (the reason says why and what to do)."""


@dataclass(frozen=True)
class IndexDoc:
    id: str  # "obs:<rowid>" or "sum:<rowid>"
    text: str
    metadata: dict[str, str | int] = field(default_factory=dict)  # kind, project, type, session_id, created_at


@dataclass(frozen=True)
class VectorHit:
    id: str
    distance: float


class VectorIndex(Protocol):
    model_id: str

    def upsert(self, docs: Sequence[IndexDoc]) -> None: ...
    def delete(self, ids: Sequence[str]) -> None: ...
    def query(self, text: str, k: int, where: dict[str, object] | None = None) -> list[VectorHit]: ...
    def count(self) -> int: ...
    def ids(self) -> set[str]: ...
