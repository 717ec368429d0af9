"""The one UTC timestamp helper (``recall_plugin.vocab``): every format it writes, and what it
reads back."""

from __future__ import annotations

import calendar
import datetime as dt

import pytest

from recall_plugin import vocab

MOMENT = calendar.timegm((2026, 5, 1, 10, 0, 7, 0, 0, 0)) + 0.25  # exact in binary: no rounding


def test_each_format_of_one_moment() -> None:
    assert vocab.utc_stamp(MOMENT) == "2026-05-01T10:00:07Z"
    assert vocab.utc_stamp_ms(MOMENT) == "2026-05-01T10:00:07.250Z"
    assert vocab.utc_day(MOMENT) == "2026-05-01"
    assert vocab.utc_file_stamp(MOMENT) == "20260501T100007Z"


def test_now_is_the_default_and_every_format_reads_back() -> None:
    for stamp in (vocab.utc_stamp(), vocab.utc_stamp_ms(), vocab.utc_day()):
        assert vocab.utc_epoch(stamp) > calendar.timegm((2026, 1, 1, 0, 0, 0, 0, 0, 0))
        assert vocab.parse_utc(stamp).tzinfo is not None


@pytest.mark.parametrize(("stamp", "seconds"), [
    ("2026-05-01T10:00:07.250Z", int(MOMENT)), ("2026-05-01 10:00:07", int(MOMENT)),
    ("  2026-05-01T10:00:07Z ", int(MOMENT)), ("2026-05-01", int(MOMENT) - 36007),
    ("garbage", 0), ("", 0), ("2026-13-01", 0)])
def test_stored_times_read_back_as_epoch_seconds(stamp: str, seconds: int) -> None:
    assert vocab.utc_epoch(stamp) == seconds


def test_times_from_outside_mean_utc_unless_they_say_otherwise() -> None:
    utc = dt.timezone.utc
    assert vocab.parse_utc("2026-05-01T10:00:07Z") == dt.datetime(2026, 5, 1, 10, 0, 7, tzinfo=utc)
    assert vocab.parse_utc(" 2026-05-01T10:00:07z") == dt.datetime(2026, 5, 1, 10, 0, 7, tzinfo=utc)
    assert vocab.parse_utc("2026-05-01T10:00:07") == dt.datetime(2026, 5, 1, 10, 0, 7, tzinfo=utc)
    assert vocab.parse_utc("2026-05-01T12:00:07+02:00") == dt.datetime(2026, 5, 1, 10, 0, 7, tzinfo=utc)
    for bad in ("yesterday", "2026-02-30T00:00:00Z", ""):
        with pytest.raises(ValueError):
            vocab.parse_utc(bad)
