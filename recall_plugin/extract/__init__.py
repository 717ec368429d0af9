"""Extraction: captured events become observations and session summaries.

``work`` picks the next batch of a session's events from the store (and keeps their states),
``render`` turns them into one compact user turn (Edit and Write as diffs), ``window`` fits
the session's stored conversation to the provider's limits, ``runner`` calls the provider
(with fallback, backoff, budgets and pauses), ``parse`` reads the model's XML, ``sanity``
keeps junk out of memory, ``compact`` renders the parsed records as the history's assistant
turn, and the results are stored in one transaction with the events marked done.
"""
