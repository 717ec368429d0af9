"""The one progress display of long commands: ``(done, total, what)`` callbacks."""

from __future__ import annotations

import io

from recall_plugin.cli.progress import BAR_WIDTH, Progress


def test_steps_that_say_what_they_did_get_a_line_each() -> None:
    out = io.StringIO()
    show = Progress(out, tty=False, label="backfill")
    for done in range(1, 4):
        show(done, 3, f"session {done} imported")
    assert out.getvalue().splitlines() == [f"backfill {n}/3: session {n} imported" for n in (1, 2, 3)]


def test_counted_work_gets_a_line_per_tenth_with_its_rate() -> None:
    out = io.StringIO()
    show = Progress(out, tty=False, label="reindex", unit="docs")
    for done in range(0, 1001):
        show(done, 1000, "")
    lines = out.getvalue().splitlines()
    assert [line.split(",")[0] for line in lines] == [
        f"reindex: {n * 100}/1000 ({n * 10}%)" for n in range(11)]
    assert all(line.endswith(" docs/s") for line in lines)


def test_a_terminal_bar_is_redrawn_in_place_and_padded_to_wipe_longer_text() -> None:
    out = io.StringIO()
    show = Progress(out, tty=True, label="backfill")
    show(1, 2, "a" * 60)
    show(2, 2, "short")
    first, second = out.getvalue().split("\r")[1:]
    assert first.startswith("backfill [" + "#" * (BAR_WIDTH // 2) + ".") and first.endswith(" " + "a" * 40)
    assert second == "backfill [" + "#" * BAR_WIDTH + "] 2/2 " + "short".ljust(40) + "\n"
