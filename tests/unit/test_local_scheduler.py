from datetime import datetime, timezone

import pytest

from local.scheduler import Schedule, seconds_until_next


def test_a_rate_waits_one_interval():
    assert seconds_until_next("rate(5 minutes)", datetime(2026, 11, 23, tzinfo=timezone.utc)) == 300


def test_a_daily_cron_waits_until_its_next_time_of_day():
    assert seconds_until_next("cron(30 16 * * ? *)", datetime(2026, 11, 23, 16, 0, tzinfo=timezone.utc)) == 1800
    assert seconds_until_next("cron(30 16 * * ? *)",
                              datetime(2026, 11, 23, 16, 30, tzinfo=timezone.utc)) == 24 * 3600


def test_an_expression_the_local_scheduler_cannot_run_is_refused_at_start():
    with pytest.raises(ValueError):
        Schedule("weekly", "cron(0 12 ? * MON *)", lambda event, context: None, "us-east-1")
