"""One doctor check: its verdict, what to do about it, and the repair ``--fix`` may run."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""
    warn_only: bool = False
    repair: Callable[[], str] | None = field(default=None, compare=False, repr=False)

    def shown(self) -> dict[str, object]:
        return {"name": self.name, "ok": self.ok, "detail": self.detail, "fix": self.fix,
                "warn_only": self.warn_only, "repairable": self.repair is not None}
