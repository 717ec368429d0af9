"""The full schema after every migration (tables and their columns, indexes, triggers, FTS
tables), compared with a snapshot kept here: a migration that changes it must change this file
too, on purpose. ``python tests/test_schema.py`` prints the current schema in this format."""

from __future__ import annotations

import re
import sqlite3
import sys
from pathlib import Path


def snapshot(conn: sqlite3.Connection) -> dict[str, dict[str, object]]:
    """tables (plain: their columns), virtual tables (their SQL), indexes and triggers."""
    rows = conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name").fetchall()
    virtual = {name for kind, name, _, sql in rows if kind == "table" and "VIRTUAL" in (sql or "").upper()}
    shadow = {name for _, name, _, _ in rows if any(name.startswith(v + "_") for v in virtual)}
    found: dict[str, dict[str, object]] = {"tables": {}, "virtual": {}, "indexes": {}, "triggers": {}}
    for kind, name, table, sql in rows:
        if name in shadow or (kind == "table" and name.startswith("sqlite_")):
            continue
        if name in virtual:
            found["virtual"][name] = " ".join(sql.split())
        elif kind == "table":
            found["tables"][name] = [_column(c) for c in conn.execute(f"PRAGMA table_xinfo({name})")]
        elif kind == "index":
            found["indexes"][name] = _index(conn, name, table)
        elif kind == "trigger":
            found["triggers"][name] = _trigger(sql, table)
    return found


def _column(info: tuple[object, ...]) -> str:
    _, name, kind, notnull, default, pk, hidden = info
    return " ".join(str(part) for part in (name, kind or "ANY", "NOT NULL" if notnull else "",
                                           f"DEFAULT {default}" if default is not None else "",
                                           f"PK{pk}" if pk else "", "GENERATED" if hidden else "")
                    if part)


def _index(conn: sqlite3.Connection, name: str, table: str) -> str:
    columns = [str(r[2]) for r in conn.execute(f"PRAGMA index_info({name})")]
    unique = next(r[2] for r in conn.execute(f"PRAGMA index_list({table})") if r[1] == name)
    where = conn.execute("SELECT sql FROM sqlite_master WHERE name = ?", (name,)).fetchone()[0] or ""
    partial = re.search(r"\bWHERE\b(.*)$", " ".join(where.split()), re.I | re.S)
    return (f"{table}({', '.join(columns)})" + (" UNIQUE" if unique else "")
            + (f" WHERE{partial.group(1)}" if partial else ""))


def _trigger(sql: str, table: str) -> str:
    """``table: WHEN EVENT`` and a digest of its body (the body itself is long)."""
    text = " ".join(sql.split())
    head = re.search(r"\b(BEFORE|AFTER|INSTEAD OF)\s+(INSERT|DELETE|UPDATE(?: OF [\w, ]+?)?)\s+ON\b",
                     text, re.I)
    when = f"{head.group(1).upper()} {head.group(2).upper()}" if head else "?"
    body = text[text.upper().index(" BEGIN ") + 7:] if " BEGIN " in text.upper() else text
    return f"{table}: {when}: {body}"


def migrated(data_dir: Path) -> sqlite3.Connection:
    from recall_plugin.store.db import open_store

    return open_store(str(data_dir))


def test_schema_after_all_migrations_is_the_snapshot(data_dir: Path) -> None:
    conn = migrated(data_dir)
    try:
        got = snapshot(conn)
    finally:
        conn.close()
    for part in ("tables", "virtual", "indexes", "triggers"):
        assert got[part] == EXPECTED[part], part


# The snapshot: regenerate with `python tests/test_schema.py` and review the diff.
EXPECTED: dict[str, dict[str, object]] = {'indexes': {'events_retry': 'events(state, next_attempt_at)',
             'events_session': 'events(session_id, id)',
             'events_state': 'events(state, session_id, id)',
             'observations_batch': 'observations(batch_key)',
             'observations_project': 'observations(project, created_at)',
             'observations_session': 'observations(session_id, id)',
             'provider_calls_day': 'provider_calls(created_at)',
             'provider_calls_session': 'provider_calls(session_id)',
             'sessions_project': 'sessions(project, last_event_at)',
             'sqlite_autoindex_events_1': 'events(event_key) UNIQUE',
             'sqlite_autoindex_migrations_1': 'migrations(name) UNIQUE',
             'sqlite_autoindex_pauses_1': 'pauses(scope) UNIQUE',
             'sqlite_autoindex_projects_1': 'projects(id) UNIQUE',
             'sqlite_autoindex_prompts_1': 'prompts(session_id, prompt_id) UNIQUE',
             'sqlite_autoindex_queue_state_1': 'queue_state(name) UNIQUE',
             'sqlite_autoindex_sessions_1': 'sessions(session_id) UNIQUE',
             'sqlite_autoindex_summaries_1': 'summaries(session_id) UNIQUE',
             'sqlite_autoindex_turns_1': 'turns(session_id, seq) UNIQUE',
             'summaries_project': 'summaries(project, updated_at)'},
 'tables': {'events': ['id INTEGER PK1',
                       'event_key TEXT NOT NULL',
                       'session_id TEXT NOT NULL',
                       'project TEXT NOT NULL',
                       'kind TEXT NOT NULL',
                       'tool_name TEXT',
                       'tool_use_id TEXT',
                       'prompt_id TEXT',
                       'prompt_number INTEGER',
                       'agent_id TEXT',
                       'agent_type TEXT',
                       'private INTEGER NOT NULL DEFAULT 0',
                       'body TEXT NOT NULL',
                       'created_at TEXT NOT NULL',
                       'ingested_at TEXT NOT NULL',
                       "state TEXT NOT NULL DEFAULT 'pending'",
                       'attempts INTEGER NOT NULL DEFAULT 0',
                       'next_attempt_at TEXT',
                       'last_error TEXT'],
            'forgotten_sessions': ['session_id TEXT NOT NULL PK1', 'forgotten_at TEXT NOT NULL'],
            'index_state': ['kind TEXT NOT NULL PK1',
                            'row_id INTEGER NOT NULL PK2',
                            'model_id TEXT NOT NULL',
                            'version TEXT NOT NULL',
                            'indexed_at TEXT NOT NULL'],
            'migrations': ['name TEXT PK1', 'applied_at TEXT'],
            'observations': ['id INTEGER PK1',
                             'session_id TEXT NOT NULL',
                             'project TEXT NOT NULL',
                             'prompt_number INTEGER',
                             'type TEXT NOT NULL',
                             'title TEXT NOT NULL',
                             "subtitle TEXT NOT NULL DEFAULT ''",
                             "facts TEXT NOT NULL DEFAULT '[]'",
                             "narrative TEXT NOT NULL DEFAULT ''",
                             "concepts TEXT NOT NULL DEFAULT '[]'",
                             "files_read TEXT NOT NULL DEFAULT '[]'",
                             "files_modified TEXT NOT NULL DEFAULT '[]'",
                             "source_event_ids TEXT NOT NULL DEFAULT '[]'",
                             'batch_key TEXT',
                             'input_tokens INTEGER NOT NULL DEFAULT 0',
                             'output_tokens INTEGER NOT NULL DEFAULT 0',
                             'created_at TEXT NOT NULL',
                             "flagged TEXT NOT NULL DEFAULT ''"],
            'pauses': ['scope TEXT PK1',
                       'reason TEXT NOT NULL',
                       'setting TEXT',
                       "fingerprint TEXT NOT NULL DEFAULT ''",
                       'created_at TEXT NOT NULL'],
            'projects': ['id TEXT PK1',
                         'name TEXT NOT NULL',
                         'named_by_user INTEGER NOT NULL DEFAULT 0',
                         "paths TEXT NOT NULL DEFAULT '[]'",
                         'alias_of TEXT',
                         'legacy INTEGER NOT NULL DEFAULT 0',
                         'created_at TEXT NOT NULL',
                         'last_seen_at TEXT'],
            'prompts': ['id INTEGER PK1',
                        'session_id TEXT NOT NULL',
                        'prompt_id TEXT NOT NULL',
                        'prompt_number INTEGER NOT NULL',
                        'project TEXT NOT NULL',
                        'text TEXT NOT NULL',
                        'private INTEGER NOT NULL DEFAULT 0',
                        'created_at TEXT NOT NULL'],
            'provider_calls': ['id INTEGER PK1',
                               'session_id TEXT',
                               'provider TEXT NOT NULL',
                               'model TEXT NOT NULL',
                               "purpose TEXT NOT NULL DEFAULT 'observe'",
                               'status TEXT NOT NULL',
                               'error TEXT',
                               'input_tokens INTEGER NOT NULL DEFAULT 0',
                               'output_tokens INTEGER NOT NULL DEFAULT 0',
                               'cache_read_tokens INTEGER NOT NULL DEFAULT 0',
                               'cache_write_tokens INTEGER NOT NULL DEFAULT 0',
                               'total_tokens INTEGER NOT NULL DEFAULT 0',
                               'cost_usd REAL NOT NULL DEFAULT 0',
                               'messages_in_context INTEGER NOT NULL DEFAULT 0',
                               'duration_ms INTEGER NOT NULL DEFAULT 0',
                               'created_at TEXT NOT NULL'],
            'queue_state': ['name TEXT PK1', 'value TEXT NOT NULL'],
            'sessions': ['session_id TEXT PK1',
                         'project TEXT NOT NULL',
                         'project_root TEXT',
                         'cwd TEXT',
                         'transcript_path TEXT',
                         'started_at TEXT NOT NULL',
                         'last_event_at TEXT NOT NULL',
                         'ended_at TEXT',
                         'end_reason TEXT',
                         'prompt_count INTEGER NOT NULL DEFAULT 0'],
            'summaries': ['id INTEGER PK1',
                          'session_id TEXT NOT NULL',
                          'project TEXT NOT NULL',
                          'prompt_number INTEGER',
                          "request TEXT NOT NULL DEFAULT ''",
                          "investigated TEXT NOT NULL DEFAULT ''",
                          "learned TEXT NOT NULL DEFAULT ''",
                          "completed TEXT NOT NULL DEFAULT ''",
                          "next_steps TEXT NOT NULL DEFAULT ''",
                          "notes TEXT NOT NULL DEFAULT ''",
                          'input_tokens INTEGER NOT NULL DEFAULT 0',
                          'output_tokens INTEGER NOT NULL DEFAULT 0',
                          'created_at TEXT NOT NULL',
                          'updated_at TEXT NOT NULL',
                          'last_event_id INTEGER',
                          "flagged TEXT NOT NULL DEFAULT ''"],
            'turns': ['id INTEGER PK1',
                      'session_id TEXT NOT NULL',
                      'seq INTEGER NOT NULL',
                      'role TEXT NOT NULL',
                      'content TEXT NOT NULL',
                      'digest TEXT',
                      "event_ids TEXT NOT NULL DEFAULT '[]'",
                      'provider TEXT',
                      'model TEXT',
                      'created_at TEXT NOT NULL']},
 'triggers': {'observations_ad': 'observations: AFTER DELETE: INSERT INTO observations_fts(observations_fts, '
                                 'rowid, title, subtitle, narrative, facts, concepts, files_read, '
                                 "files_modified) VALUES ('delete', old.id, old.title, old.subtitle, "
                                 'old.narrative, old.facts, old.concepts, old.files_read, '
                                 'old.files_modified); END',
              'observations_ai': 'observations: AFTER INSERT: INSERT INTO observations_fts(rowid, title, '
                                 'subtitle, narrative, facts, concepts, files_read, files_modified) VALUES '
                                 '(new.id, new.title, new.subtitle, new.narrative, new.facts, new.concepts, '
                                 'new.files_read, new.files_modified); END',
              'observations_au': 'observations: AFTER UPDATE: INSERT INTO observations_fts(observations_fts, '
                                 'rowid, title, subtitle, narrative, facts, concepts, files_read, '
                                 "files_modified) VALUES ('delete', old.id, old.title, old.subtitle, "
                                 'old.narrative, old.facts, old.concepts, old.files_read, '
                                 'old.files_modified); INSERT INTO observations_fts(rowid, title, subtitle, '
                                 'narrative, facts, concepts, files_read, files_modified) VALUES (new.id, '
                                 'new.title, new.subtitle, new.narrative, new.facts, new.concepts, '
                                 'new.files_read, new.files_modified); END',
              'prompts_ad': 'prompts: AFTER DELETE: INSERT INTO prompts_fts(prompts_fts, rowid, text) VALUES '
                            "('delete', old.id, old.text); END",
              'prompts_ai': 'prompts: AFTER INSERT: INSERT INTO prompts_fts(rowid, text) VALUES (new.id, '
                            'new.text); END',
              'prompts_au': 'prompts: AFTER UPDATE: INSERT INTO prompts_fts(prompts_fts, rowid, text) VALUES '
                            "('delete', old.id, old.text); INSERT INTO prompts_fts(rowid, text) VALUES "
                            '(new.id, new.text); END',
              'summaries_ad': 'summaries: AFTER DELETE: INSERT INTO summaries_fts(summaries_fts, rowid, '
                              'request, investigated, learned, completed, next_steps, notes) VALUES '
                              "('delete', old.id, old.request, old.investigated, old.learned, old.completed, "
                              'old.next_steps, old.notes); END',
              'summaries_ai': 'summaries: AFTER INSERT: INSERT INTO summaries_fts(rowid, request, '
                              'investigated, learned, completed, next_steps, notes) VALUES (new.id, '
                              'new.request, new.investigated, new.learned, new.completed, new.next_steps, '
                              'new.notes); END',
              'summaries_au': 'summaries: AFTER UPDATE: INSERT INTO summaries_fts(summaries_fts, rowid, '
                              'request, investigated, learned, completed, next_steps, notes) VALUES '
                              "('delete', old.id, old.request, old.investigated, old.learned, old.completed, "
                              'old.next_steps, old.notes); INSERT INTO summaries_fts(rowid, request, '
                              'investigated, learned, completed, next_steps, notes) VALUES (new.id, '
                              'new.request, new.investigated, new.learned, new.completed, new.next_steps, '
                              'new.notes); END'},
 'virtual': {'observations_fts': 'CREATE VIRTUAL TABLE observations_fts USING fts5(title, subtitle, '
                                 'narrative, facts, concepts, files_read, files_modified, '
                                 "content='observations', content_rowid='id', tokenize='unicode61 "
                                 "remove_diacritics 2')",
             'prompts_fts': "CREATE VIRTUAL TABLE prompts_fts USING fts5(text, content='prompts', "
                            "content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
             'summaries_fts': 'CREATE VIRTUAL TABLE summaries_fts USING fts5(request, investigated, learned, '
                              "completed, next_steps, notes, content='summaries', content_rowid='id', "
                              "tokenize='unicode61 remove_diacritics 2')"}}


if __name__ == "__main__":  # print the current schema in the EXPECTED format
    import pprint
    import tempfile

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    with tempfile.TemporaryDirectory() as folder:
        connection = migrated(Path(folder))
        pprint.pprint(snapshot(connection), width=110, sort_dicts=True)
        connection.close()
