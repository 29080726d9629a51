"""Runs the app's `@app.schedule` handlers at their rates, as EventBridge would."""
from __future__ import annotations

import logging
import re
import threading
from typing import Any, Callable

from local.lambda_events import LocalContext, scheduled_event

log = logging.getLogger("local.scheduler")

_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


def rate_seconds(expression: str) -> int:
    """Seconds between runs for a `rate(...)` expression (cron schedules are not run locally)."""
    match = _RATE.match(expression)
    if not match:
        raise ValueError(f"unsupported schedule expression: {expression}")
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2).rstrip("s")]


class Schedule:
    def __init__(self, name: str, expression: str, handler: Callable[[dict, Any], Any], region: str,
                 interval_override: float | None = None) -> None:
        self.name = name
        self.interval = interval_override or rate_seconds(expression)
        self._handler = handler
        self._region = region

    def fire(self) -> None:
        event = scheduled_event(f"arn:aws:events:{self._region}:123456789012:rule/{self.name}", self._region)
        self._handler(event, LocalContext(self.name))

    def run(self, stop: threading.Event) -> None:
        while not stop.wait(self.interval):
            try:
                self.fire()
            except Exception:  # noqa: BLE001 - a failed run is logged; the next one still happens
                log.exception("schedule %s failed", self.name)
