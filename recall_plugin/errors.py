"""The one small error hierarchy of claude-recall."""

from __future__ import annotations


class RecallError(Exception):
    """Base class of every error claude-recall raises on purpose."""


class SettingsError(RecallError):
    """A setting has a bad name or value."""


class StoreError(RecallError):
    """The SQLite store cannot be opened, migrated or written."""


class QueueError(RecallError):
    """The capture spool cannot be written or read."""
