"""SQLite, the source of truth: connection policy (``db``) and ordered migrations."""
