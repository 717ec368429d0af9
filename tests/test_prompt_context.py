"""Per-prompt injection: only clear matches, within budget, never twice, never a flagged record,
off by a setting; through the real UserPromptSubmit hook."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from helpers.hooks import HookRunner, load_payloads
from helpers.memory import plant, plant_for_folder

from recall_plugin.context import common, frame, open_readonly, prompt, seen
from recall_plugin.store.db import write


def reader(data_dir: Path) -> sqlite3.Connection:
    conn = open_readonly(str(data_dir))
    assert conn is not None
    return conn


def ids_for(data_dir: Path, text: str, skip: set[int] | None = None, **kw: Any) -> list[int]:
    return prompt.render(reader(data_dir), "shop", text, skip or set(), kw.get("items", 3),
                         kw.get("max_chars", 800))[1]


def test_only_prompts_clearly_about_a_record_get_it(data_dir: Path) -> None:
    plant(data_dir)
    assert ids_for(data_dir, "the uploader retried the 429s again, look at the backoff") == [1]
    assert ids_for(data_dir, "what about parse_invoice_line") == [4]  # one identifier is enough
    for everyday in ("run the tests again", "why is this failing?", "thanks, that works",
                     "make the retry nicer", "recipe for lasagna", ""):
        assert ids_for(data_dir, everyday) == [], everyday  # one plain word or none: nothing
    # another project's memory never answers
    assert prompt.render(reader(data_dir), "blog", "uploader retried 429 backoff", set(), 3, 800)[1] == []


def test_budget_and_item_limit(data_dir: Path) -> None:
    corpus: list[tuple[Any, ...]] = [
        ("shop", "bugfix", f"Uploader backoff fix {n} " + "y" * 60, "", "uploader backoff", [], [], [],
         f"2026-11-{1 + n:02d}T00:00:00.000Z") for n in range(10)]
    corpus += [("shop", "change", f"Routine change {n}", "", "tidy", [], [], [],
                "2026-10-01T00:00:00.000Z") for n in range(300)]  # so the words are distinctive
    plant(data_dir, corpus)
    text, ids = prompt.render(reader(data_dir), "shop", "uploader backoff", set(), 3, 1200)
    assert len(ids) == 3 and len(text) <= 1200
    one_line = len(prompt.framed([], "shop")) + 140
    text, ids = prompt.render(reader(data_dir), "shop", "uploader backoff", set(), 3, one_line)
    assert len(ids) == 1 and len(text) <= one_line
    assert prompt.render(reader(data_dir), "shop", "uploader backoff", set(), 3, 200) == ("", [])
    assert text.startswith("# Recorded notes") and frame.FENCE in text and frame.CLOSE in text.splitlines()


def test_nothing_is_injected_twice_in_a_session(data_dir: Path) -> None:
    plant(data_dir)
    ask = "uploader retried 429 responses: backoff?"
    first = prompt.for_prompt(str(data_dir), "shop", "s1", ask)
    assert "#1 " in first
    assert prompt.for_prompt(str(data_dir), "shop", "s1", ask) == ""
    assert seen.read(str(data_dir), "s1") == {1}
    assert prompt.for_prompt(str(data_dir), "shop", "s2", ask) == first  # another session


def test_flagged_records_are_never_injected(data_dir: Path) -> None:
    conn = plant(data_dir)
    columns = {row[1] for row in conn.execute("PRAGMA table_info(observations)")}
    with write(conn):
        if "flagged" not in columns:  # before migration 005_flags is merged
            conn.execute("ALTER TABLE observations ADD COLUMN flagged TEXT NOT NULL DEFAULT ''")
        conn.execute("UPDATE observations SET flagged = 'instructions' WHERE id = 1")
    assert ids_for(data_dir, "uploader retried 429 backoff") == []
    with write(conn):
        conn.execute("UPDATE observations SET flagged = '' WHERE id = 1")
    assert ids_for(data_dir, "uploader retried 429 backoff") == [1]


def test_dates_in_the_prompt_narrow_it(data_dir: Path) -> None:
    plant(data_dir)
    assert ids_for(data_dir, "uploader retried 429 backoff in November 2026") == [1]
    assert ids_for(data_dir, "uploader retried 429 backoff in October 2026") == []


def test_an_event_in_the_prompt_dates_it(data_dir: Path) -> None:
    corpus: list[tuple[Any, ...]] = [
        ("shop", "bugfix", "Gateway rollback after a failed health check", "", "gateway rollback",
         [], [], [], "2026-02-17T10:00:00.000Z"),
        ("shop", "change", "Migration 0042 adds orders.shipped_at", "", "shipped_at migration",
         [], [], [], "2026-10-08T10:00:00.000Z"),
        ("shop", "bugfix", "Gateway rollback on a missing variable", "", "gateway rollback",
         [], [], [], "2026-11-13T10:00:00.000Z")]
    corpus += [("shop", "change", f"Routine change {n}", "", "tidy", [], [], [],
                "2026-10-01T00:00:00.000Z") for n in range(300)]  # so the words are distinctive
    plant(data_dir, corpus)
    assert sorted(ids_for(data_dir, "gateway rollback again")) == [1, 3]
    assert ids_for(data_dir, "gateway rollback before the shipped_at migration") == [1]
    assert ids_for(data_dir, "gateway rollback since the shipped_at migration") == [3]
    # an event the memory does not hold narrows nothing
    assert sorted(ids_for(data_dir, "gateway rollback before the kubernetes cutover")) == [1, 3]


def test_common_words_are_counted_once(data_dir: Path) -> None:
    corpus: list[tuple[Any, ...]] = [
        ("shop", "bugfix", f"Gateway note {n}", "", "gateway timeout", [], [], [],
         "2026-10-01T00:00:00.000Z") for n in range(300)]
    corpus += [("shop", "bugfix", "Uploader backoff fix", "", "uploader backoff gateway", [], [], [],
                "2026-11-01T00:00:00.000Z")]
    plant(data_dir, corpus)
    ask = "uploader backoff at the gateway"
    first = prompt.for_prompt(str(data_dir), "shop", "c1", ask)
    assert "#301 " in first
    saved = (data_dir / "state" / common.FILE).read_text().split()
    assert saved[1:] == ["gateway"] and int(saved[0]) > 1  # "gateway" is in 301 of 301 records
    # the same answer with the word known (not counted again), and nothing written twice
    assert prompt.for_prompt(str(data_dir), "shop", "c2", ask) == first.replace("c1", "c2")
    assert (data_dir / "state" / common.FILE).read_text().split() == saved
    # a word counted at a smaller cap is not trusted at a larger one
    words = common.CommonWords(str(data_dir))
    assert words.known(int(saved[0])) == {"gateway"} and words.known(int(saved[0]) + 1) == set()
    common.forget(str(data_dir))
    assert not (data_dir / "state" / common.FILE).exists()


def user_prompt(run_hook: HookRunner, cwd: Path, text: str, **env: str) -> str:
    [record] = [r for r in load_payloads("bash_inject") if r["event"] == "UserPromptSubmit"]
    result = run_hook("UserPromptSubmit", dict(record["payload"], cwd=str(cwd), prompt=text), **env)
    assert result.returncode == 0
    return result.stdout.decode()


def test_the_hook_injects_at_a_prompt_and_a_setting_turns_it_off(data_dir: Path,
                                                                 run_hook: HookRunner) -> None:
    shop = run_hook.cwd.parent / "shop"
    plant_for_folder(data_dir, shop)
    ask = "the uploader retried 429s again; check the backoff"
    assert user_prompt(run_hook, shop, ask, CLAUDE_RECALL_PROMPT_CONTEXT="false") == ""
    out = json.loads(user_prompt(run_hook, shop, ask))
    assert out["hookSpecificOutput"]["hookEventName"] == "UserPromptSubmit"
    assert "Fix retry storm in uploader" in out["hookSpecificOutput"]["additionalContext"]
    assert user_prompt(run_hook, shop, ask) == ""  # already given to this session
    assert user_prompt(run_hook, shop, "run the tests again") == ""
