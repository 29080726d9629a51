from datetime import datetime, timezone

import pytest

from chalicelib.exports.periods import InvalidPeriod, parse_period, previous_day


def test_a_day_is_shanghai_midnight_to_midnight_in_utc():
    period = parse_period("2026-11-22")
    assert period.start == datetime(2026, 11, 21, 16, 0, tzinfo=timezone.utc)
    assert period.end == datetime(2026, 11, 22, 16, 0, tzinfo=timezone.utc)


def test_a_month_spans_the_whole_shanghai_month_including_december():
    period = parse_period("2026-12")
    assert period.start == datetime(2026, 11, 30, 16, 0, tzinfo=timezone.utc)
    assert period.end == datetime(2026, 12, 31, 16, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("text", ["2026-13", "2026-02-30", "2026/11/22", "yesterday", "", "2026-1-2"])
def test_anything_else_is_refused(text):
    with pytest.raises(InvalidPeriod):
        parse_period(text)


def test_the_daily_export_takes_the_previous_shanghai_day():
    # 2026-11-23 15:59 UTC is 23:59 in Shanghai (still the 23rd); 16:00 UTC is already the 24th.
    assert previous_day(datetime(2026, 11, 23, 15, 59, tzinfo=timezone.utc)).label == "2026-11-22"
    assert previous_day(datetime(2026, 11, 23, 16, 0, tzinfo=timezone.utc)).label == "2026-11-23"
