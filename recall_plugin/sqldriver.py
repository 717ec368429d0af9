"""SQLite for the hooks' read-only queries: CPython's ``_sqlite3`` C module, without the cost
of the ``sqlite3`` package around it (ground floor, standard library only).

``sqlite3`` is ``_sqlite3`` plus a Python layer the hooks never use (datetime adapters and
converters, deprecated since 3.12, and DB-API aliases); ``_sqlite3``'s own module setup imports
``functools`` only to build each connection's statement cache from ``functools.lru_cache``.
Measured on the 2-core machine (``python -S -c``, p50 of 40 runs over a bare ``pass``):
``import sqlite3`` +6.6 ms, ``import _sqlite3`` +4.4 ms (``functools`` alone is +3.8 ms), and
``_sqlite3`` with ``functools`` stood in for during its import +1.2 ms. A hook runs a handful of
statements, so it loses nothing without the statement cache: the stand-in's ``lru_cache`` hands
the statement factory back unchanged (every statement is compiled afresh, as with
``cached_statements=0``), and the stand-in leaves ``sys.modules`` as soon as ``_sqlite3`` is
loaded, so a later ``import functools`` gets the real module.

The classes are the same objects ``sqlite3`` exports (``sqlite3.Connection is
_sqlite3.Connection``), so connections from here and from ``store.db`` mix freely. In a process
that has already imported ``functools`` or ``sqlite3`` (any CLI, the MCP server, the viewer),
``driver`` is simply the module already loaded. Should a CPython ever need more of ``functools``
while ``_sqlite3`` loads, the import falls back to the plain ``sqlite3``. (CPython 3.10's
``_sqlite3`` keeps its own statement cache and imports no ``functools``: the stand-in is unused.)
"""

from __future__ import annotations

import sys

__all__ = ["driver"]

TYPE_CHECKING = False
if TYPE_CHECKING:
    import sqlite3 as driver
    from types import ModuleType


def _no_cache(maxsize: int) -> object:
    """``functools.lru_cache(maxsize)`` as ``_sqlite3`` calls it: the factory, uncached."""
    return lambda factory: factory


def _load() -> ModuleType:
    for name in ("sqlite3", "_sqlite3"):
        if name in sys.modules:
            return sys.modules[name]
    if "functools" in sys.modules:
        import _sqlite3

        return _sqlite3
    stand_in = type(sys)("functools")
    stand_in.lru_cache = _no_cache  # type: ignore[attr-defined]
    sys.modules["functools"] = stand_in
    try:
        import _sqlite3

        return _sqlite3
    except Exception:  # a CPython whose _sqlite3 wants more of functools
        sys.modules.pop("_sqlite3", None)
    finally:
        if sys.modules.get("functools") is stand_in:
            del sys.modules["functools"]
    import sqlite3

    return sqlite3


if not TYPE_CHECKING:
    driver = _load()
