"""SQLite, the source of truth: connection policy (``db``), ordered migrations, and each
table's only SQL, sqlite-utils style: typed records in and out, callers own the transaction.

Which module owns which tables:

* ``observations``: ``observations``; ``summaries``: ``summaries`` (their FTS tables follow
  through triggers);
* ``events``: ``events``; ``sessions``: ``sessions``, ``prompts``, ``forgotten_sessions``;
* ``calls``: ``provider_calls``, ``turns``, ``queue_state``; ``pauses``: ``pauses``;
* ``indexstate``: ``index_state``; ``projects``: ``projects`` (and moving rows between
  project ids in every table that has a ``project`` column);
* ``migrations``: ``migrations`` and every table's schema.

SQL that spans tables, by table name or by join: ``selection`` (forget's row-level
selects, deletes and checks), ``matching`` (search's filters and FTS ranking over the memory
tables), ``fts`` (how many records of an FTS5 index hold a word, for ranking), ``feed``
(the viewer's cursor, session view and listings), ``stats`` (the status
figures, assembled from the table modules). Records of the activity tables are in ``rows``;
``StoredObservation`` and ``StoredSummary`` in ``recall_plugin.records``. Besides: ``db``
(opening, writes), ``barrier`` (the forget lock), ``flags`` (flagging records that read as
instructions) and ``repair`` (recovering a damaged database).
"""
