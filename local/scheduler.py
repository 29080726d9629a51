"""Runs the app's `@app.schedule` handlers at their rates (and daily crons), as EventBridge would.

Schedules follow the wall clock; the local clock offset (see README) does not make them fire sooner.
"""
from __future__ import annotations

import logging
import re
import threading
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from local.lambda_events import LocalContext, scheduled_event

log = logging.getLogger("local.scheduler")

_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


_DAILY_CRON = re.compile(r"^cron\((\d{1,2}) (\d{1,2}) \* \* \? \*\)$")


def rate_seconds(expression: str) -> int:
    """Seconds between runs for a `rate(...)` expression."""
    match = _RATE.match(expression)
    if not match:
        raise ValueError(f"unsupported schedule expression: {expression}")
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2).rstrip("s")]


def seconds_until_next(expression: str, now: datetime) -> float:
    """Seconds from `now` to the next run of a rate (one interval) or a daily cron `cron(M H * * ? *)` (UTC)."""
    match = _DAILY_CRON.match(expression)
    if not match:
        return rate_seconds(expression)
    minute, hour = int(match.group(1)), int(match.group(2))
    today = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    upcoming = today if today > now else today + timedelta(days=1)
    return (upcoming - now).total_seconds()


class Schedule:
    def __init__(self, name: str, expression: str, handler: Callable[[dict, Any], Any], region: str,
                 interval_override: float | None = None) -> None:
        """`interval_override` runs the schedule every that many seconds instead (LOCAL_SCHEDULE_SECONDS)."""
        self.name = name
        self.expression = expression
        self._interval_override = interval_override
        seconds_until_next(expression, datetime.now(timezone.utc))  # refuse an unsupported expression now
        self._handler = handler
        self._region = region

    def fire(self) -> None:
        event = scheduled_event(f"arn:aws:events:{self._region}:123456789012:rule/{self.name}", self._region)
        self._handler(event, LocalContext(self.name))

    def run(self, stop: threading.Event) -> None:
        while not stop.wait(self._interval_override
                            or seconds_until_next(self.expression, datetime.now(timezone.utc))):
            try:
                self.fire()
            except Exception:  # noqa: BLE001 - a failed run is logged; the next one still happens
                log.exception("schedule %s failed", self.name)
