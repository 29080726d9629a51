"""Export periods: a day `YYYY-MM-DD` or a month `YYYY-MM` on the Asia/Shanghai calendar.

China has kept UTC+8 with no daylight saving since 1991, so a fixed offset is exact for every
period the gateway can export and needs no time zone database in the Lambda package.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")

_DAY = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")


class InvalidPeriod(ValueError):
    pass


@dataclass(frozen=True)
class Period:
    label: str          # as given: 2026-11-22 or 2026-11
    start: datetime     # inclusive, UTC
    end: datetime       # exclusive, UTC


def parse_period(text: str) -> Period:
    day, month = _DAY.fullmatch(text), _MONTH.fullmatch(text)
    if not (day or month):
        raise InvalidPeriod("period must be a day YYYY-MM-DD or a month YYYY-MM")
    try:
        if day:
            first = date(*map(int, day.groups()))
            following = first + timedelta(days=1)
        else:
            year, number = map(int, month.groups())
            first = date(year, number, 1)
            following = date(year + number // 12, number % 12 + 1, 1)
        return Period(label=text, start=_utc_midnight(first), end=_utc_midnight(following))
    except (ValueError, OverflowError) as error:  # 2026-02-30; 0001-01 and 9999-12-31 reach past the calendar
        raise InvalidPeriod(f"period {text!r} is not a real date: {error}") from None


def previous_day(now: datetime) -> Period:
    """Yesterday on the Shanghai calendar (the daily export's period)."""
    return parse_period((now.astimezone(SHANGHAI).date() - timedelta(days=1)).isoformat())


def _utc_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=SHANGHAI).astimezone(timezone.utc)
