"""Export periods: a day `YYYY-MM-DD` or a month `YYYY-MM` on the Asia/Shanghai calendar.

China has kept UTC+8 with no daylight saving since 1991, so a fixed offset is exact for every
period the gateway can export and needs no time zone database in the Lambda package.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")

_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class InvalidPeriod(ValueError):
    pass


@dataclass(frozen=True)
class Period:
    label: str          # as given: 2026-11-22 or 2026-11
    start: datetime     # inclusive, UTC
    end: datetime       # exclusive, UTC


def parse_period(text: str) -> Period:
    try:
        if match := _DAY.match(text):
            first = date(*map(int, match.groups()))
            following = first + timedelta(days=1)
        elif match := _MONTH.match(text):
            year, month = map(int, match.groups())
            first = date(year, month, 1)
            following = date(year + month // 12, month % 12 + 1, 1)
        else:
            raise InvalidPeriod("period must be a day YYYY-MM-DD or a month YYYY-MM")
    except ValueError as error:
        raise InvalidPeriod(f"period {text!r} is not a real date: {error}") from None
    return Period(label=text, start=_utc_midnight(first), end=_utc_midnight(following))


def previous_day(now: datetime) -> Period:
    """Yesterday on the Shanghai calendar (the daily export's period)."""
    return parse_period((now.astimezone(SHANGHAI).date() - timedelta(days=1)).isoformat())


def _utc_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=SHANGHAI).astimezone(timezone.utc)
