"""The extractor: one per data dir (a lock), short-lived, settings re-read for every batch.

For each ready batch: pick the provider chain (the chosen provider, then the fallback), fit the
session's stored conversation to the provider's window, call, parse, store. A transient failure
(429, 5xx, timeout, connection, a reply that is cut off or holds nothing usable) of one
provider hands the same request, history included, to the fallback; if every provider fails the
batch is retried later with exponential backoff. A request longer than the model's context is
sent again at once with half the history budget (kept for the rest of the run), then falls back
like any failure. A configuration failure (no key, 401/403, unknown model) pauses that provider
until its settings change. Budgets pause extraction without losing anything. The provider
chain, its pauses and the budgets are ``chain``'s.

What the model said is not what is kept: the assistant turn stored is the parsed records,
rendered compactly (``compact``), and a failed reply never enters the history. Each turn is
stored in the form it is sent, so every request extends the previous one byte for byte.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from .. import locks, log, paths, settings
from ..capture.privacy import scrub
from ..errors import (
    ContextOverflowError,
    ExtractorBusy,
    ProviderError,
    ProviderSetupError,
    ReplyParseError,
    TransientError,
)
from ..index import VectorIndex
from ..providers.base import Message, Provider, Reply, Request, Usage, window_of
from ..providers.pricing import estimate_cost
from ..queue.ingest import ingest, storable
from ..store import events as event_rows
from ..store.db import open_store
from ..store.projects import project_label
from . import pauses, render, work
from .chain import Chain
from .compact import render_reply
from .parse import parse_reply
from .prompts import SYSTEM_PROMPT, user_turn
from .results import Call, complete, record_call
from .sanity import scrub_parsed
from .window import estimate_tokens, fit

MIN_HISTORY_BUDGET = 1024  # tokens: below this a context overflow is not retried

SYNC_EVERY = 8  # batches between index syncs while the queue stays busy (one sync when it empties)


@dataclass
class Totals:
    batches: int = 0
    events: int = 0
    observations: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    failures: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Outcome:
    totals: Totals
    remaining: int
    reason: str | None


def take_lock(data_dir: str, wait: bool) -> int:
    paths.ensure_dir(data_dir)
    fd = os.open(paths.extractor_lock(data_dir), os.O_RDWR | os.O_CREAT, 0o600)
    if wait:
        locks.lock(fd)
    elif not locks.try_lock(fd):
        os.close(fd)
        raise ExtractorBusy
    os.ftruncate(fd, 0)
    os.write(fd, str(os.getpid()).encode())
    return fd


def release_lock(fd: int) -> None:
    """Drop the lock taken by ``take_lock``; an extractor that exits cleanly leaves no pid behind
    (only one that died does, which ``doctor`` then reports as stale)."""
    try:
        os.ftruncate(fd, 0)
    except OSError:
        pass
    finally:
        os.close(fd)


class Extractor:
    def __init__(self, data_dir: str, *, drain: bool, out: Callable[[str], None] = lambda s: None):
        self.data_dir, self.drain, self.out = data_dir, drain, out
        self.conn: sqlite3.Connection = open_store(data_dir)
        self.chain = Chain(self.conn, out)
        self.totals = Totals()
        self.skip: set[str] = set()
        self.digests = True
        self.index: VectorIndex | None = None
        self.index_failed = False
        self.budgets: dict[str, int] = {}  # provider -> token budget lowered by a context overflow
        self.unsynced = 0  # batches stored since the index was last synced

    # -- the loop -------------------------------------------------------------------------
    def run(self, idle_s: float) -> Outcome:
        work.reset_stale(self.conn)
        if self.drain:
            self._make_failed_due()
        idle_since = time.monotonic()
        while True:
            conf = settings.load(self.data_dir)
            log.configure(conf.text("CLAUDE_RECALL_LOG_LEVEL"), "extractor")
            if self.step(conf):
                idle_since = time.monotonic()
                continue
            if self.unsynced:  # the queue is quiet: embed everything stored meanwhile, at once
                self._sync_index()
            if self.drain or time.monotonic() - idle_since >= idle_s:
                return self._outcome()
            time.sleep(min(0.5, max(idle_s, 0.05)))

    def step(self, conf: settings.Settings) -> bool:
        """Ingest, then process one ready batch. False when there was nothing to do."""
        ingest(self.conn, self.data_dir)
        if self.chain.over_budget(conf):
            return False
        batch = work.next_batch(self.conn, self._limits(conf), self.skip, self._size)
        if batch is None:
            return False
        if self.chain.over_budget(conf, batch.session_id):
            self.skip.add(batch.session_id)
            return True
        if not batch.tool_events and (not batch.summarize or
                                      work.summary_is_current(self.conn, batch)):
            work.skip_done(self.conn, batch)
            return True
        return self._process(conf, batch)

    def close(self) -> None:
        self.chain.close()
        self.conn.close()

    # -- one batch ------------------------------------------------------------------------
    def _process(self, conf: settings.Settings, batch: work.Batch) -> bool:
        chain = self.chain.providers(conf)
        if not chain:
            return False
        shown = [e for e in batch.events if e.kind != "session_start"]
        name = project_label(self.conn, batch.project)  # the display name, not the id (a path)
        turn = (_clean(user_turn(batch.session_id, name,
                                 [render.render_event(e) for e in shown], batch.summarize)),
                _clean(user_turn(batch.session_id, name,
                                 [render.digest_event(e) for e in shown], batch.summarize)))
        self.digests = conf.flag("CLAUDE_RECALL_HISTORY_DIGESTS")
        work.claim(self.conn, batch)
        error: TransientError | ProviderError | None = None
        for provider in chain:
            error = self._attempt(provider, batch, turn)
            if error is None:
                return True
            if isinstance(error, ProviderSetupError):
                self.chain.pause(conf, provider, error)
                work.release(self.conn, batch)
                return True
            if not isinstance(error, (TransientError, ContextOverflowError)):
                break
            log.warning(f"{provider.name} failed ({error}); "
                        + ("falling back" if provider is not chain[-1] else "no fallback left"))
        self._failed(conf, batch, error)
        return True

    def _attempt(self, provider: Provider, batch: work.Batch,
                 turn: tuple[str, str]) -> ProviderError | None:
        started = time.monotonic()
        sent = self._call(provider, batch, turn[0])
        if isinstance(sent, ProviderError):
            self._record(provider, batch, started, 0, None, str(sent))
            return sent
        reply, messages = sent
        reply = replace(reply, text=str(storable(reply.text)))  # e.g. an emoji cut in half
        try:
            if reply.truncated:
                raise ReplyParseError(f"truncated reply: the output limit ({provider.max_output_tokens:,}"
                                      f" tokens, CLAUDE_RECALL_{provider.name.upper()}_MAX_OUTPUT_TOKENS)"
                                      " cut it off")
            parsed = parse_reply(reply.text, known_paths=render.known_paths(list(batch.events)),
                                 cwd=render.session_cwd(list(batch.events)),
                                 expect_summary=batch.summarize)
        except ReplyParseError as exc:
            error = f"unusable reply from {provider.name}: {exc}"
            self._record(provider, batch, started, messages, reply, error)
            return TransientError(error, provider=provider.name)
        call = self._record(provider, batch, started, messages, reply)
        for problem in parsed.problems:
            log.info(f"session {batch.session_id[:8]}: {problem}")
        parsed = scrub_parsed(parsed)
        stored = replace(reply, text=render_reply(parsed))
        if complete(self.conn, batch, turn, stored, provider.name, parsed):  # False: forgotten meanwhile
            self._count(batch, parsed.observations, call)
            self.unsynced += 1
        if self.unsynced >= SYNC_EVERY:
            self._sync_index()
        return None

    def _call(self, provider: Provider, batch: work.Batch,
              new_turn: str) -> tuple[Reply, int] | ProviderError:
        """Send the windowed conversation; on a context overflow, once more at once with half
        the token budget. The reply and the number of messages sent, or the error."""
        max_messages, max_tokens = provider.window
        budget = min(max_tokens, self.budgets.get(provider.name, max_tokens))
        history = work.history(self.conn, batch.session_id, self.digests)
        while True:
            window = fit(SYSTEM_PROMPT, history, Message("user", new_turn), max_messages, budget)
            self._warn_window(batch, window.dropped, window.estimated_tokens, window.too_big)
            messages = tuple(Message(m.role, _clean(m.content)) for m in window.messages)
            try:
                reply = provider.complete(Request(SYSTEM_PROMPT, messages, provider.max_output_tokens))
            except ContextOverflowError as exc:
                smaller = min(budget, window.estimated_tokens) // 2
                if smaller < MIN_HISTORY_BUDGET or len(messages) == 1:
                    return exc
                log.warning(f"{provider.name}: {exc}; retrying with a budget of {smaller:,} tokens")
                budget = self.budgets[provider.name] = smaller
                continue
            except ProviderError as exc:
                return exc
            return reply, len(messages)

    def _sync_index(self) -> None:
        """Embed what this batch stored. The index is optional: without one, search runs on
        FTS5 and ``sync`` back-fills these rows once an index is usable again."""
        from ..index import open_for_search
        from ..index.sync import sync

        self.unsynced = 0
        try:
            if self.index is None and not self.index_failed:
                self.index, problem = open_for_search(settings.load(self.data_dir), note="")
                if problem is not None:
                    raise problem
            if self.index is not None:
                sync(self.conn, self.index)
        except Exception as exc:  # IndexUnavailable or a failing index: never lose a batch over it
            self.index, self.index_failed = None, True
            chosen = getattr(exc, "kind", "") == "off"  # the user turned it off: nothing to warn
            log.write("debug" if chosen else "warning", f"vector index not updated: {exc}")

    # -- helpers --------------------------------------------------------------------------
    def _record(self, provider: Provider, batch: work.Batch, started: float, messages: int,
                reply: Reply | None, error: str | None = None) -> Call:
        usage = reply.usage if reply else Usage()
        model = reply.model if reply else provider.model
        call = Call(batch.session_id, provider.name, model,
                    "summarize" if batch.summarize else "observe", usage,
                    estimate_cost(model, usage), messages,
                    int((time.monotonic() - started) * 1000), error)
        record_call(self.conn, call)
        if reply is not None:
            log.info(f"API usage: provider={provider.name} model={model} "
                     f"inputTokens={usage.input_tokens} outputTokens={usage.output_tokens} "
                     f"totalTokens={usage.total_tokens} cacheReadTokens={usage.cache_read_tokens} "
                     f"estimatedCostUSD={call.cost_usd:.4f} messagesInContext={messages} "
                     f"session={batch.session_id[:8]} events={len(batch.events)}")
        return call

    def _count(self, batch: work.Batch, observations: tuple[object, ...], call: Call) -> None:
        t = self.totals
        t.batches, t.events = t.batches + 1, t.events + len(batch.events)
        t.observations += len(observations)
        t.input_tokens += call.usage.input_tokens
        t.output_tokens += call.usage.output_tokens
        t.cost_usd += call.cost_usd
        self.out(f"batch {t.batches}: {len(batch.events)} events of session {batch.session_id[:8]}"
                 f" via {call.provider}/{call.model}: {len(observations)} observations,"
                 f" {call.usage.input_tokens:,} in / {call.usage.output_tokens:,} out tokens,"
                 f" ${call.cost_usd:.4f}")

    def _failed(self, conf: settings.Settings, batch: work.Batch, error: ProviderError | None) -> None:
        message = str(error) if error else "no provider could be called"
        retry_after = error.retry_after if isinstance(error, TransientError) else None
        state = work.fail(self.conn, batch, message, conf.number("CLAUDE_RECALL_MAX_ATTEMPTS"),
                          conf.number("CLAUDE_RECALL_RETRY_BASE_S"), retry_after)
        self.totals.failures.append(f"session {batch.session_id[:8]}: {message}")
        if self.drain:
            self.skip.add(batch.session_id)  # one attempt per batch in a foreground run
        log.warning(f"batch of session {batch.session_id[:8]} {state}: {message}")
        self.out(f"batch of session {batch.session_id[:8]} {state}: {message}")

    def _warn_window(self, batch: work.Batch, dropped: int, tokens: int, too_big: bool) -> None:
        if dropped:
            log.warning(f"session {batch.session_id[:8]}: context window dropped {dropped} "
                        "older history messages")
        if too_big:
            log.warning(f"session {batch.session_id[:8]}: high token usage, ~{tokens:,} estimated "
                        "tokens in one request (over 50,000); lower the MAX_CONTEXT_MESSAGES or "
                        "MAX_TOKENS settings")

    def _limits(self, conf: settings.Settings) -> work.Limits:
        """Batch limits; a batch always fits the chosen provider's window (a local model's
        8k context holds far fewer events than BATCH_MAX_CHARS)."""
        name = conf.text("CLAUDE_RECALL_PROVIDER")
        budget = window_of(conf, name)[1]
        room = min(budget, self.budgets.get(name, budget))
        fits = 3 * max(512, room - estimate_tokens(SYSTEM_PROMPT) - 200)  # 3 chars a token: code
        return work.Limits(conf.number("CLAUDE_RECALL_BATCH_MAX_EVENTS"),
                           min(conf.number("CLAUDE_RECALL_BATCH_MAX_CHARS"), fits),
                           conf.number("CLAUDE_RECALL_BATCH_WAIT_S"), self.drain)

    @staticmethod
    def _size(event: render.StoredEvent) -> int:
        return len(render.render_event(event))

    def _make_failed_due(self) -> None:
        from ..store.db import write

        with write(self.conn):
            event_rows.make_failed_due(self.conn)

    def _outcome(self) -> Outcome:
        remaining = event_rows.count_in(self.conn, event_rows.UNFINISHED)
        reasons = [p.reason for p in pauses.listed(self.conn)] + self.totals.failures[-1:]
        return Outcome(self.totals, remaining, reasons[0] if remaining and reasons else None)


def _clean(text: str) -> str:
    """Defence in depth: every text sent to a provider passes the capture's privacy filter again."""
    return scrub(text)[0]
