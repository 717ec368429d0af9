"""The short soak run CI does: 4 sessions x 150 hook calls through the real hooks, a provider
failing ~20% of calls, the extractor SIGKILLed every few seconds, the disk full once."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from benchmarks import soak  # noqa: E402


@pytest.mark.slow
def test_short_soak_accounts_for_every_event(tmp_path: Path) -> None:
    conf = soak.Config(sessions=4, events=150, seconds=12, kill_min_s=1.5, kill_max_s=3.5,
                       fail_rate=0.2, disk_full=True, disk_full_s=1.5, quiet_events=20, seed=7,
                       workdir=str(tmp_path / "soak"))
    result = soak.Soak(conf).run()
    print(soak.table(result))
    assert soak.problems(result) == []
    assert result["events in"] == 4 * 150 + 20
    assert result["provider calls"] > 0
    assert result["extractors left"] == 0
    assert result["unaccounted"] == 0 and result["lost"] == 0 and result["duplicates"] == 0
