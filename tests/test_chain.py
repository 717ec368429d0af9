"""The extractor's provider chain, pauses and token budgets (``extract.chain``) on a real store."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.builders import configure
from helpers.store import db

from recall_plugin.errors import ProviderSetupError
from recall_plugin.extract import pauses
from recall_plugin.extract.chain import Chain
from recall_plugin.extract.results import Call, record_call
from recall_plugin.providers.base import Usage

SESSION = "5e55104a-0000-4000-8000-000000000001"


@pytest.fixture
def conn(data_dir: Path) -> Iterator[sqlite3.Connection]:
    connection = db(data_dir)
    yield connection
    connection.close()


def spend(conn: sqlite3.Connection, session_id: str, tokens: int) -> None:
    record_call(conn, Call(session_id, "openrouter", "m", "observe", Usage(tokens - 10, 10), 0.0, 1, 5))


def test_daily_budget_pauses_with_its_message_and_lifts_when_raised(data_dir: Path,
                                                                    conn: sqlite3.Connection) -> None:
    spend(conn, SESSION, 150)
    spend(conn, "another-session", 100)
    chain = Chain(conn, lambda line: None)
    assert chain.over_budget(configure(data_dir, DAILY_TOKEN_BUDGET=250))
    [paused] = pauses.listed(conn)
    assert paused == pauses.Pause("budget:daily", "daily token budget reached (250 of 250): raise "
                                  "CLAUDE_RECALL_DAILY_TOKEN_BUDGET or wait for tomorrow",
                                  "CLAUDE_RECALL_DAILY_TOKEN_BUDGET")
    assert not chain.over_budget(configure(data_dir, DAILY_TOKEN_BUDGET=1000))
    assert pauses.listed(conn) == []
    assert not chain.over_budget(configure(data_dir, DAILY_TOKEN_BUDGET=0))  # 0: no budget


def test_session_budget_counts_that_session_only(data_dir: Path, conn: sqlite3.Connection) -> None:
    spend(conn, SESSION, 1200)
    spend(conn, "another-session", 5000)
    chain = Chain(conn, lambda line: None)
    conf = configure(data_dir, SESSION_TOKEN_BUDGET=1000)
    assert chain.over_budget(conf, SESSION) and not chain.over_budget(conf, "a-third-session")
    assert not chain.over_budget(conf)  # the daily budget is another one (0: none)
    [paused] = pauses.listed(conn)
    assert paused == pauses.Pause(f"budget:session:{SESSION}", "session 5e55104a token budget reached "
                                  "(1,200 of 1,000): raise CLAUDE_RECALL_SESSION_TOKEN_BUDGET",
                                  "CLAUDE_RECALL_SESSION_TOKEN_BUDGET")


def test_a_provider_is_kept_while_its_settings_stay_and_remade_when_they_change(
        data_dir: Path, conn: sqlite3.Connection) -> None:
    chain = Chain(conn, lambda line: None)
    conf = configure(data_dir, PROVIDER="openrouter", OPENROUTER_BASE_URL="http://127.0.0.1:9/v1")
    [first] = chain.providers(conf)
    assert chain.providers(configure(data_dir, BATCH_MAX_EVENTS=7)) == [first]
    [second] = chain.providers(configure(data_dir, OPENROUTER_MODEL="llama3.2"))
    assert second is not first and second.model == "llama3.2"
    chain.close()


def test_an_unusable_primary_falls_back_and_none_left_pauses(data_dir: Path,
                                                             conn: sqlite3.Connection) -> None:
    said: list[str] = []
    chain = Chain(conn, said.append)
    conf = configure(data_dir, PROVIDER="gemini", FALLBACK_PROVIDER="openrouter",
                     OPENROUTER_BASE_URL="http://127.0.0.1:9/v1")
    assert [p.name for p in chain.providers(conf)] == ["openrouter"]
    conf = configure(data_dir, FALLBACK_PROVIDER="none")
    assert chain.providers(conf) == []
    [paused] = pauses.listed(conn)
    assert paused.scope == "no-provider" and "CLAUDE_RECALL_GEMINI_API_KEY" in paused.reason
    chain.close()


def test_a_paused_primary_stops_the_chain_until_its_settings_change(data_dir: Path,
                                                                    conn: sqlite3.Connection) -> None:
    said: list[str] = []
    chain = Chain(conn, said.append)
    conf = configure(data_dir, PROVIDER="openrouter", FALLBACK_PROVIDER="gemini",
                     OPENROUTER_BASE_URL="http://127.0.0.1:9/v1", GEMINI_API_KEY="AIza-test-0123456789")
    primary, _ = chain.providers(conf)
    chain.pause(conf, primary, ProviderSetupError("401 rejected", provider="openrouter",
                                                  setting="CLAUDE_RECALL_OPENROUTER_API_KEY"))
    assert said == ["openrouter paused: 401 rejected"]
    assert chain.providers(conf) == []  # falling back would hide what to fix
    fixed = configure(data_dir, OPENROUTER_API_KEY="sk-or-v1-test-0123456789")
    assert [p.name for p in chain.providers(fixed)] == ["openrouter", "gemini"]
    chain.close()
