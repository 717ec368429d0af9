"""The ``projects`` table (migration ``006_project_identity``): one row per project id.

Every row of memory (``sessions``, ``prompts``, ``events``, ``observations``, ``summaries``)
holds the project **id** in its ``project`` column (see ``recall_plugin.identity``); this
table gives each id its display name, the paths it was seen at and when, and records joins
(``alias_of``: this id's memory now lives under that one). Filter by id; show
``project_label``.
"""

from __future__ import annotations

import os

from .. import identity
from ..sqldriver import driver as sqlite3  # hooks read labels: no sqlite3 package (sqldriver)
from ..vocab import utc_stamp

CREATE = """
CREATE TABLE projects (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    named_by_user INTEGER NOT NULL DEFAULT 0,
    paths         TEXT NOT NULL DEFAULT '[]',
    alias_of      TEXT,
    legacy        INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL,
    last_seen_at  TEXT
)
"""
COUNTED = ("sessions", "observations", "summaries", "prompts")


def now() -> str:
    return utc_stamp()


def default_label(project_id: str) -> str:
    """A display name derived from the id itself (last path part, or the named name)."""
    for prefix in identity.PREFIXES:
        if project_id.startswith(prefix):
            rest = project_id[len(prefix):]
            if prefix != "name:":
                rest = rest.rstrip("/").rsplit("/", 1)[-1]
            return identity.clean_name(rest) or identity.clean_name(project_id)
    return identity.clean_name(project_id) or "unknown"


def project_label(conn: sqlite3.Connection, project_id: str) -> str:
    """What people see for ``project_id``: its display name (one clean line)."""
    try:
        row = conn.execute("SELECT name FROM projects WHERE id = ?", (project_id,)).fetchone()
    except sqlite3.Error:
        row = None  # a store from before migration 006
    name = identity.clean_name(row[0]) if row else ""
    return name or default_label(project_id)


def canonical(conn: sqlite3.Connection, project_id: str) -> str:
    """``project_id`` after its joins."""
    return identity.follow(aliases(conn), project_id)


def aliases(conn: sqlite3.Connection) -> dict[str, str]:
    rows = conn.execute("SELECT id, alias_of FROM projects WHERE alias_of IS NOT NULL")
    return {str(old): str(new) for old, new in rows}


def legacy_id(name: str, root: str | None) -> str:
    """The id of a project stored by name only (before ids): the repository or folder at
    ``root`` when it is still there under that name, else the named project ``name:<name>``."""
    if root and os.path.isdir(root):
        where = identity.identify(root)
        if name in (where.folder, _config_name(where.top)):
            return where.id
    return f"name:{identity.clean_name(name) or 'unknown'}"


def _config_name(top: str) -> str:
    import json  # not on the SessionStart path (project_label)

    try:
        with open(os.path.join(top, ".claude-recall.json"), "rb") as handle:
            data = json.loads(handle.read(65536))
    except (OSError, ValueError):
        return ""
    return identity.clean_name(data.get("project")) if isinstance(data, dict) else ""


def register(conn: sqlite3.Connection, project_id: str, name: str, root: str | None,
             at: str) -> None:
    """Record that ``project_id`` was seen (at ``root``, shown as ``name``)."""
    name = identity.clean_name(name) or default_label(project_id)
    conn.execute(
        "INSERT INTO projects (id, name, created_at, last_seen_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT(id) DO UPDATE SET"
        " name = CASE WHEN named_by_user THEN name ELSE excluded.name END,"
        " created_at = min(created_at, excluded.created_at),"
        " last_seen_at = max(coalesce(last_seen_at, ''), excluded.last_seen_at)",
        (project_id, name, at, at))
    if root and _add_paths(conn, project_id, [root]) and not project_id.startswith("name:"):
        adopt(conn, project_id, root)


def _add_paths(conn: sqlite3.Connection, project_id: str, new: list[str]) -> bool:
    """Add paths to a project; True when one was new."""
    import json  # not on the SessionStart path (project_label)

    row = conn.execute("SELECT paths FROM projects WHERE id = ?", (project_id,)).fetchone()
    known = _paths(row[0]) if row else []
    merged = known + [p for p in new if p and p not in known]
    if merged != known:
        conn.execute("UPDATE projects SET paths = ? WHERE id = ?", (json.dumps(merged), project_id))
    return merged != known


def adopt(conn: sqlite3.Connection, project_id: str, root: str) -> int:
    """Move the sessions recorded at ``root`` that migration 006 could not place (their
    folder was gone) from their ``name:`` project to ``project_id``, now that a session runs
    there again. Returns how many sessions moved."""
    from . import indexstate  # not on the hooks' path (project_label)

    rows = conn.execute(
        "SELECT s.session_id, s.project FROM sessions s JOIN projects p ON p.id = s.project"
        " WHERE p.legacy = 1 AND s.project_root = ? AND s.project != ?",
        (root, project_id)).fetchall()
    tables = [t for t in project_tables(conn) if _has_column(conn, t, "session_id")]
    for session_id, old in rows:
        indexstate.drop_of_project(conn, old, session_id)
        for table in tables:
            conn.execute(f"UPDATE {table} SET project = ? WHERE session_id = ? AND project = ?",
                         (project_id, session_id, old))
    return len(rows)


def _paths(raw: object) -> list[str]:
    import json  # not on the SessionStart path (project_label)

    try:
        value = json.loads(str(raw))
    except ValueError:
        return []
    return [str(p) for p in value] if isinstance(value, list) else []


def for_event(conn: sqlite3.Connection, spooled: str | None, root: object, name: object,
              at: str) -> str:
    """The id an ingested event is stored under (its joins followed), registered: ``spooled``
    is the project the hook wrote, ``root`` and ``name`` the project root and display name.

    An event spooled by a hook from before ids (a bare folder name) is mapped the way the
    migration maps stored rows."""
    raw = spooled or "unknown"
    root = root if isinstance(root, str) and root else None
    project_id = raw if raw.startswith(identity.PREFIXES) else legacy_id(raw, root)
    project_id = canonical(conn, project_id)
    register(conn, project_id, name if isinstance(name, str) else "", root, at or now())
    return project_id


def _has_column(conn: sqlite3.Connection, table: str, column: str) -> bool:
    return any(col[1] == column for col in conn.execute(f'PRAGMA table_info("{table}")'))


def project_tables(conn: sqlite3.Connection) -> list[str]:
    """Every ordinary table with a ``project`` column (other than ``projects``)."""
    tables = [str(r[0]) for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name != 'projects'"
        " AND sql NOT LIKE 'CREATE VIRTUAL%' AND name NOT LIKE 'sqlite_%'")]
    return [t for t in tables if _has_column(conn, t, "project")]


def find(conn: sqlite3.Connection, text: str) -> str:
    """The id meant by ``text``: an id of a project or of stored rows (joins followed), else
    the one project with that display name, else ``text`` itself. Several projects with that
    name is an error."""
    text = text.strip()
    try:
        if _known(conn, text):
            return canonical(conn, text)
        named = [str(r[0]) for r in conn.execute(
            "SELECT id FROM projects WHERE alias_of IS NULL AND name = ? ORDER BY id", (text,))]
    except sqlite3.OperationalError:
        return text  # a store not migrated yet (opened read-only): no projects table
    if len(named) > 1:
        raise ValueError(f"{len(named)} projects are named {text!r}; use one of their ids: "
                         + ", ".join(named))
    return named[0] if named else text


def listing(conn: sqlite3.Connection) -> list[dict[str, object]]:
    """Every project (joined ones excluded): id, name, paths, created, last seen, the ids
    joined into it, counts."""
    counts = ", ".join(f"(SELECT count(*) FROM {t} x WHERE x.project = ids.id) AS {t}"
                       for t in COUNTED)
    rows = conn.execute(
        "WITH ids AS (SELECT id FROM projects WHERE alias_of IS NULL"
        + "".join(f" UNION SELECT project FROM {t}" for t in COUNTED) + ")"
        f" SELECT ids.id, p.name, p.paths, p.created_at, p.last_seen_at, {counts}"
        " FROM ids LEFT JOIN projects p ON p.id = ids.id"
        " WHERE ids.id NOT IN (SELECT id FROM projects WHERE alias_of IS NOT NULL)"
        " ORDER BY coalesce(p.last_seen_at, p.created_at, '') DESC, ids.id").fetchall()
    joined = aliases(conn)
    return [{"id": r[0], "name": identity.clean_name(r[1]) or default_label(r[0]),
             "paths": _paths(r[2] or "[]"), "created_at": r[3], "last_seen_at": r[4],
             "joined": sorted(old for old in joined if identity.follow(joined, old) == r[0]),
             **{t: r[5 + i] for i, t in enumerate(COUNTED)}} for r in rows]


def _known(conn: sqlite3.Connection, project_id: str) -> bool:
    if conn.execute("SELECT 1 FROM projects WHERE id = ?", (project_id,)).fetchone():
        return True
    return any(conn.execute(f"SELECT 1 FROM {t} WHERE project = ? LIMIT 1", (project_id,)).fetchone()
               for t in COUNTED)


def join(conn: sqlite3.Connection, into: str, other: str) -> dict[str, int]:
    """Move all of ``other``'s memory into ``into`` and make ``other`` an alias of it.
    Runs in the caller's transaction; returns rows moved per table."""
    from . import indexstate  # not on the hooks' path (project_label)

    into = canonical(conn, into)
    if other in aliases(conn):
        raise ValueError(f"{other} is already joined to {aliases(conn)[other]}")
    if into == other:
        raise ValueError("a project cannot be joined to itself")
    for project_id in (into, other):
        if not _known(conn, project_id):
            raise ValueError(f"no project {project_id!r} (see `claude-recall projects`)")
    indexstate.drop_of_project(conn, other)
    moved = {t: conn.execute(f"UPDATE {t} SET project = ? WHERE project = ?", (into, other)).rowcount
             for t in project_tables(conn)}
    stamp = now()
    register(conn, into, project_label(conn, into), None, stamp)
    row = conn.execute("SELECT paths FROM projects WHERE id = ?", (other,)).fetchone()
    _add_paths(conn, into, _paths(row[0]) if row else [])
    register(conn, other, project_label(conn, other), None, stamp)
    conn.execute("UPDATE projects SET alias_of = ? WHERE id = ? OR alias_of = ?", (into, other, other))
    return moved


def rename(conn: sqlite3.Connection, project_id: str, name: str) -> str:
    """Give ``project_id`` a display name that its repository's config no longer changes."""
    clean = identity.clean_name(name)
    if not clean:
        raise ValueError("a display name needs at least one printable character")
    project_id = canonical(conn, project_id)
    if not _known(conn, project_id):
        raise ValueError(f"no project {project_id!r} (see `claude-recall projects`)")
    register(conn, project_id, clean, None, now())
    conn.execute("UPDATE projects SET name = ?, named_by_user = 1 WHERE id = ?", (clean, project_id))
    return clean


def migrate_legacy(conn: sqlite3.Connection) -> None:
    """Give rows stored by folder name their project id, losing none (migration 006).

    A session's rows go to the id of the path it recorded (``sessions.project_root``) when
    that folder still exists under the same name, else to ``name:<name>``; rows of no
    recorded path (imports, notes) go to the one id their name mapped to, or, when the name
    was shared by several repositories (or a folder is gone), to ``name:<name>``, listed by
    ``claude-recall projects`` for the user to join."""
    from . import indexstate  # not on the hooks' path (project_label)

    sessions = conn.execute(
        "SELECT session_id, project, project_root, started_at FROM sessions").fetchall()
    targets: dict[tuple[str, str | None], str] = {}
    by_name: dict[str, set[str]] = {}
    conn.execute("CREATE TEMP TABLE project_map (session_id TEXT PRIMARY KEY, old TEXT, new TEXT)")
    for session_id, old, root, started in sessions:
        if not root:
            continue  # an imported session: placed by its name below
        new = targets.setdefault((old, root), legacy_id(old, root))
        by_name.setdefault(old, set()).add(new)
        conn.execute("INSERT INTO project_map VALUES (?, ?, ?)", (session_id, old, new))
        register(conn, new, old, root, started)
    tables = project_tables(conn)
    for table in tables:
        if _has_column(conn, table, "session_id"):
            conn.execute(
                f"UPDATE {table} SET project = (SELECT m.new FROM project_map m"
                f" WHERE m.session_id = {table}.session_id) WHERE EXISTS (SELECT 1 FROM"
                f" project_map m WHERE m.session_id = {table}.session_id AND m.old = {table}.project)")
    for table in tables:
        for (old,) in conn.execute(f"SELECT DISTINCT project FROM {table}").fetchall():
            if str(old).startswith(identity.PREFIXES):
                continue
            mapped = by_name.get(old, set())
            new = next(iter(mapped)) if len(mapped) == 1 else legacy_id(old, None)
            if len(mapped) != 1:
                register(conn, new, old, None, now())
            conn.execute(f"UPDATE {table} SET project = ? WHERE project = ?", (new, old))
    conn.execute("UPDATE projects SET legacy = 1 WHERE id LIKE 'name:%'")
    conn.execute("DROP TABLE temp.project_map")
    indexstate.clear(conn)  # metadata names the old project: embed again
